//! Launcher of `shaders/rms_norm.wgsl`.  Reference: `cpu::rms_norm`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

/// Normalize each of the T rows of `x` (`n` wide) into `out`; with `last_row`, only row T−1,
/// written to row 0 of `out`.
pub fn rms_norm(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, out: &wgpu::Buffer, gamma: &wgpu::Buffer, n: u32, eps: f32, last_row: bool) -> Result<Dispatch> {
    let defines = ctx.subgroup_defines(Defines::default().u32("N", n).f32("EPS", eps).flag_if(n % 4 == 0, "VEC4"));
    let p = ctx.pipeline_handle("rms_norm.wgsl", defines)?;
    let grid = if last_row { Grid::Fixed(1) } else { Grid::PerToken(1) };
    Ok(Dispatch::new(ctx, "rms_norm", p, &[(1, step), (2, x), (3, out), (6, gamma)], grid))
}
