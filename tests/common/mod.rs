//! Shared test setup: a real adapter (lavapipe in CI), the fetched models, the golden files.
#![allow(dead_code)]

use hearth::{GpuContext, GpuOptions, LlamaOptions, TextModel};
use std::path::PathBuf;
use std::sync::Arc;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/golden/public` (or $HEARTH_GOLDEN). Missing golden files fail the test.
pub fn golden_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("HEARTH_GOLDEN") {
        return PathBuf::from(p);
    }
    for cand in [root().join("../shared/golden/public"), PathBuf::from("/work/shared/golden/public")] {
        if cand.join("llm_cases.json").exists() {
            return cand;
        }
    }
    panic!("golden files not found: set HEARTH_GOLDEN or place ../shared/golden/public next to the repo");
}

pub fn smollm_path() -> PathBuf {
    let p = root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(p.exists(), "{} missing: run scripts/fetch-models.sh", p.display());
    p
}

pub fn gpu(no_f16: bool) -> Arc<GpuContext> {
    gpu_with(&GpuOptions { no_f16, ..Default::default() })
}

pub fn gpu_with(options: &GpuOptions) -> Arc<GpuContext> {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    pollster::block_on(GpuContext::new(options)).expect("a GPU adapter (install mesa-vulkan-drivers)")
}

pub fn smollm(no_f16: bool, context: u32) -> TextModel {
    let bytes = std::fs::read(smollm_path()).unwrap();
    TextModel::load(gpu(no_f16), &bytes, None, &LlamaOptions { context: Some(context), ..Default::default() }).expect("load SmolLM2")
}

pub fn llm_cases() -> serde_json::Value {
    let text = std::fs::read_to_string(golden_dir().join("llm_cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Row-major (n_cases, vocab) f32 logits of the primary llama.cpp run.
pub fn golden_logits() -> (Vec<f32>, usize) {
    let mut npz = npyz::npz::NpzArchive::open(golden_dir().join("llm_logits.npz")).unwrap();
    let arr = npz.by_name("f32").unwrap().expect("f32 array");
    let shape = arr.shape().to_vec();
    (arr.into_vec::<f32>().unwrap(), shape[1] as usize)
}

pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}
