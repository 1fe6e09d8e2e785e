//! Model graphs: hyper-parameters (`config`) and the llama-family decoder (`llama`).

pub mod config;
pub mod llama;

pub use config::LlamaConfig;
pub use llama::{Llama, LlamaOptions};
