// The npm package in a real browser: Chromium headless, WebGPU on SwiftShader (no shader-f16),
// the package imported from /pkg/dist as a user would, models from the local server.
// SwiftShader decodes ~1 token/s, so cases are short; the full golden sweep runs natively.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../../scripts/serve.mjs";
import { launch, newPage } from "./chromium.mjs";
import { cosine, embedCases, llmCase, log, MINILM, nativeComplete, ROOT, SMOLLM } from "./harness.mjs";

let server, browser, context, page;

before(async () => {
  server = await serve(ROOT);
  browser = await launch();
  ({ context, page } = await newPage(browser, `${server.url}/tests/browser/pages/index.html`));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Run `body(Hearth, arg)` in the page with `window.llm` kept between tests. */
function inPage(body, arg) {
  return page.evaluate(
    async ([src, arg]) => {
      const mod = await import("/pkg/dist/index.js");
      const f = new Function("return " + src)();
      try {
        return await f(mod, arg);
      } catch (e) {
        return { thrown: { name: e.name, message: e.message, isHearth: e instanceof mod.HearthError, classes: Object.keys(mod).filter((k) => k.endsWith("Error") && typeof mod[k] === "function" && e instanceof mod[k]) } };
      }
    },
    [body.toString(), arg],
  );
}

test("greedy chat and completion equal the golden continuations (f32 path, no shader-f16)", async () => {
  const chat = llmCase("chat_system_user");
  const en = llmCase("en_simple");
  const out = await inPage(async ({ Hearth }, { smollm, messages, n }) => {
    const progress = [];
    const t0 = performance.now();
    window.llm = await Hearth.load(smollm, { onProgress: (p) => progress.push(p.phase) });
    const loadMs = performance.now() - t0;
    // The chat last, so the next test's identical chat finds its prefix in the KV cache.
    const completion = await llm.completions.create({ prompt: "The capital of France is", max_tokens: n });
    const chat = await llm.chat.completions.create({ messages, max_tokens: 16 });
    const ids = await llm.tokenize("The capital of France is");
    return { info: llm.info, loadMs, phases: [...new Set(progress)], chat, completion, ids, detok: await llm.detokenize(chat.choices[0].token_ids) };
  }, { smollm: SMOLLM, messages: chat.chat_messages, n: 12 });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  log(`adapter ${out.info.adapter.name} (${out.info.adapter.backend}), f16 ${out.info.f16}, load ${out.loadMs.toFixed(0)} ms, GPU ${(out.info.gpu_bytes / 2 ** 20).toFixed(1)} MiB`);
  assert.equal(out.info.f16, false, "SwiftShader has no shader-f16: the f32 path is used and reported");
  assert.equal(out.info.adapter.subgroups, true, "SwiftShader has subgroups of 4: the rows kernels broadcast activations (SG_X4)");
  assert.equal(out.info.task, "text-generation");
  assert.equal(out.info.quant, "Q4_1");
  assert.ok(out.info.context_length > 0 && out.info.adapter.max_storage_buffer_binding_size > 0);
  assert.deepEqual(out.phases, ["download", "upload", "ready"]);
  const c = out.chat.choices[0];
  assert.deepEqual(c.token_ids, chat.greedy_ids, "chat token ids");
  assert.equal(c.message.content, chat.greedy_text.replace("<|im_end|>", ""), "chat text (the end-of-turn token is not content)");
  assert.equal(c.finish_reason, "stop");
  assert.equal(out.chat.object, "chat.completion");
  assert.equal(out.chat.usage.prompt_tokens, chat.ids.length);
  assert.equal(out.chat.usage.completion_tokens, chat.greedy_ids.length);
  log(`chat: ttft ${out.chat.timings.ttft_ms.toFixed(0)} ms, prefill ${out.chat.timings.prefill_tokens_per_s.toFixed(2)} tok/s, decode ${out.chat.timings.decode_tokens_per_s.toFixed(2)} tok/s`);
  const p = out.completion.choices[0];
  assert.deepEqual(p.token_ids, en.greedy_ids.slice(0, 12), "completion token ids");
  assert.ok(en.greedy_text.startsWith(p.text), `completion text ${JSON.stringify(p.text)}`);
  assert.equal(p.finish_reason, "length");
  assert.deepEqual(out.ids, en.ids, "tokenize");
  assert.equal(out.detok, chat.greedy_text);
});

test("streamed chunks concatenate to the full text; the KV prefix is reused", async () => {
  const chat = llmCase("chat_system_user");
  const out = await inPage(async (_, { messages }) => {
    const chunks = [];
    for await (const chunk of await llm.chat.completions.create({ messages, max_tokens: 16, stream: true })) chunks.push(chunk);
    return chunks;
  }, { messages: chat.chat_messages });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.ok(out.length >= 3, `${out.length} chunks`);
  assert.equal(out[0].choices[0].delta.role, "assistant");
  assert.ok(out.every((c) => c.object === "chat.completion.chunk"));
  const text = out.map((c) => c.choices[0].delta.content ?? "").join("");
  assert.equal(text, chat.greedy_text.replace("<|im_end|>", ""));
  assert.deepEqual(out.flatMap((c) => c.choices[0].token_ids), chat.greedy_ids);
  const last = out.at(-1);
  assert.equal(last.choices[0].finish_reason, "stop");
  assert.equal(last.usage.prompt_tokens_details.cached_tokens, chat.ids.length - 1, "the same prompt reuses the cached prefix");
});

test("aborting a stream throws AbortError and leaves the model usable", async () => {
  const en = llmCase("en_simple");
  const out = await inPage(async () => {
    const controller = new AbortController();
    const seen = [];
    let error = null;
    try {
      for await (const chunk of await llm.completions.create({ prompt: "The capital of France is", max_tokens: 64, stream: true, signal: controller.signal })) {
        seen.push(chunk.choices[0].text);
        if (seen.length === 3) controller.abort();
      }
    } catch (e) {
      error = { name: e.name, message: e.message };
    }
    const again = await llm.completions.create({ prompt: "The capital of France is", max_tokens: 6 });
    return { seen, error, again: again.choices[0].token_ids };
  });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.equal(out.seen.length, 3);
  assert.equal(out.error?.name, "AbortError");
  assert.deepEqual(out.again, en.greedy_ids.slice(0, 6));
});

test("seeded sampling gives the same ids as the native engine", async () => {
  const args = { temperature: 0.8, top_k: 40, top_p: 0.95, seed: 42, max_tokens: 8 };
  const native = nativeComplete(["--prompt", "The capital of France is", "--temperature", "0.8", "--top-k", "40", "--top-p", "0.95", "--seed", "42", "--max-tokens", "8"]);
  const out = await inPage(async (_, args) => {
    const a = await llm.completions.create({ prompt: "The capital of France is", ...args });
    const b = await llm.completions.create({ prompt: "The capital of France is", ...args });
    return [a.choices[0].token_ids, b.choices[0].token_ids];
  }, args);
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.deepEqual(out[0], native.ids, "browser vs native");
  assert.deepEqual(out[1], out[0], "same seed, same ids");
});

test("errors are typed: bad requests, context overflow, corrupt and truncated files", async () => {
  const out = await inPage(async ({ Hearth }, { smollm }) => {
    const grab = async (f) => {
      try {
        await f();
        return null;
      } catch (e) {
        return { name: e.name, message: e.message, ctor: e.constructor.name };
      }
    };
    const reader = (await fetch(smollm)).body.getReader();
    const head = new Uint8Array(4096);
    for (let at = 0; at < head.length; ) {
      const { value } = await reader.read();
      head.set(value.subarray(0, head.length - at), at);
      at += value.length;
    }
    await reader.cancel();
    return {
      temperature: await grab(() => llm.chat.completions.create({ messages: [{ role: "user", content: "hi" }], temperature: -1 })),
      role: await grab(() => llm.chat.completions.create({ messages: [{ role: "wizard", content: "hi" }] })),
      overflow: await grab(() => llm.completions.create({ prompt: "hi", max_tokens: 100000 })),
      corrupt: await grab(() => Hearth.load(new Uint8Array(64).fill(7))),
      truncated: await grab(() => Hearth.load(head)),
      missing: await grab(() => Hearth.load("/models/no-such-model.gguf", { cache: false })),
      stillWorks: (await llm.completions.create({ prompt: "The capital of France is", max_tokens: 2 })).choices[0].token_ids,
    };
  }, { smollm: SMOLLM });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  log(JSON.stringify(out));
  assert.equal(out.temperature.name, "InvalidArgument");
  assert.equal(out.temperature.ctor, "InvalidArgumentError");
  assert.match(out.temperature.message, /temperature/);
  assert.equal(out.role.name, "InvalidArgument");
  assert.equal(out.overflow.name, "ContextOverflow");
  assert.equal(out.overflow.ctor, "ContextOverflowError");
  assert.match(out.overflow.message, /context window/);
  assert.equal(out.corrupt.name, "BadMagic");
  assert.equal(out.corrupt.ctor, "ModelFormatError");
  assert.equal(out.truncated.name, "Truncated");
  assert.equal(out.missing.name, "DownloadError");
  assert.match(out.missing.message, /404/);
  assert.deepEqual(out.stillWorks, llmCase("en_simple").greedy_ids.slice(0, 2));
});

for (const noSubgroups of [false, true]) test(`embeddings of the golden sentences match sentence-transformers (noSubgroups: ${noSubgroups})`, async () => {
  const cases = embedCases().filter((c, i) => i < 6 || c.truncated);
  const out = await inPage(async ({ Hearth }, { minilm, texts, noSubgroups }) => {
    const emb = await Hearth.load(minilm, { task: "embeddings", noSubgroups });
    const r = await emb.embeddings.create({ input: texts });
    const info = emb.info;
    await emb.dispose();
    return { info, r };
  }, { minilm: MINILM, texts: cases.map((c) => c.text), noSubgroups });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.equal(out.info.adapter.subgroups, !noSubgroups, "subgroups are used unless turned off");
  assert.equal(out.info.task, "embeddings");
  assert.equal(out.info.max_seq_len, 256);
  let worstCos = 1, worstAbs = 0;
  cases.forEach((c, i) => {
    const e = out.r.data[i].embedding;
    assert.equal(e.length, 384);
    assert.equal(out.r.data[i].truncated, c.truncated);
    worstCos = Math.min(worstCos, cosine(e, c.embedding));
    worstAbs = Math.max(worstAbs, ...e.map((v, j) => Math.abs(v - c.embedding[j])));
  });
  log(`embeddings (${cases.length} sentences): worst cosine ${worstCos.toFixed(7)}, max |Δ| ${worstAbs.toExponential(2)}, ${out.r.timings.sentences_per_s.toFixed(2)} sentences/s`);
  assert.ok(worstCos >= 0.9999, `worst cosine ${worstCos}`);
  assert.ok(worstAbs <= 1e-3, `max abs diff ${worstAbs}`);
});

test("worker mode runs the same API off the main thread", async () => {
  const en = llmCase("en_simple");
  const out = await inPage(async ({ Hearth }, { smollm }) => {
    const w = await Hearth.load(smollm, { worker: true });
    const r = await w.completions.create({ prompt: "The capital of France is", max_tokens: 4 });
    const chunks = [];
    for await (const c of await w.completions.create({ prompt: "The capital of France is", max_tokens: 4, stream: true })) chunks.push(c.choices[0].text);
    const info = w.info;
    await w.dispose();
    return { ids: r.choices[0].token_ids, text: r.choices[0].text, streamed: chunks.join(""), info };
  }, { smollm: SMOLLM });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.deepEqual(out.ids, en.greedy_ids.slice(0, 4));
  assert.equal(out.streamed, out.text);
  assert.equal(out.info.from_cache, true, "the worker read the model from the Cache Storage filled by the first load");
});

test("a second load comes from the cache: no network request for the model", async () => {
  await inPage(async () => {
    await llm.dispose();
  });
  const before = server.requests.length;
  // A reload in the same browser context: a fresh module, the same Cache Storage.
  await page.goto(`${server.url}/tests/browser/pages/index.html`);
  const out = await inPage(async ({ Hearth }, { smollm }) => {
    const phases = [];
    window.llm = await Hearth.load(smollm, { onProgress: (p) => phases.push(p.phase) });
    const r = await llm.completions.create({ prompt: "The capital of France is", max_tokens: 2 });
    return { fromCache: llm.info.from_cache, phases: [...new Set(phases)], ids: r.choices[0].token_ids };
  }, { smollm: SMOLLM });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  const modelRequests = server.requests.slice(before).filter((p) => p.endsWith(".gguf"));
  assert.deepEqual(modelRequests, [], "no request for the model file");
  assert.equal(out.fromCache, true);
  assert.deepEqual(out.phases, ["cache", "upload", "ready"]);
  assert.deepEqual(out.ids, llmCase("en_simple").greedy_ids.slice(0, 2));
});

test("token-id prompts, ignore_eos and the adapter's measured limits (what the benchmark page uses)", async () => {
  const en = llmCase("en_simple");
  const out = await inPage(async ({ measureDeviceLimits }, { ids }) => {
    const r = await llm.completions.create({ prompt: ids, max_tokens: 4, ignore_eos: true });
    const limits = await measureDeviceLimits(8, 1);
    return { r, limits, info: llm.info };
  }, { ids: en.ids });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.deepEqual(out.r.choices[0].token_ids, en.greedy_ids.slice(0, 4), "the ids of the golden prompt give the golden continuation");
  assert.equal(out.r.usage.prompt_tokens, en.ids.length);
  assert.ok(out.limits.read_gbps > 0 && out.limits.fma_gflops > 0, JSON.stringify(out.limits));
  assert.equal(out.limits.read_mib, 8);
  assert.ok(out.info.cost.weight_bytes > 0 && out.info.kv_bytes > 0);
  const phases = out.info.load_phases_ms;
  assert.deepEqual(Object.keys(phases).sort(), ["device", "gpu_wait", "parse", "tokenizer", "weights_and_pipelines"], JSON.stringify(phases));
  assert.ok(Object.values(phases).every((ms) => ms >= 0) && phases.gpu_wait + phases.weights_and_pipelines <= out.info.load_ms, JSON.stringify({ phases, load_ms: out.info.load_ms }));
  assert.ok(out.info.gpu_bytes <= 1.1 * out.info.file_bytes + out.info.kv_bytes, `GPU memory ${out.info.gpu_bytes} within 1.1 × file + KV`);
  log(`limits in Chromium: read ${out.limits.read_gbps.toFixed(3)} GB/s, FMA ${out.limits.fma_gflops.toFixed(2)} GFLOP/s`);
});

test("kernels compile in the background: createComputePipelineAsync only, the first forward's before decode's", async () => {
  const en = llmCase("en_simple");
  const out = await inPage(async ({ Hearth }, { smollm }) => {
    const P = GPUDevice.prototype;
    const [async0, sync0] = [P.createComputePipelineAsync, P.createComputePipeline];
    const asyncLabels = [], syncLabels = [];
    P.createComputePipelineAsync = function (d) {
      asyncLabels.push(d.label);
      return async0.call(this, d);
    };
    P.createComputePipeline = function (d) {
      syncLabels.push(d.label);
      return sync0.call(this, d);
    };
    try {
      const m = await Hearth.load(smollm, { cache: false, worker: false });
      const r = await m.completions.create({ prompt: "The capital of France is", max_tokens: 4 });
      await m.dispose();
      return { asyncLabels, syncLabels, ids: r.choices[0].token_ids };
    } finally {
      Object.assign(P, { createComputePipelineAsync: async0, createComputePipeline: sync0 });
    }
  }, { smollm: SMOLLM });
  assert.equal(out.thrown, undefined, JSON.stringify(out.thrown));
  assert.deepEqual(out.ids, en.greedy_ids.slice(0, 4), "the adopted pipelines give the golden continuation");
  assert.deepEqual(out.syncLabels, [], "no kernel is compiled on the GPU process's main thread");
  const at = (label) => out.asyncLabels.indexOf(label);
  for (const first of ["embed.wgsl", "matmul_rows.wgsl", "attention_rows.wgsl", "argmax.wgsl"]) {
    assert.ok(at(first) >= 0 && at(first) < at("attention_split.wgsl"), `${first} is asked for before decode's attention: ${out.asyncLabels}`);
  }
  log(`kernels compiled asynchronously, in order: ${out.asyncLabels.join(", ")}`);
});

test("without WebGPU, loading fails with WebGPUUnavailable and says what is needed", async () => {
  const plain = await launch({ webgpu: false });
  try {
    const { page: p } = await newPage(plain, `${server.url}/tests/browser/pages/index.html`);
    const out = await p.evaluate(async (smollm) => {
      const { Hearth } = await import("/pkg/dist/index.js");
      try {
        await Hearth.load(smollm, { cache: false });
        return null;
      } catch (e) {
        return { name: e.name, message: e.message, ctor: e.constructor.name };
      }
    }, SMOLLM);
    assert.equal(out?.name, "WebGPUUnavailable");
    assert.equal(out.ctor, "WebGPUUnavailableError");
    assert.match(out.message, /Chrome|Edge/);
  } finally {
    await plain.close();
  }
});
