//! Launcher of `shaders/swiglu.wgsl`.  Reference: `cpu::swiglu`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

pub fn swiglu(ctx: &GpuContext, step: &wgpu::Buffer, gate: &wgpu::Buffer, up: &wgpu::Buffer, out: &wgpu::Buffer, width: u32) -> Result<Dispatch> {
    let p = ctx.pipeline("swiglu.wgsl", Defines::default().u32("F", width))?;
    Ok(Dispatch::new(ctx, "swiglu", p, &[(1, step), (2, gate), (3, out), (6, up)], Grid::PerToken((width / 4).div_ceil(64))))
}
