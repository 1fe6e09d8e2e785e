//! The `hearth` CLI contract (flags and JSON fields that other checks rely on).

mod common;
use common::*;
use std::process::Command;

fn hearth(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth")).args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn case(name: &str) -> serde_json::Value {
    llm_cases()["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
}

fn prompt_file(c: &serde_json::Value) -> tempfile_path::Path {
    tempfile_path::write(c["prompt"].as_str().unwrap())
}

mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);
    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    pub fn write(text: &str) -> Path {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!("hearth-cli-{}-{}.txt", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        std::fs::write(&p, text).unwrap();
        Path(p)
    }
}

#[test]
fn tokenize_json() {
    let model = smollm_path();
    let c = case("chat_system_user");
    let p = prompt_file(&c);
    let (code, json, _) = hearth(&["tokenize", "--model", model.to_str().unwrap(), "--prompt-file", p.0.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json["ids"], c["ids"]);
}

#[test]
fn logits_json() {
    let model = smollm_path();
    let c = case("en_simple");
    let p = prompt_file(&c);
    let (code, json, _) = hearth(&["logits", "--model", model.to_str().unwrap(), "--prompt-file", p.0.to_str().unwrap(), "--top", "10", "--no-f16", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json["prompt_ids"], c["ids"]);
    let top = json["top"].as_array().unwrap();
    assert_eq!(top.len(), 10);
    let want = floats(&c["top10_logits"]);
    assert_eq!(top[0][0], c["top10_ids"][0]);
    for (i, pair) in top.iter().enumerate() {
        assert!((pair[1].as_f64().unwrap() - want[i]).abs() < 1e-2, "top[{i}] = {pair}, golden {}", want[i]);
        if i > 0 {
            assert!(pair[1].as_f64() <= top[i - 1][1].as_f64(), "top is sorted highest first");
        }
    }
}

#[test]
fn complete_json() {
    let model = smollm_path();
    let c = case("en_simple");
    let (code, json, stderr) = hearth(&["complete", "--model", model.to_str().unwrap(), "--prompt", c["prompt"].as_str().unwrap(), "--max-tokens", "64", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["ids"], c["greedy_ids"]);
    assert_eq!(json["prompt_ids"], c["ids"]);
    assert_eq!(json["text"], c["greedy_text"]);
    assert_eq!(json["finish_reason"], "stop");
    for field in ["ttft_ms", "tpot_ms", "prefill_tok_s", "decode_tok_s"] {
        assert!(json[field].as_f64().unwrap() > 0.0, "{field} = {}", json[field]);
    }
    assert!(json["adapter"].as_str().unwrap().len() > 3);

    let (code, json, _) = hearth(&["complete", "--model", model.to_str().unwrap(), "--prompt", c["prompt"].as_str().unwrap(), "--max-tokens", "3", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json["ids"].as_array().unwrap().len(), 3);
    assert_eq!(json["finish_reason"], "length");
}

#[test]
fn prompt_longer_than_context_is_a_clear_error() {
    let model = smollm_path();
    let (code, _, stderr) = hearth(&["complete", "--model", model.to_str().unwrap(), "--prompt", "one two three four five six seven eight nine ten", "--ctx", "4", "--json"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("exceeds the context window of 4 tokens"), "{stderr}");
}

#[test]
fn errors_are_one_line_without_backtrace() {
    let bad = tempfile_path::write("GGUF\x03\0\0\0 this is not a model");
    let missing = std::env::temp_dir().join("hearth-no-such-file.gguf");
    for args in [
        vec!["complete", "--model", bad.0.to_str().unwrap(), "--prompt", "hi", "--json"],
        vec!["logits", "--model", missing.to_str().unwrap(), "--prompt", "hi"],
        vec!["complete", "--model"],
        vec!["frobnicate"],
    ] {
        let (code, _, stderr) = hearth(&args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("hearth: ") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn chat_sampling_stop_and_usage() {
    let model = smollm_path();
    let c = case("chat_system_user");
    let messages = tempfile_path::write(&c["chat_messages"].to_string());
    let (code, json, stderr) = hearth(&["complete", "--model", model.to_str().unwrap(), "--chat", "--messages-file", messages.0.to_str().unwrap(), "--max-tokens", "16", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["prompt_ids"], c["ids"]);
    assert_eq!(json["ids"], c["greedy_ids"]);
    assert_eq!(json["usage"]["prompt_tokens"], c["ids"].as_array().unwrap().len());
    assert_eq!(json["usage"]["completion_tokens"], c["greedy_ids"].as_array().unwrap().len());
    assert_eq!(json["usage"]["cached_tokens"], 0);

    let en = case("en_simple");
    let args = ["complete", "--model", model.to_str().unwrap(), "--prompt", en["prompt"].as_str().unwrap(), "--max-tokens", "8",
        "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--min-p", "0.05", "--repeat-penalty", "1.1",
        "--presence-penalty", "0.5", "--frequency-penalty", "0.5", "--seed", "3", "--stop", "zzz", "--stop", "\n", "--logprobs", "2", "--json"];
    let (code, a, stderr) = hearth(&args);
    assert_eq!(code, 0, "{stderr}");
    let (_, b, _) = hearth(&args);
    assert_eq!(a["ids"], b["ids"], "same seed, same tokens");
    assert!(!a["text"].as_str().unwrap().contains('\n'));
    assert_eq!(a["logprobs"].as_array().unwrap().len(), a["ids"].as_array().unwrap().len());

    let (code, _, stderr) = hearth(&["complete", "--model", model.to_str().unwrap(), "--prompt", "hi", "--temperature", "-1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("temperature"), "{stderr}");
}

#[test]
fn bench_json_contract() {
    // Short stand-ins for ../shared/peers/prompts.json and sentences.json (same shape).
    let ids: Vec<u32> = (1000..1048).collect();
    let prompts = tempfile_path::write(&serde_json::json!({ "p128": { "n": 16, "tokens": &ids[..16] }, "p512": { "n": 48, "tokens": ids } }).to_string());
    let sentences = tempfile_path::write(&serde_json::json!({ "sentences": ["A cat sleeps in the sun.", "The train was late.", "Rain fell all night on the quiet town."] }).to_string());
    let model = smollm_path();
    let minilm = root().join("models/all-MiniLM-L6-v2");
    let (code, j, err) = hearth(&[
        "bench", "--model", model.to_str().unwrap(), "--prompts", prompts.0.to_str().unwrap(),
        "--embed-model", minilm.to_str().unwrap(), "--sentences", sentences.0.to_str().unwrap(),
        "--decode", "3", "--limits-mib", "8",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(j["adapter"]["name"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(j["limits"]["read_GBps"].as_f64().unwrap() > 0.0 && j["limits"]["fma_GFLOPs"].as_f64().unwrap() > 0.0);
    for (case, n) in [("p128", 16), ("p512", 48)] {
        let c = &j[case];
        assert_eq!(c["prompt_tokens"], n);
        assert_eq!(c["decode_tokens"], 3, "end-of-generation is ignored: exactly --decode tokens");
        for k in ["prefill_tok_s", "decode_tok_s", "ttft_ms", "tpot_ms", "prefill_limit_tok_s", "decode_limit_tok_s", "prefill_fraction", "decode_fraction"] {
            assert!(c[k].as_f64().is_some_and(|v| v > 0.0), "{case}.{k} = {}", c[k]);
        }
    }
    assert!(j["load_ms"].as_f64().unwrap() > 0.0);
    // GPU memory target: at most 1.1 × the file + the KV cache.
    assert!(j["gpu_bytes"].as_u64().unwrap() <= j["gpu_bytes_budget"].as_u64().unwrap(), "{} > {}", j["gpu_bytes"], j["gpu_bytes_budget"]);
    let e = &j["embeddings"];
    assert_eq!(e["sentences"], 3);
    assert!(e["batch1_sentences_s"].as_f64().unwrap() > 0.0 && e["batch32_sentences_s"].as_f64().unwrap() > 0.0);
    assert!(j["overhead"]["per_token_us"].as_f64().unwrap() > 0.0);
    assert!(j["overhead"]["dispatches_per_token"].as_u64().unwrap() > 0);
    for k in ["prefill_128", "decode_at_128", "decode_at_512"] {
        assert!(j["profile_ms"][k].as_array().is_some_and(|a| !a.is_empty()), "profile_ms.{k}");
    }
}
