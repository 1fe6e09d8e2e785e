//! Launchers of `shaders/matvec.wgsl` (decode, one token) and `shaders/matmul.wgsl` (prefill,
//! tiled): y[t, n] (+)= Σ_k x[t, k]·W[n, k] (+ bias[n]).  Reference: `cpu::matmul`.

use crate::error::Result;
use crate::gpu::{Dispatch, GpuContext, GpuMatrix, Grid};

fn entries<'a>(head: &[(u32, &'a wgpu::Buffer)], w: &'a GpuMatrix, bias: Option<&'a wgpu::Buffer>) -> Vec<(u32, &'a wgpu::Buffer)> {
    let mut e = head.to_vec();
    e.extend(w.bindings());
    e.extend(bias.map(|b| (6, b)));
    e
}

/// `accumulate`: y += x·Wᵀ (the fused residual add); `bias`: + bias[n].
pub fn matvec(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    if std::env::var("HEARTH_MATVEC").as_deref() == Ok("rows") {
        return matvec_rows(ctx, x, y, w, bias, accumulate);
    }
    let p = ctx.pipeline("matvec.wgsl", w.defines().flag_if(accumulate, "ACCUMULATE").flag_if(bias.is_some(), "BIAS"))?;
    Ok(Dispatch::new(ctx, "matvec", p, &entries(&[(2, x), (3, y)], w, bias), Grid::PerToken(w.rows.div_ceil(32))))
}

/// `matmul` by 4 rows × 4 tokens per invocation, without workgroup memory (`shaders/matmul_rows.wgsl`).
pub fn matmul_rows(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    let p = ctx.pipeline("matmul_rows.wgsl", w.defines().flag_if(accumulate, "ACCUMULATE").flag_if(bias.is_some(), "BIAS"))?;
    let grid = Grid::TokenTiles { x: w.rows.div_ceil(256), tile: 4 };
    Ok(Dispatch::new(ctx, "matmul", p, &entries(&[(1, step), (2, x), (3, y)], w, bias), grid))
}

/// `matvec` by whole rows per invocation (`shaders/matvec_rows.wgsl`).
pub fn matvec_rows(ctx: &GpuContext, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    let p = ctx.pipeline("matvec_rows.wgsl", w.defines().flag_if(accumulate, "ACCUMULATE").flag_if(bias.is_some(), "BIAS"))?;
    Ok(Dispatch::new(ctx, "matvec", p, &entries(&[(2, x), (3, y)], w, bias), Grid::PerToken(w.rows.div_ceil(32))))
}

pub fn matmul(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, bias: Option<&wgpu::Buffer>, accumulate: bool) -> Result<Dispatch> {
    if std::env::var("HEARTH_MATMUL").as_deref() == Ok("rows") {
        return matmul_rows(ctx, step, x, y, w, bias, accumulate);
    }
    let p = ctx.pipeline("matmul.wgsl", w.defines().flag_if(accumulate, "ACCUMULATE").flag_if(bias.is_some(), "BIAS"))?;
    let grid = Grid::TokenTiles { x: w.rows.div_ceil(32), tile: 32 };
    Ok(Dispatch::new(ctx, "matmul", p, &entries(&[(1, step), (2, x), (3, y)], w, bias), grid))
}
