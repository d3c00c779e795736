/**
 * Lets callers wait for "something changed" (a peer gained room, a message
 * arrived) with an optional timeout, without polling.
 *
 * @example
 * ```ts
 * import { Notifier } from "./notifier.ts";
 * const n = new Notifier();
 * setTimeout(() => n.notify(), 10);
 * await n.wait(1000); // "notified"
 * ```
 */
export class Notifier {
  #waiters: ((result: WaitResult) => void)[] = [];

  /** Number of callers currently waiting. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves "notified" at the next {@link notify}, "timeout" after `timeoutMs`
   * (-1 = never), "aborted" when `signal` aborts, or "closed" at {@link close}.
   */
  wait(timeoutMs = -1, signal?: AbortSignal): Promise<WaitResult> {
    if (signal?.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      if (timeoutMs < 0 && signal === undefined) {
        this.#waiters.push(resolve);
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (result: WaitResult) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const leave = (result: WaitResult) => {
        const index = this.#waiters.indexOf(finish);
        if (index >= 0) this.#waiters.splice(index, 1);
        finish(result);
      };
      const onAbort = () => leave("aborted");
      if (timeoutMs >= 0) timer = setTimeout(() => leave("timeout"), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(finish);
    });
  }

  /**
   * Calls `callback` once, at the next {@link notify} ("notified") or at
   * {@link close} ("closed"): a wait with no timeout and no promise of its
   * own, for a caller that settles one promise itself.
   */
  once(callback: (result: WaitResult) => void): void {
    this.#waiters.push(callback);
  }

  /** Wakes every waiter. */
  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake("notified");
  }

  /** Wakes every waiter with "closed". */
  close(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake("closed");
  }
}

/**
 * Why a {@link Notifier.wait} ended.
 *
 * @example
 * ```ts
 * import type { WaitResult } from "./notifier.ts";
 * const r: WaitResult = "timeout";
 * ```
 */
export type WaitResult = "notified" | "timeout" | "aborted" | "closed";
