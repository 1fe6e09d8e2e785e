// Shared setup for the browser tests: the repository served over HTTP, Chromium with WebGPU on
// SwiftShader, the golden cases, and the native CLI (for ids to compare against).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const SMOLLM = "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
export const MINILM = "/models/all-MiniLM-L6-v2/";

export function goldenDir() {
  for (const d of [process.env.HEARTH_GOLDEN, join(ROOT, "../shared/golden/public"), "/work/shared/golden/public"]) {
    if (d && existsSync(join(d, "llm_cases.json"))) return d;
  }
  throw new Error("golden data not found (../shared/golden/public); set HEARTH_GOLDEN");
}

export function llmCase(name) {
  const cases = JSON.parse(readFileSync(join(goldenDir(), "llm_cases.json"), "utf8")).cases;
  const c = cases.find((c) => c.name === name);
  if (!c) throw new Error(`no golden case ${name}`);
  return c;
}

export function embedCases() {
  return JSON.parse(readFileSync(join(goldenDir(), "embed_cases.json"), "utf8")).cases;
}

/** The native CLI's JSON for `hearth complete` (built by scripts/test.sh before the browser tests). */
export function nativeComplete(args) {
  const bin = join(ROOT, "target/release/hearth");
  const out = execFileSync(bin, ["complete", "--model", join(ROOT, SMOLLM), ...args, "--json"], { encoding: "utf8", env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" } });
  return JSON.parse(out);
}

export function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export function log(...args) {
  console.log("  ·", ...args);
}
