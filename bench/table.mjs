// The Performance table from one bench run: bench-results/{native,browser}.json (Hearth) and
// bench-results/peers/*.json (../shared/peers/run.sh's results, same run). Markdown on stdout.
//   node bench/table.mjs [bench-results]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "bench-results";
const load = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : null);
const native = load(join(dir, "native.json"));
const browser = load(join(dir, "browser.json"));
const peerDir = join(dir, "peers");
const peer = (f) => load(join(peerDir, f))?.summary ?? null;
const fmt = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x >= 100 ? x.toFixed(0) : x.toFixed(d));
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "—");
const mib = (b) => (Number.isFinite(b) ? (b / 2 ** 20).toFixed(0) : "—");
const lines = [];
const table = (head, rows) => lines.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`), "");
const adapterName = (r) => `${r.adapter.name}${r.adapter.f16 ? ", f16" : ""}`;

const ours = [
  native && ["Hearth native (wgpu → Vulkan)", native],
  browser && ["Hearth in Chromium (WebGPU)", browser],
].filter(Boolean);

lines.push("**SmolLM2-135M-Instruct Q4_1**, exact 128- and 512-token prompts of `../shared/peers/prompts.json`, 128 greedy tokens after each", "");
const rows = ours.map(([name, r]) => [name, adapterName(r), fmt(r.load_ms, 0), fmt(r.p128.prefill_tok_s, 2), fmt(r.p512.prefill_tok_s, 2), fmt(r.p128.decode_tok_s, 2), fmt(r.p512.decode_tok_s, 2), fmt(r.p128.ttft_ms, 0), fmt(r.p128.tpot_ms, 0), mib(r.gpu_bytes)]);
const tjsGpu = peer("tjs-gen-webgpu-fp32-t0.json");
if (tjsGpu && !tjsGpu.error) rows.push([`Transformers.js WebGPU fp32 (${tjsGpu.n_gen ?? 8} tok)`, "SwiftShader", fmt(tjsGpu.load_ms, 0), fmt(tjsGpu.prefill128_tps, 2), fmt(tjsGpu.prefill512_tps, 2), fmt(tjsGpu.decode128_tps, 2), fmt(tjsGpu.decode_after512_tps, 2), "—", "—", "—"]);
for (const f of existsSync(peerDir) ? readdirSync(peerDir).filter((x) => /^tjs-gen-wasm/.test(x)).sort() : []) {
  const s = peer(f);
  if (s && !s.error) rows.push([`Transformers.js ${f.replace(/^tjs-gen-|\.json$/g, "")} (CPU)`, "—", fmt(s.load_ms, 0), fmt(s.prefill128_tps), fmt(s.prefill512_tps), fmt(s.decode128_tps), fmt(s.decode_after512_tps), "—", "—", "—"]);
}
const llama = load(join(peerDir, "llamacpp.json"));
for (const [k, v] of Object.entries(llama?.configs ?? {})) {
  const s = v.summary;
  rows.push([`llama.cpp native CPU ${k.replace("threads", "")} thr`, "—", fmt(s.load_ms, 0), fmt(s.prefill128_tps), fmt(s.prefill512_tps), fmt(s.decode128_tps), fmt(s.decode_after512_tps), "—", "—", "—"]);
}
table(["engine", "adapter", "load ms", "prefill 128 tok/s", "prefill 512 tok/s", "decode tok/s (ctx 128)", "decode tok/s (ctx 512)", "TTFT 128 ms", "TPOT 128 ms", "GPU MiB"], rows);

lines.push("**Against the adapter's own limits**, measured in the same run with the peers' WGSL (streaming read, f32 FMA); decode limit = read bandwidth ÷ bytes read per token (weights + KV), prefill limit = FMA rate ÷ FLOPs per token", "");
table(
  ["engine", "read GB/s", "FMA GFLOP/s", "decode limit 128 / 512 tok/s", "decode fraction 128 / 512", "prefill limit 128 / 512 tok/s", "prefill fraction 128 / 512"],
  ours.map(([name, r]) => [name, fmt(r.limits.read_GBps, 2), fmt(r.limits.fma_GFLOPs, 1), `${fmt(r.p128.decode_limit_tok_s)} / ${fmt(r.p512.decode_limit_tok_s)}`, `${pct(r.p128.decode_fraction)} / ${pct(r.p512.decode_fraction)}`, `${fmt(r.p128.prefill_limit_tok_s)} / ${fmt(r.p512.prefill_limit_tok_s)}`, `${pct(r.p128.prefill_fraction)} / ${pct(r.p512.prefill_fraction)}`]),
);

lines.push("**all-MiniLM-L6-v2** embeddings, the 32 sentences of `../shared/peers/sentences.json`", "");
const erows = ours.filter(([, r]) => r.embeddings).map(([name, r]) => [name, fmt(r.embeddings.load_ms, 0), fmt(r.embeddings.batch1_sentences_s, 2), fmt(r.embeddings.batch1_ms, 1), fmt(r.embeddings.batch32_sentences_s, 2), fmt(r.embeddings.batch32_ms, 0)]);
for (const f of existsSync(peerDir) ? readdirSync(peerDir).filter((x) => /^tjs-embed-/.test(x)).sort() : []) {
  const s = peer(f);
  if (s && !s.error) erows.push([`Transformers.js ${f.replace(/^tjs-embed-|\.json$/g, "")}${f.includes("webgpu") ? " (SwiftShader)" : " (CPU)"}`, fmt(s.load_ms, 0), fmt(s.single_ms ? 1e3 / s.single_ms : NaN, 2), fmt(s.single_ms, 1), fmt(s.batch32_sent_per_s, 2), fmt(s.batch32_ms, 0)]);
}
table(["engine", "load ms", "batch 1 sentences/s", "batch 1 ms", "batch 32 sentences/s", "batch 32 ms"], erows);

const tjsEmb = peer("tjs-embed-webgpu-fp32-t0.json");
if (browser && (tjsGpu || tjsEmb)) {
  lines.push("**Hearth ÷ Transformers.js WebGPU on the same SwiftShader adapter** (target ≥ 20×)", "");
  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : "—");
  table(["prefill 128", "decode (ctx 128)", "embeddings batch 32", "embeddings batch 1"], [[
    ratio(browser.p128.prefill_tok_s, tjsGpu?.prefill128_tps),
    ratio(browser.p128.decode_tok_s, tjsGpu?.decode128_tps),
    ratio(browser.embeddings?.batch32_sentences_s, tjsEmb?.batch32_sent_per_s),
    ratio(browser.embeddings?.batch1_sentences_s, tjsEmb?.single_ms ? 1e3 / tjsEmb.single_ms : NaN),
  ]]);
}

const notes = [];
for (const [name, r] of ours) {
  const loads = r.load_ms_runs?.length > 1 ? `median of ${r.load_ms_runs.length} cold loads in fresh pages: ${r.load_ms_runs.map((v) => fmt(v, 0)).join(", ")}` : "one cold load";
  notes.push(`${name}: GPU memory ${mib(r.gpu_bytes)} MiB (KV cache ${mib(r.kv_bytes)} MiB for ${r.model.context} tokens; budget 1.1 × file + KV = ${mib(r.gpu_bytes_budget)} MiB), load ${fmt(r.load_ms, 0)} ms (bytes in memory → ready; ${loads})`);
}
if (native?.overhead) notes.push(`Per-token fixed cost (generated 2-layer model, native): ${fmt(native.overhead.per_token_us, 0)} µs per greedy decode step (${native.overhead.dispatches_per_token} launches, ${native.overhead.submits_per_token} submit, a 4-byte read-back); each further launch ≈ ${fmt(native.overhead.per_dispatch_us, 0)} µs`);
if (native?.decode_step_ms) notes.push(`SmolLM2 decode step at 128 cached tokens (native): ${fmt(native.decode_step_ms.logits_readback_ms, 1)} ms reading back all logits, ${fmt(native.decode_step_ms.gpu_argmax_ms, 1)} ms with the greedy pick on the GPU`);
const phases = (p) => Object.entries(p).map(([k, v]) => `${k} ${fmt(v, 0)}`).join(", ");
if (native?.load_phases_ms) notes.push(`Native load phases (ms): ${phases(native.load_phases_ms)}`);
if (browser?.load_phases_ms) notes.push(`Chromium load phases (ms; gpu_wait = the GPU process uploading the weights and compiling the first forward's pipelines): ${phases(browser.load_phases_ms)}`);
const machine = [native && `native adapter ${native.adapter.name} (${native.adapter.driver_info})`, browser && `browser ${browser.chromium ? `Chromium ${browser.chromium}` : ""} adapter ${browser.adapter.name}`].filter(Boolean).join("; ");
const runs = ours.map(([name, r]) => `${r.p128?.runs ?? 1} ${name.startsWith("Hearth native") ? "natively" : "in Chromium"}`).join(", ");
notes.push(`Machine: ${machine}. Hearth's prompt cases and 32-sentence batches are medians of their runs (${runs}), loads as noted; the peers' figures are their own harness's (shared 2-core machine: compare ratios within a run).`);
lines.push(...notes.map((n) => `- ${n}`), "");
console.log(lines.join("\n"));
