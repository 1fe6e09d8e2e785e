/**
 * Typed errors. Every error Hearth throws is a `HearthError` whose `name` (and `code`) is a
 * stable code from the Rust engine (`ContextOverflow`, `TensorTooLarge`, …) or from this layer
 * (`WebGPUUnavailable`, `DownloadError`, `AbortError`, `InternalError`); subclasses group the
 * codes by what a program does about them.
 */

export class HearthError extends Error {
  /** The stable error code (same as `name`). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
    this.code = code;
  }
}

/** The browser has no usable WebGPU (no `navigator.gpu`, or no adapter). */
export class WebGPUUnavailableError extends HearthError {}
/** A request option or argument is invalid. */
export class InvalidArgumentError extends HearthError {}
/** The prompt plus `max_tokens` does not fit the context window. */
export class ContextOverflowError extends HearthError {}
/** The file is not a model Hearth can read (bad magic, truncated, unsupported type or architecture…). */
export class ModelFormatError extends HearthError {}
/** The model needs more GPU memory per buffer than the adapter allows. */
export class GPULimitError extends HearthError {}
/** The GPU failed (validation error, lost device, failed device request). */
export class GPUError extends HearthError {}
/** A model file could not be downloaded. */
export class DownloadError extends HearthError {}
/** The request was aborted through its `AbortSignal`; the model stays usable. */
export class AbortError extends HearthError {}
/** A bug inside Hearth (a Rust panic); the model must be loaded again. */
export class InternalError extends HearthError {}

const CLASSES: Record<string, new (code: string, message: string) => HearthError> = {
  WebGPUUnavailable: WebGPUUnavailableError,
  NoAdapter: WebGPUUnavailableError,
  InvalidArgument: InvalidArgumentError,
  ContextOverflow: ContextOverflowError,
  BadMagic: ModelFormatError,
  UnsupportedVersion: ModelFormatError,
  Truncated: ModelFormatError,
  Malformed: ModelFormatError,
  UnsupportedDType: ModelFormatError,
  MissingMetadata: ModelFormatError,
  MissingTensor: ModelFormatError,
  UnsupportedModel: ModelFormatError,
  TokenizerError: ModelFormatError,
  TemplateError: ModelFormatError,
  TensorTooLarge: GPULimitError,
  GpuError: GPUError,
  DeviceLost: GPUError,
  DeviceRequest: GPUError,
  DownloadError: DownloadError,
  IoError: DownloadError,
  AbortError: AbortError,
  InternalError: InternalError,
};

/** The typed error for a code (unknown codes give a plain `HearthError`). */
export function errorFromCode(code: string, message: string): HearthError {
  const Class = CLASSES[code] ?? HearthError;
  return new Class(code, message);
}

/** Any thrown value → a `HearthError` (engine errors carry their code in `name`). */
export function toHearthError(e: unknown): HearthError {
  if (e instanceof HearthError) return e;
  if (e instanceof Error) {
    if (e.name === "AbortError") return new AbortError("AbortError", e.message || "the request was aborted");
    if (e.name in CLASSES) return errorFromCode(e.name, e.message);
    return new InternalError("InternalError", `${e.name}: ${e.message}`);
  }
  if (e && typeof e === "object" && "name" in e && "message" in e) {
    return errorFromCode(String((e as { name: unknown }).name), String((e as { message: unknown }).message));
  }
  return new InternalError("InternalError", String(e));
}

export const WEBGPU_HELP =
  "WebGPU is not available here. Hearth runs on the GPU through WebGPU: use Chrome or Edge 113+ " +
  "(on Linux start it with --enable-unsafe-webgpu --enable-features=Vulkan), Safari 26+, or Firefox 141+ " +
  "on Windows, and serve the page over https or from localhost.";
