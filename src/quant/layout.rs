//! The GPU layout of each format, transcoded once at load. Payload and scales live in two
//! `array<u32>` buffers so loads are aligned and coalesced on every adapter:
//!
//! | dtype | `data` (u32 words)                       | `scales` (u32 words)                 |
//! |-------|------------------------------------------|--------------------------------------|
//! | F32   | one f32 per word                         | —                                    |
//! | F16   | two f16 per word (element 2i low half)   | —                                    |
//! | BF16  | two bf16 per word                        | —                                    |
//! | Q8_0  | 8 words per block: 32 × i8               | f16 `d` per block, two blocks a word |
//! | Q4_0  | 4 words per block: the 16 nibble bytes   | f16 `d` per block, two blocks a word |
//! | Q4_1  | 4 words per block: the 16 nibble bytes   | one word per block: `d` low, `m` high|
//!
//! f16 scales stay f16 (no widening: decode is bandwidth bound); shaders read them with
//! `unpack2x16float`, or as `array<f16>` when `shader-f16` is on. Both give identical values.

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

impl GpuLayout {
    /// Transcode `raw` (whole blocks of `dtype`, as stored in GGUF) into the GPU layout, in one
    /// pass straight into words (this runs over every weight at load).
    pub fn from_raw(dtype: DType, raw: &[u8]) -> GpuLayout {
        let bb = dtype.block_bytes();
        let blocks = raw.len() / bb;
        match dtype {
            DType::F32 | DType::F16 | DType::BF16 => GpuLayout { data: words(raw), scales: vec![0] },
            DType::Q8_0 | DType::Q4_0 => {
                // f16 d (2 bytes), then the quants: two blocks' d per scale word.
                let mut data = Vec::with_capacity(blocks * (bb - 2) / 4 + 4);
                let mut scales = Vec::with_capacity(blocks.div_ceil(2) + 4);
                for pair in raw[..blocks * bb].chunks(2 * bb) {
                    let lo = u16::from_le_bytes([pair[0], pair[1]]) as u32;
                    let hi = if pair.len() == 2 * bb { u16::from_le_bytes([pair[bb], pair[bb + 1]]) as u32 } else { 0 };
                    scales.push(lo | hi << 16);
                    for block in pair.chunks_exact(bb) {
                        data.extend(block[2..].chunks_exact(4).map(word));
                    }
                }
                GpuLayout { data: pad(data), scales: pad(scales) }
            }
            DType::Q4_1 => {
                // f16 d, f16 m (one scale word), then 16 bytes of nibbles.
                let mut data = Vec::with_capacity(blocks * 4 + 4);
                let mut scales = Vec::with_capacity(blocks + 4);
                for block in raw.chunks_exact(bb) {
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

    /// (data, scales) lengths in words that `from_raw` gives for `raw_len` bytes of `dtype`,
    /// without transcoding (buffers are created before their weights are ready).
    pub fn words(dtype: DType, raw_len: usize) -> (usize, usize) {
        let padded = |n: usize| n.max(1).next_multiple_of(4);
        let blocks = raw_len / dtype.block_bytes();
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
                let l = GpuLayout::from_raw(dtype, &raw);
                assert_eq!(GpuLayout::words(dtype, raw.len()), (l.data.len(), l.scales.len()), "{dtype:?} × {blocks}");
            }
        }
    }
}
