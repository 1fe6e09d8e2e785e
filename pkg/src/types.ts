/** Public request, response and option types (OpenAI-shaped, plus Hearth's own fields). */

/** A model file: a URL (absolute or relative to the page), a File or Blob, or its bytes. */
export type ModelSource = string | URL | Blob | ArrayBuffer | Uint8Array;

/** The files of a sentence-transformers folder, each a source. */
export interface EmbeddingFiles {
  config: ModelSource;
  /** model.safetensors */
  weights: ModelSource;
  /** tokenizer.json */
  tokenizer: ModelSource;
  sentenceBertConfig?: ModelSource;
  poolingConfig?: ModelSource;
}

export interface Progress {
  /** Bytes read so far (download or cache) for the current phase. */
  loaded: number;
  /** Total bytes when known (0 when the server does not say). */
  total: number;
  /** "download" (network), "cache" (Cache Storage), "read" (File/Blob), "upload" (to the GPU), "ready". */
  phase: "download" | "cache" | "read" | "upload" | "ready";
  /** The file being read. */
  file?: string;
  /** Whether the bytes came from the cache. */
  fromCache?: boolean;
}

export interface LoadOptions {
  /** "text-generation" (default; a llama-family GGUF) or "embeddings" (BERT folder, file map or GGUF). */
  task?: "text-generation" | "embeddings";
  onProgress?: (p: Progress) => void;
  /** Keep downloaded files in the Cache Storage API (default true). */
  cache?: boolean;
  /** Run the engine in a dedicated Web Worker (default false). */
  worker?: boolean;
  /** Never use `shader-f16`, even when the adapter has it. */
  noF16?: boolean;
  /** Never use subgroup operations, even when the adapter has them. */
  noSubgroups?: boolean;
  /** Context window in tokens (default min(model's, 2048)). */
  context?: number;
  /** Embeddings: weight formats for a safetensors checkpoint ("bf16" default, "mixed": Q8_0 table + F16 layers, "q8_0", "f16", "f32"). */
  quant?: "bf16" | "mixed" | "q8_0" | "f16" | "f32";
  /** Embeddings: pooling (default: the model's own, else mean). */
  pooling?: "mean" | "cls" | "last";
  /** Embeddings: L2-normalize (default true). */
  normalize?: boolean;
  /** Embeddings: sentences per GPU batch (default 32). */
  batch?: number;
  /** Embeddings: longest sequence in tokens (default: the model's max_seq_length). */
  maxSeqLen?: number;
  signal?: AbortSignal;
}

export interface AdapterInfo {
  name: string;
  backend: string;
  f16: boolean;
  /** Whether kernels use subgroup operations. */
  subgroups: boolean;
  max_buffer_size: number;
  max_storage_buffer_binding_size: number;
}

export interface ModelInfo {
  task: "text-generation" | "embeddings";
  /** Adapter used and its limits. */
  adapter: AdapterInfo;
  /** Whether kernels use `shader-f16` (false: the f32 path, e.g. on SwiftShader). */
  f16: boolean;
  /** Bytes of GPU memory the model holds. */
  gpu_bytes: number;
  /** Whether the files came from the cache. */
  from_cache: boolean;
  load_ms: number;
  name?: string;
  architecture?: string;
  quant?: string;
  parameters?: number;
  file_bytes?: number;
  context_length?: number;
  train_context_length?: number;
  vocab_size?: number;
  has_chat_template?: boolean;
  hidden_size?: number;
  max_seq_len?: number;
  pooling?: string;
  /** Text models: bytes of the KV cache (included in `gpu_bytes`). */
  kv_bytes?: number;
  /** Text models: what one token costs (bytes read by decode, FLOPs of prefill), for benchmarks. */
  cost?: DecoderCost;
  /**
   * Text models: milliseconds per load step — `device` (requesting the GPU), `parse`, `tokenizer`,
   * `weights_and_pipelines` (queued on this thread; in browsers it also waits for the GPU process
   * once the upload queue is full) and `gpu_wait` (until the GPU has the weights and has compiled
   * the pipelines of the first forward; in browsers the decode pipelines then compile in the
   * background while the first prompt is prefilled).
   */
  load_phases_ms?: Record<string, number>;
}

export interface DecoderCost {
  /** Weight bytes a decode step reads. */
  weight_bytes: number;
  /** KV-cache bytes read per decode step per cached position. */
  kv_bytes_per_position: number;
  /** Matrix FLOPs per token, output head excluded. */
  matmul_flops_per_token: number;
  /** FLOPs of the output head (once per forward). */
  head_flops: number;
  /** Attention FLOPs per token per earlier position. */
  attention_flops_per_position: number;
}

/** The adapter's measured ceilings (`measureDeviceLimits`). */
export interface DeviceLimits {
  adapter: AdapterInfo;
  /** Streaming read, GB/s (the faster access pattern). */
  read_gbps: number;
  read_patterns: [string, number][];
  read_mib: number;
  /** f32 FMA, GFLOP/s. */
  fma_gflops: number;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
}

export interface SamplingOptions {
  max_tokens?: number;
  /** 0 = greedy (default). */
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  stop?: string | string[];
  logprobs?: boolean;
  top_logprobs?: number;
  logit_bias?: Record<string, number>;
  /** Keep generating past end-of-generation tokens, up to `max_tokens` (benchmarks; as WebLLM's). */
  ignore_eos?: boolean;
  signal?: AbortSignal;
}

export interface ChatCompletionRequest extends SamplingOptions {
  messages: ChatMessage[];
  stream?: boolean;
  /** Drop the oldest turns (after a leading system message) when the chat does not fit. */
  truncate?: boolean;
  n?: 1;
}

export interface CompletionRequest extends SamplingOptions {
  /** Text, or token ids (as OpenAI's API accepts them). */
  prompt: string | number[];
  stream?: boolean;
  n?: 1;
}

export type FinishReason = "stop" | "length";

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface TokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export interface Timings {
  /** Request start → first token. */
  ttft_ms: number;
  /** Mean time per token after the first. */
  tpot_ms: number;
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
  total_ms: number;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: 0;
    message: { role: "assistant"; content: string };
    finish_reason: FinishReason;
    logprobs: { content: TokenLogprob[] } | null;
    /** Generated token ids (an end-of-generation token included). */
    token_ids: number[];
  }[];
  usage: Usage;
  timings: Timings;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: 0;
    delta: { role?: "assistant"; content?: string };
    finish_reason: FinishReason | null;
    logprobs: { content: TokenLogprob[] } | null;
    token_ids: number[];
  }[];
  /** On the last chunk only. */
  usage?: Usage;
  timings?: Timings;
}

export interface Completion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: {
    index: 0;
    text: string;
    finish_reason: FinishReason;
    logprobs: { content: TokenLogprob[] } | null;
    token_ids: number[];
  }[];
  usage: Usage;
  timings: Timings;
}

export interface CompletionChunk {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { index: 0; text: string; finish_reason: FinishReason | null; logprobs: { content: TokenLogprob[] } | null; token_ids: number[] }[];
  usage?: Usage;
  timings?: Timings;
}

export interface EmbeddingRequest {
  input: string | string[];
  signal?: AbortSignal;
}

export interface EmbeddingResponse {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[]; truncated: boolean }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  timings: { total_ms: number; sentences_per_s: number };
}
