/**
 * A connection's received messages, in order, counted one by one (the
 * receive high-water mark counts messages). A message is queued either as
 * its frames or inside a {@link MessageRun}: consecutive messages of one
 * batch (inproc between Workers, see message_batch.ts) kept as they came,
 * with no view or array made per message until one is taken. A reader that
 * can work on a message in place ({@link Inbox.shiftInto}) never makes them.
 *
 * @module
 */
import { Deque } from "./deque.ts";

/**
 * Consecutive whole messages of one batch, as they arrived: `sizes[index]`
 * is the next message's frame count, its frames' lengths follow, and its
 * first frame starts at `data[at]`. Checked when the batch was read (see
 * `readRuns`), so taking them needs no checks.
 *
 * @example
 * ```ts
 * import { MessageRun } from "./inbox.ts";
 * // One message of two frames, "hi" and "!".
 * const run = new MessageRun(new Uint8Array([104, 105, 33]), new Uint32Array([2, 2, 1]), 0, 0, 1);
 * run.count; // 1
 * ```
 */
export class MessageRun {
  /** The batch's bytes. */
  readonly data: Uint8Array;
  /** The batch's sizes (see MessageBatch). */
  readonly sizes: Uint32Array;
  /** Where in `sizes` the next message starts. */
  index: number;
  /** Where in `data` the next message's first frame starts. */
  at: number;
  /** Messages left. */
  count: number;
  /** `data`'s buffer, read once: the getter costs about as much as making a view. */
  readonly buffer: ArrayBufferLike;
  /** `data`'s offset in `buffer`. */
  readonly byteOffset: number;

  /** The run of `count` messages starting at `sizes[index]` and `data[at]`. */
  constructor(data: Uint8Array, sizes: Uint32Array, index: number, at: number, count: number) {
    this.data = data;
    this.sizes = sizes;
    this.index = index;
    this.at = at;
    this.count = count;
    this.buffer = data.buffer;
    this.byteOffset = data.byteOffset;
  }

  /** The next message's frames, as views of the batch (the run must not be empty). */
  next(): Uint8Array[] {
    const { buffer, sizes } = this;
    // The constructor, not `subarray`: about half the cost, and a view per frame is most of
    // what a small message costs here.
    const base = this.byteOffset;
    let index = this.index;
    let at = this.at;
    const count = sizes[index++];
    const frames = new Array<Uint8Array>(count);
    for (let f = 0; f < count; f++) {
      const length = sizes[index++];
      frames[f] = new Uint8Array(buffer, base + at, length);
      at += length;
    }
    this.index = index;
    this.at = at;
    this.count--;
    return frames;
  }

  /** Reads the next message into `message` without making views (the run must not be empty). */
  nextInto(message: PackedMessage): void {
    const sizes = this.sizes;
    let index = this.index;
    const count = sizes[index++];
    message.frames = null;
    message.data = this.data;
    message.buffer = this.buffer;
    message.byteOffset = this.byteOffset;
    message.sizes = sizes;
    message.sizesAt = index;
    message.at = this.at;
    message.frameCount = count;
    let at = this.at;
    for (let f = 0; f < count; f++) at += sizes[index++];
    this.index = index;
    this.at = at;
    this.count--;
  }
}

/**
 * One message read in place ({@link Inbox.shiftInto}): either its `frames`,
 * or, for a message of a run, where its frames are in `data` (`frameCount`
 * frames; their lengths are `sizes[sizesAt]` on, the first starts at
 * `data[at]`). Reused from message to message: read it before the next.
 *
 * @example
 * ```ts
 * import { PackedMessage } from "./inbox.ts";
 * const message = new PackedMessage();
 * message.frame(0); // undefined: nothing read into it yet
 * ```
 */
export class PackedMessage {
  /** The message's frames, when it was queued as frames; null for a message of a run. */
  frames: Uint8Array[] | null = null;
  /** The batch's bytes (a message of a run). */
  data: Uint8Array = new Uint8Array(0);
  /** `data`'s buffer (a view of the batch: `new Uint8Array(buffer, byteOffset + start, length)`). */
  buffer: ArrayBufferLike = this.data.buffer;
  /** `data`'s offset in `buffer`. */
  byteOffset = 0;
  /** The batch's sizes (a message of a run). */
  sizes: Uint32Array = new Uint32Array(0);
  /** Where in `sizes` the first frame's length is (a message of a run). */
  sizesAt = 0;
  /** Where in `data` the first frame starts (a message of a run). */
  at = 0;
  /** How many frames the message has. */
  frameCount = 0;

  /** Frame `i` (a view, for a message of a run), or undefined past the last. */
  frame(i: number): Uint8Array | undefined {
    if (this.frames !== null) return this.frames[i];
    if (i >= this.frameCount) return undefined;
    let start = this.at;
    for (let f = 0; f < i; f++) start += this.sizes[this.sizesAt + f];
    return new Uint8Array(this.buffer, this.byteOffset + start, this.sizes[this.sizesAt + i]);
  }

  /** Every frame (views, for a message of a run). */
  allFrames(): Uint8Array[] {
    if (this.frames !== null) return this.frames;
    const frames = new Array<Uint8Array>(this.frameCount);
    for (let i = 0; i < this.frameCount; i++) frames[i] = this.frame(i)!;
    return frames;
  }
}

/**
 * The queue of a connection's received messages (see the module
 * documentation).
 *
 * @example
 * ```ts
 * import { Inbox } from "./inbox.ts";
 * const inbox = new Inbox();
 * inbox.push([new Uint8Array([1])]);
 * inbox.length; // 1
 * inbox.shift(); // [Uint8Array [1]]
 * ```
 */
export class Inbox {
  readonly #items = new Deque<Uint8Array[] | MessageRun>();
  #length = 0;
  #frames = 0;

  /** Messages queued (each message of a run counts). */
  get length(): number {
    return this.#length;
  }

  /**
   * Frame objects queued: what a message costs beyond its bytes (about a
   * hundred bytes each, for two on the wire when empty). A message of a run
   * counts one: its frames are made only when it is taken.
   */
  get frames(): number {
    return this.#frames;
  }

  /** Queues one message. */
  push(frames: Uint8Array[]): void {
    this.#items.push(frames);
    this.#length++;
    this.#frames += frames.length;
  }

  /** Queues a run's messages (taken over: the inbox advances it as they are taken). */
  pushRun(run: MessageRun): void {
    if (run.count === 0) return;
    this.#items.push(run);
    this.#length += run.count;
    this.#frames += run.count;
  }

  /** The oldest message's frames (views of its batch, for a message of a run). */
  shift(): Uint8Array[] | undefined {
    const head = this.#items.peek();
    if (head === undefined) return undefined;
    this.#length--;
    if (!(head instanceof MessageRun)) {
      this.#items.shift();
      this.#frames -= head.length;
      return head;
    }
    this.#frames--;
    const frames = head.next();
    if (head.count === 0) this.#items.shift();
    return frames;
  }

  /** Reads the oldest message into `message` without making views; false when none is queued. */
  shiftInto(message: PackedMessage): boolean {
    const head = this.#items.peek();
    if (head === undefined) return false;
    this.#length--;
    if (!(head instanceof MessageRun)) {
      this.#items.shift();
      this.#frames -= head.length;
      message.frames = head;
      message.frameCount = head.length;
      return true;
    }
    this.#frames--;
    head.nextInto(message);
    if (head.count === 0) this.#items.shift();
    return true;
  }

  /** Drops every message. */
  clear(): void {
    this.#items.clear();
    this.#length = 0;
    this.#frames = 0;
  }
}
