//! Launcher of `shaders/embed.wgsl`: out[t, :] = dequant(W[ids[t], :]).  Reference: `quant::dequantize`.

use crate::error::Result;
use crate::gpu::{Dispatch, GpuContext, GpuMatrix, Grid};

pub fn embed(ctx: &GpuContext, w: &GpuMatrix, ids: &wgpu::Buffer, out: &wgpu::Buffer) -> Result<Dispatch> {
    let p = ctx.pipeline_handle("embed.wgsl", w.defines())?;
    let x = (w.cols / 4).div_ceil(64);
    let shape = w.shape(false, false).buffer(ctx);
    Ok(Dispatch::new(ctx, "embed", p, &[&[(2, ids), (3, out)][..], &w.bindings(&shape)].concat(), Grid::PerToken(x)))
}
