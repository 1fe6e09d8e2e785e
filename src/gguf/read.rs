//! The hardened GGUF parser. Reads a header from a byte slice without copying tensor data.
//! Every length is checked against the bytes that remain *before* anything is allocated,
//! so a hostile file cannot make us allocate more than a small multiple of its own size.

use super::{Gguf, TensorInfo, Value};
use crate::error::{HearthError, Result};
use crate::file_bytes::FileBytes;
use crate::quant::dtype::{ggml_block_geometry, ggml_type_name};
use std::collections::BTreeMap;

/// Caps that keep hostile headers cheap to reject.
pub const MAX_STRING_LEN: u64 = 64 << 20;
pub const MAX_ARRAY_LEN: u64 = 1 << 26;
pub const MAX_TENSORS: u64 = 1 << 20;
pub const MAX_KV: u64 = 1 << 20;
pub const MAX_DIMS: u32 = 4;
pub const MAX_NESTING: u32 = 4;

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64, what: &dyn Fn() -> String) -> Result<&'a [u8]> {
        let remaining = (self.buf.len() - self.pos) as u64;
        if n > remaining {
            return Err(HearthError::Truncated { what: what(), offset: self.pos as u64, needed: n, len: self.buf.len() as u64 });
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }
    fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos) as u64
    }
    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }
    fn string(&mut self, what: &dyn Fn() -> String) -> Result<String> {
        let len = self.u64(what)?;
        if len > MAX_STRING_LEN {
            return Err(HearthError::Malformed(format!("{}: string length {len} exceeds the cap of {MAX_STRING_LEN}", what())));
        }
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| HearthError::Malformed(format!("{}: string is not valid UTF-8", what())))
    }

    fn value(&mut self, ty: u32, depth: u32, what: &dyn Fn() -> String) -> Result<Value> {
        Ok(match ty {
            0 => Value::U8(self.take(1, what)?[0]),
            1 => Value::I8(self.take(1, what)?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.take(2, what)?.try_into().unwrap())),
            3 => Value::I16(i16::from_le_bytes(self.take(2, what)?.try_into().unwrap())),
            4 => Value::U32(self.u32(what)?),
            5 => Value::I32(self.u32(what)? as i32),
            6 => Value::F32(f32::from_bits(self.u32(what)?)),
            7 => match self.take(1, what)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(HearthError::Malformed(format!("{}: bool has byte value {b}", what()))),
            },
            8 => Value::String(self.string(what)?),
            9 => {
                if depth >= MAX_NESTING {
                    return Err(HearthError::Malformed(format!("{}: arrays nested deeper than {MAX_NESTING}", what())));
                }
                let elem_ty = self.u32(what)?;
                let len = self.u64(what)?;
                let min_elem = min_value_size(elem_ty).ok_or_else(|| {
                    HearthError::Malformed(format!("{}: unknown array element type {elem_ty}", what()))
                })?;
                if len > MAX_ARRAY_LEN {
                    return Err(HearthError::Malformed(format!("{}: array length {len} exceeds the cap of {MAX_ARRAY_LEN}", what())));
                }
                if len.saturating_mul(min_elem) > self.remaining() {
                    return Err(HearthError::Truncated { what: format!("{} (array of {len})", what()), offset: self.pos as u64, needed: len.saturating_mul(min_elem), len: self.buf.len() as u64 });
                }
                let mut items = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    items.push(self.value(elem_ty, depth + 1, what)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64(what)?),
            11 => Value::I64(self.u64(what)? as i64),
            12 => Value::F64(f64::from_bits(self.u64(what)?)),
            _ => return Err(HearthError::Malformed(format!("{}: unknown value type {ty}", what()))),
        })
    }
}

/// Smallest encoded size of a value of type `ty` (None for unknown types).
fn min_value_size(ty: u32) -> Option<u64> {
    Some(match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4 | 5 | 6 => 4,
        8 => 8,
        9 => 12,
        10..=12 => 8,
        _ => return None,
    })
}

/// Parse a GGUF header from the whole file's bytes.
pub fn parse(buf: &[u8]) -> Result<Gguf> {
    parse_header(buf, buf.len() as u64)
}

/// Parse the header of `file`, reading only a prefix long enough to hold it when the bytes are
/// not in memory (a browser's `Uint8Array`; SmolLM2's header is 2 MiB of its 94).
pub fn parse_file(file: &FileBytes) -> Result<Gguf> {
    match file {
        FileBytes::Memory(bytes) => parse(bytes),
        #[allow(unreachable_patterns)]
        _ => parse_growing(file, 8 << 20),
    }
}

/// Parse the header of `file` from its first `first` bytes, four times more while the header is
/// cut short (the same result and errors as `parse` of the whole file).
pub fn parse_growing(file: &FileBytes, first: u64) -> Result<Gguf> {
    let total = file.len();
    let mut prefix = total.min(first.max(1));
    loop {
        match parse_header(&file.range(0, prefix).read(), total) {
            Err(HearthError::Truncated { len, .. }) if len < total => prefix = total.min(prefix * 4),
            parsed => return parsed,
        }
    }
}

/// Parse a GGUF header from `buf`, the first bytes of a file of `file_len` bytes (a header cut
/// short is `Truncated` with `len` = `buf.len()`; tensor data past the file, with `file_len`).
fn parse_header(buf: &[u8], file_len: u64) -> Result<Gguf> {
    let mut c = Cursor { buf, pos: 0 };
    let magic = c.take(4, &|| "magic".into())?;
    if magic != b"GGUF" {
        return Err(HearthError::BadMagic { found: magic.try_into().unwrap() });
    }
    let version = c.u32(&|| "version".into())?;
    if version != 2 && version != 3 {
        return Err(HearthError::UnsupportedVersion(version));
    }
    let n_tensors = c.u64(&|| "tensor count".into())?;
    let n_kv = c.u64(&|| "metadata count".into())?;
    if n_tensors > MAX_TENSORS {
        return Err(HearthError::Malformed(format!("tensor count {n_tensors} exceeds the cap of {MAX_TENSORS}")));
    }
    if n_kv > MAX_KV {
        return Err(HearthError::Malformed(format!("metadata count {n_kv} exceeds the cap of {MAX_KV}")));
    }

    let mut metadata = BTreeMap::new();
    for i in 0..n_kv {
        let key = c.string(&|| format!("metadata key #{i}"))?;
        let ty = c.u32(&|| format!("type of metadata '{key}'"))?;
        let value = c.value(ty, 0, &|| format!("metadata '{key}'"))?;
        metadata.insert(key, value);
    }

    // Each tensor info needs at least 8 (name len) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
    if n_tensors.saturating_mul(24) > c.remaining() {
        return Err(HearthError::Truncated { what: format!("{n_tensors} tensor infos"), offset: c.pos as u64, needed: n_tensors * 24, len: buf.len() as u64 });
    }
    let mut infos = Vec::with_capacity(n_tensors as usize);
    for i in 0..n_tensors {
        let name = c.string(&|| format!("name of tensor #{i}"))?;
        let what = || format!("tensor '{name}'");
        let n_dims = c.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(HearthError::Malformed(format!("tensor '{name}' has {n_dims} dimensions (1..={MAX_DIMS} allowed)")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(c.u64(&what)?);
        }
        let ggml_type = c.u32(&what)?;
        let offset = c.u64(&what)?;
        infos.push((name, dims, ggml_type, offset));
    }

    let alignment = match metadata.get("general.alignment") {
        None => 32,
        Some(v) => match v.as_u64() {
            Some(a) if a > 0 && a.is_power_of_two() && a <= 1 << 16 => a,
            _ => return Err(HearthError::Malformed(format!("general.alignment {v:?} is not a power of two up to 65536"))),
        },
    };
    let data_offset = (c.pos as u64).div_ceil(alignment) * alignment;

    let mut tensors = Vec::with_capacity(infos.len());
    let mut seen = std::collections::HashSet::new();
    for (name, dims, ggml_type, offset) in infos {
        if !seen.insert(name.clone()) {
            return Err(HearthError::Malformed(format!("tensor '{name}' appears twice")));
        }
        let (block_len, block_bytes) = ggml_block_geometry(ggml_type).ok_or_else(|| {
            HearthError::UnsupportedDType { tensor: name.clone(), dtype: ggml_type_name(ggml_type) }
        })?;
        let n_elem = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d))
            .filter(|&n| n > 0)
            .ok_or_else(|| HearthError::Malformed(format!("tensor '{name}' has dimensions {dims:?} (zero or overflowing element count)")))?;
        if dims[0] % block_len != 0 {
            return Err(HearthError::Malformed(format!("tensor '{name}': row length {} is not a multiple of the {} block length {block_len}", dims[0], ggml_type_name(ggml_type))));
        }
        let n_bytes = (n_elem / block_len).checked_mul(block_bytes)
            .ok_or_else(|| HearthError::Malformed(format!("tensor '{name}': byte size overflows")))?;
        if offset % alignment != 0 {
            return Err(HearthError::Malformed(format!("tensor '{name}': offset {offset} is not aligned to {alignment}")));
        }
        let start = data_offset.checked_add(offset)
            .ok_or_else(|| HearthError::Malformed(format!("tensor '{name}': offset {offset} overflows")))?;
        let end = start.checked_add(n_bytes)
            .ok_or_else(|| HearthError::Malformed(format!("tensor '{name}': offset {offset} + size {n_bytes} overflows")))?;
        if end > file_len {
            return Err(HearthError::Truncated { what: format!("data of tensor '{name}'"), offset: start, needed: n_bytes, len: file_len });
        }
        tensors.push(TensorInfo { name, dims, ggml_type, start, n_bytes });
    }
    Ok(Gguf { version, metadata, tensors, alignment, data_offset })
}
