//! CPU dequantization, block by block: the truth every GPU path must equal bit for bit.
//! Formats as in ggml (`gguf-py/gguf/quants.py`).

use super::dtype::DType;
use half::{bf16, f16};

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

/// Dequantize `raw` (whole blocks of `dtype`) into f32 values.
pub fn dequantize(dtype: DType, raw: &[u8]) -> Vec<f32> {
    let bb = dtype.block_bytes();
    let n_blocks = raw.len() / bb;
    let mut out = Vec::with_capacity(n_blocks * dtype.block_len());
    for block in raw.chunks_exact(bb) {
        match dtype {
            DType::F32 => out.push(f32::from_le_bytes([block[0], block[1], block[2], block[3]])),
            DType::F16 => out.push(f16_at(block, 0)),
            DType::BF16 => out.push(bf16::from_le_bytes([block[0], block[1]]).to_f32()),
            DType::Q8_0 => {
                // d: f16, qs: 32 × i8;  x = d·q
                let d = f16_at(block, 0);
                out.extend(block[2..34].iter().map(|&q| d * (q as i8) as f32));
            }
            DType::Q4_0 => {
                // d: f16, qs: 16 bytes; low nibbles are x[0..16], high nibbles x[16..32];  x = d·(q − 8)
                let d = f16_at(block, 0);
                let qs = &block[2..18];
                out.extend(qs.iter().map(|&q| d * ((q & 0xF) as i32 - 8) as f32));
                out.extend(qs.iter().map(|&q| d * ((q >> 4) as i32 - 8) as f32));
            }
            DType::Q4_1 => {
                // d: f16, m: f16, qs: 16 bytes (nibbles as Q4_0);  x = d·q + m
                let d = f16_at(block, 0);
                let m = f16_at(block, 2);
                let qs = &block[4..20];
                out.extend(qs.iter().map(|&q| d * (q & 0xF) as f32 + m));
                out.extend(qs.iter().map(|&q| d * (q >> 4) as f32 + m));
            }
        }
    }
    out
}

/// Quantize f32 values (a multiple of the block length) to `dtype`'s file layout, as ggml's
/// reference quantizers do. Used to quantize checkpoints at load and to build test models.
pub fn quantize(dtype: DType, x: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(x.len() / dtype.block_len() * dtype.block_bytes());
    for blk in x.chunks_exact(dtype.block_len()) {
        match dtype {
            DType::F32 => out.extend_from_slice(&blk[0].to_le_bytes()),
            DType::F16 => out.extend_from_slice(&f16::from_f32(blk[0]).to_le_bytes()),
            DType::BF16 => out.extend_from_slice(&bf16::from_f32(blk[0]).to_le_bytes()),
            DType::Q8_0 => {
                let amax = blk.iter().fold(0f32, |a, v| a.max(v.abs()));
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
                out.extend(blk.iter().map(|v| ((v * id).round() as i8) as u8));
            }
            DType::Q4_0 => {
                let (mut amax, mut max) = (0f32, 0f32);
                for &v in blk {
                    if v.abs() > amax {
                        amax = v.abs();
                        max = v;
                    }
                }
                let d = max / -8.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
                let q = |v: f32| ((v * id + 8.5) as i32).clamp(0, 15) as u8;
                out.extend((0..16).map(|j| q(blk[j]) | (q(blk[j + 16]) << 4)));
            }
            DType::Q4_1 => {
                let min = blk.iter().cloned().fold(f32::INFINITY, f32::min);
                let max = blk.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                let d = (max - min) / 15.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
                out.extend_from_slice(&f16::from_f32(min).to_le_bytes());
                let q = |v: f32| (((v - min) * id + 0.5) as i32).clamp(0, 15) as u8;
                out.extend((0..16).map(|j| q(blk[j]) | (q(blk[j + 16]) << 4)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_roundtrip_is_close() {
        let x: Vec<f32> = (0..256).map(|i| ((i * 37 % 101) as f32 - 50.0) / 13.0).collect();
        for dtype in DType::ALL {
            let y = dequantize(dtype, &quantize(dtype, &x));
            assert_eq!(y.len(), x.len());
            let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
            let tol = match dtype {
                DType::F32 => 0.0,
                DType::F16 => 4e-3,
                DType::BF16 => 3e-2,
                DType::Q8_0 => amax / 127.0,
                DType::Q4_0 | DType::Q4_1 => amax / 7.0,
            };
            for (a, b) in x.iter().zip(&y) {
                assert!((a - b).abs() <= tol, "{dtype:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn q4_1_block_decodes_as_ggml() {
        // d = 0.5, m = -1.0, nibbles: byte j = (j) | ((15 - j) << 4)
        let mut b = Vec::new();
        b.extend_from_slice(&f16::from_f32(0.5).to_le_bytes());
        b.extend_from_slice(&f16::from_f32(-1.0).to_le_bytes());
        b.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let y = dequantize(DType::Q4_1, &b);
        assert_eq!(y[0], -1.0);
        assert_eq!(y[3], 0.5);
        assert_eq!(y[16], 6.5);
        assert_eq!(y[31], -1.0);
    }
}
