//! The GPU runtime on `wgpu`: device and limits (`context`), the shader table and preprocessor
//! (`shaders`), cached pipelines (`pipelines`), quantized weights (`weights`), recorded launches
//! (`dispatch`), one launcher per kernel family (`kernels`), and the adapter's measured
//! streaming-read and FMA rates (`limits`, what benchmarks divide by).

pub mod context;
pub mod dispatch;
pub mod kernel_bench;
pub mod kernels;
pub mod limits;
pub mod pipelines;
pub mod shaders;
pub mod weights;

pub use context::{GpuContext, GpuOptions};
pub use dispatch::{encode, ready, Dispatch, Grid, Step};
pub use pipelines::Pipeline;
pub use shaders::Defines;
pub use weights::{GpuMatrix, MatrixShape, PendingUpload, StackPart, Stacked};
