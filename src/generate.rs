//! Generation as a pull-based stream: `Generation::start` prefills the prompt (reusing the KV
//! cache for the prefix it shares with what is cached), then each `next_token` decodes one
//! token, samples it, and returns the text it completes. Text is held back while it could still
//! become a stop string or an unfinished UTF-8 character. Dropping a `Generation` between two
//! tokens aborts it; the model's cache stays consistent (it holds exactly the tokens forwarded).
//! `complete` drives a whole generation and reports it.

use crate::error::{HearthError, Result};
use crate::sampler::{Sampler, SamplingParams};
use crate::text_model::TextModel;
use crate::tokenizer::TokenStream;
use web_time::Instant;

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub max_tokens: usize,
    pub sampling: SamplingParams,
    /// Stop strings, matched on the decoded text (also across token boundaries); not emitted.
    pub stop: Vec<String>,
    /// Report this many top log-probabilities per token (OpenAI `top_logprobs`); None = off.
    pub logprobs: Option<usize>,
    /// Include the text of the end-of-generation token (`<|im_end|>`) in the output, as
    /// llama.cpp's detokenizer does (the CLI and golden tests); chat APIs leave it out.
    pub eog_text: bool,
    /// Keep generating past end-of-generation tokens, up to `max_tokens` (benchmarks; WebLLM's
    /// `ignore_eos`). Stop strings still apply.
    pub ignore_eos: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { max_tokens: 64, sampling: SamplingParams::default(), stop: Vec::new(), logprobs: None, eog_text: true, ignore_eos: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// An end-of-generation token or a stop string.
    Stop,
    /// `max_tokens` or the context window.
    Length,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct TopLogprob {
    pub token: String,
    pub id: u32,
    pub logprob: f32,
}

/// OpenAI-shaped log-probability of one generated token.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenLogprob {
    pub token: String,
    pub id: u32,
    pub logprob: f32,
    pub top_logprobs: Vec<TopLogprob>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prompt tokens whose KV entries were reused from the previous call.
    pub cached_tokens: usize,
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
    pub usage: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Vec<TokenLogprob>>,
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

/// What a forward gives the next pick.
enum Next {
    /// The whole logit vector (the sampler picks on the CPU).
    Logits(Vec<f32>),
    /// The id the GPU picked (greedy).
    Picked(u32),
}

async fn forward(model: &mut TextModel, ids: &[u32], gpu_pick: bool) -> Result<Next> {
    Ok(if gpu_pick { Next::Picked(model.llama.forward_argmax(ids).await?) } else { Next::Logits(model.llama.forward(ids).await?) })
}

/// One step of a generation.
#[derive(Clone, Debug)]
pub struct TokenEvent {
    pub id: u32,
    /// Text this token completes (may be empty while text is held back).
    pub text: String,
    pub logprob: Option<TokenLogprob>,
}

/// A generation in progress. It does not hold the model: `start` and every `next_token` are
/// given the same `TextModel` (so a binding can own both side by side).
pub struct Generation {
    options: GenerateOptions,
    sampler: Sampler,
    prompt_len: usize,
    /// Prompt + generated ids.
    history: Vec<u32>,
    /// The next pick's input; None while the last picked token has not been forwarded yet.
    next: Option<Next>,
    /// Picks are made on the GPU (plain greedy, no log-probabilities wanted).
    gpu_pick: bool,
    stream: TokenStream,
    /// Decoded text not yet emitted (could still start a stop string).
    held: String,
    text: String,
    pub finish_reason: Option<FinishReason>,
    pub cached_tokens: usize,
    start: Instant,
    prefill_s: f64,
    first_token_s: Option<f64>,
    logprobs: Vec<TokenLogprob>,
}

impl Generation {
    /// Prefill `prompt_ids`, reusing the cached prefix. The prompt plus `max_tokens` must fit
    /// the context window.
    pub async fn start(model: &mut TextModel, prompt_ids: &[u32], options: GenerateOptions) -> Result<Generation> {
        if prompt_ids.is_empty() {
            return Err(HearthError::InvalidArgument("the prompt is empty (no tokens)".into()));
        }
        let context = model.llama.context as usize;
        if prompt_ids.len() + options.max_tokens > context {
            return Err(HearthError::ContextOverflow { prompt: prompt_ids.len(), requested: options.max_tokens, context });
        }
        let sampler = Sampler::new(options.sampling.clone(), model.llama.config.vocab_size as usize)?;
        let start = Instant::now();
        // Reuse the longest common prefix, but always run at least the last prompt token.
        let common = model.llama.cached.iter().zip(prompt_ids).take_while(|(a, b)| a == b).count().min(prompt_ids.len() - 1);
        model.llama.truncate(common);
        let gpu_pick = sampler.is_plain_greedy() && options.logprobs.is_none();
        let next = forward(model, &prompt_ids[common..], gpu_pick).await?;
        let prefill_s = start.elapsed().as_secs_f64();
        Ok(Generation {
            options,
            sampler,
            prompt_len: prompt_ids.len(),
            history: prompt_ids.to_vec(),
            next: Some(next),
            gpu_pick,
            stream: TokenStream::default(),
            held: String::new(),
            text: String::new(),
            finish_reason: None,
            cached_tokens: common,
            start,
            prefill_s,
            first_token_s: None,
            logprobs: Vec::new(),
        })
    }

    pub fn generated(&self) -> &[u32] {
        &self.history[self.prompt_len..]
    }

    /// Decode and pick the next token; `None` once finished.
    pub async fn next_token(&mut self, model: &mut TextModel) -> Result<Option<TokenEvent>> {
        if self.finish_reason.is_some() {
            return Ok(None);
        }
        let generated = self.history.len() - self.prompt_len;
        let next = match self.next.take() {
            Some(n) => n,
            None => {
                let last = *self.history.last().unwrap();
                if self.gpu_pick {
                    // Submit the next step ahead unless this one picks the last token allowed, on
                    // GPU adapters: there the read-back round trip and the next step's encoding
                    // are idle GPU time. CPU emulations share the cores with them, and measured
                    // no gain (lavapipe and SwiftShader, alternated runs), so they go one step at
                    // a time.
                    let ahead = generated + 1 < self.options.max_tokens && !model.llama.ctx.emulated();
                    Next::Picked(model.llama.greedy_step(last, ahead).await?)
                } else {
                    forward(model, &[last], false).await?
                }
            }
        };
        let (id, logits) = match next {
            Next::Picked(id) => (id, Vec::new()),
            Next::Logits(mut logits) => (self.sampler.sample(&mut logits, &self.history, generated), logits),
        };
        self.first_token_s.get_or_insert(self.start.elapsed().as_secs_f64());
        self.history.push(id);
        let tok = &model.tokenizer;
        let logprob = self.options.logprobs.map(|n| token_logprob(tok, &logits, id, n));
        if let Some(lp) = &logprob {
            self.logprobs.push(lp.clone());
        }
        let is_eog = tok.is_eog(id);
        let eog = is_eog && !self.options.ignore_eos;
        if !is_eog || self.options.eog_text {
            self.held.push_str(&self.stream.push(tok, id));
        }
        let full = generated + 1 >= self.options.max_tokens || model.llama.cached.len() + 1 >= model.llama.context as usize;
        let mut out = String::new();
        if let Some(at) = self.options.stop.iter().filter(|s| !s.is_empty()).filter_map(|s| self.held.find(s.as_str())).min() {
            out.push_str(&self.held[..at]);
            self.held.clear();
            self.finish_reason = Some(FinishReason::Stop);
        } else if eog || full {
            self.held.push_str(&self.stream.finish());
            out = std::mem::take(&mut self.held);
            self.finish_reason = Some(if eog { FinishReason::Stop } else { FinishReason::Length });
        } else {
            // Emit all but the longest tail that could still begin a stop string.
            let keep = self.options.stop.iter().map(|s| partial_suffix(&self.held, s)).max().unwrap_or(0);
            let cut = self.held.len() - keep;
            out = self.held[..cut].to_string();
            self.held.drain(..cut);
        }
        self.text.push_str(&out);
        Ok(Some(TokenEvent { id, text: out, logprob }))
    }

    /// Report of the generation so far.
    pub fn completion(&self) -> Completion {
        let total = self.start.elapsed().as_secs_f64();
        let ids = self.generated().to_vec();
        let first = self.first_token_s.unwrap_or(total);
        let decoded = ids.len().saturating_sub(1);
        let tpot = if decoded > 0 { (total - first) / decoded as f64 } else { 0.0 };
        let computed = self.prompt_len - self.cached_tokens;
        Completion {
            text: self.text.clone(),
            prompt_ids: self.history[..self.prompt_len].to_vec(),
            finish_reason: self.finish_reason.unwrap_or(FinishReason::Length),
            ttft_ms: first * 1e3,
            tpot_ms: tpot * 1e3,
            prefill_tok_s: computed as f64 / self.prefill_s,
            decode_tok_s: if tpot > 0.0 { 1.0 / tpot } else { 0.0 },
            usage: Usage { prompt_tokens: self.prompt_len, completion_tokens: ids.len(), cached_tokens: self.cached_tokens },
            logprobs: self.options.logprobs.map(|_| self.logprobs.clone()),
            ids,
        }
    }
}

/// Length of the longest suffix of `text` that is a proper prefix of `stop` (on char boundaries).
fn partial_suffix(text: &str, stop: &str) -> usize {
    (1..stop.len().min(text.len() + 1))
        .rev()
        .find(|&n| text.is_char_boundary(text.len() - n) && stop.is_char_boundary(n) && text.ends_with(&stop[..n]))
        .unwrap_or(0)
}

fn token_logprob(tok: &crate::tokenizer::Tokenizer, logits: &[f32], id: u32, n: usize) -> TokenLogprob {
    let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
    let lse = max + logits.iter().map(|&l| (l as f64 - max).exp()).sum::<f64>().ln();
    let lp = |i: u32| (logits[i as usize] as f64 - lse) as f32;
    let mut order: Vec<u32> = (0..logits.len() as u32).collect();
    let n = n.min(order.len());
    if n > 0 {
        order.select_nth_unstable_by(n - 1, |&a, &b| logits[b as usize].total_cmp(&logits[a as usize]).then(a.cmp(&b)));
    }
    order.truncate(n);
    order.sort_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]).then(a.cmp(&b)));
    TokenLogprob {
        token: tok.decode(&[id]),
        id,
        logprob: lp(id),
        top_logprobs: order.into_iter().map(|i| TopLogprob { token: tok.decode(&[i]), id: i, logprob: lp(i) }).collect(),
    }
}

/// Run a whole generation; `on_text` receives each piece of text as it is produced.
pub async fn complete(model: &mut TextModel, prompt_ids: &[u32], options: &GenerateOptions, mut on_text: impl FnMut(&str)) -> Result<Completion> {
    let mut g = Generation::start(model, prompt_ids, options.clone()).await?;
    while let Some(ev) = g.next_token(model).await? {
        if !ev.text.is_empty() {
            on_text(&ev.text);
        }
    }
    Ok(g.completion())
}

#[cfg(test)]
mod tests {
    #[test]
    fn argmax_lowest_index_wins_ties() {
        assert_eq!(super::argmax(&[1.0, 3.0, 3.0, -1.0]), 1);
        assert_eq!(super::argmax(&[f32::NAN, 0.5]), 1);
    }

    #[test]
    fn partial_suffix_finds_stop_prefixes() {
        assert_eq!(super::partial_suffix("hello wor", "world"), 3);
        assert_eq!(super::partial_suffix("hello", "xyz"), 0);
        assert_eq!(super::partial_suffix("ab", "abc"), 2);
        assert_eq!(super::partial_suffix("안녕", "녕하"), 3);
    }
}
