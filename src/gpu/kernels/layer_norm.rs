//! Launcher of `shaders/layer_norm.wgsl`.  Reference: `cpu::layer_norm`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

#[allow(clippy::too_many_arguments)]
pub fn layer_norm(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, out: &wgpu::Buffer, gamma: &wgpu::Buffer, beta: &wgpu::Buffer, n: u32, eps: f32) -> Result<Dispatch> {
    let vec4 = n % 4 == 0;
    let defines = ctx.sized_activations(Defines::default().u32("N", n).f32("EPS", eps).flag_if(vec4, "VEC4"), &[x, out], if vec4 { 16 } else { 4 });
    let p = ctx.pipeline_handle("layer_norm.wgsl", ctx.subgroup_defines(defines))?;
    Ok(Dispatch::new(ctx, "layer_norm", p, &[(1, step), (2, x), (3, out), (6, gamma), (7, beta)], Grid::PerToken(1)))
}
