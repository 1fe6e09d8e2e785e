// Drives bench/page.html in headless Chromium (WebGPU on SwiftShader, the browser tests' setup)
// and prints its JSON on stdout. Needs the package built (scripts/build-package.sh) and the models
// (scripts/fetch-models.sh).
//   node bench/browser.mjs [--decode 128] [--runs 3] [--peers ../shared/peers]
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
try {
  const { page } = await newPage(browser, `${server.url}/bench/page.html?${query}`);
  page.on("console", (m) => m.text().startsWith("[bench]") && console.error(m.text()));
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 0, polling: 1000 });
  const error = await page.evaluate(() => window.benchError);
  if (error) throw new Error(error);
  const result = await page.evaluate(() => window.benchResult);
  result.chromium = browser.version();
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await server.close();
}
