/**
 * Resolves on the first SIGINT or SIGTERM (and removes its listeners), so a
 * command can stop its components cleanly; `cancel` removes the listeners
 * when the command ends on its own.
 *
 * @example
 * ```ts
 * import { shutdownSignal } from "./shutdown.ts";
 * const stop = shutdownSignal();
 * stop.cancel();
 * ```
 */
export function shutdownSignal(): { promise: Promise<Deno.Signal>; cancel: () => void } {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = new Map<Deno.Signal, () => void>();
  let resolve!: (signal: Deno.Signal) => void;
  const promise = new Promise<Deno.Signal>((r) => resolve = r);
  const cancel = () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    handlers.clear();
  };
  for (const signal of signals) {
    const handler = () => {
      cancel();
      resolve(signal);
    };
    handlers.set(signal, handler);
    Deno.addSignalListener(signal, handler);
  }
  return { promise, cancel };
}
