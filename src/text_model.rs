//! A loaded text model: tokenizer + llama decoder on the GPU, built from one GGUF file's bytes.

use crate::error::Result;
use crate::file_bytes::FileBytes;
use crate::gguf;
use crate::gpu::GpuContext;
use crate::model::{Llama, LlamaOptions};
use crate::tokenizer::Tokenizer;
use std::sync::Arc;

pub struct TextModel {
    pub tokenizer: Tokenizer,
    pub llama: Llama,
    /// `tokenizer.chat_template` from the file, when present.
    pub chat_template: Option<String>,
    /// Where `load` spent its time.
    pub load_phases: LoadPhases,
}

/// Milliseconds per step of `TextModel::load`, on the calling thread. The GPU runs the uploads
/// and pipeline compiles it queued later (in the browser, in its GPU process); waiting for those
/// is the caller's "gpu_wait".
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct LoadPhases {
    pub parse: f64,
    pub tokenizer: f64,
    /// Transcoding and uploading the weights, and creating the pipelines.
    pub weights_and_pipelines: f64,
}

/// Milliseconds since `t`, to 0.1 ms (the load phases').
pub(crate) fn ms(t: web_time::Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

impl TextModel {
    /// Parse `file` (a whole GGUF), build its tokenizer and upload its weights.
    /// `tokenizer_json` replaces the embedded vocabulary when given.
    pub fn load(ctx: Arc<GpuContext>, file: &[u8], tokenizer_json: Option<&[u8]>, options: &LlamaOptions) -> Result<TextModel> {
        let t = web_time::Instant::now();
        let g = gguf::parse(file)?;
        let parse = ms(t);
        let mut model = TextModel::from_gguf(ctx, &g, &file.into(), tokenizer_json, options)?;
        model.load_phases.parse = parse;
        Ok(model)
    }

    /// `load` for a file whose header `g` the caller parsed (`gguf::parse_file`); its bytes
    /// may be in a JS array, read one tensor at a time (`FileBytes`).
    pub fn from_gguf(ctx: Arc<GpuContext>, g: &gguf::Gguf, file: &FileBytes, tokenizer_json: Option<&[u8]>, options: &LlamaOptions) -> Result<TextModel> {
        // The decoder first: in browsers its pipelines then compile in the GPU process while
        // the weights are transcoded and the tokenizer is built here.
        let t = web_time::Instant::now();
        let llama = Llama::load(ctx, g, file, options)?;
        let weights_and_pipelines = ms(t);
        let t = web_time::Instant::now();
        let tokenizer = match tokenizer_json {
            Some(json) => Tokenizer::from_json(json)?,
            None => Tokenizer::from_gguf(g)?,
        };
        let load_phases = LoadPhases { parse: 0.0, tokenizer: ms(t), weights_and_pipelines };
        let chat_template = g.get("tokenizer.chat_template").and_then(|v| v.as_str()).map(str::to_string);
        Ok(TextModel { tokenizer, llama, chat_template, load_phases })
    }

    /// Token ids of the chat prompt for `messages`, leaving room for `max_tokens`. When it does
    /// not fit the context window: `ContextOverflow`, or, with `truncate_oldest`, the oldest
    /// turns after any leading system message are dropped until it fits (the last message is
    /// always kept). Returns the ids and how many messages were dropped.
    pub fn chat_ids(&self, messages: &[crate::chat::Message], max_tokens: usize, truncate_oldest: bool) -> Result<(Vec<u32>, usize)> {
        let context = self.llama.context as usize;
        let keep_first = usize::from(messages.first().is_some_and(|m| m.role == "system"));
        let mut msgs = messages.to_vec();
        let mut dropped = 0;
        loop {
            let ids = self.tokenizer.encode(&self.render_chat(&msgs)?)?;
            if ids.len() + max_tokens <= context {
                return Ok((ids, dropped));
            }
            if !truncate_oldest || msgs.len() <= keep_first + 1 {
                return Err(crate::error::HearthError::ContextOverflow { prompt: ids.len(), requested: max_tokens, context });
            }
            msgs.remove(keep_first);
            dropped += 1;
        }
    }

    /// The chat prompt for `messages` with the model's own template (generation prompt added).
    pub fn render_chat(&self, messages: &[crate::chat::Message]) -> Result<String> {
        let template = self.chat_template.as_deref().ok_or_else(|| {
            crate::error::HearthError::Template("the model file has no chat template (tokenizer.chat_template)".into())
        })?;
        let text = |id: Option<u32>| id.map(|i| String::from_utf8_lossy(self.tokenizer.token_bytes(i)).into_owned()).unwrap_or_default();
        crate::chat::render(template, messages, true, &text(self.tokenizer.bos), &text(self.tokenizer.eos))
    }
}
