//! ggml tensor types: the id ↔ name table, block geometry of every known type (so byte sizes of
//! any tensor can be bounds-checked), and `DType`, the subset Hearth runs on the GPU.

use crate::error::{HearthError, Result};

/// Elements per block and bytes per block of ggml type `id` (None for unknown ids).
pub fn ggml_block_geometry(id: u32) -> Option<(u64, u64)> {
    Some(match id {
        0 => (1, 4),     // F32
        1 => (1, 2),     // F16
        2 => (32, 18),   // Q4_0
        3 => (32, 20),   // Q4_1
        6 => (32, 22),   // Q5_0
        7 => (32, 24),   // Q5_1
        8 => (32, 34),   // Q8_0
        9 => (32, 36),   // Q8_1
        10 => (256, 84), // Q2_K
        11 => (256, 110),
        12 => (256, 144), // Q4_K
        13 => (256, 176),
        14 => (256, 210), // Q6_K
        15 => (256, 292),
        16 => (256, 66),
        17 => (256, 74),
        18 => (256, 98),
        19 => (256, 50),
        20 => (32, 18),
        21 => (256, 110),
        22 => (256, 82),
        23 => (256, 136),
        24 => (1, 1),
        25 => (1, 2),
        26 => (1, 4),
        27 => (1, 8),
        28 => (1, 8),
        29 => (256, 56),
        30 => (1, 2), // BF16
        34 => (256, 54),
        35 => (256, 66),
        39 => (32, 17), // MXFP4
        _ => return None,
    })
}

pub fn ggml_type_name(id: u32) -> String {
    let name = match id {
        0 => "F32", 1 => "F16", 2 => "Q4_0", 3 => "Q4_1", 6 => "Q5_0", 7 => "Q5_1", 8 => "Q8_0",
        9 => "Q8_1", 10 => "Q2_K", 11 => "Q3_K", 12 => "Q4_K", 13 => "Q5_K", 14 => "Q6_K",
        15 => "Q8_K", 16 => "IQ2_XXS", 17 => "IQ2_XS", 18 => "IQ3_XXS", 19 => "IQ1_S",
        20 => "IQ4_NL", 21 => "IQ3_S", 22 => "IQ2_S", 23 => "IQ4_XS", 24 => "I8", 25 => "I16",
        26 => "I32", 27 => "I64", 28 => "F64", 29 => "IQ1_M", 30 => "BF16", 34 => "TQ1_0",
        35 => "TQ2_0", 39 => "MXFP4",
        _ => return format!("unknown ggml type {id}"),
    };
    name.to_string()
}

/// Tensor types Hearth keeps on the GPU and dequantizes inside its kernels.
/// K-quants drop in as new variants with their own block layout (see `quant::layout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q4_1,
}

impl DType {
    pub const ALL: [DType; 6] = [DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1];

    pub fn from_ggml(id: u32, tensor: &str) -> Result<DType> {
        Ok(match id {
            0 => DType::F32,
            1 => DType::F16,
            30 => DType::BF16,
            8 => DType::Q8_0,
            2 => DType::Q4_0,
            3 => DType::Q4_1,
            _ => {
                return Err(HearthError::UnsupportedDType { tensor: tensor.to_string(), dtype: ggml_type_name(id) })
            }
        })
    }

    pub fn ggml_id(self) -> u32 {
        match self {
            DType::F32 => 0,
            DType::F16 => 1,
            DType::BF16 => 30,
            DType::Q8_0 => 8,
            DType::Q4_0 => 2,
            DType::Q4_1 => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::Q8_0 => "Q8_0",
            DType::Q4_0 => "Q4_0",
            DType::Q4_1 => "Q4_1",
        }
    }

    /// Elements per block.
    pub fn block_len(self) -> usize {
        ggml_block_geometry(self.ggml_id()).unwrap().0 as usize
    }

    /// Bytes per block in the GGUF file.
    pub fn block_bytes(self) -> usize {
        ggml_block_geometry(self.ggml_id()).unwrap().1 as usize
    }

    pub fn is_quantized(self) -> bool {
        matches!(self, DType::Q8_0 | DType::Q4_0 | DType::Q4_1)
    }

    /// WGSL define selecting this format in the shaders (`common/weights.wgsl`).
    pub fn shader_define(self) -> &'static str {
        match self {
            DType::F32 => "W_F32",
            DType::F16 => "W_F16",
            DType::BF16 => "W_BF16",
            DType::Q8_0 => "W_Q8_0",
            DType::Q4_0 => "W_Q4_0",
            DType::Q4_1 => "W_Q4_1",
        }
    }
}
