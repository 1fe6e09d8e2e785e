/**
 * Reading model files: URLs are streamed with progress and kept in the Cache Storage API
 * (`hearth-models-v1`) so a reload does not download again; Files/Blobs are read with
 * progress; bytes are used as they are.
 */
import { AbortError, DownloadError } from "./errors.js";
import type { ModelSource, Progress } from "./types.js";

export const CACHE_NAME = "hearth-models-v1";

export interface ReadOptions {
  cache: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Resolve relative URLs against this (the page's URL when running in a worker). */
  base?: string;
  /** A missing optional file gives `null` instead of an error. */
  optional?: boolean;
}

export interface ReadResult {
  bytes: Uint8Array;
  fromCache: boolean;
}

function checkAbort(signal?: AbortSignal) {
  if (signal?.aborted) throw new AbortError("AbortError", "loading was aborted");
}

async function drain(body: ReadableStream<Uint8Array>, total: number, report: (loaded: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let out = total > 0 ? new Uint8Array(total) : null;
  for (;;) {
    checkAbort(signal);
    const { done, value } = await reader.read();
    if (done) break;
    if (out && loaded + value.length <= out.length) out.set(value, loaded);
    else {
      if (out) {
        chunks.push(out.subarray(0, loaded));
        out = null;
      }
      chunks.push(value);
    }
    loaded += value.length;
    report(loaded);
  }
  if (out) return loaded === out.length ? out : out.subarray(0, loaded);
  const all = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === "undefined" ? null : await caches.open(CACHE_NAME);
  } catch {
    return null; // e.g. an opaque origin or storage disabled: work without the cache
  }
}

export async function readSource(src: ModelSource, name: string, o: ReadOptions): Promise<ReadResult | null> {
  checkAbort(o.signal);
  if (src instanceof Uint8Array) return { bytes: src, fromCache: false };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), fromCache: false };
  if (typeof Blob !== "undefined" && src instanceof Blob) {
    const total = src.size;
    const bytes = await drain(src.stream(), total, (loaded) => o.onProgress?.({ loaded, total, phase: "read", file: name }), o.signal);
    return { bytes, fromCache: false };
  }
  let url: string;
  try {
    url = new URL(String(src), o.base ?? globalThis.location?.href).href;
  } catch {
    throw new DownloadError("DownloadError", `'${String(src)}' is not a URL, File, Blob or ArrayBuffer`);
  }
  const cache = o.cache ? await openCache() : null;
  const cached = cache ? await cache.match(url) : undefined;
  if (cached?.body) {
    const total = Number(cached.headers.get("content-length") ?? 0);
    const bytes = await drain(cached.body, total, (loaded) => o.onProgress?.({ loaded, total, phase: "cache", file: name, fromCache: true }), o.signal);
    return { bytes, fromCache: true };
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: o.signal });
  } catch (e) {
    checkAbort(o.signal);
    throw new DownloadError("DownloadError", `could not download ${url}: ${(e as Error).message} (check the URL, your connection, and that the server allows CORS)`);
  }
  if (!response.ok || !response.body) {
    if (o.optional && response.status === 404) return null;
    throw new DownloadError("DownloadError", `could not download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const encoded = response.headers.get("content-encoding");
  const total = encoded && encoded !== "identity" ? 0 : Number(response.headers.get("content-length") ?? 0);
  const bytes = await drain(response.body, total, (loaded) => o.onProgress?.({ loaded, total, phase: "download", file: name, fromCache: false }), o.signal);
  if (cache) {
    try {
      await cache.put(url, new Response(bytes as unknown as BodyInit, { headers: { "content-length": String(bytes.length), "content-type": "application/octet-stream" } }));
    } catch {
      // Quota exceeded or storage disabled: the model still works, it just is not cached.
    }
  }
  return { bytes, fromCache: false };
}

/** Delete every cached model file (or the ones whose URL contains `match`). */
export async function clearCache(match?: string): Promise<number> {
  const cache = await openCache();
  if (!cache) return 0;
  let n = 0;
  for (const req of await cache.keys()) {
    if (!match || req.url.includes(match)) {
      if (await cache.delete(req)) n++;
    }
  }
  return n;
}
