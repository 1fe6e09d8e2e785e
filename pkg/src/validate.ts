/**
 * Request validation: OpenAI-style options → the engine's request object, or an
 * `InvalidArgumentError` that names the option and the allowed range. (The Rust sampler checks
 * again; this layer exists so errors name the JS option the caller wrote.)
 */
import { InvalidArgumentError } from "./errors.js";
import type { ChatMessage, SamplingOptions } from "./types.js";

/** What the wasm engine's `start` takes. */
export interface EngineRequest {
  max_tokens: number;
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repeat_penalty: number;
  presence_penalty: number;
  frequency_penalty: number;
  seed?: number;
  stop: string[];
  top_logprobs?: number;
  logit_bias: [number, number][];
  ignore_eos: boolean;
}

function fail(message: string): never {
  throw new InvalidArgumentError("InvalidArgument", message);
}

function bool(o: Record<string, unknown>, key: string): boolean {
  if (o[key] !== undefined && typeof o[key] !== "boolean") fail(`${key} must be a boolean`);
  return o[key] === true;
}

function num(o: Record<string, unknown>, key: string, def: number, min: number, max: number, integer = false): number {
  const v = o[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${key} must be a finite number, not ${JSON.stringify(v)}`);
  if (integer && !Number.isInteger(v)) fail(`${key} must be an integer, not ${v}`);
  if (v < min || v > max) fail(`${key} must be in [${min}, ${max}], not ${v}`);
  return v;
}

export const DEFAULT_MAX_TOKENS = 256;

export function engineRequest(options: SamplingOptions & { n?: number; stream?: unknown }): EngineRequest {
  const o = options as Record<string, unknown>;
  if (o.n !== undefined && o.n !== 1) fail(`n must be 1 (one choice per request), not ${JSON.stringify(o.n)}`);
  if (o.stream !== undefined && typeof o.stream !== "boolean") fail("stream must be a boolean");
  const stop = o.stop === undefined || o.stop === null ? [] : typeof o.stop === "string" ? [o.stop] : o.stop;
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== "string")) fail("stop must be a string or an array of strings");
  if (o.logprobs !== undefined && typeof o.logprobs !== "boolean") fail("logprobs must be a boolean");
  const topLogprobs = num(o, "top_logprobs", 0, 0, 20, true);
  if (o.top_logprobs !== undefined && !o.logprobs) fail("top_logprobs needs logprobs: true");
  const bias: [number, number][] = [];
  if (o.logit_bias !== undefined && o.logit_bias !== null) {
    if (typeof o.logit_bias !== "object") fail("logit_bias must map token ids to biases");
    for (const [k, v] of Object.entries(o.logit_bias as Record<string, unknown>)) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0) fail(`logit_bias key ${JSON.stringify(k)} is not a token id`);
      if (typeof v !== "number" || !(v >= -100 && v <= 100)) fail(`logit_bias[${k}] must be in [-100, 100]`);
      bias.push([id, v]);
    }
  }
  const seed = o.seed === undefined || o.seed === null ? undefined : num(o, "seed", 0, 0, Number.MAX_SAFE_INTEGER, true);
  const topP = num(o, "top_p", 1, 0, 1);
  if (topP === 0) fail("top_p must be in (0, 1], not 0");
  const repeat = num(o, "repetition_penalty", 1, 0, 10);
  if (repeat === 0) fail("repetition_penalty must be > 0");
  return {
    max_tokens: num(o, "max_tokens", DEFAULT_MAX_TOKENS, 1, 1 << 20, true),
    temperature: num(o, "temperature", 0, 0, 2),
    top_k: num(o, "top_k", 0, 0, 1 << 20, true),
    top_p: topP,
    min_p: num(o, "min_p", 0, 0, 1),
    repeat_penalty: repeat,
    presence_penalty: num(o, "presence_penalty", 0, -2, 2),
    frequency_penalty: num(o, "frequency_penalty", 0, -2, 2),
    seed,
    stop: stop as string[],
    top_logprobs: o.logprobs ? topLogprobs : undefined,
    logit_bias: bias,
    ignore_eos: bool(o, "ignore_eos"),
  };
}

const ROLES = ["system", "user", "assistant", "tool"];

export function validateMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) fail("messages must be a non-empty array of {role, content}");
  messages.forEach((m, i) => {
    if (!m || typeof m !== "object") fail(`messages[${i}] must be an object {role, content}`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== "string" || !ROLES.includes(role)) fail(`messages[${i}].role must be one of ${ROLES.join(", ")}, not ${JSON.stringify(role)}`);
    if (typeof content !== "string") fail(`messages[${i}].content must be a string`);
  });
  return (messages as ChatMessage[]).map(({ role, content }) => ({ role, content }));
}

export function validatePrompt(prompt: unknown): string | number[] {
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) fail("prompt is an empty list of token ids");
    if (prompt.some((t) => !Number.isInteger(t) || t < 0 || t > 0xffffffff)) fail("prompt must be a string or an array of token ids (non-negative integers)");
    return prompt as number[];
  }
  if (typeof prompt !== "string") fail("prompt must be a string or an array of token ids");
  return prompt;
}

export function validateInput(input: unknown): string[] {
  const list = typeof input === "string" ? [input] : input;
  if (!Array.isArray(list) || list.some((s) => typeof s !== "string")) fail("input must be a string or an array of strings");
  if (list.length === 0) fail("input is empty");
  return list as string[];
}
