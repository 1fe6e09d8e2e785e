// The package as users get it: `npm pack`, install the .tgz into a fresh scratch project, then
// run one completion from a plain <script type="module"> page and from a Vite production build.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "../../scripts/serve.mjs";
import { launch, newPage } from "./chromium.mjs";
import { llmCase, log, ROOT, SMOLLM } from "./harness.mjs";

let scratch, tgz, browser;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "hearth-tarball-"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (scratch && !process.env.HEARTH_KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
});

const PAGE_SCRIPT = (spec, worker) => `
import { Hearth } from "${spec}";
try {
  const llm = await Hearth.load("${SMOLLM}", { cache: false, worker: ${worker} });
  const r = await llm.completions.create({ prompt: "The capital of France is", max_tokens: 4 });
  window.result = { ids: r.choices[0].token_ids, text: r.choices[0].text, f16: llm.info.f16 };
} catch (e) {
  window.result = { error: e.name + ": " + e.message };
}
`;

async function runPage(root, path) {
  const server = await serve(root, { mounts: { "/models/": join(ROOT, "models") } });
  let context;
  try {
    const opened = await newPage(browser, `${server.url}${path}`);
    context = opened.context;
    const handle = await opened.page.waitForFunction(() => window.result, null, { timeout: 300_000 });
    return await handle.jsonValue();
  } finally {
    await context?.close();
    await server.close();
  }
}

test("npm pack ships exactly the built package", () => {
  const [info] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: join(ROOT, "pkg"), encoding: "utf8" }));
  tgz = join(scratch, info.filename);
  const files = info.files.map((f) => f.path).sort();
  const wasm = statSync(join(ROOT, "pkg/wasm/hearth_bg.wasm")).size;
  const wasmGz = gzipSync(readFileSync(join(ROOT, "pkg/wasm/hearth_bg.wasm")), { level: 9 }).length;
  log(`tarball ${info.filename}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${files.length} files; wasm ${wasm} bytes raw, ${wasmGz} gzipped`);
  for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/worker.js", "wasm/hearth.js", "wasm/hearth_bg.wasm"]) assert.ok(files.includes(f), `ships ${f}`);
  assert.ok(files.every((f) => f === "package.json" || f === "README.md" || /^dist\/[^/]+\.(js|d\.ts)$/.test(f) || /^wasm\/hearth(\.js|\.d\.ts|_bg\.wasm)$/.test(f) || /^wasm\/snippets\/[^/]+\/inline\d+\.js$/.test(f)), `nothing else: ${files}`);
  // wasm-bindgen's inline JS (src/wasm/subgroups.rs) is imported by hearth.js: it must ship.
  const snippets = [...readFileSync(join(ROOT, "pkg/wasm/hearth.js"), "utf8").matchAll(/from '\.\/(snippets\/[^']+)'/g)].map((m) => "wasm/" + m[1]);
  assert.ok(snippets.length > 0 && snippets.every((f) => files.includes(f)), `ships ${snippets}`);
  const pkg = JSON.parse(readFileSync(join(ROOT, "pkg/package.json"), "utf8"));
  assert.equal(pkg.type, "module");
  assert.equal(pkg.exports["."].types, "./dist/index.d.ts");
  assert.ok(!("dependencies" in pkg), "no runtime dependencies: everything ships in the tarball");
  assert.ok(info.size < 3_000_000, `tarball ${info.size} bytes`);
});

test("installed from the .tgz, imported from a plain module page", async () => {
  assert.ok(tgz, "the pack test ran");
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module", dependencies: { "hearth-llm": `file:${tgz}` } }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund"], { cwd: scratch, stdio: "inherit" });
  mkdirSync(join(scratch, "plain"));
  writeFileSync(join(scratch, "plain/index.html"), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>plain</title><script type="module">${PAGE_SCRIPT("/node_modules/hearth-llm/dist/index.js", false)}</script>`);
  const r = await runPage(scratch, "/plain/index.html");
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(r.ids, llmCase("en_simple").greedy_ids.slice(0, 4));
});

test("bundled by Vite (production build, worker mode): the wasm and worker assets resolve", async () => {
  const app = join(scratch, "app");
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>vite</title><script type="module" src="./main.js"></script>`);
  writeFileSync(join(app, "main.js"), PAGE_SCRIPT("hearth-llm", true));
  const { build } = await import(join(ROOT, "node_modules/vite/dist/node/index.js"));
  await build({ root: app, logLevel: "warn", build: { outDir: join(app, "dist"), target: "es2022" } });
  const r = await runPage(join(app, "dist"), "/index.html");
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(r.ids, llmCase("en_simple").greedy_ids.slice(0, 4));
});
