//! The safetensors reader: the real all-MiniLM-L6-v2 checkpoint, and hostile headers.

mod common;
use hearth::safetensors::parse;
use hearth::HearthError;

fn file(header: &str, data_len: usize) -> Vec<u8> {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend(std::iter::repeat(0u8).take(data_len));
    b
}

#[test]
fn reads_minilm() {
    let path = common::root().join("models/all-MiniLM-L6-v2/model.safetensors");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-models.sh)", path.display()));
    let st = parse(&bytes).unwrap();
    let emb = st.tensor("embeddings.word_embeddings.weight").unwrap();
    assert_eq!((emb.dtype.as_str(), emb.shape.clone()), ("F32", vec![30522, 384]));
    assert_eq!(st.tensor("embeddings.position_ids").unwrap().dtype, "I64");
    assert_eq!(st.tensors.iter().filter(|t| t.name.ends_with("attention.self.query.weight")).count(), 6);
    let ln = st.f32(&bytes, "embeddings.LayerNorm.weight").unwrap();
    assert_eq!(ln.len(), 384);
    assert!(ln.iter().all(|v| v.is_finite()));
}

#[test]
fn hostile_headers_are_typed_errors() {
    let ok = file(r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#, 16);
    let st = parse(&ok).unwrap();
    assert_eq!(st.tensors.len(), 1);
    assert_eq!(st.metadata["format"], "pt");
    for n in 0..ok.len() {
        assert!(parse(&ok[..n]).is_err(), "cut at {n} accepted");
    }
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (u64::MAX.to_le_bytes().to_vec(), "Malformed"),
        ((1u64 << 20).to_le_bytes().to_vec(), "Truncated"),
        (file("not json", 0), "Malformed"),
        (file(r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,20]}}"#, 16), "Truncated"),
        (file(r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[8,4]}}"#, 16), "Truncated"),
        (file(r#"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#, 16), "Malformed"),
        (file(r#"{"a":{"dtype":"F32","shape":[18446744073709551615,4],"data_offsets":[0,16]}}"#, 16), "Malformed"),
        (file(r#"{"a":{"dtype":"Q9","shape":[4],"data_offsets":[0,16]}}"#, 16), "UnsupportedDType"),
        (file(r#"{"a":{"dtype":"F32","shape":[4]}}"#, 16), "Malformed"),
        (file(r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,18446744073709551615]}}"#, 16), "Truncated"),
    ];
    for (bytes, code) in cases {
        let e: HearthError = parse(&bytes).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
    }
}
