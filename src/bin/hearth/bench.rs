//! `hearth bench`: the native half of the measuring stick (the browser half is bench/page.html).
//! One JSON object: the adapter's own limits (streaming read, FMA) measured in the same run,
//! load time, GPU memory, prefill and decode on the exact-id prompts of
//! ../shared/peers/prompts.json (greedy, end-of-generation ignored, as the peers run), decode and
//! prefill as fractions of the limits, embeddings sentences/s at batch 1 and 32, and the fixed
//! per-token cost on a generated 2-layer model.

use hearth::embedder::{Embedder, ModelFiles};
use hearth::gguf::{write::GgufWriter, Value};
use hearth::gpu::limits::median;
use hearth::model::bert::BertOptions;
use hearth::{GenerateOptions, GpuContext, GpuOptions, HearthError, LlamaOptions, Result, TextModel};
use serde_json::{json, Value as Json};
use std::path::Path;
use std::sync::Arc;
use web_time::Instant;

pub struct BenchArgs {
    pub model: String,
    pub embed_model: Option<String>,
    pub prompts: String,
    pub sentences: Option<String>,
    pub decode: usize,
    pub runs: usize,
    pub gpu: GpuOptions,
    pub limits_mib: u64,
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| HearthError::Io(format!("{path}: {e}")))
}

fn json_file(path: &str) -> Result<Json> {
    serde_json::from_slice(&read(path)?).map_err(|e| HearthError::InvalidArgument(format!("{path}: {e}")))
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// A profile's (label, ms) pairs to 2 decimals.
fn rounded(v: Vec<(&'static str, f64)>) -> Vec<(&'static str, f64)> {
    v.into_iter().map(|(k, ms)| (k, round(ms, 2))).collect()
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Greedy generation of `decode` tokens after `ids` from an empty cache (end-of-generation ignored).
async fn generate(model: &mut TextModel, ids: &[u32], decode: usize) -> Result<hearth::Completion> {
    model.llama.reset();
    let mut options = GenerateOptions { max_tokens: decode + 1, ignore_eos: true, ..Default::default() };
    options.sampling.temperature = 0.0;
    hearth::complete(model, ids, &options, |_| {}).await
}

async fn prompt_case(model: &mut TextModel, ids: &[u32], args: &BenchArgs, limits: &hearth::gpu::limits::DeviceLimits) -> Result<Json> {
    let mut runs = Vec::new();
    for _ in 0..args.runs.max(1) {
        runs.push(generate(model, ids, args.decode).await?);
    }
    let pick = |f: fn(&hearth::Completion) -> f64| median(runs.iter().map(f).collect());
    let (prefill, decode) = (pick(|c| c.prefill_tok_s), pick(|c| c.decode_tok_s));
    let n = ids.len() as u64;
    let cost = model.llama.cost;
    // Decode reads every weight plus the KV cache up to the current position (its mean here).
    let decode_limit = limits.read_gbps * 1e9 / cost.decode_bytes(n as f64 + args.decode as f64 / 2.0);
    let prefill_limit = limits.fma_gflops * 1e9 / (cost.prefill_flops(n) / n as f64);
    let first = &runs[0];
    Ok(json!({
        "prompt_tokens": n,
        "decode_tokens": first.ids.len().saturating_sub(1),
        "runs": runs.len(),
        "prefill_tok_s": round(prefill, 3),
        "ttft_ms": round(pick(|c| c.ttft_ms), 1),
        "decode_tok_s": round(decode, 3),
        "tpot_ms": round(pick(|c| c.tpot_ms), 2),
        "prefill_limit_tok_s": round(prefill_limit, 2),
        "decode_limit_tok_s": round(decode_limit, 2),
        "prefill_fraction": round(prefill / prefill_limit, 4),
        "decode_fraction": round(decode / decode_limit, 4),
        "text_start": first.text.chars().take(120).collect::<String>(),
    }))
}

/// A llama-family GGUF with `layers` layers of width 64 and random f32 weights (no tokenizer:
/// the overhead measurement drives `Llama` with ids).
pub fn tiny_llama(layers: u32) -> Vec<u8> {
    let (d, ff, vocab, heads, kv_heads) = (64u64, 128u64, 256u64, 4u32, 2u32);
    let kvd = d / heads as u64 * kv_heads as u64;
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut values = |n: u64, scale: f32| -> Vec<u8> {
        (0..n)
            .flat_map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * scale).to_le_bytes()
            })
            .collect()
    };
    let mut w = GgufWriter::default();
    w.meta("general.architecture", Value::String("llama".into()))
        .meta("llama.block_count", Value::U32(layers))
        .meta("llama.embedding_length", Value::U32(d as u32))
        .meta("llama.feed_forward_length", Value::U32(ff as u32))
        .meta("llama.attention.head_count", Value::U32(heads))
        .meta("llama.attention.head_count_kv", Value::U32(kv_heads))
        .meta("llama.context_length", Value::U32(512));
    let ones = (0..d).flat_map(|_| 1f32.to_le_bytes()).collect::<Vec<u8>>();
    w.tensor("token_embd.weight", &[d, vocab], 0, values(d * vocab, 0.5));
    w.tensor("output_norm.weight", &[d], 0, ones.clone());
    for l in 0..layers {
        let n = |s: &str| format!("blk.{l}.{s}.weight");
        w.tensor(&n("attn_norm"), &[d], 0, ones.clone());
        w.tensor(&n("ffn_norm"), &[d], 0, ones.clone());
        for (name, rows, cols) in [("attn_q", d, d), ("attn_k", kvd, d), ("attn_v", kvd, d), ("attn_output", d, d), ("ffn_gate", ff, d), ("ffn_up", ff, d), ("ffn_down", d, ff)] {
            w.tensor(&n(name), &[cols, rows], 0, values(rows * cols, 0.2));
        }
    }
    w.to_bytes()
}

/// Decode steps of a tiny generated model (GPU work negligible): (µs per token, dispatches).
async fn tiny_decode(ctx: Arc<GpuContext>, layers: u32) -> Result<(f64, usize)> {
    let file = tiny_llama(layers);
    let g = hearth::gguf::parse(&file)?;
    let mut llama = hearth::Llama::load(ctx, &g, &file[..].into(), &LlamaOptions::default())?;
    let prompt: Vec<u32> = (0..16).collect();
    llama.forward(&prompt).await?;
    let mut times = Vec::new();
    let mut next = 0u32;
    for _ in 0..64 {
        let t = Instant::now();
        next = llama.forward_argmax(&[next]).await?;
        times.push(ms(t) * 1e3);
    }
    Ok((median(times), llama.decode_dispatches()))
}

/// Per-token fixed cost: the greedy decode step of a 2-layer model (recording + submit + wait +
/// 4-byte read-back + launching each kernel), and per launch, from a 2- vs 16-layer model.
async fn overhead(ctx: Arc<GpuContext>) -> Result<Json> {
    let (t2, d2) = tiny_decode(ctx.clone(), 2).await?;
    let (t16, d16) = tiny_decode(ctx, 16).await?;
    Ok(json!({
        "model": "generated llama, 2 layers, width 64, vocab 256",
        "dispatches_per_token": d2,
        "submits_per_token": 1,
        "per_token_us": round(t2, 1),
        "per_dispatch_us": round((t16 - t2) / (d16 - d2) as f64, 1),
        "per_token_us_16_layers": round(t16, 1),
    }))
}

/// Embeddings: load, the sentences in one batch of 32 (median of `runs`), then one at a time.
async fn embeddings(ctx: Arc<GpuContext>, path: &str, sentences: &[String], runs: usize) -> Result<Json> {
    let p = Path::new(path);
    let t = Instant::now();
    let load = |batch: usize| -> Result<Embedder> {
        let options = BertOptions { batch, ..Default::default() };
        if p.is_file() {
            return Embedder::load_gguf(ctx.clone(), &read(path)?, options, false);
        }
        let f = |name: &str| read(&p.join(name).to_string_lossy());
        let (config, weights, tokenizer) = (f("config.json")?, f("model.safetensors")?, f("tokenizer.json")?);
        let (sbert, pooling) = (f("sentence_bert_config.json").ok(), f("1_Pooling/config.json").ok());
        let files = ModelFiles { config: &config, weights: &weights, tokenizer: &tokenizer, sentence_bert_config: sbert.as_deref(), pooling_config: pooling.as_deref() };
        Embedder::load(ctx.clone(), &files, options, false)
    };
    let embedder = load(32)?;
    let load_ms = ms(t);
    embedder.embed(&sentences[..2]).await?; // warm-up
    let t = Instant::now();
    let all = embedder.embed(sentences).await?;
    let mut batches = vec![ms(t)];
    for _ in 1..runs {
        let t = Instant::now();
        embedder.embed(sentences).await?;
        batches.push(ms(t));
    }
    let batch32_ms = median(batches.clone());
    // Where a forward's time goes: each kernel family apart, batch 32 (ids in length order, as
    // `embed` batches them) and batch 1.
    let mut by_len = all.input_ids.clone();
    by_len.sort_by_key(Vec::len);
    let profile = json!({ "batch32": rounded(pollster::block_on(embedder.bert.profile(&by_len))?), "batch1": rounded(pollster::block_on(embedder.bert.profile(&by_len[..1]))?) });
    let mut single = Vec::new();
    let t = Instant::now();
    for s in sentences {
        let t = Instant::now();
        embedder.embed(std::slice::from_ref(s)).await?;
        single.push(ms(t));
    }
    let batch1_total = ms(t);
    Ok(json!({
        "model": path,
        "quant": embedder.bert.options.quant.name(),
        "sentences": sentences.len(),
        "runs": batches.len(),
        "load_ms": round(load_ms, 1),
        "gpu_bytes": embedder.bert.gpu_bytes,
        "batch32_ms": round(batch32_ms, 1),
        "batch32_sentences_s": round(sentences.len() as f64 / batch32_ms * 1e3, 3),
        "batch1_ms": round(median(single), 2),
        "batch1_sentences_s": round(sentences.len() as f64 / batch1_total * 1e3, 3),
        "profile_ms": profile,
    }))
}

/// Where load time goes (`TextModel::load_phases`, then the wait for the GPU), from a throwaway
/// load on a device of its own, so no pipeline comes from the first load's cache.
async fn load_phases(options: &GpuOptions, file: &[u8]) -> Result<Json> {
    let ctx = GpuContext::new(options).await?;
    let model = hearth::TextModel::load(ctx.clone(), file, None, &LlamaOptions::default())?;
    let t = Instant::now();
    ctx.wait_idle().await?;
    let p = model.load_phases;
    Ok(json!({ "parse": p.parse, "tokenizer": p.tokenizer, "weights_and_pipelines": p.weights_and_pipelines, "gpu_wait": round(ms(t), 1) }))
}

/// Each kernel family's ms in a decode step at the current cache length (mean of 4 steps).
fn profile_decode(llama: &mut hearth::model::llama::Llama) -> Result<Vec<(&'static str, f64)>> {
    let mut total: Vec<(&'static str, f64)> = Vec::new();
    for _ in 0..4 {
        for (k, ms) in llama.profile(&[0])? {
            match total.iter_mut().find(|(l, _)| *l == k) {
                Some(e) => e.1 += ms / 4.0,
                None => total.push((k, ms / 4.0)),
            }
        }
    }
    Ok(total)
}

pub async fn run(args: &BenchArgs) -> Result<Json> {
    let prompts = json_file(&args.prompts)?;
    let ids = |key: &str| -> Result<Vec<u32>> {
        prompts[key]["tokens"]
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_u64().map(|x| x as u32)).collect::<Option<Vec<u32>>>())
            .ok_or_else(|| HearthError::InvalidArgument(format!("{}: no {key}.tokens id list", args.prompts)))
    };
    let file = read(&args.model)?;
    let t = Instant::now();
    let ctx = GpuContext::new(&args.gpu).await?;
    let device_ms = ms(t);
    let limits = hearth::gpu::limits::measure(&ctx, args.limits_mib, 5).await?;
    let t = Instant::now();
    let mut model = TextModel::load(ctx.clone(), &file, None, &LlamaOptions::default())?;
    // Ready = the weights are on the GPU and every pipeline is built.
    ctx.wait_idle().await?;
    let load_ms = ms(t);
    let phases = load_phases(&args.gpu, &file).await?;
    // Warm-up: a short prefill and a few decode steps (first-use costs of every pipeline).
    generate(&mut model, &ids("p128")?[..16], 3).await?;
    let p128 = prompt_case(&mut model, &ids("p128")?, args, &limits).await?;
    let p512 = prompt_case(&mut model, &ids("p512")?, args, &limits).await?;
    // The greedy pick on the GPU (4-byte read-back) against reading all logits and picking on
    // the CPU: decode steps alternating between the two, after the 128-token prompt.
    model.llama.reset();
    model.llama.forward(&ids("p128")?).await?;
    let (mut full, mut picked) = (Vec::new(), Vec::new());
    let mut next = 0u32;
    for _ in 0..8 {
        let t = Instant::now();
        next = hearth::generate::argmax(&model.llama.forward(&[next]).await?);
        full.push(ms(t));
        let t = Instant::now();
        next = model.llama.forward_argmax(&[next]).await?;
        picked.push(ms(t));
    }
    let greedy = json!({ "logits_readback_ms": round(median(full), 2), "gpu_argmax_ms": round(median(picked), 2) });
    // Where the time goes: each kernel family timed alone (its launches in one submit).
    model.llama.reset();
    let prefill_profile = rounded(model.llama.profile(&ids("p128")?)?);
    let decode_profile = profile_decode(&mut model.llama)?;
    // The same after the 512-token prompt (attention reads 4× the cache).
    model.llama.reset();
    model.llama.forward(&ids("p512")?).await?;
    let decode_profile_512 = profile_decode(&mut model.llama)?;
    let llama = &model.llama;
    let info = &ctx.adapter_info;
    let mut out = json!({
        "engine": "hearth",
        "runtime": "native",
        "version": env!("CARGO_PKG_VERSION"),
        "adapter": { "name": info.name, "driver": info.driver, "driver_info": info.driver_info, "backend": format!("{:?}", info.backend), "device_type": format!("{:?}", info.device_type), "f16": ctx.f16 },
        "limits": { "read_GBps": round(limits.read_gbps, 3), "read_patterns": limits.read_patterns, "read_mib": limits.read_mib, "fma_GFLOPs": round(limits.fma_gflops, 2) },
        "model": { "file": args.model, "file_bytes": file.len(), "context": llama.context, "cost": llama.cost },
        "device_ms": round(device_ms, 1),
        "load_ms": round(load_ms, 1),
        "load_phases_ms": phases,
        "gpu_bytes": llama.gpu_bytes,
        "kv_bytes": llama.kv_bytes,
        // The target: GPU memory ≤ 1.1 × file + KV cache.
        "gpu_bytes_budget": (1.1 * file.len() as f64) as u64 + llama.kv_bytes,
        "gpu_bytes_without_kv_over_file": round((llama.gpu_bytes - llama.kv_bytes) as f64 / file.len() as f64, 4),
        "p128": p128,
        "p512": p512,
        "decode_step_ms": greedy,
        "profile_ms": { "prefill_128": prefill_profile, "decode_at_128": rounded(decode_profile), "decode_at_512": rounded(decode_profile_512) },
    });
    drop(model);
    if let (Some(path), Some(sentences)) = (&args.embed_model, &args.sentences) {
        let s: Vec<String> = serde_json::from_value(json_file(sentences)?["sentences"].clone())
            .map_err(|e| HearthError::InvalidArgument(format!("{sentences}: sentences: {e}")))?;
        out["embeddings"] = embeddings(ctx.clone(), path, &s, args.runs).await?;
    }
    out["overhead"] = overhead(ctx.clone()).await?;
    Ok(out)
}
