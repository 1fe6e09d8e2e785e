// Headless Chromium with WebGPU on SwiftShader (the flags DEVELOPERS.md gives), via playwright-core.
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export const WEBGPU_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader",
  "--disable-vulkan-surface",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Launch Chromium; `webgpu: false` leaves WebGPU off (for the error-state tests). */
export async function launch({ webgpu = true, args = [] } = {}) {
  const flags = webgpu ? WEBGPU_FLAGS : ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-features=WebGPU", "--no-first-run"];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...flags, ...args], ignoreDefaultArgs: ["--headless"] });
}

/** A page whose console errors and page errors are echoed (prefixed) to the test output. */
export async function newPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || process.env.HEARTH_VERBOSE) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on("pageerror", (e) => console.log(`[page error] ${e.message}`));
  if (url) await page.goto(url);
  return { context, page };
}
