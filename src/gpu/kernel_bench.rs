//! Kernel variants side by side on this adapter, for choosing them by measurement: each variant
//! of the decode matrix-vector and prefill matrix-matrix kernels runs on SmolLM2-135M's and
//! all-MiniLM-L6-v2's shapes (random weights in the model's formats), interleaved with its
//! rivals so that a shared machine's noise hits all of them alike. Reports ms per launch
//! (median), GB/s of weights read (matvec) and GFLOP/s (matmul). Natively: `hearth
//! bench-kernels`; in the browser: the wasm export `benchmarkKernels`.

use super::limits::median;
use super::{encode, kernels, Dispatch, GpuContext, GpuMatrix, Step};
use crate::error::Result;
use crate::quant::{quantize, DType};
use web_time::Instant;

#[derive(Clone, Debug, serde::Serialize)]
pub struct KernelTiming {
    pub kernel: &'static str,
    pub variant: &'static str,
    pub dtype: String,
    pub rows: u32,
    pub cols: u32,
    pub tokens: u32,
    pub ms: f64,
    /// Weight bytes per second read (GB/s) for matvec; FLOP/s (GFLOP/s) for matmul.
    pub rate: f64,
}

/// `launches` back-to-back copies of `d` in one pass, one submit, waited for: ms per launch.
async fn time(ctx: &GpuContext, d: &Dispatch, step: &Step, launches: usize, probe: &wgpu::Buffer, staging: &wgpu::Buffer) -> Result<f64> {
    time_all(ctx, std::slice::from_ref(d), step, launches, probe, staging).await
}

/// `time` for a sequence of launches: ms per run of all of `ds`.
async fn time_all(ctx: &GpuContext, ds: &[Dispatch], step: &Step, launches: usize, probe: &wgpu::Buffer, staging: &wgpu::Buffer) -> Result<f64> {
    super::ready(ctx, ds).await?;
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    for _ in 0..launches {
        encode(&mut enc, ds, step)?;
    }
    enc.copy_buffer_to_buffer(probe, 0, staging, 0, 4);
    let t = Instant::now();
    ctx.queue.submit([enc.finish()]);
    ctx.read_staging(staging, 4).await?;
    Ok(t.elapsed().as_secs_f64() * 1e3 / launches as f64)
}

/// Median ms per launch of each variant: one warm-up each, then `reps` rounds interleaved, so
/// a shared machine's noise hits all variants alike. Launches are batched to a submit so that
/// its round trip (submit, copy, map: about 2 ms in Chromium) stays a small part of the figure:
/// 8 to a submit up to 32 tokens, 2 beyond.
async fn time_variants(ctx: &GpuContext, variants: &[(&'static str, Dispatch)], step: &Step, reps: usize, probe: &wgpu::Buffer, staging: &wgpu::Buffer) -> Result<Vec<f64>> {
    let launches = if step.n_tokens <= 32 { 8 } else { 2 };
    for (_, d) in variants {
        time(ctx, d, step, 1, probe, staging).await?;
    }
    let mut times = vec![Vec::new(); variants.len()];
    for _ in 0..reps.max(1) {
        for (i, (_, d)) in variants.iter().enumerate() {
            times[i].push(time(ctx, d, step, launches, probe, staging).await?);
        }
    }
    Ok(times.into_iter().map(median).collect())
}

/// Decode's matrix launches of a whole SmolLM2-135M forward, as `Llama` records them on CPU
/// emulations (RMSNorm fused into q|k|v and gate|up, SwiGLU into gate|up, residual adds into o
/// and down), over 30 layers of distinct random Q4_1 matrices (66 MB, more than any cache):
/// what decode streams per token apart from attention and the head. Median ms per forward;
/// rate = GB/s of weights read.
async fn decode_matvecs(ctx: &GpuContext, reps: usize, random: &mut impl FnMut(usize) -> Vec<f32>, step_buf: &wgpu::Buffer, staging: &wgpu::Buffer) -> Result<KernelTiming> {
    let (d, f, qkv, layers) = (576u64, 1536u64, 960u64, 30);
    let x = ctx.storage_buffer_init("bench.x", bytemuck::cast_slice(&random(f as usize)))?;
    let gamma = ctx.storage_buffer_init("bench.gamma", bytemuck::cast_slice(&random(d as usize)))?;
    let (q, act) = (ctx.storage_buffer("bench.q", qkv * 4)?, ctx.storage_buffer("bench.act", f * 4)?);
    let norm = kernels::Norm { gamma: &gamma, eps: 1e-5 };
    let matrix = |random: &mut dyn FnMut(usize) -> Vec<f32>, rows: u64, cols: u64| GpuMatrix::upload(ctx, "bench.w", DType::Q4_1, rows, cols, &quantize(DType::Q4_1, &random((rows * cols) as usize)));
    let (mut ds, mut bytes) = (Vec::new(), 0u64);
    for _ in 0..layers {
        let [w_qkv, w_o, w_gate_up, w_down] = [(qkv, d), (d, d), (2 * f, d), (d, f)].map(|(r, c)| matrix(random, r, c));
        let (w_qkv, w_o, w_gate_up, w_down) = (w_qkv?, w_o?, w_gate_up?, w_down?);
        ds.push(kernels::matvec_norm(ctx, &x, &q, &w_qkv, norm, false)?);
        ds.push(kernels::matvec_rows(ctx, &q, &x, &w_o, None, true)?);
        ds.push(kernels::matvec_swiglu_norm(ctx, &x, &act, &w_gate_up, norm)?);
        ds.push(kernels::matvec_rows(ctx, &act, &x, &w_down, None, true)?);
        bytes += [&w_qkv, &w_o, &w_gate_up, &w_down].iter().map(|w| w.bytes).sum::<u64>();
    }
    let step = Step { n_tokens: 1, pos0: 0, seq_len: 1, n_seqs: 1 };
    ctx.queue.write_buffer(step_buf, 0, bytemuck::bytes_of(&step));
    time_all(ctx, &ds, &step, 1, &x, staging).await?;
    let mut times = Vec::new();
    for _ in 0..reps.max(1) {
        times.push(time_all(ctx, &ds, &step, 1, &x, staging).await?);
    }
    let ms = median(times);
    Ok(KernelTiming { kernel: "decode_matvecs", variant: "rows", dtype: "Q4_1".into(), rows: ds.len() as u32, cols: d as u32, tokens: 1, ms, rate: bytes as f64 / ms / 1e6 })
}

/// Time every variant `reps` times (interleaved) on SmolLM2-135M's and all-MiniLM-L6-v2's
/// matrix shapes.
pub async fn run(ctx: &GpuContext, reps: usize, tokens: u32) -> Result<Vec<KernelTiming>> {
    let mut seed = 0x2545f4914f6cdd1du64;
    let mut random = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    };
    // SmolLM2-135M's (Q4_1; one F16 for the float path), then all-MiniLM-L6-v2's (BF16, the
    // embeddings default).
    let shapes = [(576u32, 576u32, DType::Q4_1), (1536, 576, DType::Q4_1), (576, 1536, DType::Q4_1), (576, 1536, DType::F16), (384, 384, DType::BF16), (1536, 384, DType::BF16), (384, 1536, DType::BF16)];
    let step_buf = ctx.uniform_buffer("bench.step", 16);
    let staging = ctx.staging_buffer("bench.staging", 4);
    let mut out = Vec::new();
    for (rows, cols, dtype) in shapes {
        let raw = quantize(dtype, &random((rows * cols) as usize));
        let w = GpuMatrix::upload(ctx, "bench.w", dtype, rows as u64, cols as u64, &raw)?;
        let x = ctx.storage_buffer_init("bench.x", bytemuck::cast_slice(&random((cols * tokens) as usize)))?;
        let y = ctx.storage_buffer("bench.y", rows as u64 * tokens as u64 * 4)?;
        let gamma = ctx.storage_buffer_init("bench.gamma", bytemuck::cast_slice(&random(cols as usize)))?;
        let norm = kernels::Norm { gamma: &gamma, eps: 1e-5 };
        let matvecs: Vec<(&'static str, Dispatch)> = vec![
            ("lanes", kernels::matvec_lanes(ctx, &x, &y, &w, None, false)?),
            ("rows", kernels::matvec_rows(ctx, &x, &y, &w, None, false)?),
            // The same with decode's RMSNorm fused in (what it adds to the launch).
            ("rows_norm", kernels::matvec_norm(ctx, &x, &y, &w, norm, false)?),
        ];
        let matmuls: Vec<(&'static str, Dispatch)> = vec![
            ("tiled", kernels::matmul_tiled(ctx, &step_buf, &x, &y, &w, None, false)?),
            ("rows", kernels::matmul_rows_width(ctx, &step_buf, &x, &y, &w, false)?),
            ("rows16", kernels::matmul_rows_width(ctx, &step_buf, &x, &y, &w, true)?),
        ];
        for (kernel, variants, n) in [("matvec", &matvecs, 1u32), ("matmul", &matmuls, tokens)] {
            let step = Step { n_tokens: n, pos0: 0, seq_len: n, n_seqs: 1 };
            ctx.queue.write_buffer(&step_buf, 0, bytemuck::bytes_of(&step));
            for ((variant, _), ms) in variants.iter().zip(time_variants(ctx, variants, &step, reps, &y, &staging).await?) {
                let rate = if n == 1 { w.bytes as f64 / ms / 1e6 } else { 2.0 * rows as f64 * cols as f64 * n as f64 / ms / 1e6 };
                out.push(KernelTiming { kernel, variant, dtype: format!("{dtype:?}"), rows, cols, tokens: n, ms, rate });
            }
        }
    }
    out.push(decode_matvecs(ctx, reps, &mut random, &step_buf, &staging).await?);
    // Attention with SmolLM2-135M's heads (9 query, 3 KV, dim 64): decode at two cache lengths,
    // and a prefill of `tokens` tokens.
    let shape = kernels::AttentionShape { heads: 9, kv_heads: 3, head_dim: 64, scale: 0.125 };
    let ctx_len = 512 + tokens;
    let mut kv = |label| ctx.storage_buffer_init(label, bytemuck::cast_slice(&random((ctx_len * 192) as usize)));
    let (k_cache, v_cache) = (kv("bench.k")?, kv("bench.v")?);
    let q = ctx.storage_buffer_init("bench.q", bytemuck::cast_slice(&random((tokens * 576) as usize)))?;
    let o = ctx.storage_buffer("bench.o", tokens as u64 * 576 * 4)?;
    let variants = [("tiled", kernels::attention_tiled(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape)?), ("rows", kernels::attention_rows(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape)?), ("rows_1", kernels::attention_rows_heads(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape, 1)?), ("split", kernels::attention_split(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape)?), ("split4", kernels::attention_split_wg(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape, 4)?), ("split8", kernels::attention_split_wg(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape, 8)?), ("split4_1", kernels::attention_split_heads(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape, 4, 1)?), ("split8_1", kernels::attention_split_heads(ctx, &step_buf, &q, &o, &k_cache, &v_cache, shape, 8, 1)?)];
    for (n, pos0) in [(1u32, 128u32), (1, 512), (tokens, 0)] {
        let step = Step { n_tokens: n, pos0, seq_len: n, n_seqs: 1 };
        ctx.queue.write_buffer(&step_buf, 0, bytemuck::bytes_of(&step));
        for ((variant, _), ms) in variants.iter().zip(time_variants(ctx, &variants, &step, reps, &o, &staging).await?) {
            let flops = shape.heads as f64 * 64.0 * 4.0 * (0..n).map(|i| (pos0 + i + 1) as f64).sum::<f64>();
            out.push(KernelTiming { kernel: "attention", variant, dtype: "F32".into(), rows: pos0, cols: 64, tokens: n, ms, rate: flops / ms / 1e6 });
        }
    }
    ctx.check()?;
    Ok(out)
}
