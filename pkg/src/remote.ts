/**
 * `WorkerEngine`: the `Engine` calls forwarded to a dedicated module worker (worker.ts), so
 * model loading, GPU submission and sampling never block the page.
 */
import type { Engine } from "./engine.js";
import { errorFromCode, InternalError } from "./errors.js";
import type { EmbedOutput, HostLoadOptions, Report, TokenEvent } from "./host.js";
import type { EmbeddingFiles, ModelInfo, ModelSource, Progress } from "./types.js";
import type { EngineRequest } from "./validate.js";

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  progress?: (p: Progress) => void;
}

export class WorkerEngine implements Engine {
  private worker: Worker;
  private pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(worker?: Worker) {
    this.worker = worker ?? new Worker(new URL("./worker.js", import.meta.url), { type: "module", name: "hearth" });
    this.worker.onmessage = (e: MessageEvent) => {
      const { id, result, error, progress } = e.data;
      const p = this.pending.get(id);
      if (!p) return;
      if (progress) return p.progress?.(progress);
      this.pending.delete(id);
      if (error) p.reject(errorFromCode(error.name, error.message));
      else p.resolve(result);
    };
    this.worker.onerror = (e: ErrorEvent) => {
      const err = new InternalError("InternalError", `the Hearth worker failed: ${e.message || "could not start it (is worker.js served next to index.js?)"}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private call<T>(method: string, args: unknown[], progress?: (p: Progress) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      this.worker.postMessage({ id, method, args });
    });
  }

  load(src: ModelSource | EmbeddingFiles, options: HostLoadOptions, onProgress?: (p: Progress) => void) {
    const plain = (s: unknown) => (s instanceof URL ? s.href : s);
    const source = typeof src === "object" && !(src instanceof Blob) && !(src instanceof ArrayBuffer) && !(src instanceof Uint8Array) && !(src instanceof URL)
      ? Object.fromEntries(Object.entries(src).map(([k, v]) => [k, plain(v)]))
      : plain(src);
    return this.call<ModelInfo>("load", [source, { ...options, base: options.base ?? globalThis.location?.href }], onProgress);
  }
  tokenize(text: string) {
    return this.call<number[]>("tokenize", [text]);
  }
  detokenize(ids: number[]) {
    return this.call<string>("detokenize", [ids]);
  }
  chatPrompt(messages: unknown, maxTokens: number, truncate: boolean) {
    return this.call<{ ids: number[]; dropped: number }>("chatPrompt", [messages, maxTokens, truncate]);
  }
  start(ids: number[], request: EngineRequest) {
    return this.call<void>("start", [ids, request]);
  }
  next() {
    return this.call<TokenEvent | null>("next", []);
  }
  finish() {
    return this.call<Report>("finish", []);
  }
  cancel() {
    return this.call<void>("cancel", []);
  }
  reset() {
    return this.call<void>("reset", []);
  }
  embed(texts: string[]) {
    return this.call<EmbedOutput>("embed", [texts]);
  }
  async dispose() {
    try {
      await this.call<void>("dispose", []);
    } finally {
      this.worker.terminate();
    }
  }
}
