// A static file server over the repository for the browser tests and the demo: correct MIME
// types (application/wasm, text/javascript), Content-Length, no caching headers, and a log of
// every request path (so a test can check that a second load made no network request).
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
};

/** Serve `root` (plus optional `mounts`: {"/prefix/": dir}) on `port` (0 = any free port). */
export function serve(root, { port = 0, host = "127.0.0.1", mounts = {}, quiet = true } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    requests.push(path);
    let base = root;
    let rel = path;
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (path.startsWith(prefix)) {
        base = dir;
        rel = path.slice(prefix.length - 1);
        break;
      }
    }
    let file = normalize(join(base, rel));
    if (!file.startsWith(normalize(base + sep)) && file !== normalize(base)) {
      res.writeHead(403).end("forbidden");
      return;
    }
    try {
      let st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, "index.html");
        st = statSync(file);
      }
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": st.size,
        "cache-control": "no-store",
      });
      if (req.method === "HEAD") res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
    }
    if (!quiet) console.log(req.method, path);
  });
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolve({ url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${p}`, requests, close: () => new Promise((r) => server.close(r)) });
    });
  });
}
