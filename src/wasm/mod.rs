//! The WebAssembly surface (wasm-bindgen), used by the npm package's TypeScript layer.
//! It is small and pull-based: `TextEngine` (load, tokenize, chat prompt ids, then
//! `start` + repeated `next` + `finish` per generation, `cancel` to abort between tokens) and
//! `EmbedEngine` (load a folder's files or a GGUF, `embed`). The request queue, streaming,
//! `AbortSignal`, downloads, caching and the OpenAI-shaped responses live in TypeScript.
//!
//! Errors: every `HearthError` becomes a JS `Error` whose `name` is the error's stable code.
//! A panic cannot unwind on wasm32: the hook below records its message (and logs it), the call
//! traps, and the TypeScript layer turns the trap into an `InternalError` carrying that message.

mod embed;
pub(crate) mod async_pipelines;
pub(crate) mod subgroups;
mod text;

use crate::error::HearthError;
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

pub use embed::EmbedEngine;
pub use text::TextEngine;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[wasm_bindgen(start)]
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&JsValue::from_str(&format!("hearth panicked: {message}")));
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
    }));
}

/// The message of the last panic (taken), for the error the JS layer throws after a trap.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

/// A JS `Error` named by the error's code.
pub(crate) fn js_error(e: HearthError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name(e.code());
    err.into()
}

pub(crate) fn invalid(what: impl std::fmt::Display) -> JsValue {
    js_error(HearthError::InvalidArgument(what.to_string()))
}

/// Plain JS objects (not Maps) for Rust structs.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(invalid)
}

pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return serde_wasm_bindgen::from_value(js_sys::Object::new().into()).map_err(|e| invalid(format!("{what}: {e}")));
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| invalid(format!("{what}: {e}")))
}

/// The GPU for one model. `no_f16` forces the path without `shader-f16`, `no_subgroups` the
/// one without subgroup operations.
pub(crate) async fn gpu(no_f16: bool, no_subgroups: bool) -> Result<std::sync::Arc<crate::GpuContext>, JsValue> {
    crate::GpuContext::new(&crate::GpuOptions { no_f16, no_subgroups, ..Default::default() }).await.map_err(js_error)
}

/// What `info` reports about the adapter.
#[derive(Serialize)]
pub(crate) struct AdapterInfo {
    pub name: String,
    pub backend: String,
    pub f16: bool,
    /// Whether the kernels use subgroup operations.
    pub subgroups: bool,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
}

pub(crate) fn adapter_info(ctx: &crate::GpuContext) -> AdapterInfo {
    AdapterInfo {
        name: if ctx.adapter_info.name.is_empty() { "WebGPU adapter".into() } else { ctx.adapter_info.name.clone() },
        backend: format!("{:?}", ctx.adapter_info.backend),
        f16: ctx.f16,
        subgroups: ctx.subgroups,
        max_buffer_size: ctx.limits.max_buffer_size,
        max_storage_buffer_binding_size: ctx.limits.max_storage_buffer_binding_size as u64,
    }
}

/// Kernel variants timed side by side on this adapter (`gpu::kernel_bench`; for development).
#[wasm_bindgen(js_name = benchmarkKernels)]
pub async fn benchmark_kernels(reps: u32, tokens: u32, no_subgroups: bool) -> Result<JsValue, JsValue> {
    let ctx = gpu(true, no_subgroups).await?;
    let t = crate::gpu::kernel_bench::run(&ctx, reps as usize, tokens).await.map_err(js_error)?;
    to_js(&t)
}

/// The adapter's measured ceilings (streaming read GB/s, f32 FMA GFLOP/s) with its info:
/// what benchmarks divide decode and prefill rates by. Takes seconds on emulated GPUs.
#[wasm_bindgen(js_name = measureDeviceLimits)]
pub async fn measure_device_limits(mib: u32, reps: u32) -> Result<JsValue, JsValue> {
    let ctx = gpu(true, false).await?;
    let limits = crate::gpu::limits::measure(&ctx, mib as u64, reps as usize).await.map_err(js_error)?;
    #[derive(Serialize)]
    struct Out {
        adapter: AdapterInfo,
        #[serde(flatten)]
        limits: crate::gpu::limits::DeviceLimits,
    }
    to_js(&Out { adapter: adapter_info(&ctx), limits })
}
