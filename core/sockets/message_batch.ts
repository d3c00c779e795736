/**
 * Message batches (see {@link MessageBatch} in core/transport/stream.ts):
 * how a connection between two zedge ends of one process sends whole
 * messages once its handshake is done, and how the other end reads them.
 * A batch replaces ZMTP frames only, never the engine: the same outbox
 * counts the messages against the high-water mark, the same window holds
 * a slow reader's bytes, and what arrives goes to the same receive queue.
 *
 * @module
 */
import type { FrameData } from "../zmtp/mod.ts";
import { encodeCommand, MAX_FRAMES_PER_MESSAGE, ZmtpError } from "../zmtp/mod.ts";
import type { MessageBatch } from "../transport/mod.ts";
import { MessageRun } from "./inbox.ts";

const encoder = new TextEncoder();
/** The smallest buffers a batch starts with. */
const MIN_DATA = 1024;
const MIN_SIZES = 64;
/** Frames up to this many bytes are copied byte by byte (see {@link BatchWriter.message}). */
const SMALL_FRAME = 32;

/**
 * Collects messages and commands into one batch. A batch's buffers are
 * reused once it is posted, unless they were transferred with it: then
 * the next batch starts new ones, sized like the last.
 *
 * @example
 * ```ts
 * import { BatchWriter } from "./message_batch.ts";
 * const writer = new BatchWriter();
 * writer.message(["topic", new Uint8Array(16)]);
 * const batch = writer.take(); // sizes [2, 5, 16], 21 bytes of data
 * ```
 */
export class BatchWriter {
  #data = new Uint8Array(0);
  #dataLength = 0;
  #sizes = new Uint32Array(0);
  #sizesLength = 0;
  #nextData = MIN_DATA;
  #nextSizes = MIN_SIZES;

  /** Bytes waiting to be taken (0 when nothing is). */
  get length(): number {
    return this.#dataLength + this.#sizesLength * 4;
  }

  /** Appends every frame of a message (copied: the caller may reuse its buffers). */
  message(frames: readonly FrameData[]): void {
    const count = frames.length;
    // Room for the message's sizes at once: one check per message, not per frame.
    if (this.#sizesLength + count + 1 > this.#sizes.length) this.#growSizes(count + 1);
    const sizes = this.#sizes;
    sizes[this.#sizesLength++] = count;
    for (let f = 0; f < count; f++) {
      const frame = frames[f];
      if (typeof frame === "string") {
        this.#room(frame.length * 3);
        const { written } = encoder.encodeInto(frame, this.#data.subarray(this.#dataLength));
        this.#dataLength += written;
        sizes[this.#sizesLength++] = written;
        continue;
      }
      const length = frame.length;
      this.#room(length);
      const data = this.#data;
      let at = this.#dataLength;
      // Small frames (a topic, a header, a small value) copy faster by hand than through
      // `set`, whose call costs more than the copy itself.
      if (length <= SMALL_FRAME) { for (let i = 0; i < length; i++) data[at++] = frame[i]; }
      else data.set(frame, at);
      this.#dataLength += length;
      sizes[this.#sizesLength++] = length;
    }
  }

  /** Appends a command. */
  command(name: string, data: Uint8Array): void {
    this.#size(0);
    this.#bytes(encodeCommand(name, data));
  }

  /**
   * What was written, as views of the writer's buffers: post it before
   * writing more, then call {@link posted}.
   */
  take(): MessageBatch {
    const batch = {
      data: this.#data.subarray(0, this.#dataLength),
      sizes: this.#sizes.subarray(0, this.#sizesLength),
    };
    // A burst's batches are about alike: new buffers start at the size of the biggest of late,
    // which halves with each smaller batch. Not just this one's: a burst alternates a batch of
    // one message (the write that starts at once) with a full one, and buffers started at one
    // message's size would grow and copy several times for the next.
    this.#nextData = Math.max(MIN_DATA, this.#dataLength, this.#nextData >> 1);
    this.#nextSizes = Math.max(MIN_SIZES, this.#sizesLength, this.#nextSizes >> 1);
    this.#dataLength = 0;
    this.#sizesLength = 0;
    return batch;
  }

  /** The batch just taken is posted: its buffers are reused, unless they went with it. */
  posted(): void {
    if (this.#data.buffer.byteLength === 0) this.#data = new Uint8Array(0);
    if (this.#sizes.buffer.byteLength === 0) this.#sizes = new Uint32Array(0);
  }

  /** Drops what is written, and the buffers. */
  release(): void {
    this.#data = new Uint8Array(0);
    this.#sizes = new Uint32Array(0);
    this.#dataLength = 0;
    this.#sizesLength = 0;
    this.#nextData = MIN_DATA;
    this.#nextSizes = MIN_SIZES;
  }

  #bytes(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#data.set(bytes, this.#dataLength);
    this.#dataLength += bytes.length;
    this.#size(bytes.length);
  }

  #size(value: number): void {
    if (this.#sizesLength === this.#sizes.length) this.#growSizes(1);
    this.#sizes[this.#sizesLength++] = value;
  }

  #growSizes(extra: number): void {
    const needed = this.#sizesLength + extra;
    const grown = new Uint32Array(Math.max(this.#nextSizes, this.#sizes.length * 2, needed));
    if (this.#sizesLength > 0) grown.set(this.#sizes.subarray(0, this.#sizesLength));
    this.#sizes = grown;
  }

  #room(extra: number): void {
    const needed = this.#dataLength + extra;
    if (needed <= this.#data.length) return;
    const grown = new Uint8Array(Math.max(this.#nextData, this.#data.length * 2, needed));
    if (this.#dataLength > 0) grown.set(this.#data.subarray(0, this.#dataLength));
    this.#data = grown;
  }
}

/**
 * What {@link readBatch} hands on: each message (its frames are views of
 * the batch's data) and each command's body.
 *
 * @example
 * ```ts
 * import type { BatchHandler } from "./message_batch.ts";
 * const handler: BatchHandler = { message: (frames) => {}, command: (body) => {} };
 * ```
 */
export interface BatchHandler {
  /** A message, with its frames. */
  message(frames: Uint8Array[]): void;
  /** A command's body (name length, name, data). */
  command(body: Uint8Array): void;
}

/**
 * Whether a message whose first frame is `data[start..start+length)` is
 * queued (a SUB's subscriptions).
 *
 * @example
 * ```ts
 * import type { RunFilter } from "./message_batch.ts";
 * const everything: RunFilter = () => true;
 * ```
 */
export type RunFilter = (data: Uint8Array, start: number, length: number) => boolean;

/**
 * What {@link readRuns} hands on: runs of consecutive messages whose first
 * frame `accepts` lets through (no view made per message), and each
 * command's body, in order.
 *
 * @example
 * ```ts
 * import type { RunHandler } from "./message_batch.ts";
 * const handler: RunHandler = { accepts: () => true, run: (run) => {}, command: (body) => {} };
 * ```
 */
export interface RunHandler {
  /** Whether a message is queued, by its first frame. */
  accepts: RunFilter;
  /** Consecutive accepted messages. */
  run(run: MessageRun): void;
  /** A command's body (name length, name, data). */
  command(body: Uint8Array): void;
}

/**
 * Reads a batch the peer sent, under the same limits as ZMTP frames (a
 * message's size, its frame count), handing on runs of whole messages as
 * they lie in the batch. The peer's isolate may post anything, so a batch
 * that does not add up throws a {@link ZmtpError}; the messages before it
 * are handed on already, as frames before a bad one are.
 *
 * @example
 * ```ts
 * import { BatchWriter, readRuns } from "./message_batch.ts";
 * const writer = new BatchWriter();
 * writer.message(["hi"]);
 * readRuns(writer.take(), -1, {
 *   accepts: () => true,
 *   run: (run) => console.log(run.count), // 1
 *   command() {},
 * });
 * ```
 */
export function readRuns(batch: MessageBatch, maxMessageSize: number, to: RunHandler): void {
  const { data, sizes } = batch;
  let at = 0;
  let i = 0;
  /** The run being gathered: from sizes[runIndex] and data[runAt], runCount messages. */
  let runIndex = 0;
  let runAt = 0;
  let runCount = 0;
  const flush = () => {
    if (runCount > 0) to.run(new MessageRun(data, sizes, runIndex, runAt, runCount));
    runCount = 0;
  };
  const bad = (why: string) => {
    flush();
    return new ZmtpError("protocol", `bad message batch: ${why}`);
  };
  while (i < sizes.length) {
    const start = i;
    const count = sizes[i++];
    if (count === 0) {
      if (i === sizes.length) throw bad("a command without its length");
      const length = sizes[i++];
      if (at + length > data.length) throw bad("a command past the data");
      flush();
      to.command(data.subarray(at, at + length));
      at += length;
      continue;
    }
    if (count > MAX_FRAMES_PER_MESSAGE) {
      flush();
      throw new ZmtpError(
        "too-many-frames",
        `message has more than ${MAX_FRAMES_PER_MESSAGE} frames`,
      );
    }
    if (i + count > sizes.length) throw bad("a message without its frames' lengths");
    const messageAt = at;
    let total = 0;
    for (let f = 0; f < count; f++) total += sizes[i++];
    at += total;
    if (at > data.length) throw bad("a frame past the data");
    if (maxMessageSize >= 0 && total > maxMessageSize) {
      flush();
      throw new ZmtpError(
        "frame-too-large",
        `message of ${total} bytes exceeds the maximum message size of ${maxMessageSize}`,
      );
    }
    if (!to.accepts(data, messageAt, sizes[start + 1])) {
      flush();
      continue;
    }
    if (runCount === 0) {
      runIndex = start;
      runAt = messageAt;
    }
    runCount++;
  }
  if (at !== data.length) throw bad("data left over");
  flush();
}

/**
 * The {@link RunFilter} that lets every message through (sockets that do
 * not filter on their first frame).
 *
 * @example
 * ```ts
 * import { ACCEPT_ALL } from "./message_batch.ts";
 * ACCEPT_ALL(new Uint8Array(0), 0, 0); // true
 * ```
 */
export const ACCEPT_ALL: RunFilter = () => true;

/**
 * Reads a batch as {@link readRuns} does, handing on each message's frames
 * (views of the batch's data).
 *
 * @example
 * ```ts
 * import { BatchWriter, readBatch } from "./message_batch.ts";
 * const writer = new BatchWriter();
 * writer.message(["hi"]);
 * readBatch(writer.take(), -1, { message: (frames) => console.log(frames.length), command() {} });
 * ```
 */
export function readBatch(batch: MessageBatch, maxMessageSize: number, to: BatchHandler): void {
  readRuns(batch, maxMessageSize, {
    accepts: ACCEPT_ALL,
    run: (run) => {
      while (run.count > 0) to.message(run.next());
    },
    command: (body) => to.command(body),
  });
}
