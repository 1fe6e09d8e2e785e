//! Generation: prefill the prompt in one forward, then decode token by token until an
//! end-of-generation token or `max_tokens`. Greedy argmax (lowest id wins ties); sampling
//! strategies plug in at `pick`.

use crate::error::{HearthError, Result};
use crate::text_model::TextModel;
use crate::tokenizer::TokenStream;
use web_time::Instant;

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub max_tokens: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { max_tokens: 64 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// Stopped on an end-of-generation token.
    Stop,
    /// Hit `max_tokens` (or the context window).
    Length,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Completion {
    pub text: String,
    pub prompt_ids: Vec<u32>,
    /// Generated ids, including the end-of-generation token when it stopped on one.
    pub ids: Vec<u32>,
    pub finish_reason: FinishReason,
    /// Prompt in → first token out (prefill + first pick).
    pub ttft_ms: f64,
    /// Mean time per generated token after the first.
    pub tpot_ms: f64,
    pub prefill_tok_s: f64,
    pub decode_tok_s: f64,
}

/// Index of the largest logit; the lowest index wins ties (NaN never wins).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] || logits[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best as u32
}

/// Greedy completion of `prompt_ids` from an empty cache. `on_text` receives each piece of
/// whole UTF-8 text as it is produced.
pub async fn complete(model: &mut TextModel, prompt_ids: &[u32], options: &GenerateOptions, mut on_text: impl FnMut(&str)) -> Result<Completion> {
    if prompt_ids.is_empty() {
        return Err(HearthError::InvalidArgument("the prompt is empty (no tokens)".into()));
    }
    let context = model.llama.context as usize;
    if prompt_ids.len() >= context {
        return Err(HearthError::ContextOverflow { prompt: prompt_ids.len(), requested: options.max_tokens, context });
    }
    model.llama.reset();
    let start = Instant::now();
    let mut logits = model.llama.forward(prompt_ids).await?;
    let prefill_s = start.elapsed().as_secs_f64();
    let mut ids = Vec::new();
    let mut stream = TokenStream::default();
    let mut text = String::new();
    let mut finish = FinishReason::Length;
    let mut ttft = 0.0;
    let decode_start = Instant::now();
    while ids.len() < options.max_tokens {
        let id = argmax(&logits);
        if ids.is_empty() {
            ttft = start.elapsed().as_secs_f64();
        }
        ids.push(id);
        let piece = stream.push(&model.tokenizer, id);
        text.push_str(&piece);
        on_text(&piece);
        if model.tokenizer.is_eog(id) {
            finish = FinishReason::Stop;
            break;
        }
        if ids.len() >= options.max_tokens || model.llama.cached.len() >= context {
            break;
        }
        logits = model.llama.forward(&[id]).await?;
    }
    let tail = stream.finish();
    text.push_str(&tail);
    on_text(&tail);
    let decode_s = decode_start.elapsed().as_secs_f64();
    let decoded = ids.len().saturating_sub(1).max(0);
    let tpot = if decoded > 0 { decode_s / decoded as f64 } else { 0.0 };
    Ok(Completion {
        text,
        prompt_ids: prompt_ids.to_vec(),
        ids,
        finish_reason: finish,
        ttft_ms: ttft * 1e3,
        tpot_ms: tpot * 1e3,
        prefill_tok_s: prompt_ids.len() as f64 / prefill_s,
        decode_tok_s: if tpot > 0.0 { 1.0 / tpot } else { 0.0 },
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn argmax_lowest_index_wins_ties() {
        assert_eq!(super::argmax(&[1.0, 3.0, 3.0, -1.0]), 1);
        assert_eq!(super::argmax(&[f32::NAN, 0.5]), 1);
    }
}
