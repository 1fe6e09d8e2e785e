//! Launcher of `shaders/swiglu.wgsl`.  Reference: `cpu::swiglu`. On CPU-emulated adapters the
//! llama graph fuses this step into the gate/up matrix kernel instead (`matvec_swiglu`).

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

/// out[t] = silu(gate_up[t, ..width]) · gate_up[t, width..].
pub fn swiglu(ctx: &GpuContext, step: &wgpu::Buffer, gate_up: &wgpu::Buffer, out: &wgpu::Buffer, width: u32) -> Result<Dispatch> {
    let p = ctx.pipeline_handle("swiglu.wgsl", Defines::default().u32("F", width))?;
    Ok(Dispatch::new(ctx, "swiglu", p, &[(1, step), (2, gate_up), (3, out)], Grid::PerToken((width / 4).div_ceil(64))))
}
