// Where a browser load's time goes: bench/load-profile.html in fresh pages of headless Chromium
// (WebGPU on SwiftShader), each printed as one JSON line: the load and its phases, wasm memory
// after it, writeBuffer time, each pipeline compile (asked, seen finished; ms into the load),
// and the CPU time each Chromium thread used during the load (from /proc, 10 ms ticks; threads
// of one name summed per process type). Needs the package built and the models fetched.
//   node bench/load-profile.mjs [pages]
import { readdirSync, readFileSync } from "node:fs";
import { serve } from "../scripts/serve.mjs";
import { launch, newPage } from "../tests/browser/chromium.mjs";
import { ROOT } from "../tests/browser/harness.mjs";

/** CPU ms per "process type:thread name" over every Chromium process. */
function cpuTimes() {
  const out = {};
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes("chromium")) continue;
    const type = cmdline.match(/--type=([a-z-]+)/)?.[1] ?? "browser";
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const key = `${type}:${name}`;
        out[key] = (out[key] ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10;
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

const pages = Number(process.argv[2] ?? 3);
const server = await serve(ROOT);
const browser = await launch();
try {
  for (let i = 0; i < pages; i++) {
    const { page, context } = await newPage(browser, `${server.url}/bench/load-profile.html`);
    await page.waitForFunction(() => window.loadReady || window.benchError, null, { timeout: 0, polling: 50 });
    const before = cpuTimes();
    await page.evaluate(() => { window.go = true; });
    await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 0, polling: 20 });
    const after = cpuTimes();
    const error = await page.evaluate(() => window.benchError);
    if (error) throw new Error(error);
    const result = await page.evaluate(() => window.benchResult);
    result.cpu_ms = Object.fromEntries(
      Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v >= 20).sort((a, b) => b[1] - a[1]),
    );
    console.log(JSON.stringify(result));
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
