//! Model hyper-parameters read from GGUF metadata; errors name the missing key.

use crate::error::{HearthError, Result};
use crate::gguf::{Gguf, Value};
use crate::gpu::kernels::RopeMode;

#[derive(Clone, Debug)]
pub struct LlamaConfig {
    pub arch: String,
    pub n_layer: u32,
    pub n_embd: u32,
    pub n_ff: u32,
    pub n_head: u32,
    pub n_head_kv: u32,
    pub head_dim: u32,
    pub n_rot: u32,
    pub rope_base: f64,
    /// Positions are multiplied by this (linear RoPE scaling: 1 / factor).
    pub rope_freq_scale: f64,
    pub rope_mode: RopeMode,
    pub rms_eps: f32,
    pub context_length: u32,
    pub vocab_size: u32,
}

impl LlamaConfig {
    pub fn from_gguf(g: &Gguf) -> Result<LlamaConfig> {
        let arch = g.str("general.architecture")?.to_string();
        let rope_mode = match arch.as_str() {
            "llama" | "mistral" | "granite" => RopeMode::Normal,
            "qwen2" | "qwen3" | "phi3" | "stablelm" | "gemma" | "gemma2" | "gemma3" | "olmo2" => {
                return Err(HearthError::UnsupportedModel(format!("architecture '{arch}' is not supported yet (llama-family 'llama' is)")))
            }
            other => return Err(HearthError::UnsupportedModel(format!("architecture '{other}' is not a llama-family decoder Hearth knows"))),
        };
        let k = |name: &str| format!("{arch}.{name}");
        let u = |name: &str| -> Result<u32> {
            let v = g.u64(&k(name))?;
            u32::try_from(v).ok().filter(|&v| v > 0).ok_or_else(|| HearthError::Malformed(format!("'{}' = {v} is out of range", k(name))))
        };
        let n_embd = u("embedding_length")?;
        let n_head = u("attention.head_count")?;
        let n_head_kv = if g.get(&k("attention.head_count_kv")).is_some() { u("attention.head_count_kv")? } else { n_head };
        let head_dim = if g.get(&k("attention.key_length")).is_some() { u("attention.key_length")? } else { n_embd / n_head };
        let n_rot = if g.get(&k("rope.dimension_count")).is_some() { u("rope.dimension_count")? } else { head_dim };
        if n_head % n_head_kv != 0 || n_rot > head_dim || n_rot % 2 != 0 {
            return Err(HearthError::UnsupportedModel(format!("{n_head} heads / {n_head_kv} KV heads, rotary dims {n_rot} of {head_dim}")));
        }
        let rope_freq_scale = match g.get(&k("rope.scaling.type")).and_then(Value::as_str) {
            None | Some("none") => 1.0,
            Some("linear") => 1.0 / g.f64(&k("rope.scaling.factor"))?,
            Some(other) => return Err(HearthError::UnsupportedModel(format!("RoPE scaling '{other}' is not supported yet"))),
        };
        if g.tensor("rope_freqs.weight").is_some() {
            return Err(HearthError::UnsupportedModel("per-dimension RoPE frequencies (rope_freqs, Llama 3.1 scaling) are not supported yet".into()));
        }
        let vocab_size = match g.tensor("token_embd.weight") {
            Some(t) => t.rows_cols().0 as u32,
            None => return Err(HearthError::MissingTensor("token_embd.weight".into())),
        };
        Ok(LlamaConfig {
            n_layer: u("block_count")?,
            n_ff: u("feed_forward_length")?,
            context_length: u("context_length")?,
            rope_base: g.get(&k("rope.freq_base")).and_then(Value::as_f64).unwrap_or(10000.0),
            rms_eps: g.get(&k("attention.layer_norm_rms_epsilon")).and_then(Value::as_f64).unwrap_or(1e-5) as f32,
            arch,
            n_embd,
            n_head,
            n_head_kv,
            head_dim,
            n_rot,
            rope_freq_scale,
            rope_mode,
            vocab_size,
        })
    }
}
