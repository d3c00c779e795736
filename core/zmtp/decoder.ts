/**
 * The incremental ZMTP decoder: feed it bytes in any chunking and it reports
 * the greeting, then whole messages and commands. Pure: no I/O, no awaits,
 * so it can be fuzzed directly. Every refusal is a {@link ZmtpError}.
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import { ZmtpError } from "./errors.ts";
import { type Command, decodeCommand } from "./command.ts";
import { checkGreetingPrefix, type Greeting, GREETING_LENGTH, parseGreeting } from "./greeting.ts";
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE } from "./frame.ts";

/**
 * Receives what the decoder finds, in wire order.
 *
 * @example
 * ```ts
 * import type { DecoderHandler } from "./decoder.ts";
 * const handler: DecoderHandler = {
 *   greeting: (g) => console.log("peer speaks", g.major, g.minor),
 *   message: (frames) => console.log(frames.length, "frames"),
 *   command: (cmd) => console.log("command", cmd.name),
 * };
 * ```
 */
export interface DecoderHandler {
  /** The peer's greeting was decoded. */
  greeting(greeting: Greeting): void;
  /** A complete message (all its frames) was decoded. */
  message(frames: Uint8Array[]): void;
  /** A command was decoded. */
  command(command: Command): void;
}

/**
 * Limits applied while decoding.
 *
 * @example
 * ```ts
 * import type { DecoderOptions } from "./decoder.ts";
 * const options: DecoderOptions = { maxMessageSize: 1 << 20 };
 * ```
 */
export interface DecoderOptions {
  /** Largest accepted message (sum of its frames), in bytes; -1 for no limit beyond {@link MAX_FRAME_SIZE}. */
  maxMessageSize?: number;
  /**
   * Largest accepted command frame, in bytes; default {@link MAX_COMMAND_SIZE}.
   * Independent of maxMessageSize: a small message limit must not break the
   * handshake, and a large one must not let a peer park huge commands.
   */
  maxCommandSize?: number;
  /**
   * Start in the handshake phase: until {@link Decoder.startTraffic}, every
   * frame is held to maxCommandSize and a message frame is refused from its
   * header, so nothing big is buffered for a peer that has not said READY.
   */
  handshake?: boolean;
}

/** Largest single frame the decoder will ever accept, whatever the options say. */
export const MAX_FRAME_SIZE = 2 ** 31 - 1;
/**
 * Default cap on a command frame. The largest commands ZMTP defines (READY
 * or INITIATE with metadata, CURVE's boxes, an ERROR reason, a SUBSCRIBE
 * prefix) are a few hundred bytes; 16 KiB leaves room for application
 * metadata and long subscription prefixes without letting a peer park much.
 */
export const MAX_COMMAND_SIZE = 16 * 1024;
/**
 * Most frames one multipart message may have. Empty frames weigh nothing
 * against maxMessageSize, so this is what bounds memory against a peer that
 * sends endless empty MORE frames.
 */
export const MAX_FRAMES_PER_MESSAGE = 1 << 16;

/** Chunks up to this many bytes are copied into a shared slab rather than a buffer each. */
const SLAB_CHUNK_MAX = 256;
/** The slab's size: a frame held by the application keeps at most this much alive. */
const SLAB_SIZE = 2048;

const enum State {
  Greeting,
  Header,
  Body,
  Failed,
}

/**
 * Incremental decoder for one ZMTP connection.
 *
 * @example
 * ```ts
 * import { Decoder } from "./decoder.ts";
 * import { encodeGreeting } from "./greeting.ts";
 * import { encodeMessage } from "./frame.ts";
 * const seen: Uint8Array[][] = [];
 * const decoder = new Decoder({ greeting() {}, command() {}, message: (m) => seen.push(m) });
 * decoder.feed(encodeGreeting());
 * decoder.feed(encodeMessage(["hi"]));
 * seen.length; // 1
 * ```
 */
export class Decoder {
  readonly #handler: DecoderHandler;
  #maxMessageSize: number;
  #maxCommandSize: number;
  /** True until startTraffic(): message frames are refused at their header. */
  #handshaking: boolean;
  #state = State.Greeting;
  /** Bytes of an incomplete greeting or frame header carried to the next chunk. */
  #pending: Uint8Array | null = null;
  /** Body of a frame that spans chunks, as copied pieces. */
  #bodyParts: Uint8Array[] = [];
  #bodyRemaining = 0;
  #bodyFlags = 0;
  /** A multipart message's frames so far, once it has two (until then: #first). */
  #frames: Uint8Array[] = [];
  /** A multipart message's first frame while it is the only one (then #frames is empty). */
  #first: Uint8Array | null = null;
  #messageSize = 0;
  /** Where small chunks are copied once traffic flows (see #toSlab), and how much of it is used. */
  #slab: Uint8Array | null = null;
  /** The slab's buffer, read once per slab (the getter costs about as much as a view). */
  #slabBuffer: ArrayBufferLike | null = null;
  #slabUsed = 0;

  /** Creates a decoder that reports what it decodes to `handler`. */
  constructor(handler: DecoderHandler, options: DecoderOptions = {}) {
    this.#handler = handler;
    const max = options.maxMessageSize ?? -1;
    this.#maxMessageSize = max < 0 ? MAX_FRAME_SIZE : Math.min(max, MAX_FRAME_SIZE);
    this.#maxCommandSize = Math.min(options.maxCommandSize ?? MAX_COMMAND_SIZE, MAX_FRAME_SIZE);
    this.#handshaking = options.handshake ?? false;
  }

  /**
   * Ends the handshake phase: message frames are accepted from now on, held
   * to maxMessageSize. A mechanism that boxes frames (CURVE's MESSAGE)
   * raises that limit here by what a box adds, or the command cap if it
   * carries messages in commands.
   */
  startTraffic(options: { maxCommandSize?: number; maxMessageSize?: number } = {}): void {
    this.#handshaking = false;
    if (options.maxCommandSize !== undefined) {
      this.#maxCommandSize = Math.min(options.maxCommandSize, MAX_FRAME_SIZE);
    }
    if (options.maxMessageSize !== undefined) {
      this.#maxMessageSize = Math.min(options.maxMessageSize, MAX_FRAME_SIZE);
    }
  }

  /** Bytes held for incomplete frames and messages (what a peer has parked here). */
  get buffered(): number {
    let size = this.#pending?.length ?? 0;
    for (const part of this.#bodyParts) size += part.length;
    for (const frame of this.#frames) size += frame.length;
    size += this.#first?.length ?? 0;
    return size;
  }

  /**
   * Drops every partial frame and message, so a connection that is gone
   * holds nothing its peer sent; the decoder refuses further input.
   */
  release(): void {
    this.#state = State.Failed;
    this.#pending = null;
    this.#bodyParts = [];
    this.#frames = [];
    this.#first = null;
    this.#messageSize = 0;
    this.#slab = null;
    this.#slabBuffer = null;
  }

  /**
   * Decodes a chunk: `chunk[start..end)` (all of it by default). The chunk may
   * be reused by the caller afterwards: frames handed to the handler never
   * share memory with it. Throws {@link ZmtpError} on bad input, after which
   * the decoder refuses further input.
   */
  feed(chunk: Uint8Array, start = 0, end: number = chunk.length): void {
    if (this.#state === State.Failed) {
      throw new ZmtpError("protocol", "decoder already failed on this connection");
    }
    try {
      this.#feed(chunk, start, end);
    } catch (error) {
      this.#state = State.Failed;
      throw error;
    }
  }

  #feed(chunk: Uint8Array, start: number, end: number): void {
    // One copy per chunk, then frames are views into it: a copy per frame
    // costs more than the rest of decoding put together for small messages.
    // A held frame keeps its chunk (one read's bytes) alive, as libzmq's
    // shared receive buffers do. The bytes are decoded where they were copied
    // to (`data[at..stop)`), with no view of the chunk or of the copy: a view
    // costs about as much as decoding a small frame, and request/reply traffic
    // decodes one small message per read.
    let data: Uint8Array;
    let at: number;
    let stop: number;
    const length = end - start;
    if (this.#pending !== null) {
      const pending = this.#pending;
      data = new Uint8Array(pending.length + length);
      data.set(pending);
      data.set(chunk.subarray(start, end), pending.length);
      this.#pending = null;
      at = 0;
      stop = data.length;
    } else if (length <= SLAB_CHUNK_MAX && !this.#handshaking) {
      data = this.#toSlab(chunk, start, length);
      at = this.#slabUsed - length;
      stop = this.#slabUsed;
    } else {
      data = chunk.slice(start, end);
      at = 0;
      stop = length;
    }
    // Frames are made as views of `data`'s buffer (the constructor costs about half what
    // `subarray` does); the slab's buffer and offset are read once per slab, not per frame.
    const buffer = data === this.#slab ? this.#slabBuffer! : data.buffer;
    const base = data === this.#slab ? 0 : data.byteOffset;
    if (this.#state === State.Greeting) {
      checkGreetingPrefix(data.subarray(at, Math.min(stop, at + GREETING_LENGTH)));
      if (stop - at < GREETING_LENGTH) {
        this.#pending = data.subarray(at, stop);
        return;
      }
      this.#state = State.Header;
      this.#handler.greeting(parseGreeting(data.subarray(at, at + GREETING_LENGTH)));
      at += GREETING_LENGTH;
    }
    while (at < stop) {
      if (this.#state === State.Body) {
        const take = Math.min(this.#bodyRemaining, stop - at);
        this.#bodyParts.push(data.subarray(at, at + take));
        at += take;
        this.#bodyRemaining -= take;
        if (this.#bodyRemaining === 0) {
          this.#state = State.Header;
          this.#frame(this.#bodyFlags, concatBytes(this.#bodyParts));
          this.#bodyParts = [];
        }
        continue;
      }
      // Header: flags byte then a 1- or 8-byte size.
      const flags = data[at];
      if ((flags & 0xf8) !== 0) {
        throw new ZmtpError("bad-flags", `frame flags 0x${flags.toString(16)} set reserved bits`);
      }
      if ((flags & FLAG_COMMAND) !== 0 && (flags & FLAG_MORE) !== 0) {
        throw new ZmtpError("bad-flags", "command frame with the MORE flag set");
      }
      const headerSize = (flags & FLAG_LONG) !== 0 ? 9 : 2;
      if (stop - at < headerSize) {
        this.#pending = data.subarray(at, stop);
        return;
      }
      let size: number;
      if (headerSize === 2) {
        size = data[at + 1];
      } else {
        // Sizes of 2^31 and over are refused before any arithmetic, so the
        // remaining four bytes always fit a small integer exactly.
        if (
          data[at + 1] !== 0 || data[at + 2] !== 0 || data[at + 3] !== 0 || data[at + 4] !== 0 ||
          data[at + 5] > 0x7f
        ) {
          throw new ZmtpError("frame-too-large", "frame size field is 2^31 bytes or more");
        }
        size = data[at + 5] * 0x1000000 + (data[at + 6] << 16) + (data[at + 7] << 8) +
          data[at + 8];
      }
      if ((flags & FLAG_COMMAND) !== 0) {
        if (size > this.#maxCommandSize) {
          throw new ZmtpError(
            "frame-too-large",
            `command frame of ${size} bytes exceeds the command limit of ${this.#maxCommandSize}`,
          );
        }
      } else if (this.#handshaking) {
        throw new ZmtpError(
          "protocol",
          "message frame before READY: the handshake is not complete",
        );
      } else if (size > this.#maxMessageSize - this.#messageSize) {
        throw new ZmtpError(
          "frame-too-large",
          `frame of ${size} bytes exceeds the maximum message size of ${this.#maxMessageSize}`,
        );
      }
      at += headerSize;
      if (stop - at >= size) {
        const body = new Uint8Array(buffer, base + at, size);
        at += size;
        this.#frame(flags, body);
      } else {
        this.#state = State.Body;
        this.#bodyFlags = flags;
        this.#bodyRemaining = size;
      }
    }
  }

  /**
   * Copies `chunk[start..start+length)`, a small chunk, to the end of the
   * slab and returns the slab (the copy ends at {@link #slabUsed}):
   * request/reply traffic reads a few dozen bytes at a time, and a buffer of
   * its own per read cost an allocation outside the heap (V8 makes one for a
   * small array the moment a view of it is taken) and its sweeping later. A
   * held frame keeps its slab alive, at most {@link SLAB_SIZE} bytes. Copied
   * byte by byte: for a few dozen bytes cheaper than a view of the chunk and
   * a call to `set`.
   */
  #toSlab(chunk: Uint8Array, start: number, length: number): Uint8Array {
    let slab = this.#slab;
    if (slab === null || slab.length - this.#slabUsed < length) {
      slab = this.#slab = new Uint8Array(SLAB_SIZE);
      this.#slabBuffer = slab.buffer;
      this.#slabUsed = 0;
    }
    const to = this.#slabUsed;
    for (let i = 0; i < length; i++) slab[to + i] = chunk[start + i];
    this.#slabUsed = to + length;
    return slab;
  }

  #frame(flags: number, body: Uint8Array): void {
    if ((flags & FLAG_COMMAND) !== 0) {
      this.#handler.command(decodeCommand(body));
      return;
    }
    if ((flags & FLAG_MORE) === 0) {
      // A one-frame message (most of them) is handed over as an array of
      // exactly one, and a two-frame one (a request or reply behind its
      // delimiter) as an array of exactly two: no multipart accumulator grown
      // and replaced per message.
      const first = this.#first;
      if (first === null) {
        if (this.#frames.length === 0) {
          this.#handler.message([body]);
          return;
        }
      } else {
        this.#first = null;
        this.#messageSize = 0;
        this.#handler.message([first, body]);
        return;
      }
    } else if (this.#first === null && this.#frames.length === 0) {
      this.#first = body;
      this.#messageSize += body.length;
      return;
    } else if (this.#first !== null) {
      this.#frames.push(this.#first);
      this.#first = null;
    }
    this.#frames.push(body);
    this.#messageSize += body.length;
    if ((flags & FLAG_MORE) !== 0) {
      if (this.#frames.length >= MAX_FRAMES_PER_MESSAGE) {
        throw new ZmtpError(
          "too-many-frames",
          `message has more than ${MAX_FRAMES_PER_MESSAGE} frames`,
        );
      }
      return;
    }
    const frames = this.#frames;
    this.#frames = [];
    this.#messageSize = 0;
    this.#handler.message(frames);
  }
}
