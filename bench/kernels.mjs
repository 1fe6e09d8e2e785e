// Kernel variants side by side in headless Chromium (WebGPU on SwiftShader): the wasm export
// `benchmarkKernels` (src/gpu/kernel_bench.rs; natively: `hearth bench-kernels`). JSON on stdout.
//   node bench/kernels.mjs [reps] [tokens] [--no-subgroups]
import { serve } from "../scripts/serve.mjs";
import { launch, newPage } from "../tests/browser/chromium.mjs";
import { ROOT } from "../tests/browser/harness.mjs";

const noSubgroups = process.argv.includes("--no-subgroups");
const [reps = 3, tokens = 128] = process.argv.slice(2).filter((a) => !a.startsWith("--")).map(Number);
const server = await serve(ROOT);
const browser = await launch();
try {
  const { page } = await newPage(browser, `${server.url}/tests/browser/pages/index.html`);
  const timings = await page.evaluate(async ([reps, tokens, noSubgroups]) => {
    const wasm = await import("/pkg/wasm/hearth.js");
    await wasm.default();
    return wasm.benchmarkKernels(reps, tokens, noSubgroups);
  }, [reps, tokens, noSubgroups]);
  console.log(JSON.stringify({ adapter: "Chromium WebGPU", chromium: browser.version(), subgroups: !noSubgroups, timings }));
} finally {
  await browser.close();
  await server.close();
}
