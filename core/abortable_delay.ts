/**
 * A pause that ends early when its signal aborts: how handlers, nodes and
 * retry loops wait without outliving a stop.
 *
 * @module
 */

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it
 * aborts.
 *
 * @example
 * ```ts
 * import { abortableDelay } from "./abortable_delay.ts";
 * await abortableDelay(10, new AbortController().signal);
 * ```
 */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
