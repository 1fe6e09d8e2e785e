//! A weight matrix on the GPU, still quantized: `data` + `scales` in the layout of
//! `quant::layout`, dequantized inside the kernels by `shaders/common/weights.wgsl`.

use super::context::GpuContext;
use super::shaders::Defines;
use crate::error::{HearthError, Result};
use crate::file_bytes::FileBytes;
use crate::quant::{BlockOrder, DType, GpuLayout};

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
    /// The order of a block format's blocks (`GpuContext::tiled_weights`).
    pub order: BlockOrder,
    /// `Some((stride, offset))`: the kernels write y[t·stride + offset + n], a column range of
    /// wider rows (one part of a `Stacked` projection whose formats differ).
    pub out_columns: Option<(u32, u32)>,
}

impl GpuMatrix {
    /// Upload `raw` (GGUF layout of `dtype`, `rows × cols` values).
    pub fn upload(ctx: &GpuContext, name: &str, dtype: DType, rows: u64, cols: u64, raw: &[u8]) -> Result<GpuMatrix> {
        let (m, pending) = GpuMatrix::allocate(ctx, name, dtype, rows, cols, raw.into())?;
        pending.write(ctx);
        Ok(m)
    }

    /// Create the buffers for `raw` (GGUF layout of `dtype`, `rows × cols` values) and return
    /// the upload still to do: loaders record their launches in between, so a browser compiles
    /// the pipelines while the weights are being transcoded.
    pub fn allocate<'a>(ctx: &GpuContext, name: &str, dtype: DType, rows: u64, cols: u64, raw: FileBytes<'a>) -> Result<(GpuMatrix, PendingUpload<'a>)> {
        GpuMatrix::allocate_parts(ctx, name, dtype, rows, cols, vec![raw])
    }

    /// `allocate` for row-wise `parts` stored one after the other.
    fn allocate_parts<'a>(ctx: &GpuContext, name: &str, dtype: DType, rows: u64, cols: u64, raw: Vec<FileBytes<'a>>) -> Result<(GpuMatrix, PendingUpload<'a>)> {
        let align = if dtype.is_quantized() { 32 } else { 4 };
        if cols % align != 0 {
            return Err(HearthError::UnsupportedModel(format!("tensor '{name}': row length {cols} is not a multiple of {align}")));
        }
        if rows > u32::MAX as u64 / 2 || cols > u32::MAX as u64 / 2 || rows * cols > u32::MAX as u64 {
            return Err(HearthError::UnsupportedModel(format!("tensor '{name}' has too many elements ({rows} × {cols})")));
        }
        let expected = rows * cols / dtype.block_len() as u64 * dtype.block_bytes() as u64;
        let len: u64 = raw.iter().map(FileBytes::len).sum();
        if len != expected {
            return Err(HearthError::Malformed(format!("tensor '{name}' has {len} bytes, expected {expected} for {rows} × {cols} {dtype:?}")));
        }
        let order = if dtype.is_quantized() && ctx.tiled_weights { BlockOrder::Tiles { rows: rows as usize, cols: cols as usize } } else { BlockOrder::Rows };
        let (data_words, scale_words) = GpuLayout::words(dtype, len as usize, order);
        let data = ctx.storage_buffer(name, data_words as u64 * 4)?;
        let scales = ctx.storage_buffer(&format!("{name}.scales"), scale_words as u64 * 4)?;
        let bytes = (data_words + scale_words) as u64 * 4;
        let pending = PendingUpload { data: data.clone(), scales: scales.clone(), dtype, order, raw };
        Ok((GpuMatrix { name: name.to_string(), dtype, rows: rows as u32, cols: cols as u32, data, scales, bytes, order, out_columns: None }, pending))
    }

    /// The defines `common/weights.wgsl` needs for this matrix: its format, whether its blocks
    /// are tiled, and for F16 / BF16 whether rows start 16-byte aligned (the shape is a per-dispatch
    /// value, `shape`).
    pub fn defines(&self) -> Defines {
        weight_defines(self.dtype)
            .flag_if(matches!(self.dtype, DType::F16 | DType::BF16) && self.cols % 8 == 0, "W_ALIGNED16")
            .flag_if(matches!(self.order, BlockOrder::Tiles { .. }), "W_TILED")
    }

    /// This matrix's launch shape (`shaders/common/matrix_shape.wgsl`): `accumulate` adds into y
    /// (the fused residual add); `swiglu` (rows kernels) writes silu(gate)·up of a stacked
    /// gate|up matrix.
    pub fn shape(&self, accumulate: bool, swiglu: bool) -> MatrixShape {
        let (y_stride, y_offset) = self.out_columns.unwrap_or((if swiglu { self.rows / 2 } else { self.rows }, 0));
        MatrixShape {
            k4: self.cols / 4,
            blocks: self.cols / 32,
            n: self.rows,
            y_stride,
            y_offset,
            accumulate: accumulate as u32,
            swiglu: swiglu as u32,
            _pad: 0,
        }
    }

    /// Bind-group entries of `common/weights.wgsl`: payload at 4, scales at 5 (block formats
    /// only), the shape uniform at 7.
    pub fn bindings<'a>(&'a self, shape: &'a wgpu::Buffer) -> Vec<(u32, &'a wgpu::Buffer)> {
        let mut b = vec![(4, &self.data), (7, shape)];
        if self.dtype.is_quantized() {
            b.push((5, &self.scales));
        }
        b
    }
}

/// One matrix launch's shape, bound as a uniform (`shaders/common/matrix_shape.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatrixShape {
    pub k4: u32,
    pub blocks: u32,
    pub n: u32,
    pub y_stride: u32,
    pub y_offset: u32,
    pub accumulate: u32,
    pub swiglu: u32,
    pub _pad: u32,
}

impl MatrixShape {
    /// Its uniform buffer, shared by every launch of the same shape on this device.
    pub fn buffer(&self, ctx: &GpuContext) -> std::sync::Arc<wgpu::Buffer> {
        ctx.constant_uniform("matrix shape", bytemuck::bytes_of(self))
    }
}

/// A matrix's weights still to transcode and write into its buffers (`GpuMatrix::allocate`).
pub struct PendingUpload<'a> {
    data: wgpu::Buffer,
    scales: wgpu::Buffer,
    dtype: DType,
    order: BlockOrder,
    /// Row-wise parts, concatenated (a `Stacked::One` has several), read when written.
    raw: Vec<FileBytes<'a>>,
}

impl PendingUpload<'_> {
    /// Transcode to the GPU layout and queue the writes.
    pub fn write(self, ctx: &GpuContext) {
        let layout = match self.raw.as_slice() {
            [one] => GpuLayout::from_raw(self.dtype, &one.read(), self.order),
            parts => GpuLayout::from_raw(self.dtype, &parts.iter().map(FileBytes::read).collect::<Vec<_>>().concat(), self.order),
        };
        ctx.queue.write_buffer(&self.data, 0, bytemuck::cast_slice(&layout.data));
        ctx.queue.write_buffer(&self.scales, 0, bytemuck::cast_slice(&layout.scales));
    }
}

/// Defines selecting a weight format in `common/weights.wgsl`.
pub fn weight_defines(dtype: DType) -> Defines {
    Defines::default().flag(dtype.shader_define()).flag_if(dtype.is_quantized(), "W_QUANTIZED").flag_if(matches!(dtype, DType::F16 | DType::BF16), "W_HALF")
}

/// Matrices over the same input whose outputs sit side by side in one activation row (q|k|v,
/// gate|up). When the parts share a format they are stacked row-wise into one matrix (GGUF rows
/// are contiguous, so stacking is concatenation): one launch instead of one per part, and a
/// taller matrix that fills more workgroups. Otherwise each part writes its column range.
pub enum Stacked {
    One(GpuMatrix),
    Parts(Vec<GpuMatrix>),
}

/// One part of a `Stacked` upload: (name, format, rows, raw bytes in the GGUF layout).
pub type StackPart<'n, 'a> = (&'n str, DType, u64, FileBytes<'a>);

impl Stacked {
    /// Upload `parts` (each `rows × cols`) under `name`.
    pub fn upload(ctx: &GpuContext, name: &str, parts: &[StackPart], cols: u64) -> Result<Stacked> {
        let (stacked, pending) = Stacked::allocate(ctx, name, parts, cols)?;
        pending.into_iter().for_each(|p| p.write(ctx));
        Ok(stacked)
    }

    /// `GpuMatrix::allocate` for stacked `parts`.
    pub fn allocate<'a>(ctx: &GpuContext, name: &str, parts: &[StackPart<'_, 'a>], cols: u64) -> Result<(Stacked, Vec<PendingUpload<'a>>)> {
        let total: u64 = parts.iter().map(|p| p.2).sum();
        let dtype = parts[0].1;
        if parts.iter().all(|p| p.1 == dtype) {
            // GGUF rows are contiguous: the stacked matrix is the parts' bytes in order.
            let (m, pending) = GpuMatrix::allocate_parts(ctx, name, dtype, total, cols, parts.iter().map(|p| p.3.clone()).collect())?;
            return Ok((Stacked::One(m), vec![pending]));
        }
        let mut offset = 0;
        let mut out = Vec::with_capacity(parts.len());
        let mut pending = Vec::with_capacity(parts.len());
        for (part, dtype, rows, raw) in parts {
            let (mut m, p) = GpuMatrix::allocate(ctx, part, *dtype, *rows, cols, raw.clone())?;
            m.out_columns = Some((total as u32, offset as u32));
            offset += *rows;
            out.push(m);
            pending.push(p);
        }
        Ok((Stacked::Parts(out), pending))
    }

    pub fn matrices(&self) -> &[GpuMatrix] {
        match self {
            Stacked::One(m) => std::slice::from_ref(m),
            Stacked::Parts(v) => v,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.matrices().iter().map(|m| m.bytes).sum()
    }
}
