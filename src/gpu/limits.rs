//! The adapter's own ceilings, measured with the same WGSL as `../shared/peers` uses: streaming
//! read bandwidth (`shaders/limits_read.wgsl`, the faster of its two access patterns) and f32 FMA
//! throughput (`shaders/limits_fma.wgsl`). Benchmarks report decode against bandwidth ÷ bytes
//! read per token and prefill against FMA rate ÷ FLOPs per token. Works natively and in wasm
//! (each run is timed from submit to a 4-byte read-back).

use super::{Defines, GpuContext};
use crate::error::{HearthError, Result};
use web_time::Instant;

#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceLimits {
    /// Streaming read, GB/s (10⁹ bytes), the faster access pattern.
    pub read_gbps: f64,
    /// Per pattern: ("coalesced" | "contiguous", GB/s).
    pub read_patterns: Vec<(String, f64)>,
    /// Size of the buffer read, MiB (≤ the adapter's binding limit).
    pub read_mib: u64,
    /// f32 fused multiply-add, GFLOP/s.
    pub fma_gflops: f64,
}

/// The median of timings (the mean of the middle two for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// Submit one dispatch and wait for it (through a 4-byte read-back); returns ms and that u32.
async fn timed(ctx: &GpuContext, pipeline: &wgpu::ComputePipeline, bind_group: &wgpu::BindGroup, groups: u32, out: &wgpu::Buffer, staging: &wgpu::Buffer) -> Result<(f64, u32)> {
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups(groups, 1, 1);
    }
    enc.copy_buffer_to_buffer(out, 0, staging, 0, 4);
    let t = Instant::now();
    ctx.queue.submit([enc.finish()]);
    let bytes = ctx.read_staging(staging, 4).await?;
    Ok((t.elapsed().as_secs_f64() * 1e3, u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])))
}

fn bind(ctx: &GpuContext, pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() }).collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some("limits"), layout: &pipeline.get_bind_group_layout(0), entries: &entries })
}

/// Measure both ceilings: `mib` MiB read (capped by the adapter), `reps` timed runs each (median).
pub async fn measure(ctx: &GpuContext, mib: u64, reps: usize) -> Result<DeviceLimits> {
    let reps = reps.max(1);
    let cap = (ctx.limits.max_storage_buffer_binding_size as u64).min(ctx.limits.max_buffer_size) >> 20;
    let mib = mib.min(cap).max(1);
    let bytes = mib << 20;
    let groups = 4096u32.min((bytes / (256 * 16)) as u32);
    let words = vec![1u32; (bytes / 4) as usize];
    let src = ctx.storage_buffer_init("limits.src", bytemuck::cast_slice(&words))?;
    drop(words);
    let dst = ctx.storage_buffer("limits.dst", groups as u64 * 4)?;
    let staging = ctx.staging_buffer("limits.staging", 4);
    let per_group = (bytes / groups as u64 / 4) as u32; // u32 words summed by one workgroup
    let mut read_patterns = Vec::new();
    for (name, defines) in [("coalesced", Defines::default()), ("contiguous", Defines::default().flag("CONTIG"))] {
        let pipeline = ctx.pipeline("limits_read.wgsl", defines)?;
        let bg = bind(ctx, &pipeline, &[&src, &dst]);
        timed(ctx, &pipeline, &bg, groups, &dst, &staging).await?; // warm-up
        let mut ms = Vec::new();
        for _ in 0..reps {
            let (t, first) = timed(ctx, &pipeline, &bg, groups, &dst, &staging).await?;
            if first != per_group {
                return Err(HearthError::Gpu(format!("bandwidth kernel summed {first}, expected {per_group}")));
            }
            ms.push(t);
        }
        read_patterns.push((name.to_string(), bytes as f64 / (median(ms) / 1e3) / 1e9));
    }
    drop(src);

    let groups = 1024u32;
    let invocations = groups as u64 * 256;
    let out = ctx.storage_buffer("limits.fma", invocations * 4)?;
    let params = ctx.uniform_buffer("limits.params", 16);
    let pipeline = ctx.pipeline("limits_fma.wgsl", Defines::default())?;
    let bg = bind(ctx, &pipeline, &[&out, &params]);
    // Grow the loop until one run takes ≥ 0.4 s, so launch costs vanish in the figure.
    let mut iters = 64u32;
    loop {
        ctx.queue.write_buffer(&params, 0, bytemuck::cast_slice(&[iters, 0, 0, 0]));
        let (t, _) = timed(ctx, &pipeline, &bg, groups, &out, &staging).await?;
        if t >= 400.0 || iters >= 1 << 20 {
            break;
        }
        iters = iters.saturating_mul(((450.0 / t.max(1.0)).ceil() as u32).clamp(2, 16));
    }
    let mut ms = Vec::new();
    for _ in 0..reps {
        ms.push(timed(ctx, &pipeline, &bg, groups, &out, &staging).await?.0);
    }
    let flop = invocations as f64 * iters as f64 * 8.0 * 4.0 * 2.0;
    let read_gbps = read_patterns.iter().map(|p| p.1).fold(0.0, f64::max);
    ctx.check()?;
    Ok(DeviceLimits { read_gbps, read_patterns, read_mib: mib, fma_gflops: flop / (median(ms) / 1e3) / 1e9 })
}
