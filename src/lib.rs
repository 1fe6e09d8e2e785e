//! Hearth: small quantized transformer models on the user's GPU through WGSL compute shaders.
//!
//! ```text
//! bytes (.gguf; fetch/File in JS, std::fs natively)
//!   └ gguf::parse ─► metadata + TensorInfo{name, dims, type, byte range}   (every offset bounds-checked)
//!       ├ model::config ─► LlamaConfig            (errors name the missing key)
//!       ├ tokenizer ─► `tokenizers` BPE from the embedded vocab (or tokenizer.json)
//!       └ quant::layout ─► GpuMatrix per weight: packed payload + f16 scales, still quantized
//!   Llama::load ─► activations, KV cache, RoPE table; prefill + decode programs recorded once
//! LLM:  text ─ tokenizer ─► ids ─ forward: one encoder, one compute pass, one submit
//!         embed → blocks[rms_norm → q/k/v → rope (k → cache) → v → cache → attention → o (+x)
//!                         → rms_norm → gate/up → swiglu → down (+x)]
//!         → rms_norm(last row) → output head ─► logits ─► sampler ─► Generation (stop strings,
//!         TokenStream: whole UTF-8 only) ─► text
//! Embeddings: config.json + safetensors::parse ─► Bert (weights quantized at load) ;
//!         texts ─ tokenizer (truncate, [CLS]…[SEP]) ─► packed batch ─ embed + positions → LayerNorm
//!         → blocks[q/k/v → masked bidirectional attention → o (+x) → LayerNorm → up → GELU → down
//!         (+x) → LayerNorm] → mean|cls|last pool + L2 normalize ─► Vec<f32> per text
//! ```
//!
//! Modules: `error` (typed errors with stable codes) · `file_bytes` (a model file in memory or in
//! a JS array) · `gguf` (reader, writer) · `quant` (formats: CPU dequant = truth, GPU layout) ·
//! `cpu` (reference kernels) · `gpu` (context, shaders, pipelines, weights, kernels) · `model`
//! (config, llama, bert) · `tokenizer` · `chat` · `sampler` · `text_model` · `generate` ·
//! `safetensors` · `embedder` · `wasm` (bindings, wasm32 only).

pub mod chat;
pub mod cpu;
pub mod embedder;
pub mod error;
pub mod file_bytes;
pub mod generate;
pub mod gguf;
pub mod gpu;
pub mod model;
pub mod quant;
pub mod safetensors;
pub mod sampler;
pub mod text_model;
pub mod tokenizer;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{HearthError, Result};
pub use file_bytes::FileBytes;
pub use generate::{complete, Completion, FinishReason, GenerateOptions, Generation};
pub use gpu::{GpuContext, GpuOptions};
pub use model::{Llama, LlamaOptions};
pub use text_model::TextModel;
