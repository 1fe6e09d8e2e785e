//! The safetensors format: an 8-byte little-endian header length, a JSON header naming each
//! tensor's dtype, shape and byte range, then the data. Parsed from a byte slice with every
//! length and offset checked against the file before use.

use crate::error::{HearthError, Result};
use std::collections::BTreeMap;

/// Cap on the JSON header (real headers are kilobytes).
pub const MAX_HEADER: u64 = 100 << 20;

#[derive(Clone, Debug, PartialEq)]
pub struct SafeTensor {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    /// Absolute byte range in the file.
    pub start: u64,
    pub n_bytes: u64,
}

#[derive(Debug)]
pub struct SafeTensors {
    pub tensors: Vec<SafeTensor>,
    pub metadata: BTreeMap<String, String>,
}

/// Bytes per element of a safetensors dtype (None for unknown ones).
pub fn dtype_size(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E4M3" | "F8_E5M2" => 1,
        "U16" | "I16" | "F16" | "BF16" => 2,
        "U32" | "I32" | "F32" => 4,
        "U64" | "I64" | "F64" => 8,
        _ => return None,
    })
}

#[derive(serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

fn malformed(m: String) -> HearthError {
    HearthError::Malformed(format!("safetensors: {m}"))
}

pub fn parse(buf: &[u8]) -> Result<SafeTensors> {
    let len = buf.len() as u64;
    if len < 8 {
        return Err(HearthError::Truncated { what: "safetensors header length".into(), offset: 0, needed: 8, len });
    }
    let n = u64::from_le_bytes(buf[..8].try_into().unwrap());
    if n > MAX_HEADER {
        return Err(malformed(format!("header length {n} exceeds the cap of {MAX_HEADER}")));
    }
    if n > len - 8 {
        return Err(HearthError::Truncated { what: "safetensors header".into(), offset: 8, needed: n, len });
    }
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&buf[8..8 + n as usize]).map_err(|e| malformed(format!("header is not a JSON object: {e}")))?;
    let data_start = 8 + n;
    let data_len = len - data_start;
    let mut tensors = Vec::new();
    let mut metadata = BTreeMap::new();
    for (name, value) in header {
        if name == "__metadata__" {
            if let Some(obj) = value.as_object() {
                for (k, v) in obj {
                    metadata.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
                }
            }
            continue;
        }
        let e: Entry = serde_json::from_value(value).map_err(|e| malformed(format!("tensor '{name}': {e}")))?;
        let size = dtype_size(&e.dtype).ok_or_else(|| HearthError::UnsupportedDType { tensor: name.clone(), dtype: e.dtype.clone() })?;
        if e.shape.len() > 8 {
            return Err(malformed(format!("tensor '{name}' has {} dimensions", e.shape.len())));
        }
        let n_bytes = e.shape.iter().try_fold(size, |a, &d| a.checked_mul(d))
            .ok_or_else(|| malformed(format!("tensor '{name}': shape {:?} overflows", e.shape)))?;
        let [begin, end] = e.data_offsets;
        if begin > end || end > data_len {
            return Err(HearthError::Truncated { what: format!("data of tensor '{name}'"), offset: data_start.saturating_add(begin), needed: end.saturating_sub(begin), len });
        }
        if end - begin != n_bytes {
            return Err(malformed(format!("tensor '{name}': {} bytes for shape {:?} of {}", end - begin, e.shape, e.dtype)));
        }
        tensors.push(SafeTensor { name, dtype: e.dtype, shape: e.shape, start: data_start + begin, n_bytes });
    }
    Ok(SafeTensors { tensors, metadata })
}

impl SafeTensors {
    pub fn tensor(&self, name: &str) -> Option<&SafeTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The tensor as f32 values (F32, F16 and BF16 tensors).
    pub fn f32(&self, file: &[u8], name: &str) -> Result<Vec<f32>> {
        let t = self.tensor(name).ok_or_else(|| HearthError::MissingTensor(name.into()))?;
        let raw = &file[t.start as usize..(t.start + t.n_bytes) as usize];
        Ok(match t.dtype.as_str() {
            "F32" => raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
            "F16" => raw.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
            "BF16" => raw.chunks_exact(2).map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
            other => return Err(HearthError::UnsupportedDType { tensor: name.into(), dtype: other.into() }),
        })
    }
}
