//! Launcher of `shaders/copy_rows.wgsl` (append rows to the V cache).  Reference: `cpu::copy_rows`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

pub fn copy_rows(ctx: &GpuContext, step: &wgpu::Buffer, src: &wgpu::Buffer, dst: &wgpu::Buffer, width: u32) -> Result<Dispatch> {
    let p = ctx.pipeline("copy_rows.wgsl", Defines::default().u32("W", width))?;
    Ok(Dispatch::new(ctx, "copy_rows", p, &[(1, step), (2, src), (3, dst)], Grid::PerToken(width.div_ceil(64))))
}
