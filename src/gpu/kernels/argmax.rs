//! Launcher of `shaders/argmax.wgsl` (the greedy pick on the GPU).  Reference: `generate::argmax`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

/// `out[0]` (u32) = argmax of the `n` f32 values of `x`.
pub fn argmax(ctx: &GpuContext, x: &wgpu::Buffer, out: &wgpu::Buffer, n: u32) -> Result<Dispatch> {
    let p = ctx.pipeline_handle("argmax.wgsl", ctx.subgroup_defines(Defines::default().u32("N", n.max(1))))?;
    Ok(Dispatch::new(ctx, "argmax", p, &[(2, x), (3, out)], Grid::Fixed(1)))
}
