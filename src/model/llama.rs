//! The llama-family decoder on the GPU. `Llama::load` uploads the weights (still quantized),
//! allocates the run state (activations for `batch` tokens, KV cache, RoPE table) and records
//! both forward programs once, with the kernel variants chosen for the adapter: prefill
//! (matrix-matrix kernels, prompts longer than `batch` run in chunks) and decode
//! (matrix-vector kernels; greedy picks can stay on the GPU, `forward_argmax`).
//! `forward` then writes ids + one `Step` uniform, replays a program in one compute pass and
//! one submit, and reads back the last position's logits.
//!
//! Per block: rms_norm → q|k|v (one stacked matrix) → rope_qkv (rope q; k and v straight into
//! the cache) → attention → o (+= residual) → rms_norm → gate|up (stacked) → swiglu → down
//! (+= residual). On CPU-emulated adapters swiglu is fused into the gate|up kernel, and natively
//! decode fuses each block's rms_norm into the matrix launches after it (q|k|v, gate|up) and
//! rope_qkv into attention: 90 launches fewer per token (`record`).

use super::config::LlamaConfig;
use crate::error::{HearthError, Result};
use crate::file_bytes::FileBytes;
use crate::gguf::Gguf;
use crate::gpu::kernels::{self, AttentionShape, RopeShape};
use crate::gpu::{encode, ready, Dispatch, GpuContext, GpuMatrix, Grid, PendingUpload, StackPart, Stacked, Step};
use crate::quant::dequantize;
use std::sync::Arc;

struct Block {
    attn_norm: wgpu::Buffer,
    /// attn_q | attn_k | attn_v
    qkv: Stacked,
    attn_output: GpuMatrix,
    ffn_norm: wgpu::Buffer,
    /// ffn_gate | ffn_up
    gate_up: Stacked,
    ffn_down: GpuMatrix,
    k_cache: wgpu::Buffer,
    v_cache: wgpu::Buffer,
}

/// Activation buffers, sized for `batch` tokens per forward (longer prompts run in chunks).
struct RunState {
    ids: wgpu::Buffer,
    step: wgpu::Buffer,
    x: wgpu::Buffer,        // [T, n_embd] residual stream (f32)
    xn: wgpu::Buffer,       // [T, n_embd] normed
    qkv: wgpu::Buffer,      // [T, (n_head + 2·n_head_kv)·hd]
    q_rot: wgpu::Buffer,    // [T, n_head·hd]
    attn: wgpu::Buffer,     // [T, n_head·hd]
    gate_up: wgpu::Buffer,  // [T, 2·n_ff]
    act: wgpu::Buffer,      // [T, n_ff]
    x_last: wgpu::Buffer,   // [n_embd] normed last row
    logits: wgpu::Buffer,   // [vocab]
    staging: wgpu::Buffer,  // [vocab] MAP_READ
    token: wgpu::Buffer,    // [1] u32: the greedy pick
    pick_staging: [wgpu::Buffer; 2], // the greedy pick read back (`greedy_step`: alternately)
    rope_table: wgpu::Buffer,
}

#[derive(Clone, Debug, Default)]
pub struct LlamaOptions {
    /// Context window (KV cache length); `None` = min(model's, 2048).
    pub context: Option<u32>,
    /// Most tokens per forward (activation buffers are sized for it; a longer prompt is
    /// prefilled in chunks of this size); `None` = 256.
    pub batch: Option<u32>,
}

/// What one token costs, for benchmarks: bytes read by decode and FLOPs done by prefill.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct DecoderCost {
    /// Weight bytes a decode step reads (every block matrix + the output head).
    pub weight_bytes: u64,
    /// KV-cache bytes read per decode step per cached position.
    pub kv_bytes_per_position: u64,
    /// Matrix FLOPs per token, output head excluded (2 per weight).
    pub matmul_flops_per_token: u64,
    /// FLOPs of the output head (run once per forward, for the last token).
    pub head_flops: u64,
    /// Attention FLOPs per token per earlier position (QKᵀ and PV, all layers).
    pub attention_flops_per_position: u64,
}

impl DecoderCost {
    /// Bytes one decode step reads with `pos` positions cached.
    pub fn decode_bytes(&self, pos: f64) -> f64 {
        self.weight_bytes as f64 + self.kv_bytes_per_position as f64 * pos
    }
    /// FLOPs of a prefill of `n` tokens from an empty cache.
    pub fn prefill_flops(&self, n: u64) -> f64 {
        let n = n as f64;
        self.matmul_flops_per_token as f64 * n + self.head_flops as f64 + self.attention_flops_per_position as f64 * n * (n + 1.0) / 2.0
    }
}

pub struct Llama {
    pub config: LlamaConfig,
    pub ctx: Arc<GpuContext>,
    /// Context window in tokens.
    pub context: u32,
    /// Most tokens per forward pass (longer forwards are split).
    pub batch: u32,
    /// Bytes of GPU memory the model holds (weights + KV cache + activations).
    pub gpu_bytes: u64,
    /// Bytes of the KV cache (included in `gpu_bytes`).
    pub kv_bytes: u64,
    pub cost: DecoderCost,
    /// Tokens currently in the KV cache, in order.
    pub cached: Vec<u32>,
    state: RunState,
    prefill: Vec<Dispatch>,
    decode: Vec<Dispatch>,
    argmax: Dispatch,
    /// The greedy decode step submitted ahead by `greedy_step`, if any.
    ahead: Option<Ahead>,
    _blocks: Vec<Block>,
}

/// A greedy decode step submitted before the step it follows was read back: its input is that
/// step's pick, copied on the GPU, at position `pos`; its own pick lands in
/// `pick_staging[slot]`.
struct Ahead {
    pos: usize,
    /// Its input id, once the previous step's pick was read back.
    input: Option<u32>,
    slot: usize,
    index: wgpu::SubmissionIndex,
}

/// Tensor `name`, checked to be `rows × cols`: its format and raw bytes.
fn matrix_part<'n, 'a>(g: &Gguf, file: &FileBytes<'a>, name: &'n str, rows: u32, cols: u32) -> Result<StackPart<'n, 'a>> {
    let t = g.tensor(name).ok_or_else(|| HearthError::MissingTensor(name.into()))?;
    let (r, c) = t.rows_cols();
    if (r, c) != (rows as u64, cols as u64) {
        return Err(HearthError::Malformed(format!("tensor '{name}' is {r}×{c}, expected {rows}×{cols}")));
    }
    Ok((name, t.dtype()?, r, g.tensor_data(file, t)))
}

/// Tensor `name` (`rows × cols`) on the GPU, its weights added to `uploads` (written after the
/// launches are recorded).
fn matrix<'a>(ctx: &GpuContext, g: &Gguf, file: &FileBytes<'a>, name: &str, rows: u32, cols: u32, uploads: &mut Vec<PendingUpload<'a>>) -> Result<GpuMatrix> {
    let (_, dtype, _, raw) = matrix_part(g, file, name, rows, cols)?;
    // Fails with TensorTooLarge when a buffer exceeds the adapter's binding limit.
    let (m, pending) = GpuMatrix::allocate(ctx, name, dtype, rows as u64, cols as u64, raw)?;
    uploads.push(pending);
    Ok(m)
}

/// `parts` (name, rows), each `rows × cols`, stacked row-wise (`Stacked`).
fn stacked<'a>(ctx: &GpuContext, g: &Gguf, file: &FileBytes<'a>, name: &str, parts: &[(&str, u32)], cols: u32, uploads: &mut Vec<PendingUpload<'a>>) -> Result<Stacked> {
    let raw = parts.iter().map(|&(part, rows)| matrix_part(g, file, part, rows, cols)).collect::<Result<Vec<_>>>()?;
    let (m, pending) = Stacked::allocate(ctx, name, &raw, cols as u64)?;
    uploads.extend(pending);
    Ok(m)
}

impl Block {
    fn weight_bytes(&self) -> u64 {
        self.qkv.bytes() + self.attn_output.bytes + self.gate_up.bytes() + self.ffn_down.bytes
    }
}

/// A small vector (norm weights), dequantized to f32 at load.
fn vector(ctx: &GpuContext, g: &Gguf, file: &FileBytes, name: &str, len: u32) -> Result<wgpu::Buffer> {
    let t = g.tensor(name).ok_or_else(|| HearthError::MissingTensor(name.into()))?;
    if t.n_elements() != len as u64 {
        return Err(HearthError::Malformed(format!("tensor '{name}' has {} elements, expected {len}", t.n_elements())));
    }
    let v = dequantize(t.dtype()?, &g.tensor_data(file, t).read());
    ctx.storage_buffer_init(name, bytemuck::cast_slice(&v))
}

/// A decoder's GPU buffers and weights, before its programs are recorded (`Llama::load`).
struct Built<'a> {
    context: u32,
    /// Most tokens per forward.
    cap: u32,
    state: RunState,
    token_embd: GpuMatrix,
    output: Option<GpuMatrix>,
    output_norm: wgpu::Buffer,
    blocks: Vec<Block>,
    /// The weights still to transcode and write (after recording: see `Llama::load`).
    uploads: Vec<PendingUpload<'a>>,
    gpu_bytes: u64,
    kv_bytes: u64,
}

impl<'a> Built<'a> {
    /// Create the buffers of `c`'s model in `file` (weights, KV cache, activations).
    fn new(ctx: &GpuContext, c: &LlamaConfig, g: &Gguf, file: &FileBytes<'a>, options: &LlamaOptions) -> Result<Built<'a>> {
        let context = options.context.unwrap_or(2048).min(c.context_length).max(1);
        let cap = options.batch.unwrap_or(256).clamp(1, context);
        let (d, hd) = (c.n_embd, c.head_dim);
        let (qd, kvd) = (c.n_head * hd, c.n_head_kv * hd);
        let f32s = |n: u32| n as u64 * 4;
        let buf = |label: &str, n: u32| ctx.storage_buffer(label, f32s(n) * cap as u64);

        let table = kernels::rope_table(context, c.n_rot, c.rope_base, c.rope_freq_scale);
        let attn_parts = kernels::split_parts_bytes(attention_shape(c), kernels::decode_key_split(ctx, attention_shape(c)));
        let state = RunState {
            ids: ctx.storage_buffer("ids", 4 * cap as u64)?,
            step: ctx.uniform_buffer("step", 16),
            x: buf("x", d)?,
            xn: buf("xn", d)?,
            qkv: buf("qkv", qd + 2 * kvd)?,
            q_rot: buf("q_rot", qd)?,
            // Decode attention's chunk partials use it too (`kernels::attention_split_parts`).
            attn: ctx.storage_buffer("attn", (f32s(qd) * cap as u64).max(attn_parts))?,
            gate_up: buf("gate_up", 2 * c.n_ff)?,
            act: buf("act", c.n_ff)?,
            x_last: ctx.storage_buffer("x_last", f32s(d))?,
            logits: ctx.storage_buffer("logits", f32s(c.vocab_size))?,
            staging: ctx.staging_buffer("logits.staging", f32s(c.vocab_size)),
            token: ctx.storage_buffer("token", 4)?,
            pick_staging: [ctx.staging_buffer("pick.staging.0", 4), ctx.staging_buffer("pick.staging.1", 4)],
            rope_table: ctx.storage_buffer_init("rope_table", bytemuck::cast_slice(&table))?,
        };
        let mut gpu_bytes = (f32s(d) * 2 + f32s(qd) * 2 + f32s(kvd) * 2 + f32s(c.n_ff) * 3) * cap as u64 + (f32s(qd) * cap as u64).max(attn_parts) + f32s(c.vocab_size) * 2 + table.len() as u64 * 8;

        let mut uploads = Vec::new();
        let token_embd = matrix(ctx, g, file, "token_embd.weight", c.vocab_size, d, &mut uploads)?;
        let output = match g.tensor("output.weight") {
            Some(_) => Some(matrix(ctx, g, file, "output.weight", c.vocab_size, d, &mut uploads)?),
            None => None,
        };
        let output_norm = vector(ctx, g, file, "output_norm.weight", d)?;
        gpu_bytes += token_embd.bytes + output.as_ref().map_or(0, |o| o.bytes) + f32s(d);

        let mut blocks = Vec::with_capacity(c.n_layer as usize);
        let mut kv_bytes = 0;
        for l in 0..c.n_layer {
            let n = |s: &str| format!("blk.{l}.{s}.weight");
            let kv_layer = f32s(kvd) * context as u64;
            let b = Block {
                attn_norm: vector(ctx, g, file, &n("attn_norm"), d)?,
                qkv: stacked(ctx, g, file, &format!("blk.{l}.attn_qkv"), &[(&n("attn_q"), qd), (&n("attn_k"), kvd), (&n("attn_v"), kvd)], d, &mut uploads)?,
                attn_output: matrix(ctx, g, file, &n("attn_output"), d, qd, &mut uploads)?,
                ffn_norm: vector(ctx, g, file, &n("ffn_norm"), d)?,
                gate_up: stacked(ctx, g, file, &format!("blk.{l}.ffn_gate_up"), &[(&n("ffn_gate"), c.n_ff), (&n("ffn_up"), c.n_ff)], d, &mut uploads)?,
                ffn_down: matrix(ctx, g, file, &n("ffn_down"), d, c.n_ff, &mut uploads)?,
                k_cache: ctx.storage_buffer(&format!("blk.{l}.k_cache"), kv_layer)?,
                v_cache: ctx.storage_buffer(&format!("blk.{l}.v_cache"), kv_layer)?,
            };
            gpu_bytes += b.weight_bytes() + 2 * f32s(d) + 2 * kv_layer;
            kv_bytes += 2 * kv_layer;
            blocks.push(b);
        }
        Ok(Built { context, cap, state, token_embd, output, output_norm, blocks, uploads, gpu_bytes, kv_bytes })
    }

    fn head(&self) -> &GpuMatrix {
        self.output.as_ref().unwrap_or(&self.token_embd)
    }

    /// The greedy pick's launch and the program of a prompt's first forward.
    fn first_forward(&self, ctx: &GpuContext, c: &LlamaConfig) -> Result<(Dispatch, Vec<Dispatch>)> {
        let argmax = kernels::argmax(ctx, &self.state.logits, &self.state.token, c.vocab_size)?;
        Ok((argmax, record(ctx, c, &self.state, &self.blocks, &self.token_embd, &self.output_norm, self.head(), false)?))
    }
}

/// Browsers: start compiling the first forward's pipelines before any large buffer exists. The
/// GPU process runs its commands in order, and SwiftShader allocates (and zeroes) a buffer's
/// memory when it is created: behind the 200 MB of weights and KV cache the compiles started
/// 0.15 s later, with a core idle meanwhile. So the model is built once with stand-in buffers
/// (`GpuContext::with_stand_in_buffers`) and its first forward recorded and started; the real
/// build then finds those pipelines compiling (their keys do not depend on the buffers).
#[cfg(target_arch = "wasm32")]
fn start_first_forward_early(ctx: &GpuContext, c: &LlamaConfig, g: &Gguf, file: &FileBytes, options: &LlamaOptions) -> Result<()> {
    ctx.with_stand_in_buffers(|| {
        let (argmax, prefill) = Built::new(ctx, c, g, file, options)?.first_forward(ctx, c)?;
        crate::gpu::dispatch::start(ctx, std::slice::from_ref(&argmax));
        crate::gpu::dispatch::start(ctx, &prefill);
        Ok(())
    })
}

impl Llama {
    /// The decoder in `file` (whose header is `g`), on the GPU.
    pub fn load(ctx: Arc<GpuContext>, g: &Gguf, file: &FileBytes, options: &LlamaOptions) -> Result<Llama> {
        let c = LlamaConfig::from_gguf(g)?;
        #[cfg(target_arch = "wasm32")]
        start_first_forward_early(&ctx, &c, g, file, options)?;
        // Buffers first, weights last: the pipelines (created while recording) compile in a
        // browser's GPU process while the weights are transcoded here.
        let b = Built::new(&ctx, &c, g, file, options)?;
        let (d, hd) = (c.n_embd, c.head_dim);
        let (qd, kvd) = (c.n_head * hd, c.n_head_kv * hd);
        let head = b.head();
        let block_weights: u64 = b.blocks.iter().map(Block::weight_bytes).sum();
        let per_layer_params = (qd as u64 * d as u64) * 2 + (kvd as u64 * d as u64) * 2 + 3 * c.n_ff as u64 * d as u64;
        let cost = DecoderCost {
            weight_bytes: block_weights + head.bytes,
            kv_bytes_per_position: c.n_layer as u64 * 2 * kvd as u64 * 4,
            matmul_flops_per_token: 2 * per_layer_params * c.n_layer as u64,
            head_flops: 2 * c.vocab_size as u64 * d as u64,
            attention_flops_per_position: 4 * c.n_layer as u64 * qd as u64,
        };
        let decode = record_decode(&ctx, || record(&ctx, &c, &b.state, &b.blocks, &b.token_embd, &b.output_norm, head, true))?;
        let (argmax, prefill) = b.first_forward(&ctx, &c)?;
        // Browsers: the first forward's pipelines compile while the weights upload, in the
        // order started (they finish about in that order); decode's start once these are done
        // (`ready_to_prefill`).
        crate::gpu::dispatch::start(&ctx, std::slice::from_ref(&argmax));
        crate::gpu::dispatch::start(&ctx, &prefill);
        let Built { context, cap, state, blocks, uploads, gpu_bytes, kv_bytes, .. } = b;
        uploads.into_iter().for_each(|u| u.write(&ctx));
        ctx.check()?;
        Ok(Llama { config: c, ctx, context, batch: cap, gpu_bytes, kv_bytes, cost, cached: Vec::new(), state, prefill, decode, argmax, ahead: None, _blocks: blocks })
    }

    /// Run `ids` at positions `cached.len()..`, append them to the cache, and return the logits
    /// of the last one. One command encoder, one compute pass and one submit per chunk of at
    /// most `batch` tokens; only the last chunk's logits are read back.
    pub async fn forward(&mut self, ids: &[u32]) -> Result<Vec<f32>> {
        let raw = self.run(ids, false).await?;
        Ok(bytemuck::cast_slice(&raw).to_vec())
    }

    /// `forward`, then the greedy pick on the GPU: only the chosen id (4 bytes) is read back.
    pub async fn forward_argmax(&mut self, ids: &[u32]) -> Result<u32> {
        let raw = self.run(ids, true).await?;
        Ok(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
    }

    /// Greedy decoding, pipelined: feed `last` at position `cached.len()` and return the GPU's
    /// pick, like `forward_argmax(&[last])`; with `more` (another step will follow) the next
    /// step is submitted before this one is read back, its input copied from this one's pick on
    /// the GPU, so the GPU does not wait for the read-back, the caller and the next step's
    /// encoding. If the next call feeds that pick at the next position, its step is already
    /// submitted; any other call drops it (it only wrote a cache row past `cached`).
    pub async fn greedy_step(&mut self, last: u32, more: bool) -> Result<u32> {
        let pos = self.cached.len();
        self.check_input(&[last])?;
        self.ready_for(&[last], true).await?;
        let (slot, index) = match self.ahead.take() {
            Some(a) if a.pos == pos && a.input == Some(last) => (a.slot, a.index),
            _ => {
                self.ctx.queue.write_buffer(&self.state.ids, 0, bytemuck::bytes_of(&last));
                (0, self.submit_greedy(pos, 0, false)?)
            }
        };
        if more && pos + 2 <= self.context as usize {
            let index = self.submit_greedy(pos + 1, 1 - slot, true)?;
            self.ahead = Some(Ahead { pos: pos + 1, input: None, slot: 1 - slot, index });
        }
        let before = std::mem::take(&mut self.cached);
        let raw = self.ctx.read_staging_after(&self.state.pick_staging[slot], 4, Some(index)).await?;
        self.cached = before;
        self.cached.push(last);
        let pick = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        if let Some(a) = &mut self.ahead {
            a.input = Some(pick);
        }
        Ok(pick)
    }

    /// One decode step at `pos` with the GPU pick copied to `pick_staging[slot]`; its input is
    /// `ids[0]`, or with `chained` the previous step's pick.
    fn submit_greedy(&self, pos: usize, slot: usize, chained: bool) -> Result<wgpu::SubmissionIndex> {
        let (ctx, s) = (&self.ctx, &self.state);
        let step = Step { n_tokens: 1, pos0: pos as u32, seq_len: 1, n_seqs: 1 };
        ctx.queue.write_buffer(&s.step, 0, bytemuck::bytes_of(&step));
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("greedy step") });
        if chained {
            enc.copy_buffer_to_buffer(&s.token, 0, &s.ids, 0, 4);
        }
        encode(&mut enc, &self.decode, &step)?;
        encode(&mut enc, std::slice::from_ref(&self.argmax), &step)?;
        enc.copy_buffer_to_buffer(&s.token, 0, &s.pick_staging[slot], 0, 4);
        Ok(ctx.queue.submit([enc.finish()]))
    }

    /// Whether `ids` can be fed after the cached tokens: at least one, in the vocabulary,
    /// within the context.
    fn check_input(&self, ids: &[u32]) -> Result<()> {
        let pos0 = self.cached.len();
        if ids.is_empty() {
            return Err(HearthError::InvalidArgument("forward needs at least one token".into()));
        }
        if pos0 + ids.len() > self.context as usize {
            return Err(HearthError::ContextOverflow { prompt: pos0 + ids.len(), requested: 0, context: self.context as usize });
        }
        if let Some(&bad) = ids.iter().find(|&&i| i >= self.config.vocab_size) {
            return Err(HearthError::InvalidArgument(format!("token id {bad} is outside the vocabulary of {}", self.config.vocab_size)));
        }
        Ok(())
    }

    async fn run(&mut self, ids: &[u32], argmax: bool) -> Result<Vec<u8>> {
        self.ahead = None;
        let pos0 = self.cached.len();
        self.check_input(ids)?;
        let ctx = &self.ctx;
        let s = &self.state;
        self.ready_for(ids, argmax).await?;
        let (out, staging, bytes) = if argmax { (&s.token, &s.pick_staging[0], 4) } else { (&s.logits, &s.staging, self.config.vocab_size as u64 * 4) };
        let chunks = ids.chunks(self.batch as usize).count();
        for (i, chunk) in ids.chunks(self.batch as usize).enumerate() {
            let n = chunk.len() as u32;
            // Queue writes land before the next submit, so each chunk sees its own ids and step.
            ctx.queue.write_buffer(&s.ids, 0, bytemuck::cast_slice(chunk));
            let step = Step { n_tokens: n, pos0: (pos0 + i * self.batch as usize) as u32, seq_len: n, n_seqs: 1 };
            ctx.queue.write_buffer(&s.step, 0, bytemuck::bytes_of(&step));
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("forward") });
            encode(&mut enc, if n == 1 { &self.decode } else { &self.prefill }, &step)?;
            if i + 1 == chunks {
                if argmax {
                    encode(&mut enc, std::slice::from_ref(&self.argmax), &step)?;
                }
                enc.copy_buffer_to_buffer(out, 0, staging, 0, bytes);
            }
            ctx.queue.submit([enc.finish()]);
        }
        // Until the read-back succeeds the cache content is uncertain: mark it empty.
        let before = std::mem::take(&mut self.cached);
        let raw = ctx.read_staging(staging, bytes).await?;
        self.cached = before;
        self.cached.extend_from_slice(ids);
        Ok(raw)
    }

    /// Wait until the programs a forward of `ids` runs have their pipelines (in browsers they
    /// compile in the background from load on; natively this returns at once).
    async fn ready_for(&self, ids: &[u32], argmax: bool) -> Result<()> {
        let mut chunks = ids.chunks(self.batch as usize);
        if chunks.clone().any(|c| c.len() > 1) {
            ready(&self.ctx, &self.prefill).await?;
        }
        if chunks.any(|c| c.len() == 1) {
            ready(&self.ctx, &self.decode).await?;
        }
        if argmax {
            ready(&self.ctx, std::slice::from_ref(&self.argmax)).await?;
        }
        Ok(())
    }

    /// Wait for what a first forward of a prompt needs: the prefill program and the GPU argmax.
    /// The decode program may still be compiling (browsers); the first decode step waits for it.
    /// The decode program's own pipelines start compiling once these are done, in the
    /// background (two cores compiling both sets at once finished neither sooner).
    pub async fn ready_to_prefill(&self) -> Result<()> {
        ready(&self.ctx, std::slice::from_ref(&self.argmax)).await?;
        ready(&self.ctx, &self.prefill).await?;
        crate::gpu::dispatch::start(&self.ctx, &self.decode);
        Ok(())
    }

    /// Kernel launches in one decode step.
    pub fn decode_dispatches(&self) -> usize {
        self.decode.len()
    }

    /// Forget the KV cache (the next forward starts at position 0).
    pub fn reset(&mut self) {
        self.ahead = None;
        self.cached.clear();
    }

    /// Keep only the first `n` cached tokens (later positions are overwritten by the next forward).
    pub fn truncate(&mut self, n: usize) {
        if n < self.cached.len() {
            self.ahead = None;
        }
        self.cached.truncate(n);
    }
}

/// The decode program (`record(true)`), recorded before the prefill's. Most of the programs'
/// load time is the driver compiling their pipelines (lavapipe: attention_split alone
/// 0.2–0.34 s, attention_rows 0.1–0.16 s). Natively decode's compile on a thread of their own
/// (`GpuContext::compile_in_background`) while the prefill's compile and the weights upload;
/// the first decode step waits for them, as in browsers. Load → ready went from 0.46–0.68 s
/// (both programs recorded side by side, then the uploads) to 0.33–0.43 s (5 fresh devices
/// each); the first decode step after a 3-token prefill took 44–79 ms both ways.
#[cfg(not(target_arch = "wasm32"))]
fn record_decode(ctx: &GpuContext, record: impl FnOnce() -> Result<Vec<Dispatch>>) -> Result<Vec<Dispatch>> {
    ctx.compile_in_background(record)
}

/// In browsers every pipeline compiles in the background anyway.
#[cfg(target_arch = "wasm32")]
fn record_decode(_: &GpuContext, record: impl FnOnce() -> Result<Vec<Dispatch>>) -> Result<Vec<Dispatch>> {
    record()
}

fn attention_shape(c: &LlamaConfig) -> AttentionShape {
    AttentionShape { heads: c.n_head, kv_heads: c.n_head_kv, head_dim: c.head_dim, scale: 1.0 / (c.head_dim as f32).sqrt() }
}

#[allow(clippy::too_many_arguments)]
fn record(ctx: &GpuContext, c: &LlamaConfig, s: &RunState, blocks: &[Block], token_embd: &GpuMatrix, output_norm: &wgpu::Buffer, head: &GpuMatrix, decode: bool) -> Result<Vec<Dispatch>> {
    let mm = |x: &wgpu::Buffer, y: &wgpu::Buffer, w: &GpuMatrix, acc: bool| {
        if decode { kernels::matvec(ctx, x, y, w, None, acc) } else { kernels::matmul(ctx, &s.step, x, y, w, None, acc) }
    };
    let q_shape = RopeShape { heads: c.n_head, head_dim: c.head_dim, n_rot: c.n_rot, mode: c.rope_mode };
    let attn = attention_shape(c);
    // Decode natively on CPU emulations: each block's RMSNorm runs inside the matrix launches
    // that read its output, where a launch costs more than the norm's extra loads. Measured
    // (`hearth bench-kernels`: rows vs rows_norm; 100-step decode A/B): on lavapipe 60
    // launches fewer per token made decode 3–5% faster (median step 32.2–33.1 vs 33.9–34.4 ms);
    // on SwiftShader in Chromium the fused kernels cost 2–9% more per launch and decode went 4%
    // slower (4.45–4.60 vs 4.71–4.83 tok/s), so browsers keep the separate norm launches. The
    // output head (49152 rows) keeps its own: there the extra loads outweigh one launch.
    let fuse_norm = decode && ctx.emulated() && !cfg!(target_arch = "wasm32");
    let norm = |gamma| kernels::Norm { gamma, eps: c.rms_eps };
    // And there decode attention ropes q and the new key itself and writes the caches, where
    // one workgroup holds a whole KV group: one launch instead of two per block. On lavapipe
    // the step's p10 fell by ~1 ms (31.5–34.0 vs 32.2–35.0 ms; medians within noise), the
    // attention launch growing 0.4–0.6 ms per token against 3 ms of rope_qkv launches; in
    // Chromium decode stayed within noise and the bigger kernel slowed loading, so not there.
    let fold_rope = fuse_norm && kernels::rope_foldable(ctx, attn, q_shape);
    // Natively also decode attention's keys in chunks, a workgroup each, merged by the o
    // projection's x loads (`kernels::decode_key_split`). Browsers keep one chunk: there decode
    // at 512 cached tokens measured within noise, and the o projection's merging variant is one
    // more pipeline to compile before the first token (TTFT 701–725 vs 626–674 ms in Chromium).
    let split = if fuse_norm { kernels::decode_key_split(ctx, attn) } else { 1 };
    let mut p = vec![kernels::embed(ctx, token_embd, &s.ids, &s.x)?];
    for b in blocks {
        if fuse_norm {
            for m in b.qkv.matrices() {
                p.push(kernels::matvec_norm(ctx, &s.x, &s.qkv, m, norm(&b.attn_norm), false)?);
            }
        } else {
            p.push(kernels::rms_norm(ctx, &s.step, &s.x, &s.xn, &b.attn_norm, c.n_embd, c.rms_eps, false)?);
            for m in b.qkv.matrices() {
                p.push(mm(&s.xn, &s.qkv, m, false)?);
            }
        }
        match (fold_rope, split > 1) {
            (true, true) => p.push(kernels::attention_split_parts(ctx, &s.step, &s.qkv, &s.attn, &b.k_cache, &b.v_cache, Some((&s.rope_table, q_shape)), attn, split)?),
            (true, false) => p.push(kernels::attention_split_rope(ctx, &s.step, &s.qkv, &s.attn, &b.k_cache, &b.v_cache, &s.rope_table, attn, q_shape)?),
            (false, _) => {
                p.push(kernels::rope_qkv(ctx, &s.step, &s.qkv, &s.q_rot, &b.k_cache, &b.v_cache, &s.rope_table, q_shape, c.n_head_kv)?);
                p.push(if split > 1 {
                    kernels::attention_split_parts(ctx, &s.step, &s.q_rot, &s.attn, &b.k_cache, &b.v_cache, None, attn, split)?
                } else {
                    kernels::attention(ctx, &s.step, &s.q_rot, &s.attn, &b.k_cache, &b.v_cache, attn, decode)?
                });
            }
        }
        p.push(if split > 1 { kernels::matvec_merge(ctx, &s.attn, &s.x, &b.attn_output, split, c.head_dim, true)? } else { mm(&s.attn, &s.x, &b.attn_output, true)? });
        if !fuse_norm {
            p.push(kernels::rms_norm(ctx, &s.step, &s.x, &s.xn, &b.ffn_norm, c.n_embd, c.rms_eps, false)?);
        }
        match &b.gate_up {
            Stacked::One(w) if fuse_norm => p.push(kernels::matvec_swiglu_norm(ctx, &s.x, &s.act, w, norm(&b.ffn_norm))?),
            Stacked::One(w) if ctx.emulated() => {
                p.push(if decode { kernels::matvec_swiglu(ctx, &s.xn, &s.act, w)? } else { kernels::matmul_swiglu(ctx, &s.step, &s.xn, &s.act, w)? });
            }
            gate_up => {
                for m in gate_up.matrices() {
                    p.push(if fuse_norm { kernels::matvec_norm(ctx, &s.x, &s.gate_up, m, norm(&b.ffn_norm), false)? } else { mm(&s.xn, &s.gate_up, m, false)? });
                }
                p.push(kernels::swiglu(ctx, &s.step, &s.gate_up, &s.act, c.n_ff)?);
            }
        }
        p.push(mm(&s.act, &s.x, &b.ffn_down, true)?);
    }
    p.push(kernels::rms_norm(ctx, &s.step, &s.x, &s.x_last, output_norm, c.n_embd, c.rms_eps, true)?);
    let mut out = kernels::matvec(ctx, &s.x_last, &s.logits, head, None, false)?;
    // One token (the last): the matrix kernel's workgroups for one row of x.
    if let Grid::PerToken(groups) = out.grid {
        out.grid = Grid::Fixed(groups);
    }
    out.label = "head";
    p.push(out);
    Ok(p)
}

#[cfg(not(target_arch = "wasm32"))]
impl Llama {
    /// Time each kernel family of one forward over `ids` apart (`gpu::dispatch::profile_families`;
    /// the cache entries written at these positions are not a real forward's). Returns (label,
    /// ms) per family.
    pub fn profile(&mut self, ids: &[u32]) -> Result<Vec<(&'static str, f64)>> {
        if ids.is_empty() || ids.len() > self.batch as usize || self.cached.len() + ids.len() > self.context as usize {
            return Err(HearthError::InvalidArgument(format!("profile runs 1..={} tokens within the context", self.batch)));
        }
        self.ahead = None;
        let ctx = self.ctx.clone();
        let n = ids.len() as u32;
        let pos0 = self.cached.len() as u32;
        ctx.queue.write_buffer(&self.state.ids, 0, bytemuck::cast_slice(ids));
        let step = Step { n_tokens: n, pos0, seq_len: n, n_seqs: 1 };
        ctx.queue.write_buffer(&self.state.step, 0, bytemuck::bytes_of(&step));
        let program = if n == 1 { &self.decode } else { &self.prefill };
        pollster::block_on(crate::gpu::ready(&ctx, program))?;
        let totals = pollster::block_on(crate::gpu::dispatch::profile_families(&ctx, program, &step))?;
        self.cached.extend_from_slice(ids);
        Ok(totals)
    }
}
