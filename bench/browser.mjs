// Drives bench/page.html in headless Chromium (WebGPU on SwiftShader, the browser tests' setup)
// and prints its JSON on stdout. Needs the package built (scripts/build-package.sh) and the models
// (scripts/fetch-models.sh).
//   node bench/browser.mjs [--decode 128] [--runs 3] [--loads 5] [--peers ../shared/peers]
// The load figure is the median of --loads cold loads, each in a fresh page (the full run's own
// and --loads − 1 pages that only load).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { serve } from "../scripts/serve.mjs";
import { launch, newPage } from "../tests/browser/chromium.mjs";
import { ROOT } from "../tests/browser/harness.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const peers = resolve(arg("--peers", join(ROOT, "../shared/peers")));
if (!existsSync(join(peers, "prompts.json"))) throw new Error(`no prompts.json in ${peers} (--peers DIR)`);
const query = new URLSearchParams({ decode: arg("--decode", "128"), limits_mib: arg("--limits-mib", "256"), runs: arg("--runs", "3") });
if (process.argv.includes("--no-subgroups")) query.set("no_subgroups", "1");

const server = await serve(ROOT, { mounts: { "/peers/": peers } });
const browser = await launch();

/** bench/page.html with `params` in a fresh page (its own context): its JSON. */
async function runPage(params) {
  const { page, context } = await newPage(browser, `${server.url}/bench/page.html?${params}`);
  page.on("console", (m) => m.text().startsWith("[bench]") && console.error(m.text()));
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 0, polling: 1000 });
  const error = await page.evaluate(() => window.benchError);
  if (error) throw new Error(error);
  const result = await page.evaluate(() => window.benchResult);
  await context.close();
  return result;
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
try {
  const result = await runPage(query);
  // The load is one cold sample in the full run; more fresh pages give its median.
  const loads = [{ load_ms: result.load_ms, load_phases_ms: result.load_phases_ms }];
  const loadOnly = new URLSearchParams(query);
  loadOnly.set("load_only", "1");
  for (let i = 1; i < Number(arg("--loads", "5")); i++) loads.push(await runPage(loadOnly));
  const mid = loads.find((l) => l.load_ms === median(loads.map((l) => l.load_ms)));
  result.load_ms = mid.load_ms;
  result.load_phases_ms = mid.load_phases_ms;
  result.load_ms_runs = loads.map((l) => l.load_ms);
  result.chromium = browser.version();
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await server.close();
}
