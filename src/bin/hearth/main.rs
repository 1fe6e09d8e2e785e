//! `hearth`: the native CLI over the same engine the browser runs.
//!
//!   hearth tokenize --model F.gguf --prompt-file P --json
//!   hearth logits   --model F.gguf --prompt-file P [--top 10] [--no-f16] --json
//!   hearth complete --model F.gguf (--prompt TEXT | --prompt-file P | --chat --messages-file M.json)
//!                   [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--min-p P]
//!                   [--repeat-penalty R] [--presence-penalty P] [--frequency-penalty F] [--seed S]
//!                   [--stop S]... [--logprobs N] [--truncate-chat] [--ignore-eos] [--no-f16] [--ctx N] --json
//!
//!   hearth embed    --model DIR --input TEXTS.json [--pooling mean|cls|last] [--no-normalize]
//!                   [--quant bf16|mixed|q8_0|f16|f32] [--batch N] --json
//!
//!   hearth bench    --model F.gguf --prompts prompts.json [--embed-model DIR|F.gguf --sentences S.json]
//!                   [--decode 128] [--runs 1] [--limits-mib 256] [--no-f16] [--no-subgroups]
//!
//! Prompt files are read byte for byte. Errors: one line on stderr, exit code 1.

use hearth::{GpuContext, GpuOptions, HearthError, LlamaOptions, Result, TextModel};
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;

mod bench;

const USAGE: &str = "usage: hearth bench --model F.gguf --prompts prompts.json [--embed-model DIR|F.gguf --sentences S.json] [--decode 128] [--runs 1] [--limits-mib 256] [--no-f16] [--no-subgroups] [--untiled-weights] [--narrow-matmul-rows] [--sized-bindings] | hearth embed --model DIR|F.gguf --input TEXTS.json [--pooling mean|cls|last] [--no-normalize] [--quant bf16|mixed|q8_0|f16|f32] [--batch N] --json | hearth <tokenize|logits|complete> --model F.gguf (--prompt TEXT | --prompt-file P | --chat --messages-file M.json) [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--presence-penalty P] [--frequency-penalty F] [--seed S] [--stop S]... [--logprobs N] [--top N] [--ctx N] [--ignore-eos] [--no-f16] [--json]";

const VALUED: [&str; 29] = [
    "--embed-model", "--prompts", "--sentences", "--decode", "--runs", "--limits-mib",
    "--input", "--pooling", "--quant", "--batch", "--max-seq-len",
    "--model", "--prompt", "--prompt-file", "--max-tokens", "--top", "--ctx", "--tokenizer", "--messages-file",
    "--temperature", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--presence-penalty",
    "--frequency-penalty", "--seed", "--stop", "--logprobs",
];

struct Args {
    command: String,
    values: HashMap<String, String>,
    stops: Vec<String>,
    flags: Vec<String>,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(|| HearthError::InvalidArgument(USAGE.into()))?;
    if command == "--help" || command == "-h" {
        println!("{USAGE}");
        std::process::exit(0);
    }
    let (mut values, mut stops, mut flags) = (HashMap::new(), Vec::new(), Vec::new());
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" | "--no-f16" | "--no-subgroups" | "--untiled-weights" | "--narrow-matmul-rows" | "--sized-bindings" | "--chat" | "--truncate-chat" | "--no-normalize" | "--ignore-eos" => flags.push(a),
            v if VALUED.contains(&v) => {
                let v = it.next().ok_or_else(|| HearthError::InvalidArgument(format!("{a} needs a value")))?;
                if a == "--stop" {
                    stops.push(v);
                } else {
                    values.insert(a, v);
                }
            }
            other => return Err(HearthError::InvalidArgument(format!("unknown argument '{other}'; {USAGE}"))),
        }
    }
    Ok(Args { command, values, stops, flags })
}

impl Args {
    fn flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }
    fn number(&self, key: &str, default: usize) -> Result<usize> {
        match self.values.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| HearthError::InvalidArgument(format!("{key} expects a whole number, got '{v}'"))),
        }
    }
    fn float(&self, key: &str, default: f32) -> Result<f32> {
        match self.values.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| HearthError::InvalidArgument(format!("{key} expects a number, got '{v}'"))),
        }
    }
    fn sampling(&self) -> Result<hearth::sampler::SamplingParams> {
        let d = hearth::sampler::SamplingParams::default();
        Ok(hearth::sampler::SamplingParams {
            temperature: self.float("--temperature", d.temperature)?,
            top_k: self.number("--top-k", d.top_k)?,
            top_p: self.float("--top-p", d.top_p)?,
            min_p: self.float("--min-p", d.min_p)?,
            repeat_penalty: self.float("--repeat-penalty", d.repeat_penalty)?,
            presence_penalty: self.float("--presence-penalty", d.presence_penalty)?,
            frequency_penalty: self.float("--frequency-penalty", d.frequency_penalty)?,
            seed: self.values.get("--seed").map(|_| self.number("--seed", 0).map(|v| v as u64)).transpose()?,
            ..d
        })
    }
    fn read(&self, key: &str) -> Result<Vec<u8>> {
        let path = self.values.get(key).ok_or_else(|| HearthError::InvalidArgument(format!("{key} is required")))?;
        std::fs::read(path).map_err(|e| HearthError::Io(format!("{path}: {e}")))
    }
    fn prompt(&self) -> Result<String> {
        if let Some(p) = self.values.get("--prompt") {
            return Ok(p.clone());
        }
        let bytes = self.read("--prompt-file")?;
        String::from_utf8(bytes).map_err(|_| HearthError::InvalidArgument("the prompt file is not valid UTF-8".into()))
    }
}

fn load(args: &Args) -> Result<TextModel> {
    let file = args.read("--model")?;
    let tokenizer_json = match args.values.get("--tokenizer") {
        Some(_) => Some(args.read("--tokenizer")?),
        None => None,
    };
    let ctx = pollster::block_on(GpuContext::new(&gpu_options(&args)))?;
    let options = LlamaOptions { context: args.values.get("--ctx").map(|_| args.number("--ctx", 2048).map(|v| v as u32)).transpose()?, ..Default::default() };
    TextModel::load(ctx, &file, tokenizer_json.as_deref(), &options)
}

fn run() -> Result<()> {
    let args = parse_args()?;
    let json_out = args.flag("--json");
    match args.command.as_str() {
        "tokenize" => {
            let file = args.read("--model")?;
            let g = hearth::gguf::parse(&file)?;
            let tok = hearth::tokenizer::Tokenizer::from_gguf(&g)?;
            let ids = tok.encode(&args.prompt()?)?;
            if json_out {
                println!("{}", json!({ "ids": ids }));
            } else {
                println!("{ids:?}");
            }
        }
        "logits" => {
            let mut model = load(&args)?;
            let ids = model.tokenizer.encode(&args.prompt()?)?;
            if ids.is_empty() {
                return Err(HearthError::InvalidArgument("the prompt is empty (no tokens)".into()));
            }
            if ids.len() > model.llama.context as usize {
                return Err(HearthError::ContextOverflow { prompt: ids.len(), requested: 0, context: model.llama.context as usize });
            }
            let logits = pollster::block_on(model.llama.forward(&ids))?;
            let mut order: Vec<usize> = (0..logits.len()).collect();
            order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
            let top: Vec<(usize, f32)> = order.iter().take(args.number("--top", 10)?).map(|&i| (i, logits[i])).collect();
            if json_out {
                println!("{}", json!({ "prompt_ids": ids, "top": top }));
            } else {
                for (i, l) in top {
                    println!("{i:>6} {l:>10.4} {:?}", model.tokenizer.decode(&[i as u32]));
                }
            }
        }
        "complete" => {
            let mut model = load(&args)?;
            let max_tokens = args.number("--max-tokens", 64)?;
            let ids = if args.flag("--chat") {
                let bytes = args.read("--messages-file")?;
                let messages: Vec<hearth::chat::Message> = serde_json::from_slice(&bytes)
                    .map_err(|e| HearthError::InvalidArgument(format!("--messages-file must hold a JSON array of {{role, content}}: {e}")))?;
                model.chat_ids(&messages, max_tokens, args.flag("--truncate-chat"))?.0
            } else {
                model.tokenizer.encode(&args.prompt()?)?
            };
            let options = hearth::GenerateOptions {
                max_tokens,
                sampling: args.sampling()?,
                stop: args.stops.clone(),
                logprobs: args.values.get("--logprobs").map(|_| args.number("--logprobs", 0)).transpose()?,
                eog_text: true,
                ignore_eos: args.flag("--ignore-eos"),
            };
            let stdout = std::io::stdout();
            let c = pollster::block_on(hearth::complete(&mut model, &ids, &options, |piece| {
                if !json_out {
                    let mut out = stdout.lock();
                    let _ = out.write_all(piece.as_bytes());
                    let _ = out.flush();
                }
            }))?;
            if json_out {
                let mut v = serde_json::to_value(&c).map_err(|e| HearthError::Io(e.to_string()))?;
                v["adapter"] = json!(model.llama.ctx.adapter_name());
                v["f16"] = json!(model.llama.ctx.f16);
                println!("{v}");
            } else {
                println!();
                eprintln!("[{} prompt tokens, {} generated, finish {:?}; prefill {:.1} tok/s, decode {:.1} tok/s on {}]",
                    c.prompt_ids.len(), c.ids.len(), c.finish_reason, c.prefill_tok_s, c.decode_tok_s, model.llama.ctx.adapter_name());
            }
        }
        "embed" => {
            let path = std::path::PathBuf::from(args.values.get("--model").ok_or_else(|| HearthError::InvalidArgument("--model is required".into()))?);
            let read = |name: &str| std::fs::read(path.join(name)).map_err(|e| HearthError::Io(format!("{}: {e}", path.join(name).display())));
            let optional = |name: &str| std::fs::read(path.join(name)).ok();
            let texts: Vec<String> = serde_json::from_slice(&args.read("--input")?)
                .map_err(|e| HearthError::InvalidArgument(format!("--input must hold a JSON array of strings: {e}")))?;
            let mut options = hearth::model::bert::BertOptions { normalize: !args.flag("--no-normalize"), batch: args.number("--batch", 32)?, max_seq_len: args.number("--max-seq-len", 0)?, ..Default::default() };
            if let Some(p) = args.values.get("--pooling") {
                options.pooling = serde_json::from_value(json!(p)).map_err(|_| HearthError::InvalidArgument(format!("--pooling is mean, cls or last, not '{p}'")))?;
            }
            if let Some(q) = args.values.get("--quant") {
                options.quant = hearth::model::bert::BertWeights::parse(q)?;
            }
            let ctx = pollster::block_on(GpuContext::new(&gpu_options(&args)))?;
            let explicit_pooling = args.values.contains_key("--pooling");
            let embedder = if path.is_file() {
                // A GGUF file (weights keep their stored formats; --quant does not apply).
                let file = std::fs::read(&path).map_err(|e| HearthError::Io(format!("{}: {e}", path.display())))?;
                hearth::embedder::Embedder::load_gguf(ctx, &file, options, explicit_pooling)?
            } else {
                let (config, weights, tokenizer) = (read("config.json")?, read("model.safetensors")?, read("tokenizer.json")?);
                let (sbert, pooling_cfg) = (optional("sentence_bert_config.json"), optional("1_Pooling/config.json"));
                let files = hearth::embedder::ModelFiles { config: &config, weights: &weights, tokenizer: &tokenizer, sentence_bert_config: sbert.as_deref(), pooling_config: pooling_cfg.as_deref() };
                hearth::embedder::Embedder::load(ctx, &files, options, explicit_pooling)?
            };
            let out = pollster::block_on(embedder.embed(&texts))?;
            println!("{}", serde_json::to_string(&out).map_err(|e| HearthError::Io(e.to_string()))?);
        }
        "bench-kernels" => {
            let ctx = pollster::block_on(GpuContext::new(&gpu_options(&args)))?;
            let t = pollster::block_on(hearth::gpu::kernel_bench::run(&ctx, args.number("--runs", 5)?, args.number("--batch", 128)? as u32))?;
            println!("{}", json!({ "adapter": ctx.adapter_name(), "f16": ctx.f16, "timings": t }));
        }
        "bench" => {
            let value = |k: &str| args.values.get(k).cloned();
            let b = bench::BenchArgs {
                model: value("--model").ok_or_else(|| HearthError::InvalidArgument("--model is required".into()))?,
                embed_model: value("--embed-model"),
                prompts: value("--prompts").ok_or_else(|| HearthError::InvalidArgument("--prompts is required (../shared/peers/prompts.json)".into()))?,
                sentences: value("--sentences"),
                decode: args.number("--decode", 128)?,
                runs: args.number("--runs", 1)?,
                gpu: gpu_options(&args),
                limits_mib: args.number("--limits-mib", 256)? as u64,
            };
            let out = pollster::block_on(bench::run(&b))?;
            println!("{}", serde_json::to_string_pretty(&out).map_err(|e| HearthError::Io(e.to_string()))?);
        }
        other => return Err(HearthError::InvalidArgument(format!("unknown command '{other}'; {USAGE}"))),
    }
    Ok(())
}

/// The adapter options every command takes: --no-f16, --no-subgroups, and for measuring kernel
/// choices against each other --untiled-weights, --narrow-matmul-rows and --sized-bindings.
fn gpu_options(args: &Args) -> GpuOptions {
    GpuOptions {
        no_f16: args.flag("--no-f16"),
        no_subgroups: args.flag("--no-subgroups"),
        untiled_weights: args.flag("--untiled-weights"),
        wide_matmul_rows: args.flag("--narrow-matmul-rows").then_some(false),
        sized_bindings: args.flag("--sized-bindings").then_some(true),
        ..Default::default()
    }
}

fn main() {
    // Mesa's Vulkan loader warns on stderr without it; keep stderr for real errors.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    if let Err(e) = run() {
        eprintln!("hearth: {e}");
        std::process::exit(1);
    }
}
