//! BERT-family encoders (all-MiniLM-L6-v2 first) on the GPU. Weights come from a Hugging Face
//! `config.json` + `model.safetensors` and are quantized at load (Q8_0 by default, F16 or F32
//! selectable). One recorded program runs a padded batch: embeddings (word + position +
//! token type 0) → LayerNorm → per layer [q/k/v (+bias) → masked bidirectional attention →
//! output (+bias, += residual) → LayerNorm → intermediate (+bias) → GELU → output (+bias,
//! += residual) → LayerNorm] → pooling (+ L2 normalize). Post-LN, as BERT is.

use crate::error::{HearthError, Result};
use crate::gpu::kernels::{self, AttentionShape, Pooling};
use crate::gpu::{encode, Dispatch, GpuContext, GpuMatrix, Step};
use crate::quant::{quantize, DType};
use crate::safetensors::SafeTensors;
use std::sync::Arc;

#[derive(Clone, Debug, serde::Deserialize)]
pub struct BertConfig {
    pub hidden_size: u32,
    pub num_hidden_layers: u32,
    pub num_attention_heads: u32,
    pub intermediate_size: u32,
    pub max_position_embeddings: u32,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    pub vocab_size: u32,
    #[serde(default)]
    pub hidden_act: Option<String>,
}

fn default_eps() -> f64 {
    1e-12
}

impl BertConfig {
    pub fn from_json(json: &[u8]) -> Result<BertConfig> {
        let c: BertConfig = serde_json::from_slice(json).map_err(|e| HearthError::Malformed(format!("config.json: {e}")))?;
        if c.hidden_size == 0 || c.num_attention_heads == 0 || c.hidden_size % c.num_attention_heads != 0 {
            return Err(HearthError::UnsupportedModel(format!("hidden size {} with {} heads", c.hidden_size, c.num_attention_heads)));
        }
        if let Some(act) = c.hidden_act.as_deref().filter(|a| *a != "gelu") {
            return Err(HearthError::UnsupportedModel(format!("hidden_act '{act}' (only the exact 'gelu' is supported)")));
        }
        Ok(c)
    }
}

#[derive(Clone, Debug)]
pub struct BertOptions {
    /// GPU format of the weight matrices.
    pub quant: DType,
    pub pooling: Pooling,
    pub normalize: bool,
    /// Most sentences per forward.
    pub batch: usize,
    /// Longest sequence (tokens incl. [CLS]/[SEP]).
    pub max_seq_len: usize,
}

impl Default for BertOptions {
    fn default() -> Self {
        BertOptions { quant: DType::Q8_0, pooling: Pooling::Mean, normalize: true, batch: 32, max_seq_len: 256 }
    }
}

struct Layer {
    q: GpuMatrix,
    q_b: wgpu::Buffer,
    k: GpuMatrix,
    k_b: wgpu::Buffer,
    v: GpuMatrix,
    v_b: wgpu::Buffer,
    o: GpuMatrix,
    o_b: wgpu::Buffer,
    ln1_g: wgpu::Buffer,
    ln1_b: wgpu::Buffer,
    up: GpuMatrix,
    up_b: wgpu::Buffer,
    down: GpuMatrix,
    down_b: wgpu::Buffer,
    ln2_g: wgpu::Buffer,
    ln2_b: wgpu::Buffer,
}

pub struct Bert {
    pub config: BertConfig,
    pub options: BertOptions,
    pub ctx: Arc<GpuContext>,
    /// Tokens one forward can hold (batch × max_seq_len).
    pub capacity: usize,
    pub gpu_bytes: u64,
    ids: wgpu::Buffer,
    lens: wgpu::Buffer,
    step: wgpu::Buffer,
    pooled: wgpu::Buffer,
    staging: wgpu::Buffer,
    program: Vec<Dispatch>,
    _keep: (Vec<Layer>, Vec<wgpu::Buffer>, GpuMatrix),
}

struct Loader<'a> {
    ctx: &'a GpuContext,
    st: &'a SafeTensors,
    file: &'a [u8],
    quant: DType,
    prefix: String,
    bytes: u64,
}

impl Loader<'_> {
    fn name(&self, n: &str) -> String {
        format!("{}{n}", self.prefix)
    }
    fn values(&self, n: &str, len: usize) -> Result<Vec<f32>> {
        let v = self.st.f32(self.file, &self.name(n))?;
        if v.len() != len {
            return Err(HearthError::Malformed(format!("tensor '{}' has {} values, expected {len}", self.name(n), v.len())));
        }
        Ok(v)
    }
    fn vector(&mut self, n: &str, len: u32) -> Result<wgpu::Buffer> {
        let v = self.values(n, len as usize)?;
        self.bytes += len as u64 * 4;
        self.ctx.storage_buffer_init(&self.name(n), bytemuck::cast_slice(&v))
    }
    fn matrix(&mut self, n: &str, rows: u32, cols: u32) -> Result<GpuMatrix> {
        let v = self.values(n, rows as usize * cols as usize)?;
        let dtype = if cols % 32 == 0 { self.quant } else { DType::F32 };
        let m = GpuMatrix::upload(self.ctx, &self.name(n), dtype, rows as u64, cols as u64, &quantize(dtype, &v))?;
        self.bytes += m.bytes;
        Ok(m)
    }
}

impl Bert {
    pub fn load(ctx: Arc<GpuContext>, config: BertConfig, st: &SafeTensors, file: &[u8], options: BertOptions) -> Result<Bert> {
        if !matches!(options.quant, DType::Q8_0 | DType::F16 | DType::F32) {
            return Err(HearthError::InvalidArgument(format!("embedding weights can be q8_0, f16 or f32, not {}", options.quant.name())));
        }
        if options.batch == 0 || options.max_seq_len < 2 || options.max_seq_len > config.max_position_embeddings as usize {
            return Err(HearthError::InvalidArgument(format!("batch {} / max_seq_len {} (model positions: {})", options.batch, options.max_seq_len, config.max_position_embeddings)));
        }
        let c = &config;
        let (d, f) = (c.hidden_size, c.intermediate_size);
        // Checkpoints name tensors with or without the "bert." prefix.
        let prefix = if st.tensor("bert.embeddings.word_embeddings.weight").is_some() { "bert." } else { "" };
        let mut ld = Loader { ctx: &ctx, st, file, quant: options.quant, prefix: prefix.into(), bytes: 0 };
        let word = ld.matrix("embeddings.word_embeddings.weight", c.vocab_size, d)?;
        let pos = ld.values("embeddings.position_embeddings.weight", (c.max_position_embeddings * d) as usize)?;
        let ty = ld.values("embeddings.token_type_embeddings.weight", st.tensor(&ld.name("embeddings.token_type_embeddings.weight")).map_or(0, |t| t.shape.iter().product::<u64>() as usize))?;
        let table: Vec<f32> = pos.iter().enumerate().map(|(i, p)| p + ty[i % d as usize]).collect();
        let pos_table = ctx.storage_buffer_init("position_table", bytemuck::cast_slice(&table))?;
        let emb_g = ld.vector("embeddings.LayerNorm.weight", d)?;
        let emb_b = ld.vector("embeddings.LayerNorm.bias", d)?;
        let mut layers = Vec::new();
        for l in 0..c.num_hidden_layers {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            layers.push(Layer {
                q: ld.matrix(&p("attention.self.query.weight"), d, d)?,
                q_b: ld.vector(&p("attention.self.query.bias"), d)?,
                k: ld.matrix(&p("attention.self.key.weight"), d, d)?,
                k_b: ld.vector(&p("attention.self.key.bias"), d)?,
                v: ld.matrix(&p("attention.self.value.weight"), d, d)?,
                v_b: ld.vector(&p("attention.self.value.bias"), d)?,
                o: ld.matrix(&p("attention.output.dense.weight"), d, d)?,
                o_b: ld.vector(&p("attention.output.dense.bias"), d)?,
                ln1_g: ld.vector(&p("attention.output.LayerNorm.weight"), d)?,
                ln1_b: ld.vector(&p("attention.output.LayerNorm.bias"), d)?,
                up: ld.matrix(&p("intermediate.dense.weight"), f, d)?,
                up_b: ld.vector(&p("intermediate.dense.bias"), f)?,
                down: ld.matrix(&p("output.dense.weight"), d, f)?,
                down_b: ld.vector(&p("output.dense.bias"), d)?,
                ln2_g: ld.vector(&p("output.LayerNorm.weight"), d)?,
                ln2_b: ld.vector(&p("output.LayerNorm.bias"), d)?,
            });
        }
        let weight_bytes = ld.bytes;

        let capacity = options.batch * options.max_seq_len;
        let rows = |n: u32| n as u64 * 4 * capacity as u64;
        let act = |label: &str, n: u32| ctx.storage_buffer(label, rows(n));
        let (e, x, y) = (act("e", d)?, act("x", d)?, act("y", d)?);
        let (q, k, v, attn) = (act("q", d)?, act("k", d)?, act("v", d)?, act("attn", d)?);
        let (inter, gelu) = (act("inter", f)?, act("gelu", f)?);
        let ids = ctx.storage_buffer("ids", 4 * capacity as u64)?;
        let lens = ctx.storage_buffer("lens", 4 * options.batch as u64)?;
        let step = ctx.uniform_buffer("step", 16);
        let pooled_bytes = d as u64 * 4 * options.batch as u64;
        let pooled = ctx.storage_buffer("pooled", pooled_bytes)?;
        let staging = ctx.staging_buffer("pooled.staging", pooled_bytes);
        let gpu_bytes = weight_bytes + table.len() as u64 * 4 + rows(d) * 7 + rows(f) * 2 + pooled_bytes;

        let eps = c.layer_norm_eps as f32;
        let shape = AttentionShape { heads: c.num_attention_heads, kv_heads: c.num_attention_heads, head_dim: d / c.num_attention_heads, scale: 1.0 / ((d / c.num_attention_heads) as f32).sqrt() };
        let mm = |x: &wgpu::Buffer, out: &wgpu::Buffer, w: &GpuMatrix, b: &wgpu::Buffer, acc: bool| kernels::matmul(&ctx, &step, x, out, w, Some(b), acc);
        let mut p = vec![
            kernels::embed(&ctx, &word, &ids, &e)?,
            kernels::add_rows(&ctx, &step, &e, &pos_table, d)?,
            kernels::layer_norm(&ctx, &step, &e, &x, &emb_g, &emb_b, d, eps)?,
        ];
        for l in &layers {
            p.push(mm(&x, &q, &l.q, &l.q_b, false)?);
            p.push(mm(&x, &k, &l.k, &l.k_b, false)?);
            p.push(mm(&x, &v, &l.v, &l.v_b, false)?);
            p.push(kernels::encoder_attention(&ctx, &step, &q, &attn, &k, &v, &lens, shape)?);
            p.push(mm(&attn, &x, &l.o, &l.o_b, true)?);
            p.push(kernels::layer_norm(&ctx, &step, &x, &y, &l.ln1_g, &l.ln1_b, d, eps)?);
            p.push(mm(&y, &inter, &l.up, &l.up_b, false)?);
            p.push(kernels::gelu(&ctx, &step, &inter, &gelu, f)?);
            p.push(mm(&gelu, &y, &l.down, &l.down_b, true)?);
            p.push(kernels::layer_norm(&ctx, &step, &y, &x, &l.ln2_g, &l.ln2_b, d, eps)?);
        }
        p.push(kernels::pool(&ctx, &step, &x, &pooled, &lens, d, options.pooling, options.normalize)?);
        ctx.check()?;
        let keep = vec![pos_table, emb_g, emb_b, e, x, y, q, k, v, attn, inter, gelu];
        Ok(Bert { config, options, ctx, capacity, gpu_bytes, ids, lens, step, pooled, staging, program: p, _keep: (layers, keep, word) })
    }

    /// Embeddings of up to `options.batch` token sequences (each 1..=max_seq_len tokens), in one
    /// forward over the batch padded to its longest sequence.
    pub async fn forward(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let d = self.config.hidden_size as usize;
        let seq_len = seqs.iter().map(Vec::len).max().unwrap_or(0);
        if seqs.is_empty() || seqs.len() > self.options.batch || seqs.iter().any(|s| s.is_empty()) || seq_len > self.options.max_seq_len {
            return Err(HearthError::InvalidArgument(format!("a batch holds 1..={} sequences of 1..={} tokens", self.options.batch, self.options.max_seq_len)));
        }
        if let Some(bad) = seqs.iter().flatten().find(|&&i| i >= self.config.vocab_size) {
            return Err(HearthError::InvalidArgument(format!("token id {bad} is outside the vocabulary of {}", self.config.vocab_size)));
        }
        let mut ids = vec![0u32; seqs.len() * seq_len];
        for (b, s) in seqs.iter().enumerate() {
            ids[b * seq_len..][..s.len()].copy_from_slice(s);
        }
        let lens: Vec<u32> = seqs.iter().map(|s| s.len() as u32).collect();
        let step = Step { n_tokens: ids.len() as u32, pos0: 0, seq_len: seq_len as u32, _pad: 0 };
        let ctx = &self.ctx;
        ctx.queue.write_buffer(&self.ids, 0, bytemuck::cast_slice(&ids));
        ctx.queue.write_buffer(&self.lens, 0, bytemuck::cast_slice(&lens));
        ctx.queue.write_buffer(&self.step, 0, bytemuck::bytes_of(&step));
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("encode") });
        encode(&mut enc, &self.program, &step);
        let bytes = (seqs.len() * d * 4) as u64;
        enc.copy_buffer_to_buffer(&self.pooled, 0, &self.staging, 0, bytes);
        ctx.queue.submit([enc.finish()]);
        let raw = ctx.read_staging(&self.staging, bytes).await?;
        Ok(bytemuck::cast_slice::<u8, f32>(&raw).chunks(d).map(|c| c.to_vec()).collect())
    }
}
