//! Sentence embeddings: a Hugging Face model folder's files → tokenizer (as sentence-transformers
//! tokenizes: truncation at `max_seq_length` counting [CLS]/[SEP], no padding) + `Bert` on the
//! GPU; texts are embedded in batches of `options.batch`.

use crate::error::{HearthError, Result};
use crate::gpu::kernels::Pooling;
use crate::gpu::GpuContext;
use crate::model::bert::{Bert, BertConfig, BertOptions, BertSource};
use crate::tokenizer::Tokenizer;
use std::sync::Arc;

/// The files of a sentence-transformers model folder.
pub struct ModelFiles<'a> {
    pub config: &'a [u8],
    pub weights: &'a [u8],
    pub tokenizer: &'a [u8],
    /// `sentence_bert_config.json` (sets `max_seq_length`).
    pub sentence_bert_config: Option<&'a [u8]>,
    /// `1_Pooling/config.json` (sets the pooling mode).
    pub pooling_config: Option<&'a [u8]>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Embeddings {
    pub embeddings: Vec<Vec<f32>>,
    pub input_ids: Vec<Vec<u32>>,
    pub truncated: Vec<bool>,
}

pub struct Embedder {
    pub tokenizer: Tokenizer,
    pub bert: Bert,
    cls: u32,
    sep: u32,
}

fn json(bytes: &[u8], what: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| HearthError::Malformed(format!("{what}: {e}")))
}

impl Embedder {
    /// Load a Hugging Face model folder's files. `options` fields left at their defaults are
    /// taken from the model's own configs (pooling mode, max_seq_length) where present.
    /// `explicit_pooling` keeps `options.pooling`.
    pub fn load(ctx: Arc<GpuContext>, files: &ModelFiles, mut options: BertOptions, explicit_pooling: bool) -> Result<Embedder> {
        let config = BertConfig::from_json(files.config)?;
        if let (Some(b), 0) = (files.sentence_bert_config, options.max_seq_len) {
            if let Some(n) = json(b, "sentence_bert_config.json")?["max_seq_length"].as_u64() {
                options.max_seq_len = (n as usize).min(config.max_position_embeddings as usize);
            }
        }
        if let (Some(p), false) = (files.pooling_config, explicit_pooling) {
            let p = json(p, "1_Pooling/config.json")?;
            let on = |k: &str| p[k].as_bool().unwrap_or(false);
            options.pooling = if on("pooling_mode_cls_token") {
                Pooling::Cls
            } else if on("pooling_mode_lasttoken") {
                Pooling::Last
            } else if on("pooling_mode_mean_tokens") {
                Pooling::Mean
            } else {
                return Err(HearthError::UnsupportedModel("1_Pooling/config.json asks for a pooling mode other than mean, cls or last token".into()));
            };
        }
        let tokenizer = Tokenizer::from_json(files.tokenizer)?;
        let st = crate::safetensors::parse(files.weights)?;
        Embedder::build(ctx, tokenizer, config, BertSource::SafeTensors(&st, files.weights), options)
    }

    /// Load a BERT GGUF file (llama.cpp's converter: `general.architecture = bert`, WordPiece
    /// vocabulary, `bert.pooling_type`). Weights keep the file's formats.
    pub fn load_gguf(ctx: Arc<GpuContext>, file: &[u8], mut options: BertOptions, explicit_pooling: bool) -> Result<Embedder> {
        let g = crate::gguf::parse(file)?;
        let config = BertConfig::from_gguf(&g)?;
        if !explicit_pooling {
            // llama.cpp's pooling enum: 0 none, 1 mean, 2 cls, 3 last, 4 rank.
            options.pooling = match g.get("bert.pooling_type").and_then(|v| v.as_u64()) {
                None | Some(0) | Some(1) => Pooling::Mean,
                Some(2) => Pooling::Cls,
                Some(3) => Pooling::Last,
                Some(other) => return Err(HearthError::UnsupportedModel(format!("bert.pooling_type {other} (mean, cls and last are supported)"))),
            };
        }
        let tokenizer = Tokenizer::from_gguf(&g)?;
        Embedder::build(ctx, tokenizer, config, BertSource::Gguf(&g, file), options)
    }

    fn build(ctx: Arc<GpuContext>, tokenizer: Tokenizer, config: BertConfig, source: BertSource, mut options: BertOptions) -> Result<Embedder> {
        if options.max_seq_len == 0 {
            options.max_seq_len = config.max_position_embeddings as usize;
        }
        let vocab = tokenizer.inner().get_vocab(true);
        let id = |t: &str| vocab.get(t).copied().ok_or_else(|| HearthError::Tokenizer(format!("vocabulary has no {t}")));
        let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
        let bert = Bert::load(ctx, config, source, options)?;
        Ok(Embedder { tokenizer, bert, cls, sep })
    }

    /// [CLS] + word pieces (truncated to max_seq_len − 2) + [SEP], and whether it was truncated.
    pub fn tokenize(&self, text: &str) -> Result<(Vec<u32>, bool)> {
        let enc = self.tokenizer.inner().encode(text, false).map_err(|e| HearthError::Tokenizer(e.to_string()))?;
        let pieces = enc.get_ids();
        let room = self.bert.options.max_seq_len - 2;
        let mut ids = Vec::with_capacity(pieces.len().min(room) + 2);
        ids.push(self.cls);
        ids.extend_from_slice(&pieces[..pieces.len().min(room)]);
        ids.push(self.sep);
        Ok((ids, pieces.len() > room))
    }

    pub async fn embed(&self, texts: &[String]) -> Result<Embeddings> {
        let mut out = Embeddings { embeddings: Vec::new(), input_ids: Vec::new(), truncated: Vec::new() };
        for t in texts {
            let (ids, truncated) = self.tokenize(t)?;
            out.input_ids.push(ids);
            out.truncated.push(truncated);
        }
        // Batch sentences of similar length together (batches are packed without padding, but
        // launches over a batch's sequences are sized by its longest); results are independent
        // of batch composition, so the original order is simply restored.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| out.input_ids[i].len());
        out.embeddings = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.bert.options.batch) {
            let seqs: Vec<Vec<u32>> = chunk.iter().map(|&i| out.input_ids[i].clone()).collect();
            for (&i, e) in chunk.iter().zip(self.bert.forward(&seqs).await?) {
                out.embeddings[i] = e;
            }
        }
        Ok(out)
    }
}
