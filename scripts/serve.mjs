// A static file server for the demo and the browser tests: correct MIME types
// (application/wasm, text/javascript), Content-Length, no caching headers, extra folders mounted
// under a prefix (the models), and a log of every request path (so a test can check that a
// second load made no network request).
//
//   node scripts/serve.mjs DIR [--port 8080] [--host 127.0.0.1] [--mount /models/=models]
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

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
        // Extension pages (and other local origins) may fetch the models.
        "access-control-allow-origin": "*",
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
      resolve({ url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${p}`, requests, close: () => closeNow(server) });
    });
  });
}

/** Stop listening and drop every open connection, so a page left open can't hold the close. */
function closeNow(server) {
  return new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : def;
  };
  const mounts = {};
  for (let m; (m = opt("--mount")); ) {
    const [prefix, dir] = m.split("=");
    mounts[prefix] = resolve(dir);
  }
  const port = Number(opt("--port", "8080"));
  const host = opt("--host", "127.0.0.1");
  const root = resolve(args[0] ?? ".");
  const s = await serve(root, { port, host, mounts, quiet: false });
  console.log(`serving ${root} at ${s.url}/ (Ctrl+C to stop)`);
}
