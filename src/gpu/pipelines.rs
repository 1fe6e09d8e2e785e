//! Compute pipelines, compiled once per (shader, defines) and cached for the device's life.
//! Threads may ask at once (natively a model records its programs in parallel): a pipeline
//! another thread is compiling is waited for, not compiled twice.

use super::context::GpuContext;
use super::shaders::{preprocess, Defines};
use crate::error::{HearthError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Key = (String, Defines);

#[derive(Default)]
pub struct PipelineCache(Mutex<HashMap<Key, Arc<OnceLock<Result<Arc<wgpu::ComputePipeline>>>>>>);

impl GpuContext {
    /// The pipeline of `shader` (entry point `main`) with `defines` (+ `F16` when enabled).
    pub fn pipeline(&self, shader: &str, defines: Defines) -> Result<Arc<wgpu::ComputePipeline>> {
        let defines = defines.flag_if(self.f16, "F16");
        let key = (shader.to_string(), defines.clone());
        let lock = || self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner());
        let cell = lock().entry(key.clone()).or_default().clone();
        let compiled = cell.get_or_init(|| self.compile(shader, &defines)).clone();
        if compiled.is_err() {
            // Not kept: the next request tries again.
            lock().remove(&key);
        }
        compiled
    }

    fn compile(&self, shader: &str, defines: &Defines) -> Result<Arc<wgpu::ComputePipeline>> {
        let code = preprocess(shader, defines).map_err(HearthError::Gpu)?;
        self.check()?;
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(shader),
            source: wgpu::ShaderSource::Wgsl(code.into()),
        });
        let pipeline = Arc::new(self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(shader),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        }));
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
