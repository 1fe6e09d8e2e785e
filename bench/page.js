// The browser half of the measuring stick (the native half is `hearth bench`): the same fields,
// measured through the npm package as a web app would use it. The result lands in
// `window.benchResult` (or `window.benchError`) and on the page.
import { Hearth, measureDeviceLimits } from "/pkg/dist/index.js";

const q = new URLSearchParams(location.search);
const opt = {
  model: q.get("model") ?? "/models/SmolLM2-135M-Instruct.Q4_1.gguf",
  embed: q.get("embed") ?? "/models/all-MiniLM-L6-v2/",
  prompts: q.get("prompts") ?? "/peers/prompts.json",
  sentences: q.get("sentences") ?? "/peers/sentences.json",
  decode: Number(q.get("decode") ?? 128),
  // Runs of each measurement (their median; the shared machine's noise): the prompt cases and
  // the 32-sentence batch. Loading is measured cold, as a user meets it, once a page
  // (bench/browser.mjs takes the median over fresh pages).
  runs: Math.max(1, Number(q.get("runs") ?? 3)),
  limitsMib: Number(q.get("limits_mib") ?? 256),
  noSubgroups: q.has("no_subgroups"),
  // Only the cold load (bench/browser.mjs repeats it in fresh pages: one load is one sample of
  // a noisy machine).
  loadOnly: q.has("load_only"),
  // Only the embeddings (for working on them).
  embedOnly: q.has("embed_only"),
};
const status = (s) => {
  document.getElementById("status").textContent = s;
  console.log(`[bench] ${s}`);
};
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const json = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
};

/** The same formulas as DecoderCost in src/model/llama.rs. */
const decodeBytes = (c, pos) => c.weight_bytes + c.kv_bytes_per_position * pos;
const prefillFlops = (c, n) => c.matmul_flops_per_token * n + c.head_flops + c.attention_flops_per_position * n * (n + 1) / 2;

async function promptCase(llm, ids, limits) {
  const runs = [];
  for (let i = 0; i < opt.runs; i++) {
    await llm.resetCache();
    runs.push(await llm.completions.create({ prompt: ids, max_tokens: opt.decode + 1, temperature: 0, ignore_eos: true }));
  }
  const pick = (field) => median(runs.map((r) => r.timings[field]));
  const [prefill, decode] = [pick("prefill_tokens_per_s"), pick("decode_tokens_per_s")];
  const r = runs[0], n = ids.length, c = llm.info.cost;
  const decodeLimit = limits.read_gbps * 1e9 / decodeBytes(c, n + opt.decode / 2);
  const prefillLimit = limits.fma_gflops * 1e9 / (prefillFlops(c, n) / n);
  return {
    prompt_tokens: n,
    decode_tokens: r.usage.completion_tokens - 1,
    runs: runs.length,
    prefill_tok_s: round(prefill, 3),
    ttft_ms: round(pick("ttft_ms"), 1),
    decode_tok_s: round(decode, 3),
    tpot_ms: round(pick("tpot_ms"), 2),
    prefill_limit_tok_s: round(prefillLimit, 2),
    decode_limit_tok_s: round(decodeLimit, 2),
    prefill_fraction: round(prefill / prefillLimit, 4),
    decode_fraction: round(decode / decodeLimit, 4),
    text_start: r.choices[0].text.slice(0, 120),
  };
}

async function embeddings(sentences) {
  const t0 = performance.now();
  const emb = await Hearth.load(opt.embed, { task: "embeddings", noSubgroups: opt.noSubgroups });
  const loadMs = performance.now() - t0;
  await emb.embeddings.create({ input: sentences.slice(0, 2) }); // warm-up
  const batches = [];
  for (let i = 0; i < opt.runs; i++) {
    const t1 = performance.now();
    await emb.embeddings.create({ input: sentences });
    batches.push(performance.now() - t1);
  }
  const batch32 = median(batches);
  const single = [];
  const t = performance.now();
  for (const s of sentences) {
    const t1 = performance.now();
    await emb.embeddings.create({ input: s });
    single.push(performance.now() - t1);
  }
  const batch1Total = performance.now() - t;
  const out = {
    model: opt.embed,
    quant: emb.info.quant,
    sentences: sentences.length,
    runs: batches.length,
    load_ms: round(loadMs, 1),
    gpu_bytes: emb.info.gpu_bytes,
    batch32_ms: round(batch32, 1),
    batch32_sentences_s: round(sentences.length / batch32 * 1e3, 3),
    batch1_ms: round(median(single), 2),
    batch1_sentences_s: round(sentences.length / batch1Total * 1e3, 3),
  };
  await emb.dispose();
  return out;
}

/** Bytes in memory → ready (the package's own load, in this page's thread, no cache). */
async function coldLoad(bytes) {
  const t0 = performance.now();
  const llm = await Hearth.load(bytes, { cache: false, noSubgroups: opt.noSubgroups });
  return { llm, loadMs: performance.now() - t0 };
}

async function fetchModel() {
  const resp = await fetch(opt.model);
  if (!resp.ok) throw new Error(`${opt.model}: HTTP ${resp.status}`);
  return new Uint8Array(await resp.arrayBuffer());
}

async function loadOnly() {
  // As in the full run, the wasm module is ready and the adapter has run kernels before the load.
  await measureDeviceLimits(16, 1);
  const bytes = await fetchModel();
  status("loading…");
  const { llm, loadMs } = await coldLoad(bytes);
  const phases = llm.info.load_phases_ms;
  await llm.dispose();
  return { load_ms: round(loadMs, 1), load_phases_ms: phases };
}

async function run() {
  if (opt.loadOnly) return loadOnly();
  const [prompts, { sentences }] = await Promise.all([json(opt.prompts), json(opt.sentences)]);
  if (opt.embedOnly) return { embeddings: await embeddings(sentences) };
  status("measuring the adapter's limits (streaming read, FMA)…");
  const limits = await measureDeviceLimits(opt.limitsMib, 5);
  status("downloading the model…");
  const bytes = await fetchModel();
  status("loading…");
  const { llm, loadMs } = await coldLoad(bytes);
  status("warm-up…");
  await llm.completions.create({ prompt: prompts.p128.tokens.slice(0, 16), max_tokens: 3, ignore_eos: true });
  status(`prefill ${prompts.p128.n} + decode ${opt.decode}…`);
  const p128 = await promptCase(llm, prompts.p128.tokens, limits);
  status(`prefill ${prompts.p512.n} + decode ${opt.decode}…`);
  const p512 = await promptCase(llm, prompts.p512.tokens, limits);
  const info = llm.info;
  await llm.dispose();
  status("embeddings…");
  const emb = await embeddings(sentences);
  return {
    engine: "hearth",
    runtime: "browser",
    user_agent: navigator.userAgent,
    adapter: { ...info.adapter, f16: info.f16 },
    limits: { read_GBps: round(limits.read_gbps, 3), read_patterns: limits.read_patterns, read_mib: limits.read_mib, fma_GFLOPs: round(limits.fma_gflops, 2) },
    model: { file: opt.model, file_bytes: bytes.length, context: info.context_length, cost: info.cost },
    load_ms: round(loadMs, 1),
    load_phases_ms: info.load_phases_ms,
    gpu_bytes: info.gpu_bytes,
    kv_bytes: info.kv_bytes,
    gpu_bytes_budget: Math.floor(1.1 * bytes.length) + info.kv_bytes,
    gpu_bytes_without_kv_over_file: round((info.gpu_bytes - info.kv_bytes) / bytes.length, 4),
    p128,
    p512,
    embeddings: emb,
  };
}

run().then(
  (r) => {
    window.benchResult = r;
    document.getElementById("out").textContent = JSON.stringify(r, null, 2);
    status("done");
  },
  (e) => {
    window.benchError = `${e.name}: ${e.message}`;
    status(`failed: ${window.benchError}`);
  },
);
