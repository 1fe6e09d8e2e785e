// The demo page (www/, built to www/dist by scripts/build-demo.sh) end to end in headless
// Chromium: load the default model, chat with streamed text and metrics, Stop mid-stream, the
// completion tab, a semantic search whose best paragraph is known, screenshots of every tab
// (test-output/demo-*.png, checked non-blank), and the error states (no WebGPU, a corrupt file).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "../../scripts/serve.mjs";
import { launch, newPage } from "./chromium.mjs";
import { log, ROOT } from "./harness.mjs";

const OUT = join(ROOT, "test-output");
let server, browser, page, blankBytes;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  const dist = join(ROOT, "www/dist");
  writeFileSync(join(dist, "models.json"), JSON.stringify({ text: "/models/SmolLM2-135M-Instruct.Q4_1.gguf", embeddings: "/models/all-MiniLM-L6-v2/" }));
  server = await serve(dist, { mounts: { "/models/": join(ROOT, "models") } });
  browser = await launch();
  ({ page } = await newPage(browser));
  await page.setViewportSize({ width: 1000, height: 900 });
  // The size of a blank screenshot at this viewport: a rendered tab must be far above it.
  await page.setContent("<html><body style='background:#fff'></body></html>");
  blankBytes = (await page.screenshot()).length;
  await page.goto(`${server.url}/`);
  await page.waitForSelector("body[data-ready=true]");
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function shot(name) {
  const png = await page.screenshot({ path: join(OUT, `demo-${name}.png`), fullPage: true });
  log(`screenshot test-output/demo-${name}.png: ${png.length} bytes (blank page: ${blankBytes})`);
  assert.ok(png.length > 5 * blankBytes, `demo-${name}.png is not blank`);
}

test("the default model loads from the local server, with progress and adapter facts", async () => {
  assert.equal(await page.inputValue("#model-url"), `${server.url}/models/SmolLM2-135M-Instruct.Q4_1.gguf`);
  await page.click("#load-url");
  await page.waitForSelector("body[data-model=ready]", { timeout: 300_000 });
  const status = await page.textContent("#status");
  log(status);
  assert.match(status, /Ready: .*Q4_1.*from the network/);
  assert.match(await page.textContent("#m-f16"), /off/);
  assert.match(await page.textContent("#m-memory"), /MiB/);
  assert.notEqual(await page.textContent("#m-adapter"), "–");
});

test("chat: streamed text appears, metrics fill in, Stop ends a long answer", async () => {
  await page.click(".settings summary");
  await page.fill("#temperature", "0");
  await page.fill("#max-tokens", "6");
  await page.fill("#chat-input", "What is the capital of France?");
  await page.click("#chat-send");
  await page.waitForFunction(() => !document.querySelector(".chat-log .assistant[aria-busy]") && document.querySelector(".chat-log .assistant")?.textContent.length > 0, null, { timeout: 300_000 });
  const answer = await page.textContent(".chat-log .assistant");
  log(`assistant: ${JSON.stringify(answer)}`);
  assert.match(answer, /Paris/);
  for (const id of ["#m-ttft", "#m-tpot", "#m-prefill", "#m-decode", "#m-context"]) assert.notEqual(await page.textContent(id), "–", `${id} filled in`);
  await shot("chat");

  // A second turn with room for a long answer; Stop after the first tokens arrive.
  await page.fill("#max-tokens", "200");
  await page.fill("#chat-input", "Tell me a long story about a dragon.");
  await page.click("#chat-send");
  await page.waitForFunction(() => document.querySelectorAll(".chat-log .assistant")[1]?.textContent.length > 0, null, { timeout: 300_000 });
  await page.click("#chat-stop");
  await page.waitForSelector(".chat-log .note", { timeout: 120_000 });
  assert.equal(await page.textContent(".chat-log .note"), "Stopped.");
  assert.equal(await page.isEnabled("#chat-send"), true, "ready for the next message");
  assert.ok((await page.textContent("#m-context")).match(/^\d+ \/ 2048$/));
});

test("completion tab streams a continuation after the prompt", async () => {
  await page.click("#tab-complete");
  await page.fill("#complete-input", "The capital of France is");
  await page.fill("#max-tokens", "4");
  await page.click("#complete-run");
  await page.waitForFunction(() => !document.querySelector("#complete-run").disabled && document.querySelector("#complete-output span:nth-child(2)")?.textContent.length > 0, null, { timeout: 300_000 });
  const out = await page.textContent("#complete-output");
  log(`completion: ${JSON.stringify(out)}`);
  assert.match(out, /^The capital of France is Paris/);
  await shot("completion");
});

test("semantic search ranks the paragraph that answers the query first", async () => {
  await page.click("#tab-search");
  await page.fill("#search-query", "a cat resting outdoors");
  await page.click("#search-run");
  await page.waitForSelector("#search-results li", { timeout: 600_000 });
  const results = await page.$$eval("#search-results li", (lis) => lis.map((li) => li.textContent));
  log(`ranking: ${JSON.stringify(results)}`);
  assert.equal(results.length, 5);
  assert.match(results[0], /kitten is sleeping in the sun/);
  const scores = results.map((r) => Number(r.slice(0, 5)));
  assert.deepEqual([...scores].sort((a, b) => b - a), scores, "sorted by score");
  await shot("search");
});

test("a corrupt file shows the file error", async () => {
  await page.setInputFiles("#model-file", { name: "broken.gguf", mimeType: "application/octet-stream", buffer: Buffer.alloc(4096, 7) });
  await page.waitForSelector("#model-error:not([hidden])", { timeout: 120_000 });
  const msg = await page.textContent("#model-error");
  log(msg);
  assert.match(msg, /not a model Hearth can run: not a GGUF file/);
});

test("the page without WebGPU says what the browser needs", async () => {
  const plain = await launch({ webgpu: false });
  try {
    const { page: p } = await newPage(plain, `${server.url}/`);
    await p.waitForSelector("body[data-ready=true]");
    await p.setViewportSize({ width: 390, height: 844 }); // a phone's width
    const banner = await p.textContent("#webgpu-banner");
    assert.equal(await p.isVisible("#webgpu-banner"), true);
    assert.match(banner, /WebGPU is not available.*Chrome or Edge/);
    const png = await p.screenshot({ path: join(OUT, "demo-no-webgpu-phone.png"), fullPage: true });
    log(`screenshot test-output/demo-no-webgpu-phone.png: ${png.length} bytes`);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at phone width (${overflow}px)`);
  } finally {
    await plain.close();
  }
});
