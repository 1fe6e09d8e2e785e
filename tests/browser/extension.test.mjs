// The browser extension (www/extension, built to www/extension/dist and packed as
// hearth-extension.zip by scripts/build-extension.sh), unpacked in headless Chromium with
// WebGPU on SwiftShader. The toolbar button is pressed through CDP (Extensions.triggerAction,
// the same path as a user's click, so Chrome grants activeTab); the side panel's page is then
// driven in a tab with ?tabId= naming the page it reads.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../../scripts/serve.mjs";
import { CHROMIUM, WEBGPU_FLAGS } from "./chromium.mjs";
import { log, ROOT, SMOLLM, MINILM } from "./harness.mjs";

const DIST = join(ROOT, "www/extension/dist");
const ZIP = join(ROOT, "www/extension/hearth-extension.zip");
let server, context, worker, extensionId, cdp, profile;

before(async () => {
  server = await serve(ROOT);
  profile = mkdtempSync(join(tmpdir(), "hearth-ext-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...WEBGPU_FLAGS, `--disable-extensions-except=${DIST}`, `--load-extension=${DIST}`, "--enable-unsafe-extension-debugging"],
    ignoreDefaultArgs: ["--headless", "--disable-extensions"],
  });
  [worker] = context.serviceWorkers();
  worker ??= await context.waitForEvent("serviceworker", { timeout: 30_000 });
  extensionId = worker.url().split("/")[2];
  cdp = await context.browser().newBrowserCDPSession();
  // The settings page's storage: models from the local server, short answers.
  await worker.evaluate((s) => chrome.storage.sync.set(s), { textModel: `${server.url}${SMOLLM}`, embedModel: `${server.url}${MINILM}`, maxTokens: 24 });
});

after(async () => {
  await context?.close();
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** Open `path` in a tab, press the extension's toolbar button there, open the panel for it. */
async function openPanelFor(path) {
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  const { targetInfos } = await cdp.send("Target.getTargets", { filter: [{ type: "tab" }] });
  const target = targetInfos.find((t) => t.url.endsWith(path));
  await worker.evaluate(() => chrome.storage.session.remove("lastTabId"));
  await cdp.send("Extensions.triggerAction", { id: extensionId, targetId: target.targetId });
  let tabId;
  for (let i = 0; i < 50 && !tabId; i++) {
    tabId = (await worker.evaluate(() => chrome.storage.session.get("lastTabId"))).lastTabId;
    if (!tabId) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(tabId, "the toolbar button's onClicked ran");
  const panel = await context.newPage();
  panel.on("pageerror", (e) => console.log(`[panel error] ${e.message}`));
  await panel.goto(`chrome-extension://${extensionId}/sidepanel.html?tabId=${tabId}`);
  await panel.waitForFunction(() => document.body.dataset.page, null, { timeout: 60_000 });
  return { page, panel };
}

test("the packed zip is small and its manifest is valid MV3 with minimal permissions", () => {
  const size = statSync(ZIP).size;
  const listing = JSON.parse(execFileSync("python3", ["-c", `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"names": z.namelist(), "manifest": json.loads(z.read("manifest.json"))}))`, ZIP], { encoding: "utf8" }));
  const m = listing.manifest;
  log(`hearth-extension.zip: ${size} bytes, ${listing.names.length} files`);
  assert.ok(size < 3_000_000, `${size} bytes`);
  assert.equal(m.manifest_version, 3);
  assert.deepEqual([...m.permissions].sort(), ["activeTab", "scripting", "sidePanel", "storage"]);
  assert.equal(m.host_permissions, undefined, "no host permissions");
  assert.equal(m.content_security_policy.extension_pages, "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';");
  for (const f of [m.side_panel.default_path, m.background.service_worker, m.options_page]) assert.ok(listing.names.includes(f), `ships ${f}`);
  assert.ok(listing.names.some((n) => n.endsWith(".wasm")), "the engine ships inside (no remote code)");
  assert.ok(!listing.names.some((n) => n.endsWith(".gguf") || n.endsWith(".safetensors")), "models are downloaded, not packed");
});

test("ask this page: streamed answer from SmolLM2 running in the side panel", async () => {
  const t0 = Date.now();
  const { panel } = await openPanelFor("/tests/browser/pages/article.html");
  assert.match(await panel.textContent("#state"), /passages on this page|Chat model/);
  await panel.waitForFunction(() => document.getElementById("state").textContent.startsWith("Ready"), null, { timeout: 300_000 });
  const loadMs = Date.now() - t0;
  // Count the streamed updates of the answer.
  await panel.evaluate(() => {
    window.updates = 0;
    new MutationObserver(() => window.updates++).observe(document.getElementById("answer"), { childList: true, characterData: true, subtree: true });
  });
  await panel.fill("#question", "How much does a ticket for the tower climb cost for adults?");
  await panel.click("#ask");
  await panel.waitForFunction(() => ["Done.", "Something went wrong."].includes(document.getElementById("state").textContent), null, { timeout: 600_000 });
  const out = await panel.evaluate(() => ({ answer: document.getElementById("answer").textContent, meta: document.getElementById("answer-meta").textContent, error: document.getElementById("error").textContent, updates: window.updates }));
  log(`panel ready (page read + model loaded) in ${loadMs} ms; answer ${JSON.stringify(out.answer)}; ${out.meta}`);
  assert.equal(out.error, "");
  assert.ok(out.answer.trim().length > 0, "an answer");
  assert.ok(out.updates >= 2, `streamed in ${out.updates} updates`);
  assert.match(out.meta, /tokens\/s/);
});

test("find by meaning: the known paragraph ranks first and clicking it highlights it on the page", async () => {
  const { page, panel } = await openPanelFor("/tests/browser/pages/article.html");
  await panel.click("#tab-find");
  await panel.fill("#query", "where can I watch seabirds nesting");
  await panel.click("#find");
  await panel.waitForSelector("#results li", { timeout: 600_000 });
  const results = await panel.$$eval("#results .result", (b) => b.map((x) => x.textContent));
  log(`ranking: ${JSON.stringify(results.slice(0, 3))}; ${await panel.textContent("#find-meta")}`);
  assert.match(results[0], /puffins nest/);
  await panel.click("#results li:first-child .result");
  await page.waitForFunction(() => document.getElementById("p-birds").dataset.hearthHighlight === "true", null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.querySelectorAll("[data-hearth-highlight]").length), 1);
});

test("a page without text says so", async () => {
  const { panel } = await openPanelFor("/tests/browser/pages/image-only.html");
  assert.equal(await panel.evaluate(() => document.body.dataset.page), "error");
  assert.match(await panel.textContent("#error"), /no text Hearth can read/);
});
