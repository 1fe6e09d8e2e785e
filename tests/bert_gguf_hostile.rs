//! BERT GGUF files that are wrong in the ways a converter bug or a hostile file can be: every
//! case is a typed error naming what is wrong, never a panic. A tiny valid encoder (hidden 32,
//! 2 heads, 1 layer, a 9-token WordPiece vocabulary) is written, checked to work, then broken.

mod common;
use hearth::embedder::Embedder;
use hearth::gguf::{write::GgufWriter, Value};
use hearth::model::bert::BertOptions;
use hearth::HearthError;

const D: u64 = 32;
const FF: u64 = 64;
const POS: u64 = 16;
const TOKENS: [&str; 9] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\u{2581}hello", "\u{2581}world", "s", "\u{2581}!"];

/// (metadata overrides, tensors to drop, tensor to reshape)
#[derive(Default)]
struct Fault {
    meta: Vec<(&'static str, Value)>,
    drop: Vec<&'static str>,
    reshape: Option<(&'static str, Vec<u64>)>,
}

fn tiny_bert(f: &Fault) -> Vec<u8> {
    let mut w = GgufWriter::default();
    let mut meta: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("bert".into())),
        ("bert.block_count", Value::U32(1)),
        ("bert.context_length", Value::U32(POS as u32)),
        ("bert.embedding_length", Value::U32(D as u32)),
        ("bert.feed_forward_length", Value::U32(FF as u32)),
        ("bert.attention.head_count", Value::U32(2)),
        ("bert.attention.layer_norm_epsilon", Value::F32(1e-12)),
        ("bert.pooling_type", Value::U32(1)),
        ("tokenizer.ggml.model", Value::String("bert".into())),
        ("tokenizer.ggml.tokens", Value::Array(TOKENS.iter().map(|t| Value::String(t.to_string())).collect())),
        ("tokenizer.ggml.token_type", Value::Array(TOKENS.iter().map(|t| Value::I32(if t.starts_with('[') { 3 } else { 1 })).collect())),
        ("tokenizer.ggml.unknown_token_id", Value::U32(1)),
    ];
    for (k, v) in &f.meta {
        match meta.iter_mut().find(|(mk, _)| mk == k) {
            Some(slot) => slot.1 = v.clone(),
            None => meta.push((k, v.clone())),
        }
    }
    for (k, v) in meta {
        w.meta(k, v);
    }
    let mut tensors: Vec<(String, Vec<u64>)> = vec![
        ("token_embd.weight".into(), vec![D, TOKENS.len() as u64]),
        ("position_embd.weight".into(), vec![D, POS]),
        ("token_types.weight".into(), vec![D, 2]),
        ("token_embd_norm.weight".into(), vec![D]),
        ("token_embd_norm.bias".into(), vec![D]),
    ];
    for (name, dims) in [("attn_q", vec![D, D]), ("attn_k", vec![D, D]), ("attn_v", vec![D, D]), ("attn_output", vec![D, D]), ("ffn_up", vec![D, FF]), ("ffn_down", vec![FF, D])] {
        let out = dims[1];
        tensors.push((format!("blk.0.{name}.weight"), dims));
        tensors.push((format!("blk.0.{name}.bias"), vec![out]));
    }
    for name in ["attn_output_norm", "layer_output_norm"] {
        tensors.push((format!("blk.0.{name}.weight"), vec![D]));
        tensors.push((format!("blk.0.{name}.bias"), vec![D]));
    }
    for (name, mut dims) in tensors {
        if f.drop.contains(&name.as_str()) {
            continue;
        }
        if let Some((n, d)) = &f.reshape {
            if *n == name {
                dims = d.clone();
            }
        }
        let n: u64 = dims.iter().product();
        let norm_weight = name.ends_with("norm.weight");
        let data: Vec<u8> = (0..n).flat_map(|i| (if norm_weight { 1.0f32 } else { ((i * 37 % 17) as f32 - 8.0) * 0.02 }).to_le_bytes()).collect();
        w.tensor(&name, &dims, 0, data);
    }
    w.to_bytes()
}

fn load(f: &Fault) -> hearth::Result<Embedder> {
    Embedder::load_gguf(common::gpu(true), &tiny_bert(f), BertOptions { batch: 2, ..Default::default() }, false)
}

fn fails(f: Fault) -> HearthError {
    match load(&f) {
        Ok(_) => panic!("a broken BERT GGUF was accepted"),
        Err(e) => e,
    }
}

#[test]
fn the_tiny_encoder_works() {
    let e = load(&Fault::default()).unwrap();
    assert_eq!(e.bert.options.max_seq_len, POS as usize);
    let out = pollster::block_on(e.embed(&["hello worlds!".to_string(), "".to_string(), "hello ".repeat(40)])).unwrap();
    assert_eq!(out.input_ids[0], vec![2, 5, 6, 7, 8, 3], "[CLS] hello world ##s ! [SEP] from the phantom-space vocabulary");
    assert_eq!(out.input_ids[1], vec![2, 3]);
    assert_eq!(out.input_ids[2].len(), POS as usize);
    assert_eq!(out.truncated, vec![false, false, true]);
    for v in &out.embeddings {
        assert_eq!(v.len(), D as usize);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5 && v.iter().all(|x| x.is_finite()));
    }
}

#[test]
fn a_batch_beyond_the_adapters_launch_limits_is_refused_at_load() {
    let limit = common::gpu(true).device.limits().max_compute_workgroups_per_dimension as usize;
    let batch = limit / POS as usize + 1;
    let e = Embedder::load_gguf(common::gpu(true), &tiny_bert(&Fault::default()), BertOptions { batch, ..Default::default() }, false).err().expect("a batch of more tokens than workgroups per dimension");
    assert!(matches!(e, HearthError::InvalidArgument(ref m) if m.contains("workgroups per dimension")), "{e}");
    let e = Embedder::load_gguf(common::gpu(true), &tiny_bert(&Fault::default()), BertOptions { batch: usize::MAX, ..Default::default() }, false).err().expect("an overflowing batch");
    assert!(matches!(e, HearthError::InvalidArgument(_)), "{e}");
    // The largest batch within the limit loads and embeds.
    let e = Embedder::load_gguf(common::gpu(true), &tiny_bert(&Fault::default()), BertOptions { batch: limit / POS as usize, ..Default::default() }, false).unwrap();
    let out = pollster::block_on(e.embed(&["hello world".to_string()])).unwrap();
    assert_eq!(out.embeddings[0].len(), D as usize);
}

#[test]
fn broken_files_are_typed_errors() {
    let e = fails(Fault { meta: vec![("general.architecture", Value::String("llama".into()))], ..Default::default() });
    assert!(matches!(e, HearthError::UnsupportedModel(ref m) if m.contains("llama")), "{e}");
    let e = fails(Fault { drop: vec![], meta: vec![("bert.embedding_length", Value::String("wide".into()))], ..Default::default() });
    assert!(matches!(e, HearthError::Malformed(ref m) if m.contains("bert.embedding_length")), "{e}");
    let e = fails(Fault { meta: vec![("bert.attention.head_count", Value::U32(5))], ..Default::default() });
    assert!(matches!(e, HearthError::UnsupportedModel(_)), "{e}");
    let e = fails(Fault { meta: vec![("bert.block_count", Value::U64(1 << 40))], ..Default::default() });
    assert!(matches!(e, HearthError::Malformed(ref m) if m.contains("block_count")), "{e}");
    let e = fails(Fault { meta: vec![("bert.block_count", Value::U32(1000))], ..Default::default() });
    assert!(matches!(e, HearthError::MissingTensor(ref t) if t.starts_with("blk.1.")), "{e}");
    let e = fails(Fault { meta: vec![("bert.pooling_type", Value::U32(9))], ..Default::default() });
    assert!(matches!(e, HearthError::UnsupportedModel(ref m) if m.contains("pooling_type")), "{e}");
    let e = fails(Fault { meta: vec![("bert.context_length", Value::U32(1))], ..Default::default() });
    assert!(matches!(e, HearthError::InvalidArgument(_) | HearthError::Malformed(_)), "{e}");
    let e = fails(Fault { drop: vec!["blk.0.ffn_down.weight"], ..Default::default() });
    assert!(matches!(e, HearthError::MissingTensor(ref t) if t == "blk.0.ffn_down.weight"), "{e}");
    let e = fails(Fault { drop: vec!["token_embd.weight"], ..Default::default() });
    assert!(matches!(e, HearthError::MissingTensor(ref t) if t == "token_embd.weight"), "{e}");
    let e = fails(Fault { reshape: Some(("blk.0.attn_q.weight", vec![D, D / 2])), ..Default::default() });
    assert!(matches!(e, HearthError::Malformed(ref m) if m.contains("attn_q")), "{e}");
    let e = fails(Fault { reshape: Some(("position_embd.weight", vec![D, 4])), ..Default::default() });
    assert!(matches!(e, HearthError::Malformed(ref m) if m.contains("position_embd")), "{e}");
    let e = fails(Fault { reshape: Some(("token_types.weight", vec![4])), ..Default::default() });
    assert!(matches!(e, HearthError::Malformed(_)), "{e}");
    let e = fails(Fault { meta: vec![("tokenizer.ggml.model", Value::String("t5".into()))], ..Default::default() });
    assert!(matches!(e, HearthError::Tokenizer(ref m) if m.contains("t5")), "{e}");
    let e = fails(Fault { meta: vec![("tokenizer.ggml.tokens", Value::Array(vec![Value::String("[UNK]".into())]))], ..Default::default() });
    assert!(matches!(e, HearthError::Malformed(_) | HearthError::Tokenizer(_)), "{e}");
}
