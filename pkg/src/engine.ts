/**
 * The engine as the API layer sees it: every call async, so the same `Hearth` code drives a
 * host in this thread (`LocalEngine`) or in a Web Worker (`WorkerEngine`, remote.ts).
 */
import { Host, type EmbedOutput, type HostLoadOptions, type Report, type TokenEvent } from "./host.js";
import type { EmbeddingFiles, ModelInfo, ModelSource, Progress } from "./types.js";
import type { EngineRequest } from "./validate.js";

export interface Engine {
  load(src: ModelSource | EmbeddingFiles, options: HostLoadOptions, onProgress?: (p: Progress) => void): Promise<ModelInfo>;
  tokenize(text: string): Promise<number[]>;
  detokenize(ids: number[]): Promise<string>;
  chatPrompt(messages: unknown, maxTokens: number, truncate: boolean): Promise<{ ids: number[]; dropped: number }>;
  start(ids: number[], request: EngineRequest): Promise<void>;
  next(): Promise<TokenEvent | null>;
  finish(): Promise<Report>;
  cancel(): Promise<void>;
  reset(): Promise<void>;
  embed(texts: string[]): Promise<EmbedOutput>;
  dispose(): Promise<void>;
}

export class LocalEngine implements Engine {
  private host = new Host();
  load(src: ModelSource | EmbeddingFiles, options: HostLoadOptions, onProgress?: (p: Progress) => void) {
    return this.host.load(src, options, onProgress);
  }
  async tokenize(text: string) {
    return this.host.tokenize(text);
  }
  async detokenize(ids: number[]) {
    return this.host.detokenize(ids);
  }
  async chatPrompt(messages: unknown, maxTokens: number, truncate: boolean) {
    return this.host.chatPrompt(messages, maxTokens, truncate);
  }
  start(ids: number[], request: EngineRequest) {
    return this.host.start(ids, request);
  }
  next() {
    return this.host.next();
  }
  async finish() {
    return this.host.finish();
  }
  async cancel() {
    this.host.cancel();
  }
  async reset() {
    this.host.reset();
  }
  embed(texts: string[]) {
    return this.host.embed(texts);
  }
  async dispose() {
    this.host.dispose();
  }
}
