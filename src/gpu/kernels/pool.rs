//! Launchers of `shaders/pool.wgsl` and `shaders/add_rows.wgsl`.  References: `cpu::pool`, `cpu::add_rows`.

use crate::error::Result;
use crate::gpu::{Defines, Dispatch, GpuContext, Grid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean over the valid tokens ([CLS]/[SEP] included), as sentence-transformers does.
    Mean,
    /// The first token.
    Cls,
    /// The last valid token.
    Last,
}

impl Pooling {
    fn define(self) -> &'static str {
        match self {
            Pooling::Mean => "POOL_MEAN",
            Pooling::Cls => "POOL_CLS",
            Pooling::Last => "POOL_LAST",
        }
    }
}

/// Pool each sequence of a packed encoder batch; `spans[b]` = (first token, tokens) of
/// sequence b.
pub fn pool(ctx: &GpuContext, x: &wgpu::Buffer, out: &wgpu::Buffer, spans: &wgpu::Buffer, width: u32, mode: Pooling, normalize: bool) -> Result<Dispatch> {
    let p = ctx.pipeline_handle("pool.wgsl", Defines::default().u32("D", width).flag(mode.define()).flag_if(normalize, "NORMALIZE"))?;
    Ok(Dispatch::new(ctx, "pool", p, &[(2, x), (3, out), (8, spans)], Grid::PerSequence))
}

/// Add row p of `table` to token p of each sequence of a packed encoder batch (`spans` as for
/// `pool`).
pub fn add_rows(ctx: &GpuContext, step: &wgpu::Buffer, x: &wgpu::Buffer, table: &wgpu::Buffer, spans: &wgpu::Buffer, width: u32) -> Result<Dispatch> {
    let p = ctx.pipeline_handle("add_rows.wgsl", Defines::default().u32("W", width))?;
    Ok(Dispatch::new(ctx, "add_rows", p, &[(1, step), (3, x), (6, table), (8, spans)], Grid::PerSequenceToken(width.div_ceil(64))))
}
