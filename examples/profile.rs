//! Per-kernel timing of one prefill of N tokens and one decode step (hot-spot finding).
//! cargo run --release --example profile -- models/SmolLM2-135M-Instruct.Q4_1.gguf 128 [--no-f16]

fn main() -> hearth::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(128);
    let bytes = std::fs::read(&args[1]).map_err(|e| hearth::HearthError::Io(e.to_string()))?;
    let ctx = pollster::block_on(hearth::GpuContext::new(&hearth::GpuOptions { no_f16: args.iter().any(|a| a == "--no-f16") }))?;
    let mut m = hearth::TextModel::load(ctx, &bytes, None, &hearth::LlamaOptions { context: Some(2048) })?;
    let ids: Vec<u32> = (0..n as u32).map(|i| 100 + i * 7).collect();
    pollster::block_on(m.llama.forward(&ids[..1]))?; // warm-up (first-dispatch JIT)
    m.llama.reset();
    for (label, ids) in [("prefill", &ids[..]), ("decode", &ids[..1])] {
        let t = web_time::Instant::now();
        let totals = m.llama.profile(ids)?;
        let all: f64 = totals.iter().map(|t| t.1).sum();
        println!("{label} of {} tokens at pos {}: {:.1} ms total ({:.1} ms wall)", ids.len(), m.llama.cached.len() - ids.len(), all, t.elapsed().as_secs_f64() * 1e3);
        for (k, ms) in totals {
            println!("  {k:<10} {ms:>9.1} ms");
        }
    }
    Ok(())
}
