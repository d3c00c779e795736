/**
 * ZMTP frame encoding (RFC 23 §"Framing"): flags byte (MORE, LONG, COMMAND),
 * a 1- or 8-byte size, then the body. {@link FrameWriter} appends whole
 * messages into one growing buffer so the engine can hand many small
 * messages to the kernel in a single write.
 *
 * @module
 */
import { encodeCommand } from "./command.ts";

/** Flag bit: more frames of this message follow. */
export const FLAG_MORE = 0x01;
/** Flag bit: the size field is 8 bytes (body over 255 bytes). */
export const FLAG_LONG = 0x02;
/** Flag bit: this frame is a command, not message data. */
export const FLAG_COMMAND = 0x04;

/**
 * One frame to send: bytes, or a string sent as UTF-8.
 *
 * @example
 * ```ts
 * import type { FrameData } from "./frame.ts";
 * const frames: FrameData[] = ["topic", new Uint8Array([1, 2, 3])];
 * ```
 */
export type FrameData = Uint8Array | string;

const encoder = new TextEncoder();
/** The smallest buffer allocated: a greeting, a READY or a few small messages. */
const MIN_CAPACITY = 256;
/** A buffer grown past this (for a huge message) is not kept for reuse. */
const RETAIN_LIMIT = 1024 * 1024;
const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
/** Frames up to this many bytes are copied in a loop rather than by `set`. */
const SMALL_COPY = 32;

/**
 * An append-only output buffer of encoded frames, double-buffered so one
 * buffer can be written to the transport while the next fills. Buffers are
 * allocated when first needed and grow with the traffic; {@link shrink}
 * gives big ones back once the writer is idle, so a quiet connection holds
 * almost nothing.
 *
 * @example
 * ```ts
 * import { FrameWriter } from "./frame.ts";
 * const writer = new FrameWriter();
 * writer.writeMessage(["hello", new Uint8Array(300)]);
 * const bytes = writer.take(); // 2+5 + 9+300 bytes
 * writer.recycle(bytes);
 * ```
 */
export class FrameWriter {
  /** What {@link shrink} leaves in place, per buffer: enough for request/reply traffic. */
  static readonly IDLE_CAPACITY: number = 4 * 1024;

  #buf: Uint8Array<ArrayBuffer> = EMPTY;
  #len = 0;
  #spare: Uint8Array<ArrayBuffer> | null = null;
  /** The whole buffer the last {@link take} handed a view of, until it is recycled. */
  #taken: Uint8Array<ArrayBuffer> | null = null;
  /** That view. */
  #takenView: Uint8Array | null = null;
  /** The last view taken of each of the two buffers (see take), and the buffer it views. */
  #viewA: Uint8Array | null = null;
  #viewAOf: Uint8Array | null = null;
  #viewB: Uint8Array | null = null;
  #viewBOf: Uint8Array | null = null;

  /** Bytes waiting to be taken. */
  get length(): number {
    return this.#len;
  }

  /** Appends raw bytes (used for the greeting). */
  writeRaw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** Appends every frame of a message, setting MORE on all but the last. */
  writeMessage(frames: readonly FrameData[]): void {
    const last = frames.length - 1;
    for (let i = 0; i <= last; i++) this.writeFrame(frames[i], i < last ? FLAG_MORE : 0);
  }

  /** Appends a command frame. */
  writeCommand(name: string, data: Uint8Array): void {
    this.writeFrame(encodeCommand(name, data), FLAG_COMMAND);
  }

  /** Appends one frame with the given MORE/COMMAND flags; LONG is chosen here. */
  writeFrame(body: FrameData, flags: number): void {
    if (typeof body === "string") {
      // Short ASCII-ish strings are encoded straight into the buffer: the
      // common case for topics and small payloads, and it saves an allocation.
      if (body.length <= 85) {
        this.#ensure(2 + body.length * 3);
        const buf = this.#buf;
        const at = this.#len;
        buf[at] = flags;
        // ASCII (an envelope's empty delimiter, most topics) is copied byte by byte: cheaper
        // than a call out to the encoder for a few bytes.
        let i = 0;
        for (; i < body.length; i++) {
          const code = body.charCodeAt(i);
          if (code >= 0x80) break;
          buf[at + 2 + i] = code;
        }
        const written = i === body.length
          ? i
          : encoder.encodeInto(body, buf.subarray(at + 2)).written;
        buf[at + 1] = written;
        this.#len = at + 2 + written;
        return;
      }
      body = encoder.encode(body);
    }
    const size = body.length;
    if (size <= 255) {
      this.#ensure(2 + size);
      const buf = this.#buf;
      const at = this.#len;
      buf[at] = flags;
      buf[at + 1] = size;
      // A small frame is copied byte by byte: cheaper than a call to set() for a few dozen bytes.
      if (size <= SMALL_COPY) { for (let i = 0; i < size; i++) buf[at + 2 + i] = body[i]; }
      else buf.set(body, at + 2);
      this.#len = at + 2 + size;
    } else {
      this.#ensure(9 + size);
      const buf = this.#buf;
      const at = this.#len;
      buf[at] = flags | FLAG_LONG;
      const high = Math.floor(size / 0x100000000);
      const low = size >>> 0;
      buf[at + 1] = 0;
      buf[at + 2] = 0;
      buf[at + 3] = (high >>> 8) & 0xff;
      buf[at + 4] = high & 0xff;
      buf[at + 5] = low >>> 24;
      buf[at + 6] = (low >>> 16) & 0xff;
      buf[at + 7] = (low >>> 8) & 0xff;
      buf[at + 8] = low & 0xff;
      buf.set(body, at + 9);
      this.#len = at + 9 + size;
    }
  }

  /**
   * Hands over everything appended so far and starts a fresh buffer. The
   * caller gives the bytes back with {@link recycle} once they are written.
   */
  take(): Uint8Array {
    const buf = this.#buf;
    // Request/reply traffic takes the same few bytes of the same two buffers again and
    // again: the view of the last take from each buffer is reused when its length is the
    // same (a view per write cost as much as encoding the message).
    let out: Uint8Array;
    if (this.#viewAOf === buf) {
      out = this.#viewA!.length === this.#len
        ? this.#viewA!
        : (this.#viewA = buf.subarray(0, this.#len));
    } else if (this.#viewBOf === buf) {
      out = this.#viewB!.length === this.#len
        ? this.#viewB!
        : (this.#viewB = buf.subarray(0, this.#len));
    } else {
      out = buf.subarray(0, this.#len);
      this.#viewB = this.#viewA;
      this.#viewBOf = this.#viewAOf;
      this.#viewA = out;
      this.#viewAOf = buf;
    }
    this.#taken = buf;
    this.#takenView = out;
    this.#buf = this.#spare ?? EMPTY;
    this.#spare = null;
    this.#len = 0;
    return out;
  }

  /** Returns a buffer from {@link take} for reuse. */
  recycle(bytes: Uint8Array): void {
    // The last take's whole buffer is at hand: no new view of it per write (a round trip
    // writes once per side). One that a transfer detached reads as empty.
    const taken = bytes === this.#takenView ? this.#taken! : null;
    this.#taken = this.#takenView = null;
    if (taken !== null) {
      if (taken.length > 0 && taken.length <= RETAIN_LIMIT) this.#spare = taken;
    } else if (bytes.buffer.byteLength > 0 && bytes.buffer.byteLength <= RETAIN_LIMIT) {
      this.#spare = new Uint8Array(bytes.buffer as ArrayBuffer);
    }
  }

  /**
   * The connection went quiet (everything taken was written): drops
   * buffers over a few KiB, which a burst grew and an idle peer need not
   * keep. Small ones stay, so request/reply traffic allocates nothing.
   */
  shrink(): void {
    this.#forgetViews();
    if (this.#spare !== null && this.#spare.length > FrameWriter.IDLE_CAPACITY) this.#spare = null;
    if (this.#len === 0 && this.#buf.length > FrameWriter.IDLE_CAPACITY) this.#buf = EMPTY;
  }

  /** Drops everything, buffers included (the connection is gone). */
  release(): void {
    this.#buf = EMPTY;
    this.#spare = null;
    this.#taken = this.#takenView = null;
    this.#forgetViews();
    this.#len = 0;
  }

  /** Drops the views take() keeps, so a buffer let go is not held by its view. */
  #forgetViews(): void {
    this.#viewA =
      this.#viewAOf =
      this.#viewB =
      this.#viewBOf =
        null;
  }

  /** Bytes of buffer memory held (for measurements). */
  get capacity(): number {
    return this.#buf.length + (this.#spare?.length ?? 0);
  }

  #ensure(extra: number): void {
    const needed = this.#len + extra;
    if (needed <= this.#buf.length) return;
    let capacity = Math.max(MIN_CAPACITY, this.#buf.length * 2);
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }
}

/**
 * Encodes one message as bytes (a convenience for tests and tools).
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./frame.ts";
 * encodeMessage(["a", ""]); // [1,1,97, 0,0]
 * ```
 */
export function encodeMessage(frames: readonly FrameData[]): Uint8Array {
  const writer = new FrameWriter();
  writer.writeMessage(frames);
  return writer.take().slice();
}
