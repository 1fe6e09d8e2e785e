//! The GGUF reader against hostile and truncated headers: every case is a typed error, never a
//! panic or an allocation of attacker-chosen size.

use hearth::gguf::{self, write::GgufWriter, Value};
use hearth::HearthError;

fn sample() -> Vec<u8> {
    let mut w = GgufWriter::default();
    w.meta("general.architecture", Value::String("llama".into()))
        .meta("u8", Value::U8(7))
        .meta("i8", Value::I8(-7))
        .meta("u16", Value::U16(700))
        .meta("i16", Value::I16(-700))
        .meta("u32", Value::U32(70000))
        .meta("i32", Value::I32(-70000))
        .meta("u64", Value::U64(1 << 40))
        .meta("i64", Value::I64(-(1 << 40)))
        .meta("f32", Value::F32(1.5))
        .meta("f64", Value::F64(-2.25))
        .meta("bool", Value::Bool(true))
        .meta("nested", Value::Array(vec![Value::Array(vec![Value::U32(1), Value::U32(2)]), Value::Array(vec![Value::U32(3)])]))
        .meta("strings", Value::Array(vec![Value::String("a".into()), Value::String("bé".into())]))
        .tensor("a.weight", &[64, 2], 8, vec![1u8; 2 * 2 * 34])
        .tensor("b.weight", &[4], 0, vec![0u8; 16]);
    w.to_bytes()
}

/// The error `parse` gives, checked to be the one a browser load meets too (the header read
/// from a growing prefix: `parse_growing`).
fn err(bytes: &[u8]) -> HearthError {
    match gguf::parse(bytes) {
        Ok(_) => panic!("hostile file was accepted"),
        Err(e) => {
            for first in [1, 40, 200] {
                let grown = gguf::parse_growing(&bytes.into(), first).expect_err("parse_growing accepted a file parse rejects");
                assert_eq!(format!("{grown:?}"), format!("{e:?}"), "parse_growing from {first} bytes");
            }
            e
        }
    }
}

#[test]
fn roundtrip_every_value_type() {
    let bytes = sample();
    let g = gguf::parse(&bytes).unwrap();
    assert_eq!(g.version, 3);
    assert_eq!(g.get("i16"), Some(&Value::I16(-700)));
    assert_eq!(g.get("f64"), Some(&Value::F64(-2.25)));
    assert_eq!(g.get("bool"), Some(&Value::Bool(true)));
    assert_eq!(g.get("nested").unwrap().as_array().unwrap()[0], Value::Array(vec![Value::U32(1), Value::U32(2)]));
    assert_eq!(g.get("strings").unwrap().as_array().unwrap()[1].as_str(), Some("bé"));
    let t = g.tensor("a.weight").unwrap();
    assert_eq!((t.rows_cols(), t.n_bytes, t.start % 32), ((2, 64), 136, 0));
    assert_eq!(g.tensor_bytes(&bytes, t), &vec![1u8; 136][..]);
    assert_eq!(g.tensor("b.weight").unwrap().start % 32, 0);
}

#[test]
fn a_header_read_from_a_growing_prefix_is_the_same() {
    let bytes = sample();
    let whole = format!("{:?}", gguf::parse(&bytes).unwrap());
    for first in [1, 16, 100, 1 << 20] {
        assert_eq!(format!("{:?}", gguf::parse_growing(&bytes[..].into(), first).unwrap()), whole, "from {first} bytes");
    }
}

#[test]
fn version_2_is_read() {
    let mut bytes = sample();
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(gguf::parse(&bytes).unwrap().version, 2);
}

#[test]
fn truncated_at_every_byte_is_an_error() {
    let bytes = sample();
    for n in 0..bytes.len() {
        let e = err(&bytes[..n]);
        assert!(matches!(e, HearthError::Truncated { .. } | HearthError::BadMagic { .. }), "cut at {n}: {e}");
    }
}

#[test]
fn wrong_magic_and_version() {
    let mut bytes = sample();
    bytes[0] = b'X';
    assert!(matches!(err(&bytes), HearthError::BadMagic { .. }));
    let mut bytes = sample();
    bytes[4..8].copy_from_slice(&1u32.to_le_bytes());
    assert!(matches!(err(&bytes), HearthError::UnsupportedVersion(1)));
    bytes[4..8].copy_from_slice(&99u32.to_le_bytes());
    assert!(matches!(err(&bytes), HearthError::UnsupportedVersion(99)));
}

#[test]
fn absurd_counts() {
    for (at, v) in [(8usize, u64::MAX), (8, 1 << 40), (16, u64::MAX), (16, 1 << 30)] {
        let mut bytes = sample();
        bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
        let e = err(&bytes);
        assert!(matches!(e, HearthError::Malformed(_) | HearthError::Truncated { .. }), "count {v} at {at}: {e}");
    }
    // A tensor count that passes the cap but not the bytes left.
    let mut bytes = sample();
    bytes[8..16].copy_from_slice(&100_000u64.to_le_bytes());
    assert!(matches!(err(&bytes), HearthError::Truncated { .. }));
}

/// A file with one metadata entry whose value bytes are given raw.
fn one_kv(ty: u32, value: &[u8]) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&1u64.to_le_bytes());
    b.extend_from_slice(&3u64.to_le_bytes());
    b.extend_from_slice(b"key");
    b.extend_from_slice(&ty.to_le_bytes());
    b.extend_from_slice(value);
    b
}

#[test]
fn hostile_values() {
    // Unknown value type.
    assert!(matches!(err(&one_kv(99, &[0; 16])), HearthError::Malformed(m) if m.contains("unknown value type")));
    // Absurd string length.
    assert!(matches!(err(&one_kv(8, &u64::MAX.to_le_bytes())), HearthError::Malformed(_)));
    assert!(matches!(err(&one_kv(8, &(1u64 << 20).to_le_bytes())), HearthError::Truncated { .. }));
    // Absurd array length, and an array length that exceeds the bytes left.
    let mut arr = 4u32.to_le_bytes().to_vec();
    arr.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(err(&one_kv(9, &arr)), HearthError::Malformed(_)));
    let mut arr = 4u32.to_le_bytes().to_vec();
    arr.extend_from_slice(&1_000_000u64.to_le_bytes());
    assert!(matches!(err(&one_kv(9, &arr)), HearthError::Truncated { .. }));
    // Unknown array element type.
    let mut arr = 77u32.to_le_bytes().to_vec();
    arr.extend_from_slice(&1u64.to_le_bytes());
    assert!(matches!(err(&one_kv(9, &arr)), HearthError::Malformed(_)));
    // Arrays nested past the cap.
    let mut arr = Vec::new();
    for _ in 0..8 {
        arr.extend_from_slice(&9u32.to_le_bytes());
        arr.extend_from_slice(&1u64.to_le_bytes());
    }
    assert!(matches!(err(&one_kv(9, &arr)), HearthError::Malformed(m) if m.contains("nested")));
    // Bool that is neither 0 nor 1; invalid UTF-8 string.
    assert!(matches!(err(&one_kv(7, &[2])), HearthError::Malformed(_)));
    let mut s = 2u64.to_le_bytes().to_vec();
    s.extend_from_slice(&[0xff, 0xfe]);
    assert!(matches!(err(&one_kv(8, &s)), HearthError::Malformed(m) if m.contains("UTF-8")));
}

/// Byte position of the first tensor info's fields in `sample()`.
fn tensor_info_at(bytes: &[u8], name: &str) -> usize {
    let pat = [&(name.len() as u64).to_le_bytes()[..], name.as_bytes()].concat();
    bytes.windows(pat.len()).position(|w| w == pat).unwrap() + pat.len()
}

#[test]
fn hostile_tensor_infos() {
    let base = sample();
    let at = tensor_info_at(&base, "a.weight"); // n_dims u32, dims 2×u64, type u32, offset u64
    let patch = |off: usize, v: &[u8]| {
        let mut b = base.clone();
        b[at + off..at + off + v.len()].copy_from_slice(v);
        b
    };
    // Overflowing offset, misaligned offset, offset past the end.
    assert!(matches!(err(&patch(24, &(u64::MAX - 7).to_le_bytes())), HearthError::Malformed(_) | HearthError::Truncated { .. }));
    assert!(matches!(err(&patch(24, &4u64.to_le_bytes())), HearthError::Malformed(m) if m.contains("aligned")));
    assert!(matches!(err(&patch(24, &(1u64 << 20).to_le_bytes())), HearthError::Truncated { .. }));
    // Dimensions whose product overflows; zero dims; too many dims.
    assert!(matches!(err(&patch(12, &u64::MAX.to_le_bytes())), HearthError::Malformed(_)));
    assert!(matches!(err(&patch(4, &0u64.to_le_bytes())), HearthError::Malformed(_)));
    assert!(matches!(err(&patch(0, &9u32.to_le_bytes())), HearthError::Malformed(_)));
    // Unknown ggml type; a row length that is not a whole number of blocks.
    assert!(matches!(err(&patch(20, &200u32.to_le_bytes())), HearthError::UnsupportedDType { tensor, .. } if tensor == "a.weight"));
    assert!(matches!(err(&patch(4, &33u64.to_le_bytes())), HearthError::Malformed(_)));
}

#[test]
fn bad_alignment_and_duplicates() {
    let mut w = GgufWriter::default();
    w.meta("general.alignment", Value::U32(3)).tensor("t", &[4], 0, vec![0; 16]);
    assert!(matches!(err(&w.to_bytes()), HearthError::Malformed(m) if m.contains("alignment")));
    let mut w = GgufWriter::default();
    w.tensor("t", &[4], 0, vec![0; 16]).tensor("t", &[4], 0, vec![0; 16]);
    assert!(matches!(err(&w.to_bytes()), HearthError::Malformed(m) if m.contains("twice")));
}

#[test]
fn unsupported_dtype_names_tensor_and_type() {
    let e = hearth::quant::DType::from_ggml(12, "blk.0.ffn_down.weight").unwrap_err();
    assert_eq!(e.code(), "UnsupportedDType");
    assert!(e.to_string().contains("blk.0.ffn_down.weight") && e.to_string().contains("Q4_K"), "{e}");
}
