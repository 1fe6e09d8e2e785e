//! `TextEngine`: a llama-family GGUF on the GPU, driven one token at a time from JS.

use super::{adapter_info, from_js, gpu, invalid, js_error, to_js, AdapterInfo};
use crate::chat::Message;
use crate::generate::{GenerateOptions, Generation};
use crate::sampler::SamplingParams;
use crate::text_model::ms;
use crate::{LlamaOptions, TextModel};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LoadOptions {
    /// Never use `shader-f16`.
    no_f16: bool,
    /// Never use subgroup operations.
    no_subgroups: bool,
    /// Context window; default min(model's, 2048).
    context: Option<u32>,
}

/// One generation request (OpenAI names; validated by the sampler).
#[derive(Deserialize)]
#[serde(default)]
struct Request {
    max_tokens: usize,
    temperature: f32,
    top_k: usize,
    top_p: f32,
    min_p: f32,
    repeat_penalty: f32,
    presence_penalty: f32,
    frequency_penalty: f32,
    seed: Option<u64>,
    stop: Vec<String>,
    /// Top log-probabilities per token; None = no logprobs.
    top_logprobs: Option<usize>,
    logit_bias: Vec<(u32, f32)>,
    /// Generate past end-of-generation tokens up to max_tokens (benchmarks).
    ignore_eos: bool,
}

impl Default for Request {
    fn default() -> Self {
        let s = SamplingParams::default();
        Request {
            max_tokens: 256,
            temperature: s.temperature,
            top_k: s.top_k,
            top_p: s.top_p,
            min_p: s.min_p,
            repeat_penalty: s.repeat_penalty,
            presence_penalty: s.presence_penalty,
            frequency_penalty: s.frequency_penalty,
            seed: None,
            stop: Vec::new(),
            top_logprobs: None,
            logit_bias: Vec::new(),
            ignore_eos: false,
        }
    }
}

impl Request {
    fn options(self) -> GenerateOptions {
        GenerateOptions {
            max_tokens: self.max_tokens,
            sampling: SamplingParams {
                temperature: self.temperature,
                top_k: self.top_k,
                top_p: self.top_p,
                min_p: self.min_p,
                repeat_penalty: self.repeat_penalty,
                presence_penalty: self.presence_penalty,
                frequency_penalty: self.frequency_penalty,
                logit_bias: self.logit_bias,
                seed: self.seed,
                ..SamplingParams::default()
            },
            stop: self.stop,
            logprobs: self.top_logprobs,
            eog_text: false,
            ignore_eos: self.ignore_eos,
        }
    }
}

#[derive(Serialize)]
struct Info {
    task: &'static str,
    name: String,
    architecture: String,
    /// Most common weight format, by bytes ("Q4_1", …).
    quant: String,
    parameters: u64,
    file_bytes: u64,
    context_length: u32,
    train_context_length: u32,
    vocab_size: u32,
    gpu_bytes: u64,
    kv_bytes: u64,
    cost: crate::model::llama::DecoderCost,
    has_chat_template: bool,
    adapter: AdapterInfo,
    f16: bool,
    /// Milliseconds per load step: `device` (requesting the GPU), the model's own phases, and
    /// `gpu_wait` (until the GPU has the weights and compiled pipelines).
    load_phases_ms: serde_json::Value,
}

struct State {
    model: TextModel,
    generation: Option<Generation>,
}

#[wasm_bindgen]
pub struct TextEngine {
    state: Rc<RefCell<Option<State>>>,
    info: JsValue,
}

fn busy() -> JsValue {
    invalid("the model is busy with another call (requests must be queued one at a time)")
}

/// Take the state out for the duration of an async call (so no RefCell borrow is held across
/// an await), putting it back afterwards.
fn take(state: &Rc<RefCell<Option<State>>>) -> Result<State, JsValue> {
    state.try_borrow_mut().map_err(|_| busy())?.take().ok_or_else(busy)
}

fn weight_summary(g: &crate::gguf::Gguf) -> (String, u64) {
    let mut by_type: std::collections::BTreeMap<String, u64> = Default::default();
    let mut params = 0;
    for t in &g.tensors {
        params += t.n_elements();
        if t.dims.len() >= 2 {
            let name = t.dtype().map(|d| d.name().to_string()).unwrap_or_else(|_| format!("type {}", t.ggml_type));
            *by_type.entry(name).or_default() += t.n_bytes;
        }
    }
    (by_type.into_iter().max_by_key(|(_, b)| *b).map(|(n, _)| n).unwrap_or_default(), params)
}

#[wasm_bindgen]
impl TextEngine {
    /// Parse a whole GGUF file, build the tokenizer and upload the weights. The file stays in
    /// JS: its header and then one tensor at a time are copied into wasm memory (`FileBytes`).
    pub async fn load(file: js_sys::Uint8Array, options: JsValue) -> Result<TextEngine, JsValue> {
        let options: LoadOptions = from_js(options, "load options")?;
        let length = js_sys::Reflect::get(&file, &"length".into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
        if length > u32::MAX as f64 {
            return Err(invalid(format!("the model file is {:.1} GiB; browsers load files up to 4 GiB (wasm32)", length / (1u64 << 30) as f64)));
        }
        let t = web_time::Instant::now();
        let ctx = gpu(options.no_f16, options.no_subgroups).await?;
        let device_ms = ms(t);
        let file = crate::FileBytes::Js(file);
        let t = web_time::Instant::now();
        let g = crate::gguf::parse_file(&file).map_err(js_error)?;
        let parse_ms = ms(t);
        let (quant, parameters) = weight_summary(&g);
        let name = g.get("general.name").and_then(|v| v.as_str()).unwrap_or("").to_string();
        let mut model = TextModel::from_gguf(ctx.clone(), &g, &file, None, &LlamaOptions { context: options.context, ..Default::default() }).map_err(js_error)?;
        model.load_phases.parse = parse_ms;
        drop(g);
        let file_bytes = file.len();
        drop(file);
        // Ready means the first forward's pipelines are compiled and the weights are on the GPU
        // (a failed upload is reported now). The decode pipelines may still be compiling: the
        // GPU process does that off its main thread while the prompt is prefilled.
        let t = web_time::Instant::now();
        model.llama.ready_to_prefill().await.map_err(js_error)?;
        ctx.wait_idle().await.map_err(js_error)?;
        let p = model.load_phases;
        let load_phases_ms = serde_json::json!({ "device": device_ms, "parse": p.parse, "tokenizer": p.tokenizer, "weights_and_pipelines": p.weights_and_pipelines, "gpu_wait": ms(t) });
        let c = &model.llama.config;
        let info = Info {
            task: "text-generation",
            name,
            architecture: c.arch.clone(),
            quant,
            parameters,
            file_bytes,
            context_length: model.llama.context,
            train_context_length: c.context_length,
            vocab_size: c.vocab_size,
            gpu_bytes: model.llama.gpu_bytes,
            kv_bytes: model.llama.kv_bytes,
            cost: model.llama.cost,
            has_chat_template: model.chat_template.is_some(),
            adapter: adapter_info(&ctx),
            f16: ctx.f16,
            load_phases_ms,
        };
        let info = to_js(&info)?;
        Ok(TextEngine { state: Rc::new(RefCell::new(Some(State { model, generation: None }))), info })
    }

    /// Model, adapter and memory facts (a plain object).
    pub fn info(&self) -> JsValue {
        self.info.clone()
    }

    /// Token ids of `text` (special tokens parsed; BOS added when the model asks for it).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, JsValue> {
        let s = self.state.try_borrow().map_err(|_| busy())?;
        s.as_ref().ok_or_else(busy)?.model.tokenizer.encode(text).map_err(js_error)
    }

    /// Text of `ids` (invalid UTF-8 becomes U+FFFD).
    pub fn detokenize(&self, ids: Vec<u32>) -> Result<String, JsValue> {
        let s = self.state.try_borrow().map_err(|_| busy())?;
        let m = &s.as_ref().ok_or_else(busy)?.model;
        if let Some(bad) = ids.iter().find(|&&i| i as usize >= m.tokenizer.vocab_size()) {
            return Err(invalid(format!("token id {bad} is outside the vocabulary of {}", m.tokenizer.vocab_size())));
        }
        Ok(m.tokenizer.decode(&ids))
    }

    /// Prompt ids for chat `messages` ([{role, content}]) rendered with the model's template,
    /// leaving room for `max_tokens`; with `truncate`, the oldest turns are dropped to fit.
    #[wasm_bindgen(js_name = chatPrompt)]
    pub fn chat_prompt(&self, messages: JsValue, max_tokens: usize, truncate: bool) -> Result<JsValue, JsValue> {
        let messages: Vec<Message> = from_js(messages, "messages")?;
        let s = self.state.try_borrow().map_err(|_| busy())?;
        let m = &s.as_ref().ok_or_else(busy)?.model;
        let (ids, dropped) = m.chat_ids(&messages, max_tokens, truncate).map_err(js_error)?;
        to_js(&serde_json::json!({ "ids": ids, "dropped": dropped }))
    }

    /// Prefill `prompt` (reusing the cached prefix) for a new generation with `request`
    /// options. Resolves when the first token can be picked.
    pub fn start(&self, prompt: Vec<u32>, request: JsValue) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let request: Request = from_js(request, "generation options")?;
            let mut s = take(&state)?;
            s.generation = None;
            let r = Generation::start(&mut s.model, &prompt, request.options()).await;
            let out = r.map(|g| s.generation = Some(g)).map_err(js_error);
            *state.borrow_mut() = Some(s);
            out.map(|_| JsValue::UNDEFINED)
        })
    }

    /// The next token: `{id, text, logprob?}`, or `null` once the generation has finished.
    pub fn next(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let mut s = take(&state)?;
            let result = match s.generation.as_mut() {
                None => Err(invalid("no generation in progress; call start first")),
                Some(g) => g.next_token(&mut s.model).await.map_err(js_error),
            };
            *state.borrow_mut() = Some(s);
            match result? {
                None => Ok(JsValue::NULL),
                Some(ev) => to_js(&serde_json::json!({ "id": ev.id, "text": ev.text, "logprob": ev.logprob })),
            }
        })
    }

    /// The report of the current generation (text, ids, finish_reason, usage, timings,
    /// logprobs); it stays available until the next `start`.
    pub fn finish(&self) -> Result<JsValue, JsValue> {
        let s = self.state.try_borrow().map_err(|_| busy())?;
        let g = s.as_ref().ok_or_else(busy)?.generation.as_ref().ok_or_else(|| invalid("no generation to report"))?;
        to_js(&g.completion())
    }

    /// Abort the current generation between tokens; the model stays usable.
    pub fn cancel(&self) -> Result<(), JsValue> {
        let mut s = self.state.try_borrow_mut().map_err(|_| busy())?;
        s.as_mut().ok_or_else(busy)?.generation = None;
        Ok(())
    }

    /// Forget the KV cache (the next prompt is computed from scratch).
    pub fn reset(&self) -> Result<(), JsValue> {
        let mut s = self.state.try_borrow_mut().map_err(|_| busy())?;
        s.as_mut().ok_or_else(busy)?.model.llama.reset();
        Ok(())
    }

    /// Release the GPU buffers now (the engine is unusable afterwards).
    pub fn dispose(&self) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            s.take();
        }
    }
}
