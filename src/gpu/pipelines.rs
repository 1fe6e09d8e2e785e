//! Compute pipelines, compiled once per (shader, defines) and cached for the device's life.
//! Threads may ask at once (natively a background thread compiles a model's decode pipelines
//! while the caller records its prefill): a pipeline another thread is compiling is waited
//! for, not compiled twice.
//!
//! Kernels take a `Pipeline` handle (`GpuContext::pipeline_handle`). Natively it is compiled
//! before the handle returns, except inside `GpuContext::compile_in_background`, whose
//! pipelines then compile one after another on a thread of their own. In browsers it compiles
//! in the background from `Pipeline::start` on (`createComputePipelineAsync`, off the GPU
//! process's main thread, which meanwhile takes the weight uploads and runs launches) until
//! `Pipeline::get` waits for it: a model is ready once the pipelines of its first forward are,
//! and its decode pipelines compile while the prompt is prefilled (src/wasm/async_pipelines.rs).

use super::context::GpuContext;
use super::shaders::{preprocess, Defines};
use crate::error::{HearthError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[cfg(not(target_arch = "wasm32"))]
thread_local! {
    /// Inside `compile_in_background` on this thread: the pipelines asked for, with their
    /// preprocessed code, left for the background thread.
    static DEFERRED: std::cell::RefCell<Option<Vec<(Pipeline, String)>>> = const { std::cell::RefCell::new(None) };
}

type Key = (String, Defines);

#[derive(Default)]
pub struct PipelineCache(Mutex<HashMap<Key, Pipeline>>);

/// A compute pipeline: compiled, or (in browsers) compiling in the background.
#[derive(Clone)]
pub struct Pipeline(Arc<Slot>);

struct Slot {
    /// "shader {defines}", for error messages.
    what: String,
    /// Natively: what `get` compiles if the background thread has not yet.
    #[cfg(not(target_arch = "wasm32"))]
    shader: String,
    #[cfg(not(target_arch = "wasm32"))]
    defines: Defines,
    compiled: OnceLock<Result<Arc<wgpu::ComputePipeline>>>,
    /// Browsers: the preprocessed code until `start`, then the `createComputePipelineAsync`
    /// promise until `get` has the pipeline.
    #[cfg(target_arch = "wasm32")]
    compile: std::cell::RefCell<Compile>,
}

#[cfg(target_arch = "wasm32")]
#[derive(Default)]
enum Compile {
    #[default]
    None,
    Code(String, String),
    Started(js_sys::Promise),
}

impl Pipeline {
    fn new(shader: &str, defines: &Defines) -> Pipeline {
        Pipeline(Arc::new(Slot {
            what: format!("{shader} {:?}", defines.0),
            #[cfg(not(target_arch = "wasm32"))]
            shader: shader.to_string(),
            #[cfg(not(target_arch = "wasm32"))]
            defines: defines.clone(),
            compiled: OnceLock::new(),
            #[cfg(target_arch = "wasm32")]
            compile: Default::default(),
        }))
    }

    /// The compiled pipeline, if it is ready (always, natively).
    pub fn ready(&self) -> Option<Arc<wgpu::ComputePipeline>> {
        self.0.compiled.get().and_then(|r| r.as_ref().ok()).cloned()
    }

    /// Start compiling in the background (browsers; natively it is compiled already or
    /// compiling on `compile_in_background`'s thread).
    pub fn start(&self, ctx: &GpuContext) {
        #[cfg(target_arch = "wasm32")]
        {
            let mut compile = self.0.compile.borrow_mut();
            if let Compile::Code(shader, code) = &*compile {
                *compile = Compile::Started(crate::wasm::async_pipelines::start(ctx, shader, code));
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = ctx;
    }

    /// The compiled pipeline, waiting for a background compile to finish (starting it first
    /// if need be; natively compiling it here if the background thread has not got to it).
    pub async fn get(&self, ctx: &GpuContext) -> Result<Arc<wgpu::ComputePipeline>> {
        #[cfg(not(target_arch = "wasm32"))]
        self.0.compiled.get_or_init(|| ctx.compile(&self.0.shader, &self.0.defines));
        #[cfg(target_arch = "wasm32")]
        if self.0.compiled.get().is_none() {
            self.start(ctx);
            // The promise stays in the slot while it is awaited (no borrow is held across the
            // await), so a second caller awaits the same compile.
            let started = match &*self.0.compile.borrow() {
                Compile::Started(p) => Some(p.clone()),
                _ => None,
            };
            let compiled = match started {
                Some(p) => crate::wasm::async_pipelines::finish(ctx, &self.0.what, p).await,
                None => Err(HearthError::Gpu(format!("compiling {}: no compile under way", self.0.what))),
            };
            if self.0.compiled.set(compiled).is_ok() {
                *self.0.compile.borrow_mut() = Compile::None;
            }
        }
        let compiled = self.0.compiled.get().cloned().unwrap_or_else(|| Err(HearthError::Gpu(format!("compiling {}: not started", self.0.what))));
        if compiled.is_err() {
            // Not kept: the next request for it compiles it again.
            ctx.forget_pipeline(self);
        }
        compiled
    }
}

impl GpuContext {
    /// `defines` + what this device compiles every kernel with: F16 (`enable f16;`) and
    /// UNORM_QUANTS (`GpuContext::unorm_quants`) when on.
    fn context_defines(&self, defines: Defines) -> Defines {
        defines.flag_if(self.f16, "F16").flag_if(self.unorm_quants, "UNORM_QUANTS")
    }

    /// The pipeline of `shader` (entry point `main`) with `defines` (+ `context_defines`),
    /// compiled on the calling thread.
    pub fn pipeline(&self, shader: &str, defines: Defines) -> Result<Arc<wgpu::ComputePipeline>> {
        let defines = self.context_defines(defines);
        let slot = self.slot(shader, &defines);
        let compiled = slot.0.compiled.get_or_init(|| self.compile(shader, &defines)).clone();
        if compiled.is_err() {
            self.forget_pipeline(&slot);
        }
        compiled
    }

    /// `pipeline` as a handle for a kernel launch: natively compiled before it returns; in
    /// browsers compiled in the background from `Pipeline::start` (or `get`) on. Preprocessing
    /// errors are reported here.
    pub fn pipeline_handle(&self, shader: &str, defines: Defines) -> Result<Pipeline> {
        #[cfg(target_arch = "wasm32")]
        {
            let defines = self.context_defines(defines);
            let slot = self.slot(shader, &defines);
            if slot.0.compiled.get().is_none() && matches!(*slot.0.compile.borrow(), Compile::None) {
                let code = preprocess(shader, &defines).map_err(HearthError::Gpu)?;
                *slot.0.compile.borrow_mut() = Compile::Code(shader.to_string(), code);
            }
            Ok(slot)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            if DEFERRED.with(|d| d.borrow().is_some()) {
                let defines = self.context_defines(defines);
                let slot = self.slot(shader, &defines);
                if slot.0.compiled.get().is_none() {
                    let code = preprocess(shader, &defines).map_err(HearthError::Gpu)?;
                    DEFERRED.with(|d| d.borrow_mut().as_mut().map(|v| v.push((slot.clone(), code))));
                }
                return Ok(slot);
            }
            self.pipeline(shader, defines.clone())?;
            Ok(self.slot(shader, &self.context_defines(defines)))
        }
    }

    /// Run `record` (which records launches) with the pipelines it asks for left to compile
    /// afterwards, one after another, on a thread of their own; its launches are bound by
    /// `dispatch::ready`, which waits for them. A program needed only later (decode, after the
    /// first prefill) so stays off a load's critical path, as in browsers, where every pipeline
    /// compiles in the background. Compile errors surface at the next `check` (`ready` checks).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn compile_in_background<T>(&self, record: impl FnOnce() -> T) -> T {
        let outer = DEFERRED.with(|d| d.borrow_mut().replace(Vec::new()));
        let out = record();
        let deferred = DEFERRED.with(|d| std::mem::replace(&mut *d.borrow_mut(), outer)).unwrap_or_default();
        if !deferred.is_empty() {
            let device = self.device.clone();
            std::thread::spawn(move || {
                for (slot, code) in deferred {
                    slot.0.compiled.get_or_init(|| Ok(compile_code(&device, &slot.0.shader, code)));
                }
            });
        }
        out
    }

    /// The cache's slot for (shader, defines), created empty when new.
    fn slot(&self, shader: &str, defines: &Defines) -> Pipeline {
        let mut cache = self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.entry((shader.to_string(), defines.clone())).or_insert_with(|| Pipeline::new(shader, defines)).clone()
    }

    /// Drop `slot` from the cache (its compile failed).
    fn forget_pipeline(&self, slot: &Pipeline) {
        self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, p| !Arc::ptr_eq(&p.0, &slot.0));
    }

    fn compile(&self, shader: &str, defines: &Defines) -> Result<Arc<wgpu::ComputePipeline>> {
        let code = preprocess(shader, defines).map_err(HearthError::Gpu)?;
        self.check()?;
        let pipeline = compile_code(&self.device, shader, code);
        self.check().map_err(|e| HearthError::Gpu(format!("compiling {shader} {:?}: {e}", defines.0)))?;
        Ok(pipeline)
    }

    /// Every (shader, defines) compiled on this device so far, sorted.
    pub fn pipeline_variants(&self) -> Vec<(String, Defines)> {
        let mut v: Vec<_> = self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        v.sort();
        v
    }
}

/// The pipeline of `shader`'s preprocessed `code` (entry point `main`). Errors go to the
/// device's error sink (`GpuContext::check`).
fn compile_code(device: &wgpu::Device, shader: &str, code: String) -> Arc<wgpu::ComputePipeline> {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(shader), source: wgpu::ShaderSource::Wgsl(code.into()) });
    Arc::new(device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(shader),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    }))
}
