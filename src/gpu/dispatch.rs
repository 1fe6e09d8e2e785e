//! A recorded kernel launch: pipeline + bind group (both built once, at load) and a grid that
//! depends only on the number of tokens in the forward. `encode` replays a list of them in one
//! compute pass.

use super::context::GpuContext;
use super::pipelines::Pipeline;
use crate::error::{HearthError, Result};
use std::sync::{Arc, OnceLock};

/// Values every forward shares (`shaders/common/step.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Step {
    pub n_tokens: u32,
    pub pos0: u32,
    /// Encoders: tokens of the batch's longest sequence (the sequences are packed, unpadded,
    /// in n_tokens).
    pub seq_len: u32,
    /// Encoders: sequences in the batch.
    pub n_seqs: u32,
}
const _: () = assert!(std::mem::size_of::<Step>() == 16);

#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// (x, 1, 1) whatever the token count.
    Fixed(u32),
    /// (x, y, 1) whatever the token count.
    Fixed2(u32, u32),
    /// (x, T, 1).
    PerToken(u32),
    /// (x, ceil(T / tile), 1).
    TokenTiles { x: u32, tile: u32 },
    /// (ceil(T / tile), y, 1).
    TokenTilesY { y: u32, tile: u32 },
    /// (n_seqs, 1, 1): one workgroup per sequence of an encoder batch.
    PerSequence,
    /// (x, n_seqs · seq_len, 1): y = b · seq_len + p for token p of sequence b of an encoder
    /// batch (p past the sequence's length: nothing to do).
    PerSequenceToken(u32),
    /// (n_seqs · ceil(seq_len / tile), y, 1): tiles of tokens that stay within one sequence of
    /// an encoder batch (tiles past the sequence's length: nothing to do).
    SequenceTilesY { y: u32, tile: u32 },
}

pub struct Dispatch {
    pub label: &'static str,
    pipeline: Pipeline,
    entries: Vec<(u32, wgpu::Buffer)>,
    /// The compiled pipeline and the bind group, once the pipeline is ready.
    bound: OnceLock<(Arc<wgpu::ComputePipeline>, wgpu::BindGroup)>,
    pub grid: Grid,
}

impl Dispatch {
    /// A launch of `pipeline` with `entries` (binding, buffer). Bound now when the pipeline is
    /// compiled (always, natively); otherwise by `ready`.
    pub fn new(ctx: &GpuContext, label: &'static str, pipeline: Pipeline, entries: &[(u32, &wgpu::Buffer)], grid: Grid) -> Dispatch {
        let d = Dispatch { label, pipeline, entries: entries.iter().map(|&(b, buf)| (b, buf.clone())).collect(), bound: OnceLock::new(), grid };
        if let Some(p) = d.pipeline.ready() {
            d.bind(ctx, p);
        }
        d
    }

    fn bind(&self, ctx: &GpuContext, pipeline: Arc<wgpu::ComputePipeline>) {
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry> = self
            .entries
            .iter()
            .map(|(binding, buf)| wgpu::BindGroupEntry { binding: *binding, resource: buf.as_entire_binding() })
            .collect();
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(self.label), layout: &layout, entries: &entries });
        let _ = self.bound.set((pipeline, bind_group));
    }

    pub fn workgroups(&self, step: &Step) -> [u32; 3] {
        let n_tokens = step.n_tokens;
        match self.grid {
            Grid::PerSequence => [step.n_seqs, 1, 1],
            Grid::PerSequenceToken(x) => [x, step.n_seqs * step.seq_len, 1],
            Grid::SequenceTilesY { y, tile } => [step.n_seqs * step.seq_len.div_ceil(tile), y, 1],
            Grid::Fixed(x) => [x, 1, 1],
            Grid::Fixed2(x, y) => [x, y, 1],
            Grid::PerToken(x) => [x, n_tokens, 1],
            Grid::TokenTiles { x, tile } => [x, n_tokens.div_ceil(tile), 1],
            Grid::TokenTilesY { y, tile } => [n_tokens.div_ceil(tile), y, 1],
        }
    }
}

/// Start compiling the pipelines of `dispatches` that are not compiled yet, in the background
/// (browsers; natively they are compiled when recorded).
pub fn start(ctx: &GpuContext, dispatches: &[Dispatch]) {
    dispatches.iter().filter(|d| d.bound.get().is_none()).for_each(|d| d.pipeline.start(ctx));
}

/// Wait until every launch of `dispatches` has its pipeline compiled, and bind them (at once
/// when they are: always natively, and in browsers after the first time).
pub async fn ready(ctx: &GpuContext, dispatches: &[Dispatch]) -> Result<()> {
    start(ctx, dispatches);
    for d in dispatches.iter().filter(|d| d.bound.get().is_none()) {
        let pipeline = d.pipeline.get(ctx).await?;
        d.bind(ctx, pipeline);
    }
    ctx.check()
}

/// Record `dispatches` for a forward described by `step` into one compute pass. They must be
/// `ready`.
pub fn encode(encoder: &mut wgpu::CommandEncoder, dispatches: &[Dispatch], step: &Step) -> Result<()> {
    if let Some(d) = dispatches.iter().find(|d| d.bound.get().is_none()) {
        return Err(HearthError::Gpu(format!("launch '{}' was encoded before its pipeline was ready", d.label)));
    }
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("forward"), timestamp_writes: None });
    for d in dispatches {
        let [x, y, z] = d.workgroups(step);
        let Some((pipeline, bind_group)) = d.bound.get() else { continue };
        if x == 0 || y == 0 {
            continue;
        }
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups(x, y, z);
    }
    Ok(())
}

/// Time each kernel family (launches sharing a label) of `program` apart: all of a family's
/// launches, in program order, in one submit, waited for. For finding hot spots, not for
/// throughput figures: the families run apart, so the values they compute are not a real
/// forward's. The step's uniforms must already be written. Returns (label, ms) per family in
/// order of first appearance. Natively the wait is a blocking poll; in browsers a 4-byte read-back
/// queued behind the family (`GpuContext::wait_idle`), so each figure includes one map round trip.
pub async fn profile_families(ctx: &GpuContext, program: &[Dispatch], step: &Step) -> Result<Vec<(&'static str, f64)>> {
    let mut families: Vec<&'static str> = Vec::new();
    for d in program {
        if !families.contains(&d.label) {
            families.push(d.label);
        }
    }
    let mut totals = Vec::new();
    for family in families {
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        for d in program.iter().filter(|d| d.label == family) {
            encode(&mut enc, std::slice::from_ref(d), step)?;
        }
        let t = web_time::Instant::now();
        ctx.queue.submit([enc.finish()]);
        #[cfg(not(target_arch = "wasm32"))]
        ctx.device.poll(wgpu::PollType::Wait { submission_index: None, timeout: None }).map_err(|e| HearthError::Gpu(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        ctx.wait_idle().await?;
        totals.push((family, t.elapsed().as_secs_f64() * 1e3));
    }
    ctx.check()?;
    Ok(totals)
}
