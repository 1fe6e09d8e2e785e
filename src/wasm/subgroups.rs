//! Subgroups in browsers. wgpu's WebGPU backend neither requests the `subgroups` feature nor
//! reports it, so for the span of one synchronous call (wgpu calls `GPUAdapter.requestDevice`
//! as it creates the request future) `GPUAdapter.prototype.requestDevice` adds it when the
//! adapter has it; afterwards the device itself says whether it was granted. Static module code,
//! no `eval` (extension pages' CSP allows it).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function hearthAskForSubgroups(on) {
  const proto = globalThis.GPUAdapter && globalThis.GPUAdapter.prototype;
  if (!proto) return;
  if (on && !proto.__hearthRequestDevice) {
    const original = proto.requestDevice;
    proto.__hearthRequestDevice = original;
    proto.requestDevice = function (descriptor) {
      const d = Object.assign({}, descriptor);
      try {
        if (this.features.has("subgroups")) d.requiredFeatures = [...(d.requiredFeatures || []), "subgroups"];
      } catch (_) {
        // An adapter without a features set: ask for what wgpu asked for.
      }
      return original.call(this, d);
    };
  } else if (!on && proto.__hearthRequestDevice) {
    proto.requestDevice = proto.__hearthRequestDevice;
    delete proto.__hearthRequestDevice;
  }
}
export function hearthDeviceHas(device, feature) {
  return !!(device && device.features && device.features.has(feature));
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = hearthAskForSubgroups)]
    fn ask_for_subgroups(on: bool);
    #[wasm_bindgen(js_name = hearthDeviceHas)]
    fn device_has(device: &JsValue, feature: &str) -> bool;
}

/// Calls `request` (which must call `GPUAdapter.requestDevice` synchronously) with `subgroups`
/// added to the features the device asks for, when the adapter has them.
pub(crate) fn with_subgroups<T>(request: impl FnOnce() -> T) -> T {
    ask_for_subgroups(true);
    let out = request();
    ask_for_subgroups(false);
    out
}

/// Whether `device` was granted `subgroups`.
pub(crate) fn granted(device: &wgpu::Device) -> bool {
    device.as_webgpu().is_some_and(|d| device_has(d.as_ref(), "subgroups"))
}
