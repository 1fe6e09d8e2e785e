//! `EmbedEngine`: a BERT-family sentence encoder on the GPU.

use super::{adapter_info, from_js, gpu, invalid, js_error, to_js, AdapterInfo};
use crate::embedder::{Embedder, ModelFiles};
use crate::gpu::kernels::Pooling;
use crate::model::bert::{BertOptions, BertWeights};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LoadOptions {
    no_f16: bool,
    /// Never use subgroup operations.
    no_subgroups: bool,
    /// "bf16" (default), "mixed", "q8_0", "f16" or "f32"; safetensors checkpoints only.
    quant: Option<String>,
    pooling: Option<Pooling>,
    normalize: Option<bool>,
    batch: Option<usize>,
    max_seq_len: Option<usize>,
}

#[derive(Serialize)]
struct Info {
    task: &'static str,
    hidden_size: u32,
    layers: u32,
    vocab_size: u32,
    max_seq_len: usize,
    pooling: Pooling,
    normalize: bool,
    quant: String,
    gpu_bytes: u64,
    adapter: AdapterInfo,
    f16: bool,
}

#[wasm_bindgen]
pub struct EmbedEngine {
    embedder: Rc<RefCell<Option<Embedder>>>,
    info: JsValue,
}

fn busy() -> JsValue {
    invalid("the model is busy with another call (requests must be queued one at a time)")
}

#[wasm_bindgen]
impl EmbedEngine {
    /// Load from a sentence-transformers folder's files (`config`, `weights` = model.safetensors,
    /// `tokenizer` = tokenizer.json, optional `sentenceBertConfig`, `poolingConfig`), or from a
    /// BERT GGUF (`gguf`). Each is a Uint8Array.
    pub async fn load(files: JsValue, options: JsValue) -> Result<EmbedEngine, JsValue> {
        let options: LoadOptions = from_js(options, "load options")?;
        let get = |name: &str| -> Result<Option<Vec<u8>>, JsValue> {
            let v = js_sys::Reflect::get(&files, &JsValue::from_str(name))?;
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            Ok(Some(v.dyn_into::<js_sys::Uint8Array>().map_err(|_| invalid(format!("file '{name}' must be a Uint8Array")))?.to_vec()))
        };
        let mut bert = BertOptions::default();
        if let Some(name) = &options.quant {
            bert.quant = BertWeights::parse(name).map_err(js_error)?;
        }
        let quant_name = bert.quant.name();
        bert.normalize = options.normalize.unwrap_or(true);
        bert.batch = options.batch.unwrap_or(bert.batch);
        bert.max_seq_len = options.max_seq_len.unwrap_or(0);
        if let Some(p) = options.pooling {
            bert.pooling = p;
        }
        let explicit_pooling = options.pooling.is_some();
        let ctx = gpu(options.no_f16, options.no_subgroups).await?;
        let (embedder, quant) = if let Some(gguf) = get("gguf")? {
            (Embedder::load_gguf(ctx.clone(), &gguf, bert, explicit_pooling).map_err(js_error)?, "gguf".to_string())
        } else {
            let need = |name: &str| -> Result<Vec<u8>, JsValue> { get(name)?.ok_or_else(|| invalid(format!("the model files lack '{name}'"))) };
            let (config, weights, tokenizer) = (need("config")?, need("weights")?, need("tokenizer")?);
            let (sbert, pooling) = (get("sentenceBertConfig")?, get("poolingConfig")?);
            let files = ModelFiles { config: &config, weights: &weights, tokenizer: &tokenizer, sentence_bert_config: sbert.as_deref(), pooling_config: pooling.as_deref() };
            (Embedder::load(ctx.clone(), &files, bert, explicit_pooling).map_err(js_error)?, quant_name)
        };
        embedder.bert.ready().await.map_err(js_error)?;
        ctx.wait_idle().await.map_err(js_error)?;
        let b = &embedder.bert;
        let info = Info {
            task: "embeddings",
            hidden_size: b.config.hidden_size,
            layers: b.config.num_hidden_layers,
            vocab_size: b.config.vocab_size,
            max_seq_len: b.options.max_seq_len,
            pooling: b.options.pooling,
            normalize: b.options.normalize,
            quant,
            gpu_bytes: b.gpu_bytes,
            adapter: adapter_info(&ctx),
            f16: ctx.f16,
        };
        let info = to_js(&info)?;
        Ok(EmbedEngine { embedder: Rc::new(RefCell::new(Some(embedder))), info })
    }

    pub fn info(&self) -> JsValue {
        self.info.clone()
    }

    /// Token ids as the encoder sees them ([CLS] … [SEP], truncated).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, JsValue> {
        let e = self.embedder.try_borrow().map_err(|_| busy())?;
        Ok(e.as_ref().ok_or_else(busy)?.tokenize(text).map_err(js_error)?.0)
    }

    /// `{embeddings: number[][], input_ids: number[][], truncated: boolean[]}` for `texts`.
    pub fn embed(&self, texts: Vec<String>) -> js_sys::Promise {
        let embedder = self.embedder.clone();
        future_to_promise(async move {
            let e = embedder.try_borrow_mut().map_err(|_| busy())?.take().ok_or_else(busy)?;
            let out = e.embed(&texts).await.map_err(js_error);
            *embedder.borrow_mut() = Some(e);
            to_js(&out?)
        })
    }

    /// For development: each kernel family of one forward over the first `batch` of `texts`,
    /// timed apart (`Bert::profile`), as `[label, ms][]`.
    pub fn profile(&self, texts: Vec<String>) -> js_sys::Promise {
        let embedder = self.embedder.clone();
        future_to_promise(async move {
            let e = embedder.try_borrow_mut().map_err(|_| busy())?.take().ok_or_else(busy)?;
            let run = async {
                let mut seqs = texts.iter().map(|t| e.tokenize(t).map(|(ids, _)| ids)).collect::<crate::error::Result<Vec<_>>>()?;
                seqs.truncate(e.bert.options.batch);
                e.bert.profile(&seqs).await
            };
            let out = run.await.map_err(js_error);
            *embedder.borrow_mut() = Some(e);
            to_js(&out?)
        })
    }

    pub fn dispose(&self) {
        if let Ok(mut e) = self.embedder.try_borrow_mut() {
            e.take();
        }
    }
}
