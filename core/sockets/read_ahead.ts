/**
 * A socket-wide read-ahead budget. Each connection still reads up to its
 * receive high-water mark (libzmq's per-peer pipe limit), but none reads
 * while the socket as a whole holds a high-water mark's worth of received
 * messages. Once the application has taken half of them, the connections
 * that stopped read on in the order they stopped, as many as that half
 * takes, so every peer gets its turn; all of them once nothing is queued
 * (an application that takes faster than reads land drains the socket
 * before the woken reads arrive, and then every peer's data should come in
 * the same turn of the event loop: waking only a mark's worth there was
 * measured at half the rate).
 * Without it, 100 peers keep 100 × the mark of messages alive, and the
 * garbage collector's copying of them is most of a fan-in's cost; with it
 * the rest waits undecoded in each connection's read buffer (one read op
 * takes what the buffer holds; the budget says how much of it becomes
 * messages per turn), in the kernel's socket buffers, and then in the
 * peers' send queues, as backpressure.
 *
 * @module
 */

/**
 * The budget of one socket, shared by its connections.
 *
 * @example
 * ```ts
 * import { ReadAheadBudget } from "./read_ahead.ts";
 * let queued = 0;
 * const budget = new ReadAheadBudget(() => queued, () => 1000);
 * queued = 1000;
 * budget.exhausted; // true: connections wait
 * budget.park(() => console.log("read on"));
 * queued = 500;
 * budget.taken(); // half taken: "read on"
 * ```
 */
export class ReadAheadBudget {
  readonly #queued: () => number;
  readonly #limit: () => number;
  readonly #peers: () => number;
  readonly #messageBytes: () => number;
  #parked: (() => void)[] = [];
  /** Bytes the last shared read could take (what a woken connection will read). */
  #lastRead = 2048;

  /**
   * A budget over `queued()` messages received and not yet taken, of
   * `limit()` messages (0 = no budget, as a high-water mark of 0 is no
   * limit), shared by `peers()` connections whose messages have averaged
   * `messageBytes()` bytes.
   */
  constructor(
    queued: () => number,
    limit: () => number,
    peers: () => number = () => 1,
    messageBytes: () => number = () => 64,
  ) {
    this.#queued = queued;
    this.#limit = limit;
    this.#peers = peers;
    this.#messageBytes = messageBytes;
  }

  /** Messages received and not yet taken, socket-wide. */
  get queued(): number {
    return this.#queued();
  }

  /** True while connections wait to be woken: one that just had its turn lets them go first. */
  get waiting(): boolean {
    return this.#parked.length > 0;
  }

  /** True when connections should read no further (they park until woken). */
  get exhausted(): boolean {
    const limit = this.#limit();
    return limit > 0 && this.#queued() >= limit;
  }

  /**
   * How many bytes a connection's next read may take, of the `full` its
   * buffer holds: its share of what the budget has room for (at the
   * socket's average message size so far), at least `least`. One large read decodes
   * thousands of small messages at once, past any budget. A lone peer
   * reads in full: its high-water mark is the budget.
   */
  readSize(full: number, least: number): number {
    const limit = this.#limit();
    if (limit <= 0 || this.#peers() <= 1) return full;
    // Every connection may have a read posted at once: each gets its share.
    const peers = this.#peers();
    const room = ((limit - this.#queued()) * this.#messageBytes()) / peers;
    return this.#lastRead = Math.max(least, Math.min(full, Math.floor(room)));
  }

  /** A connection stopped on the budget: `wake` is called once it may read again. */
  park(wake: () => void): void {
    this.#parked.push(wake);
  }

  /**
   * The application took a message: once half the budget is free, wake
   * parked connections in the order they parked, as many as the free half
   * takes at the last read size (all of them once nothing is queued).
   */
  taken(): void {
    if (this.#parked.length === 0) return;
    const queued = this.#queued();
    const limit = this.#limit();
    if (queued > limit / 2) return;
    let wakes = this.#parked.length;
    if (queued > 0) {
      const reads = ((limit - queued) * this.#messageBytes()) / this.#lastRead;
      wakes = Math.min(wakes, Math.max(1, Math.ceil(reads)));
    }
    const woken = this.#parked.splice(0, wakes);
    for (const wake of woken) wake();
  }
}
