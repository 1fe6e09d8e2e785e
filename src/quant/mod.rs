//! Quantization formats: ggml type table (`dtype`), CPU dequantization = truth (`dequant`),
//! and the GPU layout each format is transcoded to at load (`layout`).

pub mod dequant;
pub mod dtype;
pub mod layout;

pub use dequant::{dequantize, quantize};
pub use dtype::DType;
pub use layout::{BlockOrder, GpuLayout, TILE_ROWS};
