/**
 * Small socket helpers shared by the pipeline roles: an order-keeping sender
 * for Dealer sockets and frame unpacking that logs and drops bad input.
 *
 * @example
 * ```ts
 * import { Dealer } from "../sockets/mod.ts";
 * import { OrderedSender } from "./link.ts";
 * const dealer = new Dealer();
 * const out = new OrderedSender(dealer, ["zedge", "pipeline", "worker"]);
 * out.send({ kind: "heartbeat" });
 * dealer.close();
 * ```
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { Socket } from "../sockets/mod.ts";
import { decodeMessage, encodeMessage, type PipelineMessage } from "./codec.ts";

/**
 * Sends messages in call order without making callers await: a Dealer's
 * `send()` may wait for a peer, and two waiting sends must not overtake each
 * other. Errors after the socket closes are expected and ignored.
 *
 * @example
 * ```ts
 * import { Dealer } from "../sockets/mod.ts";
 * import { OrderedSender } from "./link.ts";
 * const out = new OrderedSender(new Dealer(), ["zedge", "pipeline"]);
 * out.send({ kind: "bye" });
 * await out.drained();
 * ```
 */
export class OrderedSender {
  readonly #socket: Socket;
  readonly #log: Logger;
  #tail: Promise<void> | null = null;
  #pending = 0;

  /** Sends on `socket`, logging failures under the logger `category`. */
  constructor(socket: Socket, category: readonly string[]) {
    this.#socket = socket;
    this.#log = getLogger([...category]);
  }

  /** Messages queued and not yet handed to a peer. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues one message. */
  send(message: PipelineMessage): void {
    this.sendFrame(encodeMessage(message));
  }

  /** Queues one message already encoded (by {@link encodeMessage} or a codec frame writer). */
  sendFrame(frame: Uint8Array): void {
    this.#pending++;
    const run = () => this.#socket.send(frame);
    const next = (this.#tail === null ? run() : this.#tail.then(run)).then(
      () => {
        this.#pending--;
      },
      (error) => {
        this.#pending--;
        if (!this.#socket.closed) this.#log.warn("send failed: {error}", { error });
      },
    );
    this.#tail = next;
    next.then(() => {
      if (this.#tail === next) this.#tail = null;
    });
  }

  /** Resolves once everything queued so far was handed to a peer (or failed). */
  async drained(): Promise<void> {
    while (this.#tail !== null) await this.#tail;
  }
}

/**
 * Splits a Router message into routing id and decoded body; logs and returns
 * `null` for anything malformed.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./codec.ts";
 * import { fromRouter } from "./link.ts";
 * const got = fromRouter([new Uint8Array([1]), encodeMessage({ kind: "heartbeat" })], console as never);
 * ```
 */
export function fromRouter(
  frames: Uint8Array[],
  log: Logger,
): { peer: Uint8Array; key: string; message: PipelineMessage } | null {
  if (frames.length !== 2) {
    log.warn("dropped a message with {count} frames (expected one body frame)", {
      count: frames.length - 1,
    });
    return null;
  }
  try {
    return { peer: frames[0], key: peerKey(frames[0]), message: decodeMessage(frames[1]) };
  } catch (error) {
    log.warn("dropped a malformed message: {error}", { error });
    return null;
  }
}

/**
 * Decodes a Dealer message (one body frame); logs and returns `null` for
 * anything malformed.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./codec.ts";
 * import { fromDealer } from "./link.ts";
 * fromDealer([encodeMessage({ kind: "end" })], console as never); // { kind: "end" }
 * ```
 */
export function fromDealer(frames: Uint8Array[], log: Logger): PipelineMessage | null {
  if (frames.length !== 1) {
    log.warn("dropped a message with {count} frames (expected one)", { count: frames.length });
    return null;
  }
  try {
    return decodeMessage(frames[0]);
  } catch (error) {
    log.warn("dropped a malformed message: {error}", { error });
    return null;
  }
}

/**
 * A routing id as a map key.
 *
 * @example
 * ```ts
 * import { peerKey } from "./link.ts";
 * peerKey(new Uint8Array([0, 1, 2])); // "000102"
 * ```
 */
export function peerKey(id: Uint8Array): string {
  let key = "";
  for (const byte of id) key += byte.toString(16).padStart(2, "0");
  return key;
}

/**
 * Adds `value` to `set`; false when it was there already. One hash lookup,
 * not a `has` and an `add`: the pipeline roles call this per item.
 *
 * @example
 * ```ts
 * import { addNew } from "./link.ts";
 * const seen = new Set<string>();
 * addNew(seen, "tiles:1"); // true
 * addNew(seen, "tiles:1"); // false
 * ```
 */
export function addNew<T>(set: Set<T>, value: T): boolean {
  const size = set.size;
  return set.add(value).size !== size;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * import { delay } from "./link.ts";
 * await delay(1);
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `promise`, but at most `ms` milliseconds (then resolves anyway);
 * the timer is cleared either way.
 *
 * @example
 * ```ts
 * import { atMost } from "./link.ts";
 * await atMost(new Promise(() => {}), 10); // returns after 10 ms
 * ```
 */
export async function atMost(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a callback as a macrotask, soon: after pending I/O has had its turn,
 * but without the 4 ms clamp nested `setTimeout(0)` calls get. Several
 * requests before it runs coalesce into one call.
 *
 * @example
 * ```ts
 * import { Soon } from "./link.ts";
 * const soon = new Soon(() => console.log("later"));
 * soon.request();
 * soon.close(); // call when done: an open port keeps the process alive
 * ```
 */
export class Soon {
  readonly #channel = new MessageChannel();
  #requested = false;

  /** Calls `callback` once per batch of {@link request}s. */
  constructor(callback: () => void) {
    this.#channel.port1.onmessage = () => {
      this.#requested = false;
      callback();
    };
  }

  /** Asks for one call of the callback. */
  request(): void {
    if (this.#requested) return;
    this.#requested = true;
    this.#channel.port2.postMessage(null);
  }

  /** Stops the channel. */
  close(): void {
    this.#channel.port1.close();
    this.#channel.port2.close();
  }
}

/**
 * One-shot and repeating timers that are all cleared together, so a closed
 * role leaves none behind.
 *
 * @example
 * ```ts
 * import { Timers } from "./link.ts";
 * const timers = new Timers();
 * timers.every(1000, () => console.log("tick"));
 * timers.after(50, () => console.log("once"));
 * timers.clear();
 * ```
 */
export class Timers {
  readonly #pending = new Set<ReturnType<typeof setTimeout>>();
  #cleared = false;

  /** Calls `fn` once after `ms` (not after {@link clear}). */
  after(ms: number, fn: () => void): void {
    if (this.#cleared) return;
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      fn();
    }, ms);
    this.#pending.add(timer);
  }

  /** Calls `fn` every `ms`, each period starting after the previous call returned. */
  every(ms: number, fn: () => void): void {
    const tick = () => {
      if (this.#cleared) return;
      fn();
      this.after(ms, tick);
    };
    this.after(ms, tick);
  }

  /** Cancels every pending timer; later `after`/`every` calls do nothing. */
  clear(): void {
    this.#cleared = true;
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }
}
