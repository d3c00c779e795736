/**
 * The shared-memory path between a {@link ThreadPool} and one of its
 * threads: two single-producer, single-consumer byte rings in one
 * `SharedArrayBuffer`, items one way and outcomes the other, so that a
 * thread ends one item and starts the one sent ahead without a
 * `postMessage` or an event-loop turn (on a thread that has just slept
 * 10 ms, posting a result cost 77 µs and taking the next item from a
 * `MessagePort` 45 µs: more than the 100 µs per 10 ms item that one point
 * of overhead allows).
 *
 * Values are written with V8's serializer (`node:v8`), the structured clone
 * that `postMessage` uses: a payload or result reaches the other side as it
 * would by message. A record that would take more than an eighth of a ring
 * goes by message instead, with a marker in the ring where it belongs, so
 * the other side still takes everything in order.
 *
 * @example
 * ```ts
 * import { ByteRing, RECORD } from "./thread_ring.ts";
 * const shared = new SharedArrayBuffer(ByteRing.bytes(4096));
 * const ring = new ByteRing(shared, 0, 4096);
 * ring.write(RECORD.value, 1, new Uint8Array([1, 2, 3]));
 * const record = ring.peek()!;
 * console.log(record.kind, record.seq, record.body); // 1 1 Uint8Array(3) [1, 2, 3]
 * ring.advance();
 * ```
 * @module
 */

/**
 * What a ring record holds.
 *
 * @example
 * ```ts
 * import { RECORD } from "./thread_ring.ts";
 * console.log(RECORD.byMessage); // 3
 * ```
 */
export const RECORD = {
  /** An item to run, or a handler's result: a serialized value follows. */
  value: 1,
  /** A failed item: its reason follows, serialized. */
  failure: 2,
  /** The record itself came by message (too big for the ring): take that message now. */
  byMessage: 3,
  /** A result of `null` (a handler that returned nothing): no body. */
  nothing: 4,
  /**
   * An item sent ahead to a busy thread, which the pool may take back until
   * the thread starts it: whichever side first swaps this kind in the ring
   * ({@link ByteRing.swapKind}) has it. The thread makes it a `value`.
   */
  ahead: 5,
  /** An item sent ahead and taken back: the thread passes over it. */
  takenBack: 6,
} as const;

/**
 * One record read from a ring; `body` is a view into the shared memory,
 * valid until {@link ByteRing.advance}.
 *
 * @example
 * ```ts
 * import type { RingRecord } from "./thread_ring.ts";
 * const r: RingRecord = { kind: 4, seq: 7, body: new Uint8Array(0) };
 * ```
 */
export interface RingRecord {
  kind: number;
  seq: number;
  body: Uint8Array;
  /** Where its kind is in the ring (for {@link ByteRing.swapKind}). */
  at: number;
}

/** Header cells (Int32) at the start of a ring. */
const HEAD = 0; // bytes written so far (wrapping)
const TAIL = 1; // bytes read so far (wrapping)
const HEADER_BYTES = 16;
/** Length word of a record: length of kind + seq + body. */
const SKIP = 0xffffffff;
/** kind (u8) + seq (f64). */
const RECORD_HEAD = 9;

/**
 * A single-producer, single-consumer byte ring over part of a
 * `SharedArrayBuffer`. The writer publishes a record with one
 * `Atomics.store` of the head after its bytes; the reader frees it with one
 * store of the tail. Each side keeps its own instance over the same memory.
 *
 * @example
 * ```ts
 * import { ByteRing, RECORD } from "./thread_ring.ts";
 * const shared = new SharedArrayBuffer(ByteRing.bytes(1024));
 * const writer = new ByteRing(shared, 0, 1024);
 * const reader = new ByteRing(shared, 0, 1024);
 * writer.write(RECORD.nothing, 5);
 * console.log(reader.peek()?.seq); // 5
 * reader.advance();
 * ```
 */
export class ByteRing {
  readonly #cells: Int32Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #capacity: number;
  /** Where the record {@link peek} returned ends (the tail to store on advance), or -1. */
  #peeked = -1;

  /** Bytes of shared memory a ring of `capacity` data bytes takes. */
  static bytes(capacity: number): number {
    return HEADER_BYTES + capacity;
  }

  /** A ring of `capacity` bytes (a power of two) at `offset` of `shared`. */
  constructor(shared: SharedArrayBuffer, offset: number, capacity: number) {
    if ((capacity & (capacity - 1)) !== 0 || capacity < 64) {
      throw new RangeError(`ring capacity must be a power of two ≥ 64, got ${capacity}`);
    }
    this.#cells = new Int32Array(shared, offset, HEADER_BYTES / 4);
    this.#data = new Uint8Array(shared, offset + HEADER_BYTES, capacity);
    this.#view = new DataView(shared, offset + HEADER_BYTES, capacity);
    this.#capacity = capacity;
  }

  /** The largest body that goes through the ring; bigger records go by message. */
  get maxBody(): number {
    return (this.#capacity >> 3) - 4 - RECORD_HEAD;
  }

  /** Bytes read so far (wrapping): it moves whenever the reader takes a record. */
  get readPosition(): number {
    return Atomics.load(this.#cells, TAIL);
  }

  /** True when nothing waits to be read. */
  get empty(): boolean {
    return Atomics.load(this.#cells, HEAD) === Atomics.load(this.#cells, TAIL);
  }

  /**
   * Writes one record; false, with nothing written, when it does not fit
   * now (the ring is full, or `body` is over {@link maxBody}).
   */
  write(kind: number, seq: number, body?: Uint8Array): boolean {
    return this.writeAt(kind, seq, body) >= 0;
  }

  /** As {@link write}, but returns where the record's kind is (for {@link swapKind}), or -1. */
  writeAt(kind: number, seq: number, body?: Uint8Array): number {
    const length = RECORD_HEAD + (body?.length ?? 0);
    if (length - RECORD_HEAD > this.maxBody) return -1;
    const capacity = this.#capacity;
    const head = Atomics.load(this.#cells, HEAD);
    const used = (head - Atomics.load(this.#cells, TAIL)) | 0;
    let at = head & (capacity - 1);
    const size = (4 + length + 3) & ~3;
    const skip = at + size > capacity ? capacity - at : 0;
    if (used + skip + size > capacity) return -1;
    const view = this.#view;
    if (skip > 0) {
      view.setUint32(at, SKIP);
      at = 0;
    }
    view.setUint32(at, length);
    view.setUint8(at + 4, kind);
    view.setFloat64(at + 5, seq);
    if (body !== undefined) this.#data.set(body, at + 4 + RECORD_HEAD);
    Atomics.store(this.#cells, HEAD, (head + skip + size) | 0);
    return at + 4;
  }

  /**
   * Changes the kind of the record at `at` (from {@link writeAt} or
   * {@link peek}) from `from` to `to` in one atomic step; false when it was
   * not `from` (the other side changed it first). The writer may call it
   * after the reader freed the record only while it has written nothing
   * since: until then no other record can take that place.
   */
  swapKind(at: number, from: number, to: number): boolean {
    return Atomics.compareExchange(this.#data, at, from, to) === from;
  }

  /**
   * The next record, left in the ring until {@link advance}; `null` when
   * empty. Throws a RangeError for a record no writer of this ring makes
   * (the memory is shared with code that may write anything): one that is
   * not whole between the tail and the head, or does not fit the ring.
   */
  peek(): RingRecord | null {
    const cells = this.#cells;
    let tail = Atomics.load(cells, TAIL);
    const head = Atomics.load(cells, HEAD);
    if (tail === head) return null;
    const capacity = this.#capacity;
    const used = (head - tail) | 0;
    let at = tail & (capacity - 1);
    if (used < 0 || used > capacity || (at & 3) !== 0) {
      throw new RangeError(`ring head ${head} and tail ${tail} cannot both be right`);
    }
    const view = this.#view;
    let length = view.getUint32(at);
    let skipped = 0;
    if (length === SKIP) {
      skipped = capacity - at;
      tail = (tail + skipped) | 0;
      at = 0;
      length = view.getUint32(0);
    }
    const size = (4 + length + 3) & ~3;
    if (length < RECORD_HEAD || length - RECORD_HEAD > this.maxBody || skipped + size > used) {
      throw new RangeError(`a ring record of ${length} bytes at ${at}, with ${used} written`);
    }
    this.#peeked = (tail + size) | 0;
    return {
      kind: Atomics.load(this.#data, at + 4),
      seq: view.getFloat64(at + 5),
      body: this.#data.subarray(at + 4 + RECORD_HEAD, at + 4 + length),
      at: at + 4,
    };
  }

  /** Frees the record {@link peek} returned last. */
  advance(): void {
    if (this.#peeked === -1) return;
    Atomics.store(this.#cells, TAIL, this.#peeked);
    this.#peeked = -1;
  }
}

/**
 * The shared memory of one pool thread: its item ring, its outcome ring and
 * an idle cell the thread sets before it goes back to its event loop, where
 * it waits on that cell (`Atomics.waitAsync`) for the pool's wake-up.
 *
 * @example
 * ```ts
 * import { ThreadChannel } from "./thread_ring.ts";
 * const channel = new ThreadChannel(ThreadChannel.allocate());
 * console.log(channel.items.empty); // true
 * ```
 */
export class ThreadChannel {
  /** Bytes per ring: two items or results of up to 8 KiB each fit at any time. */
  static readonly RING_BYTES = 1 << 16;
  /** Pool → thread. */
  readonly items: ByteRing;
  /** Thread → pool. */
  readonly outcomes: ByteRing;
  readonly shared: SharedArrayBuffer;
  readonly #idle: Int32Array;

  /** Shared memory for one thread's channel. */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(16 + 2 * ByteRing.bytes(ThreadChannel.RING_BYTES));
  }

  /** Both sides open the same `shared` memory. */
  constructor(shared: SharedArrayBuffer) {
    this.shared = shared;
    this.#idle = new Int32Array(shared, 0, 4);
    const ring = ByteRing.bytes(ThreadChannel.RING_BYTES);
    this.items = new ByteRing(shared, 16, ThreadChannel.RING_BYTES);
    this.outcomes = new ByteRing(shared, 16 + ring, ThreadChannel.RING_BYTES);
  }

  /**
   * The thread: about to wait in its event loop (then re-checks its items:
   * one written meanwhile is seen either there or by {@link wakeNeeded}).
   */
  goingIdle(): void {
    Atomics.store(this.#idle, 0, 1);
  }

  /** The thread: running again. */
  busy(): void {
    Atomics.store(this.#idle, 0, 0);
  }

  /** True while the thread says it waits in its event loop. */
  get idle(): boolean {
    return Atomics.load(this.#idle, 0) === 1;
  }

  /**
   * The pool, after writing an item: true (once) when the thread waits in
   * its event loop; the pool then owes it a {@link wake}.
   */
  wakeNeeded(): boolean {
    return Atomics.load(this.#idle, 0) === 1 && Atomics.compareExchange(this.#idle, 0, 1, 0) === 1;
  }

  /**
   * The pool, after {@link wakeNeeded} said so: wakes the thread's
   * {@link untilWoken}. A futex wake, where a message cost the thread a
   * structured clone and a message event: ten idle threads handed 20 items
   * at once started their first items 0.39–0.41 ms (first), 0.74–0.76
   * (mean) and 0.99–1.06 ms (last) after the first `run()`, against
   * 0.47–0.56, 1.00–1.18 and 1.49–1.66 ms by message
   * (bench/pipeline_pool_start.ts, medians of 9 rounds, 4 alternations).
   */
  wake(): void {
    Atomics.notify(this.#idle, 0);
  }

  /**
   * The thread, after {@link goingIdle} found nothing: resolves when the
   * pool wakes it; `null` when the pool already has (the cell is cleared:
   * run at once). V8 holds the promise weakly: keep it referenced.
   */
  untilWoken(): Promise<unknown> | null {
    const waiting = Atomics.waitAsync(this.#idle, 0, 1);
    return waiting.async ? waiting.value : null;
  }
}

/**
 * The pool's doorbell: one cell every thread of a pool bumps after writing an
 * outcome, and that the pool's own thread waits on (`Atomics.waitAsync`).
 * The pool reads the count, takes every outcome, then waits for the count to
 * move from what it read: an outcome written after the read either moved it
 * already (the wait returns at once) or notifies the wait. (An "armed" flag
 * that spared the threads their notify lost wake-ups: a thread whose bump
 * the pool had already seen could clear it.)
 *
 * @example
 * ```ts
 * import { Doorbell } from "./thread_ring.ts";
 * const bell = new Doorbell(Doorbell.allocate());
 * bell.ring(); // from a thread
 * ```
 */
export class Doorbell {
  readonly shared: SharedArrayBuffer;
  readonly #cells: Int32Array;

  /** Shared memory for one doorbell. */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(8);
  }

  /** Both sides open the same `shared` memory. */
  constructor(shared: SharedArrayBuffer) {
    this.shared = shared;
    this.#cells = new Int32Array(shared, 0, 2);
  }

  /** A thread: an outcome was written (costs a system call only when the pool waits). */
  ring(): void {
    Atomics.add(this.#cells, 0, 1);
    Atomics.notify(this.#cells, 0);
  }

  /** The pool: the count to wait on, read before it takes the outcomes. */
  count(): number {
    return Atomics.load(this.#cells, 0);
  }

  /**
   * The pool: resolves once the count moved from `seen`; `null` when it has
   * already. V8 holds the promise weakly: keep it referenced while waiting.
   */
  wait(seen: number): Promise<unknown> | null {
    const waiting = Atomics.waitAsync(this.#cells, 0, seen);
    return waiting.async ? waiting.value : null;
  }

  /** Releases a pool waiting in {@link wait} (when it closes). */
  release(): void {
    this.ring();
  }
}
