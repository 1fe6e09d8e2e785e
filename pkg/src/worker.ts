/**
 * The Web Worker entry: one `Host` answering `{id, method, args}` messages with
 * `{id, result}` or `{id, error: {name, message}}`, and load progress as `{id, progress}`.
 * Started by `Hearth.load(src, { worker: true })`; bundlers pick it up through
 * `new Worker(new URL("./worker.js", import.meta.url), { type: "module" })`.
 */
import { toHearthError } from "./errors.js";
import { Host } from "./host.js";

interface Call {
  id: number;
  method: string;
  args: unknown[];
}

const host = new Host();
const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<Call>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = async (e: MessageEvent<Call>) => {
  const { id, method, args } = e.data;
  try {
    let result: unknown;
    if (method === "load") {
      const [src, options] = args as Parameters<Host["load"]>;
      result = await host.load(src, options, (progress) => scope.postMessage({ id, progress }));
    } else {
      const f = (host as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
      if (typeof f !== "function") throw new Error(`unknown method ${method}`);
      result = await f.apply(host, args);
    }
    scope.postMessage({ id, result });
  } catch (err) {
    const h = toHearthError(err);
    scope.postMessage({ id, error: { name: h.name, message: h.message } });
  }
};
