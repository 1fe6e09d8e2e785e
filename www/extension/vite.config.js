// The extension builds to www/extension/dist: the side panel and options pages bundled with the
// npm package (wasm and worker as packaged files: MV3 allows no remote code), plus the manifest
// and service worker copied from public/.
import { defineConfig } from "vite";

const here = (p) => new URL(p, import.meta.url).pathname;

export default defineConfig({
  root: here("."),
  base: "./",
  publicDir: here("public"),
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: false,
    rollupOptions: { input: { sidepanel: here("sidepanel.html"), options: here("options.html") } },
  },
  worker: { format: "es" },
});
