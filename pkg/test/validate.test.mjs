// Unit tests of the TypeScript layer that need no GPU: request validation and error mapping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { engineRequest, validateInput, validateMessages, validatePrompt, DEFAULT_MAX_TOKENS } from "../dist/validate.js";
import { AbortError, ContextOverflowError, errorFromCode, GPULimitError, HearthError, InternalError, InvalidArgumentError, ModelFormatError, toHearthError, WebGPUUnavailableError } from "../dist/errors.js";

const invalid = (f, pattern) => assert.throws(f, (e) => e instanceof InvalidArgumentError && e.name === "InvalidArgument" && pattern.test(e.message));

test("defaults: greedy, no stop strings, no logprobs", () => {
  const r = engineRequest({});
  assert.deepEqual(r, {
    max_tokens: DEFAULT_MAX_TOKENS, temperature: 0, top_k: 0, top_p: 1, min_p: 0, repeat_penalty: 1,
    presence_penalty: 0, frequency_penalty: 0, seed: undefined, stop: [], top_logprobs: undefined, logit_bias: [], ignore_eos: false,
  });
});

test("prompts are text or token ids; ignore_eos is a boolean", () => {
  assert.equal(validatePrompt("hi"), "hi");
  assert.deepEqual(validatePrompt([1, 2, 3]), [1, 2, 3]);
  invalid(() => validatePrompt([]), /empty/);
  invalid(() => validatePrompt([1, -2]), /token ids/);
  invalid(() => validatePrompt([1.5]), /token ids/);
  invalid(() => validatePrompt(42), /string or an array of token ids/);
  assert.equal(engineRequest({ ignore_eos: true }).ignore_eos, true);
  invalid(() => engineRequest({ ignore_eos: "yes" }), /ignore_eos/);
});

test("OpenAI options map to the engine's names", () => {
  const r = engineRequest({ max_tokens: 7, temperature: 0.7, top_p: 0.9, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, presence_penalty: 0.5, frequency_penalty: -0.5, seed: 42, stop: "\n", logprobs: true, top_logprobs: 3, logit_bias: { 50256: -100 } });
  assert.equal(r.repeat_penalty, 1.1);
  assert.deepEqual(r.stop, ["\n"]);
  assert.equal(r.top_logprobs, 3);
  assert.deepEqual(r.logit_bias, [[50256, -100]]);
  assert.equal(r.seed, 42);
  assert.equal(engineRequest({ logprobs: true }).top_logprobs, 0, "logprobs without top_logprobs: the chosen token's only");
});

test("out-of-range and mistyped options name the option", () => {
  invalid(() => engineRequest({ temperature: -1 }), /temperature/);
  invalid(() => engineRequest({ temperature: "hot" }), /temperature/);
  invalid(() => engineRequest({ top_p: 0 }), /top_p/);
  invalid(() => engineRequest({ top_p: 1.5 }), /top_p/);
  invalid(() => engineRequest({ top_k: 2.5 }), /top_k.*integer/);
  invalid(() => engineRequest({ min_p: 2 }), /min_p/);
  invalid(() => engineRequest({ max_tokens: 0 }), /max_tokens/);
  invalid(() => engineRequest({ seed: -3 }), /seed/);
  invalid(() => engineRequest({ seed: 1.5 }), /seed/);
  invalid(() => engineRequest({ stop: [1] }), /stop/);
  invalid(() => engineRequest({ n: 2 }), /n must be 1/);
  invalid(() => engineRequest({ top_logprobs: 3 }), /needs logprobs/);
  invalid(() => engineRequest({ logprobs: true, top_logprobs: 21 }), /top_logprobs/);
  invalid(() => engineRequest({ logit_bias: { abc: 1 } }), /logit_bias/);
  invalid(() => engineRequest({ logit_bias: { 5: 200 } }), /logit_bias/);
  invalid(() => engineRequest({ presence_penalty: 3 }), /presence_penalty/);
  invalid(() => engineRequest({ repetition_penalty: 0 }), /repetition_penalty/);
});

test("messages and embedding input are checked", () => {
  assert.deepEqual(validateMessages([{ role: "user", content: "hi", extra: 1 }]), [{ role: "user", content: "hi" }]);
  invalid(() => validateMessages([]), /non-empty/);
  invalid(() => validateMessages("hi"), /non-empty/);
  invalid(() => validateMessages([{ role: "bot", content: "hi" }]), /role/);
  invalid(() => validateMessages([{ role: "user", content: 3 }]), /content/);
  assert.deepEqual(validateInput("a"), ["a"]);
  assert.deepEqual(validateInput(["a", ""]), ["a", ""]);
  invalid(() => validateInput([]), /empty/);
  invalid(() => validateInput([1]), /strings/);
});

test("engine error codes become typed errors with the code as name", () => {
  const cases = [
    ["ContextOverflow", ContextOverflowError], ["BadMagic", ModelFormatError], ["Truncated", ModelFormatError],
    ["UnsupportedDType", ModelFormatError], ["TensorTooLarge", GPULimitError], ["NoAdapter", WebGPUUnavailableError],
    ["InvalidArgument", InvalidArgumentError], ["AbortError", AbortError],
  ];
  for (const [code, Class] of cases) {
    const e = errorFromCode(code, "msg");
    assert.ok(e instanceof Class && e instanceof HearthError && e instanceof Error, code);
    assert.equal(e.name, code);
    assert.equal(e.code, code);
    assert.equal(e.message, "msg");
  }
  assert.equal(errorFromCode("SomethingNew", "m").constructor, HearthError);
  // A JS Error thrown by the wasm layer carries the code in `name`.
  const fromWasm = Object.assign(new Error("tensor 'x' needs a GPU buffer of 2 bytes, but the adapter allows 1"), { name: "TensorTooLarge" });
  assert.ok(toHearthError(fromWasm) instanceof GPULimitError);
  // Errors from a worker arrive as plain {name, message}.
  assert.ok(toHearthError({ name: "ContextOverflow", message: "m" }) instanceof ContextOverflowError);
  assert.ok(toHearthError(new DOMException("stop", "AbortError")) instanceof AbortError);
  assert.ok(toHearthError(new TypeError("x is undefined")) instanceof InternalError);
});

test("Hearth.load without WebGPU throws WebGPUUnavailable before touching the network", async () => {
  const { Hearth } = await import("../dist/index.js");
  await assert.rejects(Hearth.load("http://127.0.0.1:9/never.gguf"), (e) => e.name === "WebGPUUnavailable" && e instanceof WebGPUUnavailableError && /Chrome/.test(e.message));
});
