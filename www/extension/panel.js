// The side panel: reads the current tab's text (chrome.scripting, under the activeTab grant),
// answers questions / summarizes with the chat model, and ranks the page's paragraphs by meaning
// with the embedding model. Both models run here, in the panel's Web Workers, on WebGPU.
// Model output is inserted as text only.
import { Hearth } from "hearth-llm";
import { loadSettings } from "./settings.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { tabId: null, page: null, llm: null, embedder: null, settings: null, controller: null };

// ---------- functions run inside the page ----------
function extractPage() {
  const selection = String(window.getSelection?.() ?? "").trim();
  const blocks = [];
  const nodes = document.body ? document.body.querySelectorAll("h1, h2, h3, h4, p, li, blockquote, pre, td, dd, figcaption") : [];
  for (const el of nodes) {
    if (el.closest("nav, footer, header, aside, [aria-hidden=true]")) continue;
    if (el.querySelector("p, li, blockquote, pre, td")) continue; // its nested blocks stand for it
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const text = (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim();
    if (text.length < 3) continue;
    el.dataset.hearthId = String(blocks.length);
    blocks.push({ id: blocks.length, text, heading: /^H\d$/.test(el.tagName) });
  }
  return { title: document.title, url: location.href, selection, blocks };
}

function highlightBlock(id) {
  for (const old of document.querySelectorAll("[data-hearth-highlight]")) {
    old.style.outline = old.dataset.hearthOutline ?? "";
    old.style.backgroundColor = old.dataset.hearthBackground ?? "";
    delete old.dataset.hearthHighlight;
  }
  const el = document.querySelector(`[data-hearth-id="${id}"]`);
  if (!el) return false;
  el.dataset.hearthOutline = el.style.outline;
  el.dataset.hearthBackground = el.style.backgroundColor;
  el.dataset.hearthHighlight = "true";
  el.style.outline = "3px solid #ea580c";
  el.style.backgroundColor = "rgba(251, 146, 60, 0.2)";
  el.scrollIntoView({ behavior: "smooth", block: "center" });
  return true;
}

// ---------- page access ----------
async function currentTab() {
  if (params.has("tabId")) return Number(params.get("tabId"));
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

async function inPage(func, ...args) {
  const [r] = await chrome.scripting.executeScript({ target: { tabId: state.tabId }, func, args });
  return r?.result;
}

async function readPage() {
  state.tabId = await currentTab();
  try {
    state.page = await inPage(extractPage);
  } catch (e) {
    throw Object.assign(new Error(`Hearth cannot read this tab (${e.message}). Click the Hearth button in the toolbar while the page you want is open (Chrome lets an extension read a page only after you invoke it); browser pages such as chrome:// cannot be read.`), { name: "NoAccess" });
  }
  const p = state.page;
  if (!p || (!p.selection && p.blocks.length === 0)) {
    throw Object.assign(new Error("This page has no text Hearth can read (it may be an image, a PDF viewer, or still loading)."), { name: "NoText" });
  }
  $("scope").textContent = p.selection ? "the selected text" : "this page";
}

// ---------- models ----------
const mb = (b) => (b / 2 ** 20).toFixed(1);
function progress(label) {
  const bar = $("progress");
  return (p) => {
    bar.hidden = p.phase === "ready";
    if (p.total > 0) {
      bar.max = p.total;
      bar.value = p.loaded;
    } else bar.removeAttribute("value");
    const what = { download: "Downloading", cache: "Loading from cache", read: "Reading", upload: "Preparing on the GPU", ready: "Ready" }[p.phase];
    $("state").textContent = `${label}: ${what}${p.total ? ` ${mb(p.loaded)} / ${mb(p.total)} MB` : ""}`;
  };
}

async function chatModel() {
  state.llm ??= Hearth.load(state.settings.textModel, { worker: true, onProgress: progress("Chat model") }).catch((e) => {
    state.llm = null;
    throw e;
  });
  return state.llm;
}

async function embedModel() {
  state.embedder ??= Hearth.load(state.settings.embedModel, { task: "embeddings", worker: true, onProgress: progress("Search model") }).catch((e) => {
    state.embedder = null;
    throw e;
  });
  return state.embedder;
}

function showError(e) {
  const el = $("error");
  el.textContent = e?.name === "WebGPUUnavailable" ? e.message : e?.message ?? String(e);
  el.hidden = false;
  $("state").textContent = e?.name === "NoText" || e?.name === "NoAccess" ? "Nothing to read here." : "Something went wrong.";
}

// ---------- ranking ----------
async function rank(query, blocks) {
  const emb = await embedModel();
  const { data } = await emb.embeddings.create({ input: [query, ...blocks.map((b) => b.text)] });
  const q = data[0].embedding;
  return blocks.map((b, i) => ({ ...b, score: data[i + 1].embedding.reduce((s, v, j) => s + v * q[j], 0) })).sort((a, b) => b.score - a.score);
}

/** Page text that fits the context: the selection, or blocks (best first when ranked) kept in page order. */
async function excerpts(llm, question, maxTokens) {
  const budget = llm.info.context_length - maxTokens - 160 - (await llm.tokenize(question ?? "")).length;
  const p = state.page;
  if (p.selection) {
    const ids = await llm.tokenize(p.selection);
    return ids.length <= budget ? p.selection : await llm.detokenize(ids.slice(0, budget));
  }
  let candidates = p.blocks;
  if (question && p.blocks.length > 1) {
    try {
      candidates = await rank(question, p.blocks);
    } catch {
      // no embedding model: fall back to the page from the top
    }
  }
  const chosen = [];
  let used = 0;
  for (const b of candidates) {
    const n = (await llm.tokenize(b.text)).length + 2;
    if (used + n > budget) {
      if (question) continue;
      break;
    }
    chosen.push(b);
    used += n;
  }
  return chosen.sort((a, b) => a.id - b.id).map((b) => b.text).join("\n");
}

// ---------- ask / summarize ----------
function setBusy(busy) {
  $("ask").disabled = $("summarize").disabled = busy;
  $("stop").disabled = !busy;
}

async function ask(question) {
  $("error").hidden = true;
  setBusy(true);
  const out = $("answer");
  out.textContent = "";
  $("answer-meta").textContent = "";
  state.controller = new AbortController();
  try {
    const llm = await chatModel();
    const maxTokens = state.settings.maxTokens;
    $("state").textContent = "Choosing the relevant parts of the page…";
    const text = await excerpts(llm, question, maxTokens);
    const task = question ? `Question: ${question}` : "Summarize this page in a few sentences.";
    const messages = [
      { role: "system", content: "You answer questions about a web page using only the page text given. Be brief and factual." },
      { role: "user", content: `Page title: ${state.page.title}\n\nPage text:\n${text}\n\n${task}` },
    ];
    $("state").textContent = "Answering…";
    let last = null;
    for await (const chunk of await llm.chat.completions.create({ messages, max_tokens: maxTokens, temperature: 0, stream: true, signal: state.controller.signal })) {
      out.textContent += chunk.choices[0].delta.content ?? "";
      last = chunk;
    }
    const t = last?.timings;
    if (t) $("answer-meta").textContent = `${last.usage.completion_tokens} tokens · first token after ${(t.ttft_ms / 1000).toFixed(1)} s · ${t.decode_tokens_per_s.toFixed(1)} tokens/s · ${last.usage.prompt_tokens} prompt tokens`;
    $("state").textContent = "Done.";
  } catch (e) {
    if (e.name === "AbortError") $("state").textContent = "Stopped.";
    else showError(e);
  } finally {
    state.controller = null;
    setBusy(false);
  }
}

// ---------- find by meaning ----------
async function find(query) {
  $("error").hidden = true;
  $("find").disabled = true;
  try {
    const t0 = performance.now();
    const ranked = (await rank(query, state.page.blocks)).slice(0, 8);
    $("find-meta").textContent = `${state.page.blocks.length} passages ranked in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    $("results").replaceChildren(...ranked.map((r) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "result";
      button.dataset.blockId = String(r.id);
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = r.score.toFixed(2);
      button.append(score, document.createTextNode(r.text.length > 240 ? `${r.text.slice(0, 240)}…` : r.text));
      button.addEventListener("click", () => inPage(highlightBlock, r.id).catch(showError));
      li.append(button);
      return li;
    }));
    $("state").textContent = "Click a result to jump to it on the page.";
  } catch (e) {
    showError(e);
  } finally {
    $("find").disabled = false;
  }
}

// ---------- wiring ----------
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
$("ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("question").value.trim();
  if (q) ask(q);
});
$("summarize").addEventListener("click", () => ask(null));
$("stop").addEventListener("click", () => state.controller?.abort());
$("find-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("query").value.trim();
  if (q) find(q);
});

async function start() {
  state.settings = await loadSettings();
  try {
    await readPage();
    $("state").textContent = `${state.page.blocks.length} passages on this page${state.page.selection ? " (using your selection)" : ""}.`;
    $("find").disabled = false;
    setBusy(false);
    document.body.dataset.page = "ready";
    chatModel().then(() => ($("state").textContent = "Ready. Ask a question or summarize."), showError);
  } catch (e) {
    showError(e);
    document.body.dataset.page = "error";
  }
}
start();
