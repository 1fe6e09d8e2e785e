//! all-MiniLM-L6-v2 against sentence-transformers (../shared/golden/public/embed_cases.json):
//! input ids exact; per-sentence cosine and max |Δ| per weight format; cosine pairs; batch of
//! 16 = batch of 1; unit norms; fixed-length bindings (SwiftShader's) = runtime-sized ones.

mod common;
use hearth::embedder::{Embedder, Embeddings, ModelFiles};
use hearth::model::bert::{BertOptions, BertWeights};
use hearth::quant::DType;

fn embed(quant: BertWeights, batch: usize, texts: &[String]) -> Embeddings {
    embed_on(common::gpu(true), quant, batch, texts)
}

fn embed_on(ctx: std::sync::Arc<hearth::GpuContext>, quant: BertWeights, batch: usize, texts: &[String]) -> Embeddings {
    let dir = common::root().join("models/all-MiniLM-L6-v2");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e} (run scripts/fetch-models.sh)"));
    let (config, weights, tokenizer, sbert, pooling) = (read("config.json"), read("model.safetensors"), read("tokenizer.json"), read("sentence_bert_config.json"), read("1_Pooling/config.json"));
    let files = ModelFiles { config: &config, weights: &weights, tokenizer: &tokenizer, sentence_bert_config: Some(&sbert), pooling_config: Some(&pooling) };
    let e = Embedder::load(ctx, &files, BertOptions { quant, batch, ..Default::default() }, false).unwrap();
    assert_eq!(e.bert.options.max_seq_len, 256, "max_seq_length from sentence_bert_config.json");
    pollster::block_on(e.embed(texts)).unwrap()
}

fn cosine(a: &[f32], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * y).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    dot / (na * nb)
}

#[test]
fn embeddings_match_sentence_transformers() {
    let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(common::golden_dir().join("embed_cases.json")).unwrap()).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    let texts: Vec<String> = cases.iter().map(|c| c["text"].as_str().unwrap().to_string()).collect();
    // (format, cosine floor, max |Δ| bound): the golden tolerances (0.9999, 1e-3) for the default
    // (BF16) and mixed, tighter for F16/F32; uniform Q8_0 is held to the hard floor (measured
    // 0.99956, 4.7e-3).
    assert_eq!(BertOptions::default().quant, BertWeights::Uniform(DType::BF16));
    let cases_by_format = [
        (BertWeights::Uniform(DType::F32), 0.999999, 1e-5),
        (BertWeights::Uniform(DType::F16), 0.99999, 5e-4),
        (BertWeights::Uniform(DType::BF16), 0.9999, 1e-3),
        (BertWeights::Mixed, 0.9999, 1e-3),
        (BertWeights::Uniform(DType::Q8_0), 0.999, 1e-2),
    ];
    for (quant, min_cos, max_abs) in cases_by_format {
        let out = embed(quant, 32, &texts);
        let (mut worst_cos, mut worst_abs) = (1f64, 0f64);
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(out.input_ids[i], common::ids(&c["input_ids"]), "input ids of sentence {i}");
            assert_eq!(out.truncated[i], c["truncated"].as_bool().unwrap(), "truncation of sentence {i}");
            let g = common::floats(&c["embedding"]);
            let cos = cosine(&out.embeddings[i], &g);
            let abs = out.embeddings[i].iter().zip(&g).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
            worst_cos = worst_cos.min(cos);
            worst_abs = worst_abs.max(abs);
            let norm: f32 = out.embeddings[i].iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() <= 1e-5, "norm {norm}");
        }
        eprintln!("SUMMARY {quant:?}: worst cosine {worst_cos:.7}, max |Δ| {worst_abs:.2e}");
        assert!(worst_cos >= min_cos && worst_abs <= max_abs, "{quant:?}: worst cosine {worst_cos}, max |Δ| {worst_abs}");
        if quant == BertWeights::Uniform(DType::F32) {
            for p in golden["cosine_pairs"].as_array().unwrap() {
                let (i, j) = (p["i"].as_u64().unwrap() as usize, p["j"].as_u64().unwrap() as usize);
                let c: f64 = out.embeddings[i].iter().zip(&out.embeddings[j]).map(|(a, b)| (*a as f64) * (*b as f64)).sum();
                assert!((c - p["cos"].as_f64().unwrap()).abs() <= 1e-3, "pair {i},{j}: {c} vs {}", p["cos"]);
            }
        }
    }
}

#[test]
fn batch_of_16_equals_batch_of_1() {
    let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(common::golden_dir().join("embed_cases.json")).unwrap()).unwrap();
    let texts: Vec<String> = golden["cases"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap().to_string()).filter(|t| t.len() < 200).take(16).collect();
    assert_eq!(texts.len(), 16);
    let quant = BertOptions::default().quant;
    let batched = embed(quant, 16, &texts);
    let single = embed(quant, 1, &texts);
    let diff = batched.embeddings.iter().flatten().zip(single.embeddings.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(diff <= 1e-5, "batch 16 vs batch 1: {diff}");
}

/// The encoder's launches with their buffers declared at fixed lengths
/// (`GpuContext::sized_bindings`, SwiftShader's default) compute what they compute without.
#[test]
fn sized_bindings_change_nothing() {
    let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(common::golden_dir().join("embed_cases.json")).unwrap()).unwrap();
    let texts: Vec<String> = golden["cases"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap().to_string()).collect();
    let quant = BertOptions::default().quant;
    let ctx = |sized| common::gpu_with(&hearth::GpuOptions { no_f16: true, sized_bindings: Some(sized), ..Default::default() });
    let sized_ctx = ctx(true);
    assert!(sized_ctx.sized_bindings);
    for batch in [32, 1] {
        let plain = embed_on(ctx(false), quant, batch, &texts);
        let sized = embed_on(sized_ctx.clone(), quant, batch, &texts);
        let diff = plain.embeddings.iter().flatten().zip(sized.embeddings.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(diff <= 1e-6, "batch {batch}: sized vs runtime-sized bindings differ by {diff}");
    }
}

/// A BERT GGUF written from the checkpoint the way llama.cpp's `convert_hf_to_gguf.py` writes
/// one (`--outtype f16`): llama.cpp tensor names, 2-D weights in F16, vectors and the
/// position/token-type tables in F32, `bert.*` metadata, the WordPiece vocabulary in "phantom
/// space" form ('▁' on word-initial pieces, "##" dropped from continuations).
fn gguf_from_checkpoint(dir: &std::path::Path) -> Vec<u8> {
    use hearth::gguf::{write::GgufWriter, Value};
    let file = std::fs::read(dir.join("model.safetensors")).unwrap();
    let st = hearth::safetensors::parse(&file).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let u = |k: &str| Value::U32(config[k].as_u64().unwrap() as u32);
    let mut w = GgufWriter::default();
    w.meta("general.architecture", Value::String("bert".into()))
        .meta("bert.block_count", u("num_hidden_layers"))
        .meta("bert.context_length", u("max_position_embeddings"))
        .meta("bert.embedding_length", u("hidden_size"))
        .meta("bert.feed_forward_length", u("intermediate_size"))
        .meta("bert.attention.head_count", u("num_attention_heads"))
        .meta("bert.attention.layer_norm_epsilon", Value::F32(config["layer_norm_eps"].as_f64().unwrap() as f32))
        .meta("bert.attention.causal", Value::Bool(false))
        .meta("bert.pooling_type", Value::U32(1))
        .meta("tokenizer.ggml.model", Value::String("bert".into()));
    let vocab = std::fs::read_to_string(dir.join("vocab.txt")).unwrap();
    let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    let (mut tokens, mut types) = (Vec::new(), Vec::new());
    for t in vocab.lines() {
        let phantom = if t.starts_with('[') && t.ends_with(']') { t.to_string() } else if let Some(c) = t.strip_prefix("##") { c.to_string() } else { format!("\u{2581}{t}") };
        tokens.push(Value::String(phantom));
        types.push(Value::I32(if specials.contains(&t) { 3 } else { 1 }));
    }
    w.meta("tokenizer.ggml.tokens", Value::Array(tokens))
        .meta("tokenizer.ggml.token_type", Value::Array(types))
        .meta("tokenizer.ggml.unknown_token_id", Value::U32(100))
        .meta("tokenizer.ggml.seperator_token_id", Value::U32(102))
        .meta("tokenizer.ggml.padding_token_id", Value::U32(0));
    let rename = |hf: &str| -> Option<String> {
        let hf = hf.strip_prefix("bert.").unwrap_or(hf);
        let table = [
            ("embeddings.word_embeddings.", "token_embd."), ("embeddings.position_embeddings.", "position_embd."),
            ("embeddings.token_type_embeddings.", "token_types."), ("embeddings.LayerNorm.", "token_embd_norm."),
        ];
        if let Some((from, to)) = table.iter().find(|(f, _)| hf.starts_with(f)) {
            return Some(format!("{to}{}", &hf[from.len()..]));
        }
        let rest = hf.strip_prefix("encoder.layer.")?;
        let (n, rest) = rest.split_once('.')?;
        let layer = [
            ("attention.self.query.", "attn_q."), ("attention.self.key.", "attn_k."), ("attention.self.value.", "attn_v."),
            ("attention.output.dense.", "attn_output."), ("attention.output.LayerNorm.", "attn_output_norm."),
            ("intermediate.dense.", "ffn_up."), ("output.dense.", "ffn_down."), ("output.LayerNorm.", "layer_output_norm."),
        ];
        let (from, to) = layer.iter().find(|(f, _)| rest.starts_with(f))?;
        Some(format!("blk.{n}.{to}{}", &rest[from.len()..]))
    };
    for t in &st.tensors {
        let Some(name) = rename(&t.name) else { continue };
        let v = st.f32(&file, &t.name).unwrap();
        let dims: Vec<u64> = t.shape.iter().rev().copied().collect();
        let f16 = t.shape.len() == 2 && !name.starts_with("position_embd") && !name.starts_with("token_types");
        if f16 {
            w.tensor(&name, &dims, 1, v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect());
        } else {
            w.tensor(&name, &dims, 0, v.iter().flat_map(|x| x.to_le_bytes()).collect());
        }
    }
    w.to_bytes()
}

#[test]
fn bert_gguf_matches_sentence_transformers() {
    let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(common::golden_dir().join("embed_cases.json")).unwrap()).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    let texts: Vec<String> = cases.iter().map(|c| c["text"].as_str().unwrap().to_string()).collect();
    let file = gguf_from_checkpoint(&common::root().join("models/all-MiniLM-L6-v2"));
    // No max_seq_length in a GGUF: the position count (512) is the default; sentence-transformers
    // truncates this model at 256, so ask for that to compare.
    let default = Embedder::load_gguf(common::gpu(true), &file, BertOptions { batch: 1, ..Default::default() }, false).unwrap();
    assert_eq!(default.bert.options.max_seq_len, 512);
    let e = Embedder::load_gguf(common::gpu(true), &file, BertOptions { max_seq_len: 256, ..Default::default() }, false).unwrap();
    let out = pollster::block_on(e.embed(&texts)).unwrap();
    let (mut worst_cos, mut worst_abs) = (1f64, 0f64);
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(out.input_ids[i], common::ids(&c["input_ids"]), "input ids of sentence {i} from the GGUF vocabulary");
        assert_eq!(out.truncated[i], c["truncated"].as_bool().unwrap());
        let g = common::floats(&c["embedding"]);
        worst_cos = worst_cos.min(cosine(&out.embeddings[i], &g));
        worst_abs = worst_abs.max(out.embeddings[i].iter().zip(&g).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max));
    }
    eprintln!("SUMMARY GGUF F16: worst cosine {worst_cos:.7}, max |Δ| {worst_abs:.2e}");
    assert!(worst_cos >= 0.99999 && worst_abs <= 5e-4, "GGUF F16: worst cosine {worst_cos}, max |Δ| {worst_abs}");
}
