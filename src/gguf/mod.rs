//! GGUF (v2, v3): metadata values, tensor infos, and typed accessors. `read::parse` builds a
//! `Gguf` from bytes with every count, length and offset bounds-checked; `write` produces
//! files (tiny seeded test models, hostile-header tests).

pub mod read;
pub mod write;

use crate::error::{HearthError, Result};
use crate::file_bytes::FileBytes;
use crate::quant::DType;
use std::collections::BTreeMap;

pub use read::{parse, parse_file, parse_growing};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    Array(Vec<Value>),
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v as u64),
            Value::U16(v) => Some(v as u64),
            Value::U32(v) => Some(v as u64),
            Value::U64(v) => Some(v),
            Value::I8(v) if v >= 0 => Some(v as u64),
            Value::I16(v) if v >= 0 => Some(v as u64),
            Value::I32(v) if v >= 0 => Some(v as u64),
            Value::I64(v) if v >= 0 => Some(v as u64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v as f64),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// One tensor's header. `dims` are GGUF order: `dims[0]` is the contiguous (innermost) axis.
#[derive(Clone, Debug)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: u32,
    /// Absolute byte range in the file.
    pub start: u64,
    pub n_bytes: u64,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
    pub fn dtype(&self) -> Result<DType> {
        DType::from_ggml(self.ggml_type, &self.name)
    }
    /// (rows, cols): cols = dims[0], rows = the product of the others.
    pub fn rows_cols(&self) -> (u64, u64) {
        let cols = self.dims.first().copied().unwrap_or(1);
        (self.n_elements() / cols.max(1), cols)
    }
}

#[derive(Debug)]
pub struct Gguf {
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    pub data_offset: u64,
}

impl Gguf {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
    pub fn u64(&self, key: &str) -> Result<u64> {
        self.get(key).ok_or_else(|| HearthError::MissingMetadata(key.into()))?.as_u64()
            .ok_or_else(|| HearthError::Malformed(format!("metadata '{key}' is not an unsigned integer")))
    }
    pub fn f64(&self, key: &str) -> Result<f64> {
        self.get(key).ok_or_else(|| HearthError::MissingMetadata(key.into()))?.as_f64()
            .ok_or_else(|| HearthError::Malformed(format!("metadata '{key}' is not a number")))
    }
    pub fn str(&self, key: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| HearthError::MissingMetadata(key.into()))?.as_str()
            .ok_or_else(|| HearthError::Malformed(format!("metadata '{key}' is not a string")))
    }
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
    /// The tensor's bytes within `file` (bounds were checked by `parse`).
    pub fn tensor_bytes<'a>(&self, file: &'a [u8], t: &TensorInfo) -> &'a [u8] {
        &file[t.start as usize..(t.start + t.n_bytes) as usize]
    }
    /// `tensor_bytes` of a file that may not be in memory, not yet read.
    pub fn tensor_data<'a>(&self, file: &FileBytes<'a>, t: &TensorInfo) -> FileBytes<'a> {
        file.range(t.start, t.n_bytes)
    }
}
