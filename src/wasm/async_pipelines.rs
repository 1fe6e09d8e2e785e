//! Pipelines compiled in the background in browsers. A plain `createComputePipeline` is
//! compiled on the GPU process's main thread, in order with everything else it is sent: the
//! weight uploads of a load waited behind the compiles (SwiftShader: 10 pipelines, 0.5 s, of a
//! 0.75 s load). `createComputePipelineAsync` compiles on a worker thread instead, but wgpu has
//! no such call (gfx-rs/wgpu#3794), so `start` calls it here and `finish` hands the finished
//! `GPUComputePipeline` to wgpu: for the span of one synchronous `create_compute_pipeline`,
//! the device's `createComputePipeline` returns it (an own property shadowing the prototype's,
//! removed right after). Static module code, no `eval`.

use crate::error::{HearthError, Result};
use crate::gpu::GpuContext;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function hearthCompileAsync(device, code, label) {
  const module = device.createShaderModule({ code, label });
  return device.createComputePipelineAsync({ label, layout: "auto", compute: { module, entryPoint: "main" } });
}
export function hearthAdoptBegin(device, pipeline) {
  Object.defineProperty(device, "createComputePipeline", { value: () => pipeline, configurable: true, writable: true });
}
export function hearthAdoptEnd(device) {
  delete device.createComputePipeline;
}
export function hearthErrorMessage(e) {
  return String((e && e.message) || e);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = hearthCompileAsync)]
    fn compile_async(device: &JsValue, code: &str, label: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = hearthAdoptBegin)]
    fn adopt_begin(device: &JsValue, pipeline: &JsValue);
    #[wasm_bindgen(js_name = hearthAdoptEnd)]
    fn adopt_end(device: &JsValue);
    #[wasm_bindgen(js_name = hearthErrorMessage)]
    fn error_message(e: &JsValue) -> String;
}

fn raw_device(ctx: &GpuContext) -> Result<JsValue> {
    let device = ctx.device.as_webgpu().ok_or_else(|| HearthError::Gpu("the device is not a WebGPU device".into()))?;
    Ok(AsRef::<JsValue>::as_ref(device).clone())
}

/// Start compiling `code` (the preprocessed `shader`) in the background.
pub(crate) fn start(ctx: &GpuContext, shader: &str, code: &str) -> js_sys::Promise {
    match raw_device(ctx) {
        Ok(device) => compile_async(&device, code, shader),
        Err(e) => js_sys::Promise::reject(&JsValue::from_str(&e.to_string())),
    }
}

/// Wait for the compile `start` began and wrap its pipeline for wgpu.
pub(crate) async fn finish(ctx: &GpuContext, what: &str, compiling: js_sys::Promise) -> Result<Arc<wgpu::ComputePipeline>> {
    let compiled = wasm_bindgen_futures::JsFuture::from(compiling)
        .await
        .map_err(|e| HearthError::Gpu(format!("compiling {what}: {}", error_message(&e))))?;
    ctx.check()?;
    let device = raw_device(ctx)?;
    // What wgpu sends as the descriptor's module is not used: the device returns `compiled`.
    let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("adopted"),
        source: wgpu::ShaderSource::Wgsl("@compute @workgroup_size(1) fn main() {}".into()),
    });
    adopt_begin(&device, &compiled);
    let pipeline = ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(what),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    adopt_end(&device);
    Ok(Arc::new(pipeline))
}
