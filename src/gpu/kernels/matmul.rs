//! Launchers of `shaders/matvec.wgsl` (decode, one token) and `shaders/matmul.wgsl` (prefill,
//! tiled): y[t, n] (+)= Σ_k x[t, k]·W[n, k].  Reference: `cpu::matmul`.

use crate::error::Result;
use crate::gpu::{Dispatch, GpuContext, GpuMatrix, Grid};

/// `accumulate`: y += x·Wᵀ (the fused residual add).
pub fn matvec(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, accumulate: bool) -> Result<Dispatch> {
    let p = ctx.pipeline("matvec.wgsl", w.defines().flag_if(accumulate, "ACCUMULATE"))?;
    Ok(Dispatch::new(ctx, "matvec", p, &[&[(2, x), (3, y)][..], &w.bindings()].concat(), Grid::PerToken(w.rows.div_ceil(32))))
}

pub fn matmul(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, accumulate: bool) -> Result<Dispatch> {
    let p = ctx.pipeline("matmul.wgsl", w.defines().flag_if(accumulate, "ACCUMULATE"))?;
    let grid = Grid::TokenTiles { x: w.rows.div_ceil(32), tile: 32 };
    Ok(Dispatch::new(ctx, "matmul", p, &[&[(1, step), (2, x), (3, y)][..], &w.bindings()].concat(), grid))
}
