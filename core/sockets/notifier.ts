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
   * (-1 = never), or "closed" at {@link close}.
   */
  wait(timeoutMs = -1): Promise<WaitResult> {
    return new Promise((resolve) => {
      if (timeoutMs < 0) {
        this.#waiters.push(resolve);
        return;
      }
      const waiter = (result: WaitResult) => {
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        resolve("timeout");
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
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
export type WaitResult = "notified" | "timeout" | "closed";
