/**
 * Fixed-layout binary fields for the pipeline's per-item frames (work,
 * credit, results, ack): a growing writer and a bounds-checked reader,
 * little-endian. The layouts themselves live in `codec.ts`; this module only
 * knows how to put numbers, strings and byte blobs one after another.
 *
 * A fixed header per item costs a few stores where a msgpack object costs an
 * allocation and a type dispatch per field — at a million items a second the
 * difference is most of the distributor's CPU.
 *
 * @example
 * ```ts
 * import { ByteReader, ByteWriter } from "./frame_bytes.ts";
 * const w = new ByteWriter();
 * w.u8(1);
 * w.str("tiles");
 * w.f64(7);
 * const r = new ByteReader(w.finish(), "demo");
 * console.log(r.u8(), r.str(), r.f64()); // 1 "tiles" 7
 * r.end();
 * ```
 * @module
 */

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Appends fields to a buffer that grows by doubling.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./frame_bytes.ts";
 * const w = new ByteWriter();
 * w.u32(42);
 * console.log(w.finish().length); // 4
 * ```
 */
export class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #at = 0;

  /** Starts with `capacity` bytes (it grows as needed). */
  constructor(capacity = 256) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#at + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  /** One byte. */
  u8(v: number): void {
    this.#room(1);
    this.#bytes[this.#at++] = v;
  }

  /** Two bytes. */
  u16(v: number): void {
    this.#room(2);
    this.#view.setUint16(this.#at, v, true);
    this.#at += 2;
  }

  /** Four bytes. */
  u32(v: number): void {
    this.#room(4);
    this.#view.setUint32(this.#at, v, true);
    this.#at += 4;
  }

  /** Eight bytes: any safe integer (item indexes). */
  f64(v: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#at, v, true);
    this.#at += 8;
  }

  /** A string: u32 byte length, then UTF-8. */
  str(s: string): void {
    this.#room(4 + s.length * 3);
    const { written } = utf8.encodeInto(s, this.#bytes.subarray(this.#at + 4));
    this.#view.setUint32(this.#at, written, true);
    this.#at += 4 + written;
  }

  /** A byte blob: u32 length, then the bytes. */
  blob(b: Uint8Array): void {
    this.#room(4 + b.length);
    this.#view.setUint32(this.#at, b.length, true);
    this.#bytes.set(b, this.#at + 4);
    this.#at += 4 + b.length;
  }

  /** Bytes as they are, no length (a frame's body after its header). */
  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.#bytes.set(b, this.#at);
    this.#at += b.length;
  }

  /** Overwrites four bytes already written at `at` (a count known only later). */
  setU32(at: number, v: number): void {
    this.#view.setUint32(at, v, true);
  }

  /** Starts over, keeping the buffer (a scratch writer reused frame after frame). */
  reset(): void {
    this.#at = 0;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#at;
  }

  /** The bytes written (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#at);
  }
}

/**
 * Reads fields written by {@link ByteWriter}; running past the end throws
 * `onError`'s error naming the frame.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./frame_bytes.ts";
 * const r = new ByteReader(new Uint8Array([7]), "demo");
 * console.log(r.u8()); // 7
 * ```
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  readonly #onError: (message: string) => Error;
  #at = 0;

  /** Reads `bytes`; `what` names the frame in errors, made by `onError` (default `Error`). */
  constructor(
    bytes: Uint8Array,
    what: string,
    onError: (message: string) => Error = (m) => new Error(m),
  ) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
    this.#onError = onError;
  }

  #need(n: number): number {
    const at = this.#at;
    if (at + n > this.#bytes.length) {
      throw this.#onError(`${this.#what}: frame ends inside a field at byte ${at}`);
    }
    this.#at = at + n;
    return at;
  }

  /** One byte. */
  u8(): number {
    return this.#bytes[this.#need(1)];
  }

  /** Two bytes. */
  u16(): number {
    return this.#view.getUint16(this.#need(2), true);
  }

  /** Four bytes. */
  u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }

  /** A non-negative safe integer written by `f64`. */
  index(): number {
    const v = this.#view.getFloat64(this.#need(8), true);
    if (!Number.isSafeInteger(v) || v < 0) {
      throw this.#onError(`${this.#what}: expected a non-negative integer`);
    }
    return v;
  }

  /** A string written by `str`. */
  str(): string {
    const length = this.u32();
    const at = this.#need(length);
    try {
      return fromUtf8.decode(this.#bytes.subarray(at, at + length));
    } catch {
      throw this.#onError(`${this.#what}: a string is not UTF-8`);
    }
  }

  /** A blob written by `blob` (a view into the frame). */
  blob(): Uint8Array {
    const length = this.u32();
    const at = this.#need(length);
    return this.#bytes.subarray(at, at + length);
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.#at !== this.#bytes.length) {
      throw this.#onError(
        `${this.#what}: ${this.#bytes.length - this.#at} bytes left over after the last field`,
      );
    }
  }
}
