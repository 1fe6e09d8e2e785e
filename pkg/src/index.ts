/**
 * hearth-llm: small quantized transformer models on the browser's GPU (WebGPU), with an
 * OpenAI-shaped API for chat, completion and embeddings.
 *
 * ```ts
 * import { Hearth } from "hearth-llm";
 * const llm = await Hearth.load("https://…/SmolLM2-135M-Instruct.Q4_1.gguf", { worker: true, onProgress });
 * const r = await llm.chat.completions.create({ messages: [{ role: "user", content: "Hi" }] });
 * ```
 */
export { Hearth } from "./hearth.js";
export {
  AbortError,
  ContextOverflowError,
  DownloadError,
  errorFromCode,
  GPUError,
  GPULimitError,
  HearthError,
  InternalError,
  InvalidArgumentError,
  ModelFormatError,
  WebGPUUnavailableError,
} from "./errors.js";
export { clearCache, CACHE_NAME } from "./load.js";
export { measureDeviceLimits } from "./host.js";
export type * from "./types.js";
