//! The GPU layout of each format, transcoded once at load. Payload and scales live in two
//! `array<u32>` buffers so loads are aligned and coalesced on every adapter:
//!
//! | dtype | `data` (u32 words)                       | `scales` (u32 words)                 |
//! |-------|------------------------------------------|--------------------------------------|
//! | F32   | one f32 per word                         | —                                    |
//! | F16   | two f16 per word (element 2i low half)   | —                                    |
//! | BF16  | two bf16 per word                        | —                                    |
//! | Q8_0  | 8 words per block: 32 × (i8 + 128) as u8 | f16 `d` per block, two blocks a word |
//! | Q4_0  | 4 words per block: the 16 nibble bytes   | f16 `d` per block, two blocks a word |
//! | Q4_1  | 4 words per block: the 16 nibble bytes   | one word per block: `d` low, `m` high|
//!
//! f16 scales stay f16 (no widening: decode is bandwidth bound); shaders read them with
//! `unpack2x16float`, or as `array<f16>` when `shader-f16` is on. Both give identical values.
//! Q8_0's quants get their sign bit flipped (q + 128, 0..=255) so that shaders read all block
//! formats' quants with `unpack4x8unorm` (shaders/common/weights.wgsl `unit_bytes`).

use super::dtype::DType;

pub struct GpuLayout {
    pub data: Vec<u32>,
    pub scales: Vec<u32>,
}

fn word(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Whole vec4<u32>s (the shaders read 16 bytes at a time), never empty (wgpu rejects zero-sized
/// bindings).
fn pad(mut w: Vec<u32>) -> Vec<u32> {
    w.resize(w.len().max(1).next_multiple_of(4), 0);
    w
}

/// Little-endian words of `bytes` (a short tail is zero-padded).
fn words(bytes: &[u8]) -> Vec<u32> {
    let mut w = Vec::with_capacity(bytes.len().div_ceil(16) * 4);
    let chunks = bytes.chunks_exact(4);
    let tail = chunks.remainder();
    w.extend(chunks.map(word));
    if !tail.is_empty() {
        let mut b = [0u8; 4];
        b[..tail.len()].copy_from_slice(tail);
        w.push(u32::from_le_bytes(b));
    }
    pad(w)
}

/// The order of a block format's blocks in `data` and `scales`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockOrder {
    /// As in GGUF: row by row, each row's blocks left to right.
    Rows,
    /// Tiles of `TILE_ROWS` rows, each stored block column by block column: block b of rows
    /// 32t .. 32t+32 are 32 consecutive blocks. The rows kernels (8 rows per invocation, 8
    /// invocations per workgroup) then read two contiguous runs per workgroup instead of 64 short
    /// row streams: the order CPU emulations stream fastest (decode 1.15–1.2× on lavapipe, its
    /// matrix launches 8–10% less time on SwiftShader; 64-row tiles were slower). The last tile
    /// is padded with zero blocks.
    Tiles { rows: usize, cols: usize },
}

/// Rows per tile of `BlockOrder::Tiles` (shaders/common/weights.wgsl `block_index`).
pub const TILE_ROWS: usize = 32;

impl BlockOrder {
    /// Blocks stored for `raw_len` bytes of `dtype` (with the padding of the last tile).
    fn blocks(self, dtype: DType, raw_len: usize) -> usize {
        match self {
            BlockOrder::Rows => raw_len / dtype.block_bytes(),
            BlockOrder::Tiles { rows, cols } => rows.next_multiple_of(TILE_ROWS) * (cols / dtype.block_len()),
        }
    }
}

/// The blocks of `raw` (whole blocks of `dtype` in GGUF's row order) in `order`.
fn ordered_blocks(dtype: DType, raw: &[u8], order: BlockOrder) -> Box<dyn Iterator<Item = &[u8]> + '_> {
    const ZERO: [u8; 64] = [0; 64];
    let bb = dtype.block_bytes();
    match order {
        BlockOrder::Rows => Box::new(raw.chunks_exact(bb)),
        BlockOrder::Tiles { rows, cols } => {
            let per_row = cols / dtype.block_len();
            let tiles = rows.div_ceil(TILE_ROWS);
            Box::new((0..tiles).flat_map(move |t| {
                (0..per_row).flat_map(move |b| {
                    (t * TILE_ROWS..(t + 1) * TILE_ROWS).map(move |row| if row < rows { &raw[(row * per_row + b) * bb..][..bb] } else { &ZERO[..bb] })
                })
            }))
        }
    }
}

impl GpuLayout {
    /// Transcode `raw` (whole blocks of `dtype`, as stored in GGUF) into the GPU layout, in one
    /// pass straight into words (this runs over every weight at load). `order` applies to the
    /// block formats; F32/F16/BF16 always stay row by row.
    pub fn from_raw(dtype: DType, raw: &[u8], order: BlockOrder) -> GpuLayout {
        let blocks = order.blocks(dtype, raw.len());
        match dtype {
            DType::F32 | DType::F16 | DType::BF16 => GpuLayout { data: words(raw), scales: vec![0] },
            DType::Q8_0 | DType::Q4_0 => {
                // f16 d (2 bytes), then the quants: two blocks' d per scale word.
                let bb = dtype.block_bytes();
                let mut data = Vec::with_capacity(blocks * (bb - 2) / 4 + 4);
                let mut scales = Vec::with_capacity(blocks.div_ceil(2) + 4);
                let mut it = ordered_blocks(dtype, raw, order);
                while let Some(a) = it.next() {
                    let b = it.next();
                    let d = |blk: &[u8]| u16::from_le_bytes([blk[0], blk[1]]) as u32;
                    scales.push(d(a) | b.map_or(0, d) << 16);
                    let bias = if dtype == DType::Q8_0 { 0x8080_8080 } else { 0 };
                    data.extend(a[2..].chunks_exact(4).map(|q| word(q) ^ bias));
                    if let Some(b) = b {
                        data.extend(b[2..].chunks_exact(4).map(|q| word(q) ^ bias));
                    }
                }
                GpuLayout { data: pad(data), scales: pad(scales) }
            }
            DType::Q4_1 => {
                // f16 d, f16 m (one scale word), then 16 bytes of nibbles.
                let mut data = Vec::with_capacity(blocks * 4 + 4);
                let mut scales = Vec::with_capacity(blocks + 4);
                for block in ordered_blocks(dtype, raw, order) {
                    scales.push(word(&block[..4]));
                    data.extend(block[4..].chunks_exact(4).map(word));
                }
                GpuLayout { data: pad(data), scales: pad(scales) }
            }
        }
    }

    pub fn bytes(&self) -> u64 {
        (self.data.len() + self.scales.len()) as u64 * 4
    }

    /// (data, scales) lengths in words that `from_raw` gives for `raw_len` bytes of `dtype` in `order`,
    /// without transcoding (buffers are created before their weights are ready).
    pub fn words(dtype: DType, raw_len: usize, order: BlockOrder) -> (usize, usize) {
        let padded = |n: usize| n.max(1).next_multiple_of(4);
        let blocks = order.blocks(dtype, raw_len);
        match dtype {
            DType::F32 | DType::F16 | DType::BF16 => (padded(raw_len.div_ceil(4)), 1),
            DType::Q8_0 | DType::Q4_0 => (padded(blocks * (dtype.block_bytes() - 2) / 4), padded(blocks.div_ceil(2))),
            DType::Q4_1 => (padded(blocks * 4), padded(blocks)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_the_transcoded_lengths() {
        for dtype in DType::ALL {
            for blocks in [1usize, 2, 3, 7, 8, 9] {
                let raw: Vec<u8> = (0..blocks * dtype.block_bytes()).map(|i| i as u8).collect();
                let l = GpuLayout::from_raw(dtype, &raw, BlockOrder::Rows);
                assert_eq!(GpuLayout::words(dtype, raw.len(), BlockOrder::Rows), (l.data.len(), l.scales.len()), "{dtype:?} × {blocks}");
            }
            if !dtype.is_quantized() {
                continue;
            }
            for (rows, per_row) in [(1usize, 1usize), (3, 2), (32, 3), (33, 1), (70, 5)] {
                let raw: Vec<u8> = (0..rows * per_row * dtype.block_bytes()).map(|i| i as u8).collect();
                let order = BlockOrder::Tiles { rows, cols: per_row * 32 };
                let l = GpuLayout::from_raw(dtype, &raw, order);
                assert_eq!(GpuLayout::words(dtype, raw.len(), order), (l.data.len(), l.scales.len()), "{dtype:?} {rows} × {per_row} tiled");
            }
        }
    }

    /// Block `i` of a layout: its f16 scale halves and its data words.
    fn block(l: &GpuLayout, dtype: DType, i: usize) -> (Vec<u16>, Vec<u32>) {
        let half = |w: usize, hi: bool| (l.scales[w] >> if hi { 16 } else { 0 }) as u16;
        match dtype {
            DType::Q4_1 => (vec![half(i, false), half(i, true)], l.data[4 * i..][..4].to_vec()),
            DType::Q4_0 => (vec![half(i / 2, i % 2 == 1)], l.data[4 * i..][..4].to_vec()),
            DType::Q8_0 => (vec![half(i / 2, i % 2 == 1)], l.data[8 * i..][..8].to_vec()),
            _ => unreachable!(),
        }
    }

    #[test]
    fn tiles_hold_each_rows_blocks_column_by_column() {
        for dtype in DType::ALL.into_iter().filter(|d| d.is_quantized()) {
            let (rows, per_row) = (45usize, 3usize);
            let raw: Vec<u8> = (0..rows * per_row * dtype.block_bytes()).map(|i| (i * 7 % 251) as u8).collect();
            let by_rows = GpuLayout::from_raw(dtype, &raw, BlockOrder::Rows);
            let tiled = GpuLayout::from_raw(dtype, &raw, BlockOrder::Tiles { rows, cols: per_row * 32 });
            for row in 0..64 {
                for b in 0..per_row {
                    let at = (row / TILE_ROWS * per_row + b) * TILE_ROWS + row % TILE_ROWS;
                    let got = block(&tiled, dtype, at);
                    if row < rows {
                        assert_eq!(got, block(&by_rows, dtype, row * per_row + b), "{dtype:?} row {row} block {b}");
                    } else {
                        // Zero scales and zero quants (Q8_0's stored q + 128).
                        let zero = if dtype == DType::Q8_0 { 0x8080_8080 } else { 0 };
                        assert!(got.0.iter().all(|&h| h == 0) && got.1.iter().all(|&w| w == zero), "{dtype:?} padding row {row}");
                    }
                }
            }
        }
    }

    #[test]
    fn q8_0_quants_are_stored_plus_128() {
        // One block: d = 1.0 (f16 0x3c00), quants -128, -1, 0, 127, …
        let mut raw = vec![0x00, 0x3c];
        raw.extend((0..32).map(|i| [0x80u8, 0xff, 0x00, 0x7f][i % 4]));
        let l = GpuLayout::from_raw(DType::Q8_0, &raw, BlockOrder::Rows);
        assert_eq!(l.scales[0] & 0xffff, 0x3c00);
        assert!(l.data[..8].iter().all(|&w| w.to_le_bytes() == [0, 127, 128, 255]), "{:x?}", &l.data[..8]);
    }
}
