//! Compute pipelines, compiled once per (shader, defines) and cached for the device's life.

use super::context::GpuContext;
use super::shaders::{preprocess, Defines};
use crate::error::{HearthError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct PipelineCache(Mutex<HashMap<(String, Defines), Arc<wgpu::ComputePipeline>>>);

impl GpuContext {
    /// The pipeline of `shader` (entry point `main`) with `defines` (+ `F16` when enabled).
    pub fn pipeline(&self, shader: &str, defines: Defines) -> Result<Arc<wgpu::ComputePipeline>> {
        let defines = defines.flag_if(self.f16, "F16");
        let key = (shader.to_string(), defines.clone());
        if let Some(p) = self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(p.clone());
        }
        let code = preprocess(shader, &defines).map_err(HearthError::Gpu)?;
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
        self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// Every (shader, defines) compiled on this device so far, sorted.
    pub fn pipeline_variants(&self) -> Vec<(String, Defines)> {
        let mut v: Vec<_> = self.pipelines.0.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        v.sort();
        v
    }
}
