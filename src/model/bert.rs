//! BERT-family encoders (all-MiniLM-L6-v2 first) on the GPU. Weights come from a Hugging Face
//! `config.json` + `model.safetensors` and are converted at load (`BertWeights`: BF16 by
//! default; the token table in Q8_0 with F16 layers, or uniform Q8_0, F16 or F32, selectable).
//! One recorded program runs a batch of sequences packed end to end, without padding (a batch
//! costs its tokens, whatever their lengths; each sequence's (first token, tokens) span bounds
//! its position rows, attention and pooling): embeddings (word + position + token type 0) →
//! LayerNorm → per layer [q/k/v (+bias) → bidirectional attention within the sequence → output
//! (+bias, += residual) → LayerNorm → intermediate (+bias, GELU fused into its output) → output
//! (+bias, += residual) → LayerNorm] → pooling (+ L2 normalize). Post-LN, as BERT is.

use crate::error::{HearthError, Result};
use crate::gpu::kernels::{self, AttentionShape, Pooling};
use crate::gpu::{encode, ready, Dispatch, GpuContext, GpuMatrix, Step};
use crate::gguf::Gguf;
use crate::quant::{dequantize, quantize, DType};
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

    /// From a GGUF's `bert.*` metadata (llama.cpp's converter); the vocabulary size is the token
    /// table's row count.
    pub fn from_gguf(g: &Gguf) -> Result<BertConfig> {
        let arch = g.str("general.architecture")?;
        if arch != "bert" {
            return Err(HearthError::UnsupportedModel(format!("architecture '{arch}' is not a BERT encoder")));
        }
        let u = |k: &str| -> Result<u32> {
            let v = g.u64(&format!("bert.{k}"))?;
            u32::try_from(v).map_err(|_| HearthError::Malformed(format!("bert.{k} = {v} is out of range")))
        };
        let table = g.tensor("token_embd.weight").ok_or_else(|| HearthError::MissingTensor("token_embd.weight".into()))?;
        let c = BertConfig {
            hidden_size: u("embedding_length")?,
            num_hidden_layers: u("block_count")?,
            num_attention_heads: u("attention.head_count")?,
            intermediate_size: u("feed_forward_length")?,
            max_position_embeddings: u("context_length")?,
            layer_norm_eps: g.f64("bert.attention.layer_norm_epsilon")?,
            vocab_size: u32::try_from(table.rows_cols().0).map_err(|_| HearthError::Malformed("token_embd.weight has too many rows".into()))?,
            hidden_act: None,
        };
        if c.hidden_size == 0 || c.num_attention_heads == 0 || c.hidden_size % c.num_attention_heads != 0 {
            return Err(HearthError::UnsupportedModel(format!("hidden size {} with {} heads", c.hidden_size, c.num_attention_heads)));
        }
        Ok(c)
    }
}

/// GPU formats of an encoder's weight matrices.
///
/// Measured on all-MiniLM-L6-v2 against sentence-transformers (tests/golden_embed.rs; the
/// golden tolerances are cosine ≥ 0.9999 and max |Δ| ≤ 1e-3):
/// - uniform BF16 (45 MB), the default: 0.9999858 / 9.0e-4. A bf16 widens to f32 with two
///   integer ops a pair, where `unpack2x16float` costs CPU emulations about a dozen: SwiftShader
///   embedded 32 sentences in 1.57–1.63 s against 1.79–1.83 s with F16 layers, one in 56 against
///   66–68 ms.
/// - `Mixed` (34 MB): token table Q8_0, linear layers F16: 0.9999823 / 9.7e-4.
/// - uniform Q8_0 (25 MB): 0.99956 / 4.7e-3, short of the tolerances. The Q8_0 table with BF16
///   layers also misses them (1.08e-3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BertWeights {
    /// Token table in Q8_0, linear layers in F16.
    Mixed,
    /// Every matrix in one format (Q8_0, F16, BF16 or F32).
    Uniform(DType),
}

impl BertWeights {
    pub fn parse(name: &str) -> Result<BertWeights> {
        Ok(match name {
            "mixed" => BertWeights::Mixed,
            "q8_0" => BertWeights::Uniform(DType::Q8_0),
            "f16" => BertWeights::Uniform(DType::F16),
            "bf16" => BertWeights::Uniform(DType::BF16),
            "f32" => BertWeights::Uniform(DType::F32),
            other => return Err(HearthError::InvalidArgument(format!("embedding weights are mixed, q8_0, f16, bf16 or f32, not '{other}'"))),
        })
    }
    /// The name `parse` takes.
    pub fn name(self) -> String {
        match self {
            BertWeights::Mixed => "mixed".into(),
            BertWeights::Uniform(d) => d.name().to_lowercase(),
        }
    }

    fn table(self) -> DType {
        match self {
            BertWeights::Mixed => DType::Q8_0,
            BertWeights::Uniform(d) => d,
        }
    }
    fn layers(self) -> DType {
        match self {
            BertWeights::Mixed => DType::F16,
            BertWeights::Uniform(d) => d,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BertOptions {
    /// GPU formats of the weight matrices.
    pub quant: BertWeights,
    pub pooling: Pooling,
    pub normalize: bool,
    /// Most sentences per forward.
    pub batch: usize,
    /// Longest sequence (tokens incl. [CLS]/[SEP]); 0 = the model's own (`max_seq_length` of
    /// sentence_bert_config.json, else its position count).
    pub max_seq_len: usize,
}

impl Default for BertOptions {
    fn default() -> Self {
        BertOptions { quant: BertWeights::Uniform(DType::BF16), pooling: Pooling::Mean, normalize: true, batch: 32, max_seq_len: 0 }
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
    spans: wgpu::Buffer,
    step: wgpu::Buffer,
    pooled: wgpu::Buffer,
    staging: wgpu::Buffer,
    program: Vec<Dispatch>,
    _keep: (Vec<Layer>, Vec<wgpu::Buffer>, GpuMatrix),
}

/// Where the encoder's tensors come from. Tensors are named here by their Hugging Face names
/// (without the optional `bert.` prefix); GGUF files use llama.cpp's names (`gguf_name`).
pub enum BertSource<'a> {
    /// A safetensors checkpoint (F32/F16/BF16), quantized at load to the chosen `BertWeights`.
    SafeTensors(&'a SafeTensors, &'a [u8]),
    /// A GGUF file (`general.architecture = bert`); its matrices keep their stored format.
    Gguf(&'a Gguf, &'a [u8]),
}

/// llama.cpp's tensor name for a Hugging Face BERT tensor name.
fn gguf_name(hf: &str) -> String {
    const EMBEDDINGS: [(&str, &str); 4] = [
        ("embeddings.word_embeddings.", "token_embd."),
        ("embeddings.position_embeddings.", "position_embd."),
        ("embeddings.token_type_embeddings.", "token_types."),
        ("embeddings.LayerNorm.", "token_embd_norm."),
    ];
    const LAYER: [(&str, &str); 8] = [
        ("attention.self.query.", "attn_q."),
        ("attention.self.key.", "attn_k."),
        ("attention.self.value.", "attn_v."),
        ("attention.output.dense.", "attn_output."),
        ("attention.output.LayerNorm.", "attn_output_norm."),
        ("intermediate.dense.", "ffn_up."),
        ("output.dense.", "ffn_down."),
        ("output.LayerNorm.", "layer_output_norm."),
    ];
    if let Some((from, to)) = EMBEDDINGS.iter().find(|(from, _)| hf.starts_with(from)) {
        return format!("{to}{}", &hf[from.len()..]);
    }
    if let Some(rest) = hf.strip_prefix("encoder.layer.") {
        if let Some((n, rest)) = rest.split_once('.') {
            if let Some((from, to)) = LAYER.iter().find(|(from, _)| rest.starts_with(from)) {
                return format!("blk.{n}.{to}{}", &rest[from.len()..]);
            }
        }
    }
    hf.to_string()
}

struct Loader<'a> {
    ctx: &'a GpuContext,
    source: BertSource<'a>,
    /// "bert." when a safetensors checkpoint names its tensors so.
    prefix: &'static str,
    bytes: u64,
}

impl Loader<'_> {
    fn name(&self, n: &str) -> String {
        match self.source {
            BertSource::SafeTensors(..) => format!("{}{n}", self.prefix),
            BertSource::Gguf(..) => gguf_name(n),
        }
    }
    fn n_elements(&self, n: &str) -> Option<u64> {
        let name = self.name(n);
        match self.source {
            BertSource::SafeTensors(st, _) => st.tensor(&name).map(|t| t.shape.iter().product()),
            BertSource::Gguf(g, _) => g.tensor(&name).map(|t| t.n_elements()),
        }
    }
    fn values(&self, n: &str, len: usize) -> Result<Vec<f32>> {
        let name = self.name(n);
        let v = match self.source {
            BertSource::SafeTensors(st, file) => st.f32(file, &name)?,
            BertSource::Gguf(g, file) => {
                let t = g.tensor(&name).ok_or_else(|| HearthError::MissingTensor(name.clone()))?;
                dequantize(t.dtype()?, g.tensor_bytes(file, t))
            }
        };
        if v.len() != len {
            return Err(HearthError::Malformed(format!("tensor '{name}' has {} values, expected {len}", v.len())));
        }
        Ok(v)
    }
    fn vector(&mut self, n: &str, len: u32) -> Result<wgpu::Buffer> {
        let v = self.values(n, len as usize)?;
        self.bytes += len as u64 * 4;
        self.ctx.storage_buffer_init(&self.name(n), bytemuck::cast_slice(&v))
    }
    /// A `rows × cols` matrix: a GGUF's as stored, a checkpoint's quantized to `dtype` (F32 when
    /// `cols` is not a whole number of blocks).
    fn matrix(&mut self, n: &str, rows: u32, cols: u32, dtype: DType) -> Result<GpuMatrix> {
        let name = self.name(n);
        let m = match self.source {
            BertSource::Gguf(g, file) => {
                let t = g.tensor(&name).ok_or_else(|| HearthError::MissingTensor(name.clone()))?;
                if t.rows_cols() != (rows as u64, cols as u64) {
                    return Err(HearthError::Malformed(format!("tensor '{name}' is {:?}, expected {rows}×{cols}", t.rows_cols())));
                }
                GpuMatrix::upload(self.ctx, &name, t.dtype()?, rows as u64, cols as u64, g.tensor_bytes(file, t))?
            }
            BertSource::SafeTensors(..) => {
                let v = self.values(n, rows as usize * cols as usize)?;
                let dtype = if cols % 32 == 0 || !dtype.is_quantized() { dtype } else { DType::F32 };
                GpuMatrix::upload(self.ctx, &name, dtype, rows as u64, cols as u64, &quantize(dtype, &v))?
            }
        };
        self.bytes += m.bytes;
        Ok(m)
    }
}

impl Bert {
    pub fn load(ctx: Arc<GpuContext>, config: BertConfig, source: BertSource, options: BertOptions) -> Result<Bert> {
        if let BertWeights::Uniform(d) = options.quant {
            if !matches!(d, DType::Q8_0 | DType::F16 | DType::BF16 | DType::F32) {
                return Err(HearthError::InvalidArgument(format!("embedding weights can be q8_0, f16, bf16 or f32, not {}", d.name())));
            }
        }
        if options.batch == 0 || options.max_seq_len < 2 || options.max_seq_len > config.max_position_embeddings as usize {
            return Err(HearthError::InvalidArgument(format!("batch {} / max_seq_len {} (model positions: {})", options.batch, options.max_seq_len, config.max_position_embeddings)));
        }
        // A forward launches up to one workgroup row per token (the embedding gather, the
        // position rows, and on GPU adapters the tiled attention).
        let max_groups = ctx.device.limits().max_compute_workgroups_per_dimension as usize;
        let capacity = options.batch.checked_mul(options.max_seq_len).filter(|&c| c <= max_groups).ok_or_else(|| {
            HearthError::InvalidArgument(format!("batch {} × max_seq_len {} tokens per forward is more than this adapter's {max_groups} workgroups per dimension allow; lower batch or max_seq_len", options.batch, options.max_seq_len))
        })?;
        let c = &config;
        let (d, f) = (c.hidden_size, c.intermediate_size);
        // Checkpoints name tensors with or without the "bert." prefix.
        let prefix = match source {
            BertSource::SafeTensors(st, _) if st.tensor("bert.embeddings.word_embeddings.weight").is_some() => "bert.",
            _ => "",
        };
        let mut ld = Loader { ctx: &ctx, source, prefix, bytes: 0 };
        let word = ld.matrix("embeddings.word_embeddings.weight", c.vocab_size, d, options.quant.table())?;
        let wt = options.quant.layers();
        let pos = ld.values("embeddings.position_embeddings.weight", (c.max_position_embeddings * d) as usize)?;
        let ty = ld.values("embeddings.token_type_embeddings.weight", ld.n_elements("embeddings.token_type_embeddings.weight").unwrap_or(0) as usize)?;
        if ty.len() < d as usize {
            return Err(HearthError::Malformed(format!("token type embeddings hold {} values, fewer than one row of {d}", ty.len())));
        }
        let table: Vec<f32> = pos.iter().enumerate().map(|(i, p)| p + ty[i % d as usize]).collect();
        let pos_table = ctx.storage_buffer_init("position_table", bytemuck::cast_slice(&table))?;
        let emb_g = ld.vector("embeddings.LayerNorm.weight", d)?;
        let emb_b = ld.vector("embeddings.LayerNorm.bias", d)?;
        let mut layers = Vec::new();
        for l in 0..c.num_hidden_layers {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            layers.push(Layer {
                q: ld.matrix(&p("attention.self.query.weight"), d, d, wt)?,
                q_b: ld.vector(&p("attention.self.query.bias"), d)?,
                k: ld.matrix(&p("attention.self.key.weight"), d, d, wt)?,
                k_b: ld.vector(&p("attention.self.key.bias"), d)?,
                v: ld.matrix(&p("attention.self.value.weight"), d, d, wt)?,
                v_b: ld.vector(&p("attention.self.value.bias"), d)?,
                o: ld.matrix(&p("attention.output.dense.weight"), d, d, wt)?,
                o_b: ld.vector(&p("attention.output.dense.bias"), d)?,
                ln1_g: ld.vector(&p("attention.output.LayerNorm.weight"), d)?,
                ln1_b: ld.vector(&p("attention.output.LayerNorm.bias"), d)?,
                up: ld.matrix(&p("intermediate.dense.weight"), f, d, wt)?,
                up_b: ld.vector(&p("intermediate.dense.bias"), f)?,
                down: ld.matrix(&p("output.dense.weight"), d, f, wt)?,
                down_b: ld.vector(&p("output.dense.bias"), d)?,
                ln2_g: ld.vector(&p("output.LayerNorm.weight"), d)?,
                ln2_b: ld.vector(&p("output.LayerNorm.bias"), d)?,
            });
        }
        let weight_bytes = ld.bytes;

        let rows = |n: u32| n as u64 * 4 * capacity as u64;
        let act = |label: &str, n: u32| ctx.storage_buffer(label, rows(n));
        let (e, x, y) = (act("e", d)?, act("x", d)?, act("y", d)?);
        let (q, k, v, attn) = (act("q", d)?, act("k", d)?, act("v", d)?, act("attn", d)?);
        // The intermediate activations, gelu(x·Wᵀ + b) (GELU fused into the matrix launch).
        let gelu = act("gelu", f)?;
        let ids = ctx.storage_buffer("ids", 4 * capacity as u64)?;
        let spans = ctx.storage_buffer("spans", 8 * options.batch as u64)?;
        let step = ctx.uniform_buffer("step", 16);
        let pooled_bytes = d as u64 * 4 * options.batch as u64;
        let pooled = ctx.storage_buffer("pooled", pooled_bytes)?;
        let staging = ctx.staging_buffer("pooled.staging", pooled_bytes);
        let gpu_bytes = weight_bytes + table.len() as u64 * 4 + rows(d) * 7 + rows(f) + pooled_bytes;

        let eps = c.layer_norm_eps as f32;
        let shape = AttentionShape { heads: c.num_attention_heads, kv_heads: c.num_attention_heads, head_dim: d / c.num_attention_heads, scale: 1.0 / ((d / c.num_attention_heads) as f32).sqrt() };
        // Matrix launches with x, y and W of fixed lengths where the adapter wants them
        // (`kernels::matmul_sized`): q, k, v and the output projection read and write
        // [T, hidden] buffers with hidden × hidden weights, so they share one pipeline; the
        // intermediate and down projections get one each.
        let mm = |x: &wgpu::Buffer, out: &wgpu::Buffer, w: &GpuMatrix, b: &wgpu::Buffer, acc: bool| kernels::matmul_sized(&ctx, &step, x, out, w, Some(b), acc);
        let mut p = vec![
            kernels::embed(&ctx, &word, &ids, &e)?,
            kernels::add_rows(&ctx, &step, &e, &pos_table, &spans, d)?,
            kernels::layer_norm(&ctx, &step, &e, &x, &emb_g, &emb_b, d, eps)?,
        ];
        for l in &layers {
            p.push(mm(&x, &q, &l.q, &l.q_b, false)?);
            p.push(mm(&x, &k, &l.k, &l.k_b, false)?);
            p.push(mm(&x, &v, &l.v, &l.v_b, false)?);
            p.push(kernels::encoder_attention(&ctx, &step, &q, &attn, &k, &v, &spans, shape)?);
            p.push(mm(&attn, &x, &l.o, &l.o_b, true)?);
            p.push(kernels::layer_norm(&ctx, &step, &x, &y, &l.ln1_g, &l.ln1_b, d, eps)?);
            p.push(kernels::matmul_gelu(&ctx, &step, &y, &gelu, &l.up, Some(&l.up_b))?);
            p.push(mm(&gelu, &y, &l.down, &l.down_b, true)?);
            p.push(kernels::layer_norm(&ctx, &step, &y, &x, &l.ln2_g, &l.ln2_b, d, eps)?);
        }
        p.push(kernels::pool(&ctx, &x, &pooled, &spans, d, options.pooling, options.normalize)?);
        ctx.check()?;
        let keep = vec![pos_table, emb_g, emb_b, e, x, y, q, k, v, attn, gelu];
        Ok(Bert { config, options, ctx, capacity, gpu_bytes, ids, spans, step, pooled, staging, program: p, _keep: (layers, keep, word) })
    }

    /// Wait until the program's pipelines are compiled (in browsers they compile in the
    /// background from load on; natively this returns at once).
    pub async fn ready(&self) -> Result<()> {
        ready(&self.ctx, &self.program).await
    }

    /// Embeddings of up to `options.batch` token sequences (each 1..=max_seq_len tokens), in one
    /// forward over their tokens packed end to end.
    pub async fn forward(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let d = self.config.hidden_size as usize;
        let step = self.write_batch(seqs)?;
        let ctx = &self.ctx;
        self.ready().await?;
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("encode") });
        encode(&mut enc, &self.program, &step)?;
        let bytes = (seqs.len() * d * 4) as u64;
        enc.copy_buffer_to_buffer(&self.pooled, 0, &self.staging, 0, bytes);
        ctx.queue.submit([enc.finish()]);
        let raw = ctx.read_staging(&self.staging, bytes).await?;
        Ok(bytemuck::cast_slice::<u8, f32>(&raw).chunks(d).map(|c| c.to_vec()).collect())
    }

    /// Time each kernel family of a forward over `seqs` apart
    /// (`gpu::dispatch::profile_families`). Returns (label, ms) per family.
    pub async fn profile(&self, seqs: &[Vec<u32>]) -> Result<Vec<(&'static str, f64)>> {
        let step = self.write_batch(seqs)?;
        self.ready().await?;
        crate::gpu::dispatch::profile_families(&self.ctx, &self.program, &step).await
    }

    /// Check a batch and write its token ids (packed end to end), each sequence's span (first
    /// token, tokens) and the step uniforms to the GPU.
    fn write_batch(&self, seqs: &[Vec<u32>]) -> Result<Step> {
        let seq_len = seqs.iter().map(Vec::len).max().unwrap_or(0);
        if seqs.is_empty() || seqs.len() > self.options.batch || seqs.iter().any(|s| s.is_empty()) || seq_len > self.options.max_seq_len {
            return Err(HearthError::InvalidArgument(format!("a batch holds 1..={} sequences of 1..={} tokens", self.options.batch, self.options.max_seq_len)));
        }
        if let Some(bad) = seqs.iter().flatten().find(|&&i| i >= self.config.vocab_size) {
            return Err(HearthError::InvalidArgument(format!("token id {bad} is outside the vocabulary of {}", self.config.vocab_size)));
        }
        let ids: Vec<u32> = seqs.concat();
        let mut start = 0;
        let spans: Vec<[u32; 2]> = seqs.iter().map(|s| {
            let span = [start, s.len() as u32];
            start += s.len() as u32;
            span
        }).collect();
        let step = Step { n_tokens: ids.len() as u32, pos0: 0, seq_len: seq_len as u32, n_seqs: seqs.len() as u32 };
        self.ctx.queue.write_buffer(&self.ids, 0, bytemuck::cast_slice(&ids));
        self.ctx.queue.write_buffer(&self.spans, 0, bytemuck::cast_slice(&spans));
        self.ctx.queue.write_buffer(&self.step, 0, bytemuck::bytes_of(&step));
        Ok(step)
    }
}
