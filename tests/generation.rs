//! The generation engine on SmolLM2 (lavapipe): chat template vs the golden prompts, stop
//! strings across token boundaries, UTF-8 hold-back, KV-cache reuse, abort then continue,
//! seeded sampling, logprobs, context overflow.

mod common;
use common::*;
use hearth::chat::Message;
use hearth::generate::{GenerateOptions, Generation};
use hearth::sampler::SamplingParams;
use hearth::FinishReason;

fn case(name: &str) -> serde_json::Value {
    llm_cases()["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
}

fn greedy(max_tokens: usize) -> GenerateOptions {
    GenerateOptions { max_tokens, ..Default::default() }
}

#[test]
fn chat_template_renders_the_golden_prompts() {
    let bytes = std::fs::read(smollm_path()).unwrap();
    let g = hearth::gguf::parse(&bytes).unwrap();
    let template = g.str("tokenizer.chat_template").unwrap();
    let mut n = 0;
    for c in llm_cases()["cases"].as_array().unwrap().iter().filter(|c| c.get("chat_messages").is_some()) {
        let messages: Vec<Message> = serde_json::from_value(c["chat_messages"].clone()).unwrap();
        let prompt = hearth::chat::render(template, &messages, true, "<|im_start|>", "<|im_end|>").unwrap();
        assert_eq!(prompt, c["prompt"].as_str().unwrap(), "case {}", c["name"]);
        n += 1;
    }
    assert_eq!(n, 2);
}

#[test]
fn generation_engine_on_smollm2() {
    let mut model = smollm(true, 256);
    let en = case("en_simple");
    let en_ids = ids(&en["ids"]);
    let en_greedy = ids(&en["greedy_ids"]);

    // Stop string straddling tokens " answer" + " is": not emitted, finish_reason stop.
    let opts = GenerateOptions { stop: vec!["answer is".into()], ..greedy(64) };
    let c = pollster::block_on(hearth::complete(&mut model, &en_ids, &opts, |_| {})).unwrap();
    assert_eq!(c.text, " Paris.\n\nThe ");
    assert_eq!(c.finish_reason, FinishReason::Stop);
    assert_eq!(c.ids, en_greedy[..7].to_vec(), "stopped on the token completing the stop string");

    // UTF-8 hold-back: streamed pieces of the Korean and emoji continuations are whole characters.
    for name in ["korean", "emoji_mixed_scripts"] {
        let k = case(name);
        let want = ids(&k["greedy_ids"]);
        let mut g = pollster::block_on(Generation::start(&mut model, &ids(&k["ids"]), greedy(want.len()))).unwrap();
        let mut pieces = Vec::new();
        while let Some(ev) = pollster::block_on(g.next_token(&mut model)).unwrap() {
            pieces.push(ev.text);
        }
        let c = g.completion();
        assert_eq!(c.ids, want, "{name}");
        assert_eq!(pieces.concat(), c.text);
        // Only the final flush may hold an unfinished character (the korean output ends in one).
        let body = &pieces[..pieces.len() - 1];
        assert!(body.iter().all(|p| !p.contains('\u{FFFD}')), "{name}: a streamed piece split a character");
        assert_eq!(pieces.concat(), model.tokenizer.decode(&want), "{name}");
    }

    // KV reuse: a prompt extending the cached one prefills only the suffix, same result.
    let c = pollster::block_on(hearth::complete(&mut model, &en_ids[..3], &greedy(2), |_| {})).unwrap();
    assert_eq!(c.usage.cached_tokens, 0);
    let c = pollster::block_on(hearth::complete(&mut model, &en_ids, &greedy(en_greedy.len()), |_| {})).unwrap();
    assert_eq!(c.usage.cached_tokens, 3);
    assert_eq!(c.ids, en_greedy);
    assert_eq!((c.usage.prompt_tokens, c.usage.completion_tokens), (en_ids.len(), en_greedy.len()));

    // Same logits from a reused cache as from a fresh prefill.
    model.llama.reset();
    let fresh = pollster::block_on(model.llama.forward(&en_ids)).unwrap();
    model.llama.reset();
    pollster::block_on(model.llama.forward(&en_ids[..2])).unwrap();
    pollster::block_on(model.llama.forward(&en_ids[2..4])).unwrap();
    let reused = pollster::block_on(model.llama.forward(&en_ids[4..])).unwrap();
    let diff = fresh.iter().zip(&reused).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(diff < 1e-3, "reused-cache logits differ by {diff}");

    // Abort after three tokens, then continue: the engine is usable and its cache consistent.
    {
        let mut g = pollster::block_on(Generation::start(&mut model, &en_ids, greedy(64))).unwrap();
        for _ in 0..3 {
            pollster::block_on(g.next_token(&mut model)).unwrap().unwrap();
        }
    }
    let c = pollster::block_on(hearth::complete(&mut model, &en_ids, &greedy(64), |_| {})).unwrap();
    assert_eq!(c.ids, en_greedy);
    assert_eq!(c.usage.cached_tokens, en_ids.len() - 1);

    // Seeded sampling is reproducible; another seed differs.
    let sampled = |model: &mut hearth::TextModel, seed| {
        let opts = GenerateOptions { sampling: SamplingParams { temperature: 1.0, top_k: 40, seed: Some(seed), ..Default::default() }, ..greedy(12) };
        pollster::block_on(hearth::complete(model, &en_ids, &opts, |_| {})).unwrap().ids
    };
    let a = sampled(&mut model, 7);
    assert_eq!(a, sampled(&mut model, 7));
    assert_ne!(a, sampled(&mut model, 8));

    // Logprobs: the greedy token is the top entry; values are log-probabilities.
    let opts = GenerateOptions { logprobs: Some(5), ..greedy(4) };
    let c = pollster::block_on(hearth::complete(&mut model, &en_ids, &opts, |_| {})).unwrap();
    let lps = c.logprobs.unwrap();
    assert_eq!(lps.len(), 4);
    for (lp, &id) in lps.iter().zip(&c.ids) {
        assert_eq!((lp.id, lp.top_logprobs[0].id), (id, id));
        assert_eq!(lp.top_logprobs.len(), 5);
        let mass: f32 = lp.top_logprobs.iter().map(|t| t.logprob.exp()).sum();
        assert!(lp.logprob <= 0.0 && mass <= 1.0 + 1e-4);
    }
    assert_eq!(lps[0].token, " Paris");

    // Prompt + max_tokens beyond the context window: a typed error with both numbers.
    let e = pollster::block_on(hearth::complete(&mut model, &en_ids, &greedy(300), |_| {})).unwrap_err();
    assert_eq!(e.code(), "ContextOverflow");
    assert!(e.to_string().contains("5 tokens plus 300") && e.to_string().contains("256"), "{e}");
    // Invalid sampling parameters are errors, not clamped.
    let opts = GenerateOptions { sampling: SamplingParams { top_p: 0.0, ..Default::default() }, ..greedy(4) };
    assert_eq!(pollster::block_on(hearth::complete(&mut model, &en_ids, &opts, |_| {})).unwrap_err().code(), "InvalidArgument");
}

#[test]
fn chat_over_the_context_overflows_or_drops_oldest_turns() {
    let model = smollm(true, 64);
    let turn = |role: &str, n: usize| Message { role: role.into(), content: "word ".repeat(n) };
    let messages = vec![turn("system", 3), turn("user", 30), turn("assistant", 30), turn("user", 5)];
    let e = model.chat_ids(&messages, 8, false).unwrap_err();
    assert_eq!(e.code(), "ContextOverflow");
    let (ids, dropped) = model.chat_ids(&messages, 8, true).unwrap();
    assert_eq!(dropped, 2, "the two oldest turns after the system message go");
    assert!(ids.len() + 8 <= 64);
    let kept = [messages[0].clone(), messages[3].clone()];
    assert_eq!(ids, model.tokenizer.encode(&model.render_chat(&kept).unwrap()).unwrap());
    // Even the last message alone does not fit: still an error.
    assert_eq!(model.chat_ids(&[turn("user", 100)], 8, true).unwrap_err().code(), "ContextOverflow");
}

/// `Llama::greedy_step` submits the next step before reading this one back, its input fed
/// from the GPU pick. It must pick what `forward_argmax` picks, follow the golden greedy
/// continuation, and drop the step it submitted ahead whenever the caller feeds something
/// else (another token, a truncation, a plain forward).
#[test]
fn pipelined_greedy_steps_match_plain_ones() {
    let mut model = smollm(true, 64);
    let en = case("en_simple");
    let (prompt, golden) = (ids(&en["ids"]), ids(&en["greedy_ids"]));
    let llama = &mut model.llama;
    let mut last = pollster::block_on(llama.forward_argmax(&prompt)).unwrap();
    assert_eq!(last, golden[0]);
    let mut picks = vec![last];
    for _ in 1..8 {
        last = pollster::block_on(llama.greedy_step(last, true)).unwrap();
        picks.push(last);
    }
    assert_eq!(picks, golden[..8], "pipelined greedy continuation");
    assert_eq!(llama.cached.len(), prompt.len() + 7, "the step submitted ahead is not in the cache yet");

    // Feed a different token than the pick the step ahead was fed: that step is dropped and
    // this one computed afresh, as a plain forward does.
    let other = (last + 1) % llama.config.vocab_size;
    let cached = llama.cached.clone();
    let fresh = pollster::block_on(llama.greedy_step(other, true)).unwrap();
    llama.truncate(cached.len());
    let plain = pollster::block_on(llama.forward_argmax(&[other])).unwrap();
    assert_eq!(fresh, plain, "a step fed another token than the pick ahead");

    // After a truncation the step ahead (at a later position) is dropped too.
    llama.truncate(prompt.len());
    let again = pollster::block_on(llama.greedy_step(golden[0], true)).unwrap();
    assert_eq!(again, golden[1]);
    assert_eq!(llama.cached, [prompt.as_slice(), &golden[..1]].concat());

    // At the end of the context no step is submitted ahead, and one more is an overflow.
    llama.reset();
    let n = llama.context as usize;
    let filler: Vec<u32> = prompt.iter().cycle().take(n - 1).copied().collect();
    let pick = pollster::block_on(llama.forward_argmax(&filler)).unwrap();
    pollster::block_on(llama.greedy_step(pick, true)).unwrap();
    assert_eq!(llama.cached.len(), n);
    assert!(matches!(pollster::block_on(llama.greedy_step(pick, true)), Err(hearth::HearthError::ContextOverflow { .. })));
}
