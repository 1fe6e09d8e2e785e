//! The crate's one error type. Every variant names what failed; `code()` is a stable name
//! that the wasm layer turns into the JS error's `name`.

use thiserror::Error;

#[derive(Clone, Debug, Error)]
pub enum HearthError {
    #[error("not a GGUF file: magic is {found:?}, expected \"GGUF\"")]
    BadMagic { found: [u8; 4] },
    #[error("unsupported GGUF version {0} (supported: 2, 3)")]
    UnsupportedVersion(u32),
    #[error("truncated file: {what} needs {needed} bytes at offset {offset}, but the file has {len}")]
    Truncated { what: String, offset: u64, needed: u64, len: u64 },
    #[error("malformed model file: {0}")]
    Malformed(String),
    #[error("tensor '{tensor}' has type {dtype}, which is not supported")]
    UnsupportedDType { tensor: String, dtype: String },
    #[error("model metadata is missing '{0}'")]
    MissingMetadata(String),
    #[error("model is missing tensor '{0}'")]
    MissingTensor(String),
    #[error("unsupported model: {0}")]
    UnsupportedModel(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("prompt of {prompt} tokens plus {requested} to generate exceeds the context window of {context} tokens")]
    ContextOverflow { prompt: usize, requested: usize, context: usize },
    #[error("no GPU adapter found ({0}); install a Vulkan driver (e.g. mesa-vulkan-drivers) or use a browser with WebGPU")]
    NoAdapter(String),
    #[error("GPU device request failed: {0}")]
    DeviceRequest(String),
    #[error("tensor '{tensor}' needs a GPU buffer of {needed} bytes, but the adapter allows {limit} bytes per storage binding")]
    TensorTooLarge { tensor: String, needed: u64, limit: u64 },
    #[error("GPU error: {0}")]
    Gpu(String),
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("chat template: {0}")]
    Template(String),
    #[error("I/O error: {0}")]
    Io(String),
}

impl HearthError {
    /// Stable machine-readable name (becomes the JS `Error.name`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadMagic { .. } => "BadMagic",
            Self::UnsupportedVersion(_) => "UnsupportedVersion",
            Self::Truncated { .. } => "Truncated",
            Self::Malformed(_) => "Malformed",
            Self::UnsupportedDType { .. } => "UnsupportedDType",
            Self::MissingMetadata(_) => "MissingMetadata",
            Self::MissingTensor(_) => "MissingTensor",
            Self::UnsupportedModel(_) => "UnsupportedModel",
            Self::Tokenizer(_) => "TokenizerError",
            Self::ContextOverflow { .. } => "ContextOverflow",
            Self::NoAdapter(_) => "NoAdapter",
            Self::DeviceRequest(_) => "DeviceRequest",
            Self::TensorTooLarge { .. } => "TensorTooLarge",
            Self::Gpu(_) => "GpuError",
            Self::DeviceLost(_) => "DeviceLost",
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::Template(_) => "TemplateError",
            Self::Io(_) => "IoError",
        }
    }
}

pub type Result<T, E = HearthError> = std::result::Result<T, E>;
