//! A weight matrix on the GPU, still quantized: `data` + `scales` in the layout of
//! `quant::layout`, dequantized inside the kernels by `shaders/common/weights.wgsl`.

use super::context::GpuContext;
use super::shaders::Defines;
use crate::error::{HearthError, Result};
use crate::quant::{DType, GpuLayout};

pub struct GpuMatrix {
    pub name: String,
    pub dtype: DType,
    /// Output features (N).
    pub rows: u32,
    /// Input features (K): the contiguous axis.
    pub cols: u32,
    pub data: wgpu::Buffer,
    pub scales: wgpu::Buffer,
    pub bytes: u64,
}

impl GpuMatrix {
    /// Upload `raw` (GGUF layout of `dtype`, `rows × cols` values).
    pub fn upload(ctx: &GpuContext, name: &str, dtype: DType, rows: u64, cols: u64, raw: &[u8]) -> Result<GpuMatrix> {
        let align = if dtype.is_quantized() { 32 } else { 4 };
        if cols % align != 0 {
            return Err(HearthError::UnsupportedModel(format!("tensor '{name}': row length {cols} is not a multiple of {align}")));
        }
        if rows > u32::MAX as u64 / 2 || cols > u32::MAX as u64 / 2 || rows * cols > u32::MAX as u64 {
            return Err(HearthError::UnsupportedModel(format!("tensor '{name}' has too many elements ({rows} × {cols})")));
        }
        let layout = GpuLayout::from_raw(dtype, raw);
        let data = ctx.storage_buffer_init(name, bytemuck::cast_slice(&layout.data))?;
        let scales = ctx.storage_buffer_init(&format!("{name}.scales"), bytemuck::cast_slice(&layout.scales))?;
        Ok(GpuMatrix { name: name.to_string(), dtype, rows: rows as u32, cols: cols as u32, data, scales, bytes: layout.bytes() })
    }

    /// The defines `common/weights.wgsl` needs for this matrix.
    pub fn defines(&self) -> Defines {
        weight_defines(self.dtype, self.rows, self.cols)
    }

    /// Bind-group entries of `common/weights.wgsl`: payload at 4, scales at 5 (block formats only).
    pub fn bindings(&self) -> Vec<(u32, &wgpu::Buffer)> {
        let mut b = vec![(4, &self.data)];
        if self.dtype.is_quantized() {
            b.push((5, &self.scales));
        }
        b
    }
}

/// Defines selecting a weight format and shape in `common/weights.wgsl`.
pub fn weight_defines(dtype: DType, rows: u32, cols: u32) -> Defines {
    Defines::default()
        .flag(dtype.shader_define())
        .flag_if(dtype.is_quantized(), "W_QUANTIZED")
        .u32("W_K", cols)
        .u32("W_N", rows)
}
