//! all-MiniLM-L6-v2 against sentence-transformers (../shared/golden/public/embed_cases.json):
//! input ids exact; per-sentence cosine and max |Δ| per weight format; cosine pairs; batch of
//! 16 = batch of 1; unit norms.

mod common;
use hearth::embedder::{Embedder, Embeddings, ModelFiles};
use hearth::model::bert::BertOptions;
use hearth::quant::DType;

fn embed(quant: DType, batch: usize, texts: &[String]) -> Embeddings {
    let dir = common::root().join("models/all-MiniLM-L6-v2");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e} (run scripts/fetch-models.sh)"));
    let (config, weights, tokenizer, sbert, pooling) = (read("config.json"), read("model.safetensors"), read("tokenizer.json"), read("sentence_bert_config.json"), read("1_Pooling/config.json"));
    let files = ModelFiles { config: &config, weights: &weights, tokenizer: &tokenizer, sentence_bert_config: Some(&sbert), pooling_config: Some(&pooling) };
    let e = Embedder::load(common::gpu(true), &files, BertOptions { quant, batch, ..Default::default() }, false).unwrap();
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
    // (format, cosine floor, max |Δ| bound)
    for (quant, min_cos, max_abs) in [(DType::F32, 0.999999, 1e-5), (DType::F16, 0.99999, 1e-3), (DType::Q8_0, 0.999, 1e-2)] {
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
        if quant == DType::F32 {
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
    let batched = embed(DType::Q8_0, 16, &texts);
    let single = embed(DType::Q8_0, 1, &texts);
    let diff = batched.embeddings.iter().flatten().zip(single.embeddings.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(diff <= 1e-5, "batch 16 vs batch 1: {diff}");
}
