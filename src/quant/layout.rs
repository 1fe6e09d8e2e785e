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

fn words(bytes: &[u8]) -> Vec<u32> {
    let mut w: Vec<u32> = bytes.chunks(4).map(|c| {
        let mut b = [0u8; 4];
        b[..c.len()].copy_from_slice(c);
        u32::from_le_bytes(b)
    }).collect();
    // Whole vec4<u32>s (the shaders read 16 bytes at a time); never empty (wgpu rejects
    // zero-sized bindings).
    w.resize(w.len().max(1).next_multiple_of(4), 0);
    w
}

impl GpuLayout {
    /// Transcode `raw` (whole blocks of `dtype`, as stored in GGUF) into the GPU layout.
    pub fn from_raw(dtype: DType, raw: &[u8]) -> GpuLayout {
        let bb = dtype.block_bytes();
        match dtype {
            DType::F32 | DType::F16 | DType::BF16 => GpuLayout { data: words(raw), scales: vec![0] },
            DType::Q8_0 | DType::Q4_0 => {
                let mut d = Vec::with_capacity(raw.len() / bb * 2);
                let mut qs = Vec::with_capacity(raw.len());
                for block in raw.chunks_exact(bb) {
                    d.extend_from_slice(&block[..2]);
                    qs.extend_from_slice(&block[2..]);
                }
                GpuLayout { data: words(&qs), scales: words(&d) }
            }
            DType::Q4_1 => {
                let mut dm = Vec::with_capacity(raw.len() / bb * 4);
                let mut qs = Vec::with_capacity(raw.len());
                for block in raw.chunks_exact(bb) {
                    dm.extend_from_slice(&block[..4]);
                    qs.extend_from_slice(&block[4..]);
                }
                GpuLayout { data: words(&qs), scales: words(&dm) }
            }
        }
    }

    pub fn bytes(&self) -> u64 {
        (self.data.len() + self.scales.len()) as u64 * 4
    }
}
