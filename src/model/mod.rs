//! Model graphs: hyper-parameters (`config`), the llama-family decoder (`llama`) and BERT-family
//! encoders (`bert`).

pub mod bert;
pub mod config;
pub mod llama;

pub use config::LlamaConfig;
pub use llama::{Llama, LlamaOptions};
