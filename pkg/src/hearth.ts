/**
 * `Hearth`: a loaded model with an OpenAI-shaped API (`chat.completions.create`,
 * `completions.create`, `embeddings.create`), streaming as async iterators, `AbortSignal`,
 * and a queue that runs one request at a time per model.
 */
import { LocalEngine, type Engine } from "./engine.js";
import { AbortError, errorFromCode, InvalidArgumentError, toHearthError, WEBGPU_HELP } from "./errors.js";
import type { RawLogprob, Report, TokenEvent } from "./host.js";
import { WorkerEngine } from "./remote.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
  EmbeddingFiles,
  EmbeddingRequest,
  EmbeddingResponse,
  FinishReason,
  LoadOptions,
  ModelInfo,
  ModelSource,
  Timings,
  TokenLogprob,
  Usage,
} from "./types.js";
import { DEFAULT_MAX_TOKENS, engineRequest, validateInput, validateMessages, validatePrompt, type EngineRequest } from "./validate.js";

/** One request at a time: each task starts when the previous one has settled. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
  /** Hold the queue until the returned `release` is called. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const acquired = this.tail.then(() => release);
    this.tail = held;
    return acquired;
  }
}

let counter = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(counter++).toString(36)}`;
const now = () => Math.floor(Date.now() / 1000);

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new AbortError("AbortError", "the request was aborted");
}

function logprobOf(l: RawLogprob): TokenLogprob {
  const bytes = (s: string) => Array.from(new TextEncoder().encode(s));
  return {
    token: l.token,
    logprob: l.logprob,
    bytes: bytes(l.token),
    top_logprobs: l.top_logprobs.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytes(t.token) })),
  };
}

function usageOf(r: Report): Usage {
  return {
    prompt_tokens: r.usage.prompt_tokens,
    completion_tokens: r.usage.completion_tokens,
    total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: r.usage.cached_tokens },
  };
}

function timingsOf(r: Report, t0: number): Timings {
  return {
    ttft_ms: r.ttft_ms,
    tpot_ms: r.tpot_ms,
    prefill_tokens_per_s: r.prefill_tok_s,
    decode_tokens_per_s: r.decode_tok_s,
    total_ms: performance.now() - t0,
  };
}

interface Piece {
  text: string;
  ids: number[];
  logprobs: TokenLogprob[] | null;
}

export class Hearth {
  /** Model, adapter and memory facts. */
  readonly info: ModelInfo;
  private engine: Engine;
  private queue = new Queue();
  private disposed = false;

  private constructor(engine: Engine, info: ModelInfo) {
    this.engine = engine;
    this.info = info;
  }

  /**
   * Load a model. Text generation: one GGUF (URL, File, Blob, ArrayBuffer or Uint8Array).
   * Embeddings (`task: "embeddings"`): a sentence-transformers folder URL (ending in "/"), a
   * map of its files, or a BERT GGUF.
   */
  static async load(src: ModelSource | EmbeddingFiles, options: LoadOptions = {}): Promise<Hearth> {
    const nav = globalThis.navigator as (Navigator & { gpu?: unknown }) | undefined;
    if (!nav?.gpu) throw errorFromCode("WebGPUUnavailable", WEBGPU_HELP);
    const task = options.task ?? "text-generation";
    if (task !== "text-generation" && task !== "embeddings") throw new InvalidArgumentError("InvalidArgument", `task must be "text-generation" or "embeddings", not ${JSON.stringify(task)}`);
    if (src === undefined || src === null) throw new InvalidArgumentError("InvalidArgument", "no model given: pass a URL, File, Blob or ArrayBuffer");
    const engine: Engine = options.worker ? new WorkerEngine() : new LocalEngine();
    const { onProgress, signal, worker: _w, cache, ...rest } = options;
    throwIfAborted(signal);
    try {
      const info = await engine.load(src, { ...rest, task, cache: cache !== false }, onProgress);
      return new Hearth(engine, info);
    } catch (e) {
      await engine.dispose().catch(() => undefined);
      throw toHearthError(e);
    }
  }

  private alive() {
    if (this.disposed) throw new InvalidArgumentError("InvalidArgument", "the model was disposed; load it again");
  }

  /** Token ids of `text` (special tokens parsed; BOS added when the model asks for it). */
  tokenize(text: string): Promise<number[]> {
    this.alive();
    if (typeof text !== "string") throw new InvalidArgumentError("InvalidArgument", "text must be a string");
    return this.queue.run(() => this.engine.tokenize(text));
  }

  /** Text of token ids. */
  detokenize(ids: number[]): Promise<string> {
    this.alive();
    if (!Array.isArray(ids) || ids.some((i) => !Number.isInteger(i) || i < 0)) throw new InvalidArgumentError("InvalidArgument", "ids must be an array of token ids");
    return this.queue.run(() => this.engine.detokenize(ids));
  }

  /** Forget the KV cache (the next prompt is computed from scratch). */
  resetCache(): Promise<void> {
    this.alive();
    return this.queue.run(() => this.engine.reset());
  }

  /** Release the model's GPU memory (and its worker). Waits for queued requests. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.run(() => this.engine.dispose());
  }

  /** Run one generation, pulling tokens; `onPiece` gets each non-empty piece of text. */
  private async *tokens(prompt: () => Promise<number[]>, request: EngineRequest, signal?: AbortSignal): AsyncGenerator<Piece, Report> {
    this.alive();
    throwIfAborted(signal);
    const release = await this.queue.acquire();
    let finished = false;
    try {
      throwIfAborted(signal);
      await this.engine.start(await prompt(), request);
      for (;;) {
        throwIfAborted(signal);
        const ev: TokenEvent | null = await this.engine.next();
        if (!ev) break;
        yield { text: ev.text, ids: [ev.id], logprobs: ev.logprob ? [logprobOf(ev.logprob)] : null };
      }
      finished = true;
      return await this.engine.finish();
    } catch (e) {
      throw toHearthError(e);
    } finally {
      if (!finished) await this.engine.cancel().catch(() => undefined);
      release();
    }
  }

  private chatPromptIds(req: ChatCompletionRequest, r: EngineRequest) {
    const messages = validateMessages(req.messages);
    return async () => (await this.engine.chatPrompt(messages, r.max_tokens, !!req.truncate)).ids;
  }

  private textPromptIds(req: CompletionRequest) {
    const prompt = validatePrompt(req.prompt);
    return typeof prompt === "string" ? () => this.engine.tokenize(prompt) : () => Promise.resolve(prompt);
  }

  readonly chat = {
    completions: {
      create: ((req: ChatCompletionRequest) => {
        const r = engineRequest(req);
        const ids = this.chatPromptIds(req, r);
        const meta = { id: newId("chatcmpl"), created: now(), model: this.info.name ?? "hearth" };
        if (req.stream) {
          return Promise.resolve(this.stream(ids, r, req.signal, (p, finish, report, t0, first): ChatCompletionChunk => ({
            ...meta,
            object: "chat.completion.chunk",
            choices: [{ index: 0, delta: first ? { role: "assistant", content: p.text } : { content: p.text }, finish_reason: finish, logprobs: p.logprobs ? { content: p.logprobs } : null, token_ids: p.ids }],
            ...(report ? { usage: usageOf(report), timings: timingsOf(report, t0) } : {}),
          })));
        }
        return this.collect(ids, r, req.signal).then(({ report, logprobs, t0 }): ChatCompletion => ({
          ...meta,
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content: report.text }, finish_reason: report.finish_reason, logprobs: logprobs ? { content: logprobs } : null, token_ids: report.ids }],
          usage: usageOf(report),
          timings: timingsOf(report, t0),
        }));
      }) as {
        (req: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
        (req: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
        (req: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      },
    },
  };

  readonly completions = {
    create: ((req: CompletionRequest) => {
      const r = engineRequest(req);
      const ids = this.textPromptIds(req);
      const meta = { id: newId("cmpl"), created: now(), model: this.info.name ?? "hearth" };
      if (req.stream) {
        return Promise.resolve(this.stream(ids, r, req.signal, (p, finish, report, t0): CompletionChunk => ({
          ...meta,
          object: "text_completion",
          choices: [{ index: 0, text: p.text, finish_reason: finish, logprobs: p.logprobs ? { content: p.logprobs } : null, token_ids: p.ids }],
          ...(report ? { usage: usageOf(report), timings: timingsOf(report, t0) } : {}),
        })));
      }
      return this.collect(ids, r, req.signal).then(({ report, logprobs, t0 }): Completion => ({
        ...meta,
        object: "text_completion",
        choices: [{ index: 0, text: report.text, finish_reason: report.finish_reason, logprobs: logprobs ? { content: logprobs } : null, token_ids: report.ids }],
        usage: usageOf(report),
        timings: timingsOf(report, t0),
      }));
    }) as {
      (req: CompletionRequest & { stream: true }): Promise<AsyncIterable<CompletionChunk>>;
      (req: CompletionRequest & { stream?: false }): Promise<Completion>;
      (req: CompletionRequest): Promise<Completion | AsyncIterable<CompletionChunk>>;
    },
  };

  readonly embeddings = {
    create: async (req: EmbeddingRequest): Promise<EmbeddingResponse> => {
      this.alive();
      const input = validateInput(req?.input);
      throwIfAborted(req.signal);
      return this.queue.run(async () => {
        throwIfAborted(req.signal);
        const t0 = performance.now();
        const out = await this.engine.embed(input).catch((e) => {
          throw toHearthError(e);
        });
        const ms = performance.now() - t0;
        const tokens = out.input_ids.reduce((n, ids) => n + ids.length, 0);
        return {
          object: "list",
          data: out.embeddings.map((embedding, index) => ({ object: "embedding", index, embedding, truncated: out.truncated[index] })),
          model: this.info.name ?? "hearth",
          usage: { prompt_tokens: tokens, total_tokens: tokens },
          timings: { total_ms: ms, sentences_per_s: (input.length * 1000) / ms },
        };
      });
    },
  };

  private async collect(prompt: () => Promise<number[]>, r: EngineRequest, signal?: AbortSignal) {
    const t0 = performance.now();
    const gen = this.tokens(prompt, r, signal);
    const logprobs: TokenLogprob[] | null = r.top_logprobs !== undefined ? [] : null;
    for (;;) {
      const step = await gen.next();
      if (step.done) return { report: step.value, logprobs, t0 };
      if (logprobs && step.value.logprobs) logprobs.push(...step.value.logprobs);
    }
  }

  /** Chunks as an async iterable; the last chunk carries finish_reason, usage and timings. */
  private stream<C>(prompt: () => Promise<number[]>, r: EngineRequest, signal: AbortSignal | undefined, chunk: (p: Piece, finish: FinishReason | null, report: Report | null, t0: number, first: boolean) => C): AsyncIterable<C> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const t0 = performance.now();
        const gen = self.tokens(prompt, r, signal);
        let first = true;
        // Tokens that complete no text yet (held-back UTF-8 or stop-string prefixes, the
        // end-of-turn token) ride along with the next chunk that has text, or the last one.
        let held: number[] = [];
        try {
          for (;;) {
            const step = await gen.next();
            if (step.done) {
              yield chunk({ text: "", ids: held, logprobs: null }, step.value.finish_reason, step.value, t0, first);
              return;
            }
            if (step.value.text === "" && !step.value.logprobs) {
              held.push(...step.value.ids);
              continue;
            }
            yield chunk({ ...step.value, ids: [...held, ...step.value.ids] }, null, null, t0, first);
            held = [];
            first = false;
          }
        } finally {
          await gen.return(undefined as unknown as Report);
        }
      },
    };
  }
}

export { DEFAULT_MAX_TOKENS };
