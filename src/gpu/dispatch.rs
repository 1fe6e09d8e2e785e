//! A recorded kernel launch: pipeline + bind group (both built once, at load) and a grid that
//! depends only on the number of tokens in the forward. `encode` replays a list of them in one
//! compute pass.

use super::context::GpuContext;
use std::sync::Arc;

/// Values every forward shares (`shaders/common/step.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Step {
    pub n_tokens: u32,
    pub pos0: u32,
    /// Encoders: tokens per (padded) sequence; the batch is n_tokens / seq_len sequences.
    pub seq_len: u32,
    pub _pad: u32,
}
const _: () = assert!(std::mem::size_of::<Step>() == 16);

#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// (x, 1, 1) whatever the token count.
    Fixed(u32),
    /// (x, T, 1).
    PerToken(u32),
    /// (x, ceil(T / tile), 1).
    TokenTiles { x: u32, tile: u32 },
    /// (ceil(T / tile), y, 1).
    TokenTilesY { y: u32, tile: u32 },
    /// (n_sequences, 1, 1): one workgroup per sequence of an encoder batch.
    PerSequence,
}

pub struct Dispatch {
    pub label: &'static str,
    pub pipeline: Arc<wgpu::ComputePipeline>,
    pub bind_group: wgpu::BindGroup,
    pub grid: Grid,
}

impl Dispatch {
    pub fn new(ctx: &GpuContext, label: &'static str, pipeline: Arc<wgpu::ComputePipeline>, entries: &[(u32, &wgpu::Buffer)], grid: Grid) -> Dispatch {
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry> = entries
            .iter()
            .map(|(binding, buf)| wgpu::BindGroupEntry { binding: *binding, resource: buf.as_entire_binding() })
            .collect();
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(label), layout: &layout, entries: &entries });
        Dispatch { label, pipeline, bind_group, grid }
    }

    pub fn workgroups(&self, step: &Step) -> [u32; 3] {
        let n_tokens = step.n_tokens;
        match self.grid {
            Grid::PerSequence => [n_tokens / step.seq_len.max(1), 1, 1],
            Grid::Fixed(x) => [x, 1, 1],
            Grid::PerToken(x) => [x, n_tokens, 1],
            Grid::TokenTiles { x, tile } => [x, n_tokens.div_ceil(tile), 1],
            Grid::TokenTilesY { y, tile } => [n_tokens.div_ceil(tile), y, 1],
        }
    }
}

/// Record `dispatches` for a forward described by `step` into one compute pass.
pub fn encode(encoder: &mut wgpu::CommandEncoder, dispatches: &[Dispatch], step: &Step) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("forward"), timestamp_writes: None });
    for d in dispatches {
        let [x, y, z] = d.workgroups(step);
        if x == 0 || y == 0 {
            continue;
        }
        pass.set_pipeline(&d.pipeline);
        pass.set_bind_group(0, &d.bind_group, &[]);
        pass.dispatch_workgroups(x, y, z);
    }
}
