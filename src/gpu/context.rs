//! The GPU: adapter + device + queue, the features we use (`shader-f16` and subgroups when
//! present and not disabled), the adapter's real limits, and error capture (validation errors
//! and device loss become `HearthError`s instead of panics).

use super::shaders::Defines;
use crate::error::{HearthError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// Never use `shader-f16`, even when the adapter has it (the path SwiftShader needs).
    pub no_f16: bool,
    /// Never use subgroup operations, even when the adapter has them.
    pub no_subgroups: bool,
    /// Keep block-format weights in GGUF's row order on CPU emulations too, where they are
    /// otherwise stored in 32-row tiles (`quant::BlockOrder`): the layout real GPUs get.
    pub untiled_weights: bool,
    /// How matrix kernels read block formats' quants (`GpuContext::unorm_quants`); `None`: the
    /// adapter's own choice.
    pub unorm_quants: Option<bool>,
    /// Whether prefill's rows kernel owns 16 rows per invocation (`GpuContext::wide_matmul_rows`);
    /// `None`: the adapter's own choice.
    pub wide_matmul_rows: Option<bool>,
    /// Whether the encoder's launches declare their buffers as fixed-size arrays
    /// (`GpuContext::sized_bindings`); `None`: the adapter's own choice.
    pub sized_bindings: Option<bool>,
}

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    /// Whether kernels are compiled with `enable f16;`.
    pub f16: bool,
    /// Whether the device has subgroup operations (`enable subgroups;`).
    pub subgroups: bool,
    /// Whether block-format weights are stored in tiles of 32 rows (`quant::BlockOrder::Tiles`):
    /// on CPU emulations, whose rows kernels stream them fastest that way.
    pub tiled_weights: bool,
    /// Whether matrix kernels read block formats' quants with `unpack4x8unorm` (define
    /// UNORM_QUANTS, shaders/common/weights.wgsl) rather than integer shifts and masks: on
    /// SwiftShader the Q8_0 head's decode launch ran 1.6× and Q4_1's 1.25× as fast and compiled
    /// in 0.6–0.75× the time; on lavapipe (llvmpipe) decode ran 0.7–0.8× as fast, so there
    /// not. GPUs have the builtin in hardware.
    pub unorm_quants: bool,
    /// Whether prefill's rows kernel (shaders/matmul_rows.wgsl) owns 16 rows per invocation
    /// instead of 8 (define ROWS16): twice the FMAs per broadcast activation value. On lavapipe
    /// (llvmpipe) SmolLM2's Q4_1 shapes ran 1.04–1.22× as fast; on SwiftShader 0.86–1.08× and
    /// longer to compile, so only on llvmpipe.
    pub wide_matmul_rows: bool,
    /// Whether the rows kernel of `kernels::matmul_sized` (BERT's matrices) declares x, y, W and
    /// the bias as arrays of the bound buffers' own lengths (defines X_LEN, Y_LEN, W_LEN, B_LEN;
    /// `binding_len`) instead of runtime-sized arrays. Browsers clamp every index into a runtime-sized array
    /// against its `arrayLength`, which SwiftShader works out at each access with a division
    /// per lane (four scalar `div`s per load); a fixed length makes the clamp a `min` with a
    /// constant. On SwiftShader (the default there) MiniLM's 32-sentence batch in Chromium went
    /// 1302–1391 → 1231–1260 ms with x and y sized and 1236–1291 → 1215–1248 ms with W too;
    /// the 32 sentences one at a time 1767–1814 → 1673–1735 and 1506–1671 → 1553–1669 ms.
    /// Each combination of lengths is then a pipeline of its own. BERT's attention and
    /// LayerNorm launches, whose activations all have one length, are sized too
    /// (`sized_activations`).
    pub sized_bindings: bool,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
    pub(crate) pipelines: super::pipelines::PipelineCache,
    uniforms: Mutex<HashMap<Vec<u8>, Arc<wgpu::Buffer>>>,
    /// Inside `with_stand_in_buffers`: the small buffers `storage_buffer` returns, by the size
    /// asked for (which `binding_len` reports for them).
    stand_in: Mutex<Option<HashMap<u64, wgpu::Buffer>>>,
}

impl GpuContext {
    pub async fn new(options: &GpuOptions) -> Result<Arc<GpuContext>> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                apply_limit_buckets: false,
            })
            .await
            .map_err(|e| HearthError::NoAdapter(e.to_string()))?;
        let adapter_info = adapter.get_info();
        let f16 = !options.no_f16 && adapter.features().contains(wgpu::Features::SHADER_F16);
        let subgroups = !options.no_subgroups && adapter.features().contains(wgpu::Features::SUBGROUP);
        let mut features = if f16 { wgpu::Features::SHADER_F16 } else { wgpu::Features::empty() };
        if subgroups {
            features |= wgpu::Features::SUBGROUP;
        }
        // Ask for what the adapter really has, not the conservative defaults.
        let limits = adapter.limits();
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("hearth"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        // In browsers wgpu can't ask for subgroups itself (src/wasm/subgroups.rs).
        #[cfg(target_arch = "wasm32")]
        let request = if options.no_subgroups { adapter.request_device(&descriptor) } else { crate::wasm::subgroups::with_subgroups(|| adapter.request_device(&descriptor)) };
        #[cfg(not(target_arch = "wasm32"))]
        let request = adapter.request_device(&descriptor);
        let (device, queue) = request.await.map_err(|e| HearthError::DeviceRequest(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        let subgroups = subgroups || (!options.no_subgroups && crate::wasm::subgroups::granted(&device));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut l) = lost_sink.lock() {
                *l = Some(format!("{reason:?}: {msg}"));
            }
        });
        let tiled_weights = adapter_info.device_type == wgpu::DeviceType::Cpu && !options.untiled_weights;
        let llvmpipe = adapter_info.name.starts_with("llvmpipe");
        let unorm_quants = options.unorm_quants.unwrap_or(!llvmpipe);
        let wide_matmul_rows = options.wide_matmul_rows.unwrap_or(llvmpipe);
        let sized_bindings = options.sized_bindings.unwrap_or(adapter_info.device_type == wgpu::DeviceType::Cpu && !llvmpipe);
        Ok(Arc::new(GpuContext {
            device,
            queue,
            adapter_info,
            limits,
            f16,
            subgroups,
            tiled_weights,
            unorm_quants,
            wide_matmul_rows,
            sized_bindings,
            errors,
            lost,
            pipelines: Default::default(),
            uniforms: Default::default(),
            stand_in: Default::default(),
        }))
    }

    /// "name (backend)" for reports.
    pub fn adapter_name(&self) -> String {
        format!("{} ({:?})", self.adapter_info.name, self.adapter_info.backend)
    }

    /// Whether the adapter is a CPU emulation of a GPU (lavapipe, SwiftShader: WebGPU's
    /// fallback adapter), which gets the kernel variants measured fastest there.
    pub fn emulated(&self) -> bool {
        self.adapter_info.device_type == wgpu::DeviceType::Cpu
    }

    /// Defines for kernels that share work across a `simd_subgroup`: SUBGROUPS, the size SG and
    /// the flag SG4 or SG8 (activation loads in common/x_block.wgsl, K/V rows in
    /// attention_rows.wgsl, row sums in common/reduce.wgsl, the merge of attention_split.wgsl's
    /// partial results); none without one.
    pub fn subgroup_defines(&self, defines: Defines) -> Defines {
        match self.simd_subgroup() {
            Some(sg) => defines.flag("SUBGROUPS").u32("SG", sg).flag(if sg == 8 { "SG8" } else { "SG4" }),
            None => defines,
        }
    }

    /// The lanes of every subgroup when subgroups are on and all have the same size, 4 or 8: the
    /// CPU emulations' SIMD vector (SwiftShader 4, lavapipe 8), across which kernels share loads.
    pub fn simd_subgroup(&self) -> Option<u32> {
        let (min, max) = (self.adapter_info.subgroup_min_size, self.adapter_info.subgroup_max_size);
        (self.subgroups && min == max && (min == 4 || min == 8)).then_some(min)
    }

    /// Fail with the first GPU error captured since the last check, if any.
    pub fn check(&self) -> Result<()> {
        if let Some(l) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(HearthError::DeviceLost(l));
        }
        let mut errs = self.errors.lock().map_err(|_| HearthError::Gpu("error sink poisoned".into()))?;
        if let Some(first) = errs.first().cloned() {
            errs.clear();
            return Err(HearthError::Gpu(first));
        }
        Ok(())
    }

    pub fn storage_buffer(&self, label: &str, bytes: u64) -> Result<wgpu::Buffer> {
        self.check_binding_size(label, bytes)?;
        let size = bytes.max(4).next_multiple_of(4);
        if let Some(stand_ins) = self.stand_in.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            let make = || self.device.create_buffer(&wgpu::BufferDescriptor { label: Some("stand-in"), size: 256, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC, mapped_at_creation: false });
            return Ok(stand_ins.entry(size).or_insert_with(make).clone());
        }
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        }))
    }

    pub fn storage_buffer_init(&self, label: &str, data: &[u8]) -> Result<wgpu::Buffer> {
        let buf = self.storage_buffer(label, data.len() as u64)?;
        if self.stand_in.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
            self.queue.write_buffer(&buf, 0, data);
        }
        Ok(buf)
    }

    /// Run `f` with every storage buffer it creates (`storage_buffer`, `storage_buffer_init`)
    /// replaced by a small stand-in (one per size asked for), nothing written to it: to record
    /// launches for their pipelines alone before a model's real buffers exist
    /// (src/model/llama.rs `start_first_forward_early`). Launches recorded so must not run.
    pub fn with_stand_in_buffers<T>(&self, f: impl FnOnce() -> T) -> T {
        *self.stand_in.lock().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::new());
        let out = f();
        *self.stand_in.lock().unwrap_or_else(|e| e.into_inner()) = None;
        out
    }

    /// With `sized_bindings`: the define ACT_LEN = the common length of `buffers` in elements
    /// of `element` bytes, when they have one (else the kernel keeps runtime-sized arrays).
    pub fn sized_activations(&self, defines: Defines, buffers: &[&wgpu::Buffer], element: u64) -> Defines {
        if !self.sized_bindings {
            return defines;
        }
        let mut lens = buffers.iter().map(|b| self.binding_elements(b, element));
        match lens.next().flatten() {
            Some(n) if lens.all(|l| l == Some(n)) => defines.u32("ACT_LEN", n),
            _ => defines,
        }
    }

    /// `buffer`'s bound length in elements of `element` bytes, for a fixed-size array
    /// declaration: `None` when it holds less than one element or more than a u32 counts (the
    /// kernel then keeps a runtime-sized array).
    pub fn binding_elements(&self, buffer: &wgpu::Buffer, element: u64) -> Option<u32> {
        u32::try_from(self.binding_len(buffer) / element).ok().filter(|&n| n >= 1)
    }

    /// The length in bytes a kernel sees bound for `buffer` (bound whole): its size, or for a
    /// stand-in the size asked for (`with_stand_in_buffers`), so pipelines keyed on it are the
    /// ones the real buffers get.
    pub fn binding_len(&self, buffer: &wgpu::Buffer) -> u64 {
        let stand_ins = self.stand_in.lock().unwrap_or_else(|e| e.into_inner());
        stand_ins.as_ref().and_then(|m| m.iter().find(|(_, b)| *b == buffer).map(|(size, _)| *size)).unwrap_or_else(|| buffer.size())
    }

    pub fn uniform_buffer(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.next_multiple_of(16),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A uniform buffer holding `data` for the device's life, one per distinct content (launch
    /// shapes: a handful per model).
    pub fn constant_uniform(&self, label: &str, data: &[u8]) -> Arc<wgpu::Buffer> {
        let mut cache = self.uniforms.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(data.to_vec())
            .or_insert_with(|| {
                let buf = self.uniform_buffer(label, data.len() as u64);
                self.queue.write_buffer(&buf, 0, data);
                Arc::new(buf)
            })
            .clone()
    }

    pub fn staging_buffer(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(4).next_multiple_of(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A tensor must fit one storage binding on this adapter.
    pub fn check_binding_size(&self, tensor: &str, bytes: u64) -> Result<()> {
        let limit = (self.limits.max_storage_buffer_binding_size as u64).min(self.limits.max_buffer_size);
        if bytes > limit {
            return Err(HearthError::TensorTooLarge { tensor: tensor.into(), needed: bytes, limit });
        }
        Ok(())
    }

    /// Map a MAP_READ buffer (after its copy was submitted) and return its first `bytes` bytes.
    pub async fn read_staging(&self, staging: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        self.read_staging_after(staging, bytes, None).await
    }

    /// `read_staging` once submission `index` is done, while later submissions may still run
    /// (natively; in browsers a map resolves when the buffer's own last use is done anyway).
    pub async fn read_staging_after(&self, staging: &wgpu::Buffer, bytes: u64, index: Option<wgpu::SubmissionIndex>) -> Result<Vec<u8>> {
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..bytes).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::Wait { submission_index: index, timeout: None })
            .map_err(|e| HearthError::Gpu(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        let _ = index;
        let mapped = rx.await.map_err(|_| HearthError::DeviceLost("map callback dropped".into()))?;
        self.check()?;
        mapped.map_err(|e| HearthError::Gpu(format!("buffer map failed: {e}")))?;
        let out = {
            let view = staging.slice(..bytes).get_mapped_range().map_err(|e| HearthError::Gpu(format!("{e:?}")))?;
            view.to_vec()
        };
        staging.unmap();
        Ok(out)
    }

    /// Wait until all submitted work and queued writes (weight uploads) are done: a 4-byte
    /// copy queued behind them, read back (a buffer map resolves promptly in browsers, where
    /// `onSubmittedWorkDone` was seen to lag by seconds).
    pub async fn wait_idle(&self) -> Result<()> {
        let probe = self.storage_buffer("idle.probe", 4)?;
        self.read_buffer(&probe, 4).await?;
        Ok(())
    }

    /// Copy `bytes` of `src` to a fresh staging buffer and read them (tests, one-off reads).
    pub async fn read_buffer(&self, src: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        let staging = self.staging_buffer("readback", bytes);
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(src, 0, &staging, 0, bytes.next_multiple_of(4));
        self.queue.submit([enc.finish()]);
        self.read_staging(&staging, bytes).await
    }
}
