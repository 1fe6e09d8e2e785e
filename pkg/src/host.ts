/**
 * The engine host: the wasm module and one loaded model, in whatever thread runs it (the page,
 * or the worker in worker mode). It reads the model files, loads them into the wasm engine, and
 * exposes the engine's pull-based calls with errors mapped to typed `HearthError`s. A Rust
 * panic traps the wasm call; the host then reports it as an `InternalError` with the panic's
 * message and refuses further calls (the model must be loaded again).
 */
import init, { EmbedEngine, TextEngine, measureDeviceLimits as wasmMeasureDeviceLimits, takePanicMessage } from "../wasm/hearth.js";
import { errorFromCode, InternalError, toHearthError, WEBGPU_HELP } from "./errors.js";
import { readSource } from "./load.js";
import type { DeviceLimits, EmbeddingFiles, ModelInfo, ModelSource, Progress } from "./types.js";
import type { EngineRequest } from "./validate.js";

export interface HostLoadOptions {
  task: "text-generation" | "embeddings";
  cache: boolean;
  noF16?: boolean;
  noSubgroups?: boolean;
  context?: number;
  quant?: string;
  pooling?: string;
  normalize?: boolean;
  batch?: number;
  maxSeqLen?: number;
  base?: string;
}

export interface TokenEvent {
  id: number;
  text: string;
  logprob: RawLogprob | null;
}

export interface RawLogprob {
  token: string;
  id: number;
  logprob: number;
  top_logprobs: { token: string; id: number; logprob: number }[];
}

/** The engine's report of a finished (or aborted) generation. */
export interface Report {
  text: string;
  prompt_ids: number[];
  ids: number[];
  finish_reason: "stop" | "length";
  ttft_ms: number;
  tpot_ms: number;
  prefill_tok_s: number;
  decode_tok_s: number;
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number };
  logprobs?: RawLogprob[];
}

export interface EmbedOutput {
  embeddings: number[][];
  input_ids: number[][];
  truncated: boolean[];
}

let ready: Promise<unknown> | null = null;

/** Instantiate the wasm module once (it ships next to this file; nothing comes from a CDN). */
export function initWasm(): Promise<unknown> {
  ready ??= init();
  return ready;
}

/**
 * Measure the adapter's own ceilings (streaming read over `mib` MiB, f32 FMA; median of `reps`),
 * with the same WGSL as the benchmarks' peers. Seconds on emulated GPUs.
 */
export async function measureDeviceLimits(mib = 256, reps = 5): Promise<DeviceLimits> {
  await initWasm();
  try {
    return (await wasmMeasureDeviceLimits(mib, reps)) as DeviceLimits;
  } catch (e) {
    throw toHearthError(e);
  }
}

export class Host {
  private text?: TextEngine;
  private embedder?: EmbedEngine;
  private broken?: string;

  private guard<T>(f: () => T): T {
    if (this.broken) throw new InternalError("InternalError", this.broken);
    try {
      return f();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  private async guardAsync<T>(f: () => Promise<T>): Promise<T> {
    if (this.broken) throw new InternalError("InternalError", this.broken);
    try {
      return await f();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  private mapError(e: unknown) {
    if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) {
      const panic = takePanicMessage();
      this.broken = `internal error in hearth (${panic ?? e.message}); please report it. Load the model again to continue.`;
      return new InternalError("InternalError", this.broken);
    }
    const err = toHearthError(e);
    if (err.code === "NoAdapter") return errorFromCode("WebGPUUnavailable", `${err.message}. ${WEBGPU_HELP}`);
    return err;
  }

  async load(src: ModelSource | EmbeddingFiles, o: HostLoadOptions, onProgress?: (p: Progress) => void): Promise<ModelInfo> {
    const nav = globalThis.navigator as Navigator & { gpu?: unknown };
    if (!nav?.gpu) throw errorFromCode("WebGPUUnavailable", WEBGPU_HELP);
    const t0 = performance.now();
    await initWasm();
    const read = { cache: o.cache, onProgress, base: o.base };
    let fromCache = true;
    const file = async (s: ModelSource, name: string, optional = false) => {
      const r = await readSource(s, name, { ...read, optional });
      if (r) fromCache &&= r.fromCache;
      return r?.bytes;
    };
    const upload = () => onProgress?.({ loaded: 0, total: 0, phase: "upload", fromCache });
    let info: Record<string, unknown>;
    if (o.task === "text-generation") {
      if (typeof src === "object" && !(src instanceof Blob) && !(src instanceof ArrayBuffer) && !(src instanceof Uint8Array)) {
        throw errorFromCode("InvalidArgument", "a text-generation model is one GGUF file (URL, File, Blob or bytes), not a map of files");
      }
      const bytes = (await file(src, "model.gguf"))!;
      upload();
      this.text = await this.guardAsync(() => TextEngine.load(bytes, { noF16: !!o.noF16, noSubgroups: !!o.noSubgroups, context: o.context }));
      info = this.text.info();
    } else {
      const options = { noF16: !!o.noF16, noSubgroups: !!o.noSubgroups, quant: o.quant, pooling: o.pooling, normalize: o.normalize, batch: o.batch, maxSeqLen: o.maxSeqLen };
      let files: Record<string, Uint8Array | undefined>;
      const isFolder = typeof src === "string" && (src.endsWith("/") || !/\.gguf(\?|#|$)/i.test(src));
      if (typeof src === "object" && !(src instanceof Blob) && !(src instanceof ArrayBuffer) && !(src instanceof Uint8Array)) {
        const m = src as EmbeddingFiles;
        files = {
          config: await file(m.config, "config.json"),
          weights: await file(m.weights, "model.safetensors"),
          tokenizer: await file(m.tokenizer, "tokenizer.json"),
          sentenceBertConfig: m.sentenceBertConfig ? await file(m.sentenceBertConfig, "sentence_bert_config.json") : undefined,
          poolingConfig: m.poolingConfig ? await file(m.poolingConfig, "1_Pooling/config.json") : undefined,
        };
      } else if (isFolder) {
        const dir = (src as string).endsWith("/") ? (src as string) : `${src}/`;
        files = {
          config: await file(dir + "config.json", "config.json"),
          weights: await file(dir + "model.safetensors", "model.safetensors"),
          tokenizer: await file(dir + "tokenizer.json", "tokenizer.json"),
          sentenceBertConfig: await file(dir + "sentence_bert_config.json", "sentence_bert_config.json", true),
          poolingConfig: await file(dir + "1_Pooling/config.json", "1_Pooling/config.json", true),
        };
      } else {
        files = { gguf: await file(src as ModelSource, "model.gguf") };
      }
      upload();
      this.embedder = await this.guardAsync(() => EmbedEngine.load(files, options));
      info = this.embedder.info();
    }
    onProgress?.({ loaded: 1, total: 1, phase: "ready", fromCache });
    return { ...info, from_cache: fromCache, load_ms: performance.now() - t0 } as unknown as ModelInfo;
  }

  private textEngine(): TextEngine {
    if (!this.text) throw errorFromCode("InvalidArgument", this.embedder ? "this is an embeddings model; use embeddings.create" : "the model was disposed");
    return this.text;
  }

  private embedEngine(): EmbedEngine {
    if (!this.embedder) throw errorFromCode("InvalidArgument", this.text ? "this is a text-generation model; load an embeddings model with { task: \"embeddings\" }" : "the model was disposed");
    return this.embedder;
  }

  tokenize(text: string): number[] {
    return this.guard(() => Array.from(this.text ? this.text.tokenize(text) : this.embedEngine().tokenize(text)));
  }

  detokenize(ids: number[]): string {
    return this.guard(() => this.textEngine().detokenize(Uint32Array.from(ids)));
  }

  chatPrompt(messages: unknown, maxTokens: number, truncate: boolean): { ids: number[]; dropped: number } {
    return this.guard(() => this.textEngine().chatPrompt(messages, maxTokens, truncate));
  }

  start(ids: number[], request: EngineRequest): Promise<void> {
    return this.guardAsync(() => this.textEngine().start(Uint32Array.from(ids), request));
  }

  next(): Promise<TokenEvent | null> {
    return this.guardAsync(() => this.textEngine().next());
  }

  finish(): Report {
    return this.guard(() => this.textEngine().finish());
  }

  cancel(): void {
    if (this.text && !this.broken) this.guard(() => this.text!.cancel());
  }

  reset(): void {
    this.guard(() => this.textEngine().reset());
  }

  embed(texts: string[]): Promise<EmbedOutput> {
    return this.guardAsync(() => this.embedEngine().embed(texts));
  }

  dispose(): void {
    try {
      this.text?.dispose();
      this.text?.free();
      this.embedder?.dispose();
      this.embedder?.free();
    } catch {
      // already gone
    }
    this.text = undefined;
    this.embedder = undefined;
  }
}
