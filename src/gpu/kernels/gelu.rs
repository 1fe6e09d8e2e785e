//! Launcher of `shaders/gelu.wgsl`.  Reference: `cpu::gelu`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

pub fn gelu(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, out: &wgpu::Buffer, width: u32) -> Result<Dispatch> {
    let p = ctx.pipeline_handle("gelu.wgsl", Defines::default().u32("F", width))?;
    Ok(Dispatch::new(ctx, "gelu", p, &[(1, step), (2, x), (3, out)], Grid::PerToken((width / 4).div_ceil(64))))
}
