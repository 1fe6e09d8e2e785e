//! Text ↔ token ids. Encoding uses the `tokenizers` crate, built either from a GGUF's embedded
//! vocabulary (`tokenizer.ggml.*`) or from a `tokenizer.json`. Decoding goes through a table of
//! each token's exact bytes, so streaming can hold back incomplete UTF-8 (`TokenStream`).
//! Special (control and user-defined) tokens written in a prompt are parsed as special tokens,
//! as llama.cpp's `parse_special` does.

use crate::error::{HearthError, Result};
use crate::gguf::{Gguf, Value};
use std::collections::HashMap;
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, DecoderWrapper, PreTokenizerWrapper, SplitDelimiterBehavior};

const LLAMA3_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const QWEN2_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

fn tk_err(e: impl std::fmt::Display) -> HearthError {
    HearthError::Tokenizer(e.to_string())
}

pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// Exact bytes each token stands for (special tokens: their text).
    token_bytes: Vec<Vec<u8>>,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    /// End-of-generation ids (EOS, EOT, and the FIM tokens llama.cpp also treats as EOG).
    pub eog: Vec<u32>,
    pub add_bos: bool,
    /// Use the tokenizer.json post-processor (it adds any BOS itself).
    post_process: bool,
}

/// GPT-2's byte → printable-char table, inverted (char → byte).
fn byte_level_decoder() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (33..=126).chain(161..=172).chain(174..=255).collect();
    let mut chars: Vec<u32> = printable.clone();
    let mut n = 0;
    for b in 0..=255u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + n);
            n += 1;
        }
    }
    printable.iter().zip(&chars).map(|(&b, &c)| (char::from_u32(c).unwrap(), b as u8)).collect()
}

fn byte_level_bytes(token: &str, table: &HashMap<char, u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    for ch in token.chars() {
        match table.get(&ch) {
            Some(&b) => out.push(b),
            None => out.extend_from_slice(ch.to_string().as_bytes()),
        }
    }
    out
}

/// SentencePiece piece → bytes: '▁' is a space, `<0xNN>` is the byte NN.
fn sentencepiece_bytes(token: &str) -> Vec<u8> {
    if token.len() == 6 && token.starts_with("<0x") && token.ends_with('>') {
        if let Ok(b) = u8::from_str_radix(&token[3..5], 16) {
            return vec![b];
        }
    }
    token.replace('\u{2581}', " ").into_bytes()
}

fn strings(g: &Gguf, key: &str) -> Result<Vec<String>> {
    let arr = g.get(key).ok_or_else(|| HearthError::MissingMetadata(key.into()))?.as_array()
        .ok_or_else(|| HearthError::Malformed(format!("'{key}' is not an array")))?;
    arr.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(|| HearthError::Malformed(format!("'{key}' holds a non-string")))).collect()
}

impl Tokenizer {
    /// Build from the GGUF's embedded vocabulary.
    pub fn from_gguf(g: &Gguf) -> Result<Tokenizer> {
        let model = g.str("tokenizer.ggml.model")?;
        let tokens = strings(g, "tokenizer.ggml.tokens")?;
        let types: Vec<i64> = match g.get("tokenizer.ggml.token_type").and_then(Value::as_array) {
            Some(a) => a.iter().map(|v| match v { Value::I32(x) => *x as i64, v => v.as_u64().unwrap_or(1) as i64 }).collect(),
            None => vec![1; tokens.len()],
        };
        if types.len() != tokens.len() {
            return Err(HearthError::Malformed(format!("{} token types for {} tokens", types.len(), tokens.len())));
        }
        let id = |k: &str| g.get(k).and_then(Value::as_u64).map(|v| v as u32).filter(|&v| (v as usize) < tokens.len());
        let bos = id("tokenizer.ggml.bos_token_id");
        let eos = id("tokenizer.ggml.eos_token_id");
        let add_bos = g.get("tokenizer.ggml.add_bos_token").and_then(Value::as_bool).unwrap_or(model == "llama");

        let (mut inner, token_bytes) = match model {
            "gpt2" => {
                let merges: Vec<(String, String)> = strings(g, "tokenizer.ggml.merges")?
                    .into_iter()
                    .map(|m| match m.split_once(' ') {
                        Some((a, b)) => Ok((a.to_string(), b.to_string())),
                        None => Err(HearthError::Malformed(format!("merge '{m}' has no space"))),
                    })
                    .collect::<Result<_>>()?;
                let vocab: tokenizers::models::bpe::Vocab = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
                let bpe = BPE::builder().vocab_and_merges(vocab, merges).build().map_err(tk_err)?;
                let mut tk = tokenizers::Tokenizer::new(bpe);
                let pre = g.get("tokenizer.ggml.pre").and_then(Value::as_str).unwrap_or("default");
                let byte_level = ByteLevel::new(false, false, true);
                let split = |pattern: &str| -> Result<PreTokenizerWrapper> {
                    Ok(PreTokenizerWrapper::Split(Split::new(SplitPattern::Regex(pattern.into()), SplitDelimiterBehavior::Isolated, false).map_err(tk_err)?))
                };
                let pre_tokenizer: PreTokenizerWrapper = match pre {
                    "default" | "gpt2" | "gpt-2" => byte_level.into(),
                    "smollm" | "starcoder" | "refact" => Sequence::new(vec![Digits::new(true).into(), byte_level.into()]).into(),
                    "llama3" | "llama-bpe" | "llama-v3" | "dbrx" | "smaug-bpe" => {
                        Sequence::new(vec![split(LLAMA3_PATTERN)?, ByteLevel::new(false, false, false).into()]).into()
                    }
                    "qwen2" | "deepseek-r1-qwen" => Sequence::new(vec![split(QWEN2_PATTERN)?, ByteLevel::new(false, false, false).into()]).into(),
                    other => return Err(HearthError::Tokenizer(format!("pre-tokenizer '{other}' is not supported yet; pass the model's tokenizer.json"))),
                };
                tk.with_pre_tokenizer(Some(pre_tokenizer));
                tk.with_decoder(Some(DecoderWrapper::ByteLevel(ByteLevel::default())));
                let table = byte_level_decoder();
                let bytes = tokens.iter().zip(&types).map(|(t, &ty)| if ty == 3 || ty == 4 { t.as_bytes().to_vec() } else { byte_level_bytes(t, &table) }).collect();
                (tk, bytes)
            }
            "bert" => {
                // llama.cpp's converter writes WordPiece pieces in "phantom space" form: a word's
                // first piece gets a '▁' prefix, continuations lose their "##"; undo that.
                let pieces: Vec<String> = tokens.iter().zip(&types).map(|(t, &ty)| {
                    if ty == 3 || (t.starts_with('[') && t.ends_with(']')) {
                        t.clone()
                    } else if let Some(word) = t.strip_prefix('\u{2581}') {
                        word.to_string()
                    } else {
                        format!("##{t}")
                    }
                }).collect();
                let unk = id("tokenizer.ggml.unknown_token_id").map(|i| pieces[i as usize].clone()).unwrap_or_else(|| "[UNK]".into());
                let vocab: ahash::AHashMap<String, u32> = pieces.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
                let wordpiece = WordPiece::builder().vocab(vocab).unk_token(unk).continuing_subword_prefix("##".into()).build().map_err(tk_err)?;
                let mut tk = tokenizers::Tokenizer::new(wordpiece);
                let flag = |k: &str| g.get(k).and_then(Value::as_bool);
                let lowercase = flag("tokenizer.ggml.normalizer.lowercase").unwrap_or(true);
                let strip_accents = flag("tokenizer.ggml.normalizer.strip_accents").or(Some(lowercase));
                tk.with_normalizer(Some(BertNormalizer::new(true, true, strip_accents, lowercase)));
                tk.with_pre_tokenizer(Some(BertPreTokenizer));
                tk.with_decoder(Some(WordPieceDecoder::default()));
                let bytes = pieces.iter().map(|t| t.as_bytes().to_vec()).collect();
                (tk, bytes)
            }
            other => {
                return Err(HearthError::Tokenizer(format!(
                    "GGUF tokenizer model '{other}' cannot be rebuilt yet (byte-level BPE 'gpt2' and WordPiece 'bert' can); pass the model's tokenizer.json"
                )))
            }
        };
        let specials: Vec<AddedToken> = tokens.iter().zip(&types)
            .filter(|(_, &ty)| ty == 3 || ty == 4)
            .map(|(t, &ty)| AddedToken::from(t.clone(), ty == 3))
            .collect();
        inner.add_special_tokens(&specials);

        let mut eog: Vec<u32> = eos.into_iter().collect();
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            eog.extend(id(key));
        }
        for (i, t) in tokens.iter().enumerate() {
            let known = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<|end_of_text|>", "<reponame>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"];
            if (types[i] == 3 || types[i] == 4) && known.contains(&t.as_str()) {
                eog.push(i as u32);
            }
        }
        eog.sort_unstable();
        eog.dedup();
        Ok(Tokenizer { inner, token_bytes, bos, eos, eog, add_bos, post_process: false })
    }

    /// Build from a Hugging Face `tokenizer.json` (its own normalizer, pre-tokenizer and
    /// post-processor apply; truncation and padding baked into the file are removed).
    pub fn from_json(json: &[u8]) -> Result<Tokenizer> {
        let mut inner = tokenizers::Tokenizer::from_bytes(json).map_err(tk_err)?;
        inner.with_truncation(None).map_err(tk_err)?;
        inner.with_padding(None);
        let vocab = inner.get_vocab(true);
        let n = vocab.values().map(|&i| i as usize + 1).max().unwrap_or(0);
        let mut names = vec![String::new(); n];
        for (t, &i) in &vocab {
            names[i as usize] = t.clone();
        }
        let added = inner.get_added_tokens_decoder();
        let byte_level = matches!(inner.get_decoder(), Some(DecoderWrapper::ByteLevel(_)));
        let table = byte_level_decoder();
        let token_bytes = names.iter().enumerate().map(|(i, t)| {
            if added.contains_key(&(i as u32)) {
                t.as_bytes().to_vec()
            } else if byte_level {
                byte_level_bytes(t, &table)
            } else {
                sentencepiece_bytes(t)
            }
        }).collect();
        let find = |names: &[&str]| names.iter().find_map(|t| vocab.get(*t).copied());
        let eos = find(&["</s>", "<|endoftext|>", "<|im_end|>", "<|end_of_text|>", "[SEP]"]);
        let bos = find(&["<s>", "<|begin_of_text|>", "[CLS]"]);
        let eog = ["</s>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<end_of_turn>"].iter().filter_map(|t| vocab.get(*t).copied()).collect();
        Ok(Tokenizer { inner, token_bytes, bos, eos, eog, add_bos: false, post_process: true })
    }

    pub fn vocab_size(&self) -> usize {
        self.token_bytes.len()
    }

    /// Token ids of `text`, special tokens parsed, BOS added when the model asks for it.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.inner.encode(text, self.post_process).map_err(tk_err)?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if self.add_bos {
            ids.extend(self.bos);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// The exact bytes of one token (empty for an out-of-range id).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.token_bytes.get(id as usize).map(|b| b.as_slice()).unwrap_or(&[])
    }

    /// Bytes of a sequence (special tokens rendered as their text, as llama.cpp's
    /// `token_to_piece(special = true)` does).
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        ids.iter().flat_map(|&id| self.token_bytes(id).iter().copied()).collect()
    }

    /// Text of a sequence; invalid UTF-8 becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        String::from_utf8_lossy(&self.decode_bytes(ids)).into_owned()
    }

    pub fn is_eog(&self, id: u32) -> bool {
        self.eog.contains(&id)
    }

    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }
}

/// Streaming detokenizer: feed ids, get text made only of whole UTF-8 characters; bytes of an
/// incomplete character are held back until the next token completes it.
#[derive(Default)]
pub struct TokenStream {
    pending: Vec<u8>,
}

impl TokenStream {
    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> String {
        self.pending.extend_from_slice(tokenizer.token_bytes(id));
        self.take_complete()
    }

    fn take_complete(&mut self) -> String {
        let valid_up_to = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) => match e.error_len() {
                // An invalid sequence (not just an unfinished one) can never complete: emit it lossily.
                Some(_) => self.pending.len(),
                None => e.valid_up_to(),
            },
        };
        let rest = self.pending.split_off(valid_up_to);
        let done = std::mem::replace(&mut self.pending, rest);
        String::from_utf8_lossy(&done).into_owned()
    }

    /// Whatever is left at the end (an unfinished character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        String::from_utf8_lossy(&rest).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_table_is_a_bijection() {
        let t = byte_level_decoder();
        assert_eq!(t.len(), 256);
        assert_eq!(t[&'Ġ'], b' ');
        assert_eq!(t[&'Ċ'], b'\n');
        assert_eq!(t[&'A'], b'A');
    }

    #[test]
    fn sentencepiece_pieces() {
        assert_eq!(sentencepiece_bytes("\u{2581}the"), b" the");
        assert_eq!(sentencepiece_bytes("<0x0A>"), b"\n");
    }
}
