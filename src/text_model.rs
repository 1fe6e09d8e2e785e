//! A loaded text model: tokenizer + llama decoder on the GPU, built from one GGUF file's bytes.

use crate::error::Result;
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
}

impl TextModel {
    /// Parse `file` (a whole GGUF), build its tokenizer and upload its weights.
    /// `tokenizer_json` replaces the embedded vocabulary when given.
    pub fn load(ctx: Arc<GpuContext>, file: &[u8], tokenizer_json: Option<&[u8]>, options: &LlamaOptions) -> Result<TextModel> {
        let g = gguf::parse(file)?;
        let tokenizer = match tokenizer_json {
            Some(json) => Tokenizer::from_json(json)?,
            None => Tokenizer::from_gguf(&g)?,
        };
        let llama = Llama::load(ctx, &g, file, options)?;
        let chat_template = g.get("tokenizer.chat_template").and_then(|v| v.as_str()).map(str::to_string);
        Ok(TextModel { tokenizer, llama, chat_template })
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
