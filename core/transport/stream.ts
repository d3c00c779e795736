/**
 * The byte-stream interface every transport provides: what the ZMTP engine
 * reads from and writes to. `Deno.Conn` already has this shape; inproc
 * provides its own in-memory implementation.
 *
 * @module
 */

/**
 * Whole messages moved at once between two zedge ends of one process (an
 * inproc connection between Workers, see port_stream.ts): every frame's
 * bytes back to back in `data`, and in `sizes`, per message, its frame
 * count then each frame's length — or, for a command (SUBSCRIBE, PING…),
 * 0 then the length of its body (name length, name, data). No ZMTP framing
 * to encode or parse, and the receiver's frames are views of `data`, not copies.
 *
 * @example
 * ```ts
 * import type { MessageBatch } from "./stream.ts";
 * const batch: MessageBatch = { data: new Uint8Array([104, 105]), sizes: new Uint32Array([1, 2]) };
 * ```
 */
export interface MessageBatch {
  /** The frames' bytes, in order. */
  data: Uint8Array<ArrayBuffer>;
  /** Per message: its frame count, then each frame's length; a command: 0, then its body's length. */
  sizes: Uint32Array<ArrayBuffer>;
}

/**
 * A byte stream that can also carry {@link MessageBatch}es, in order with
 * its bytes, under the same flow control.
 *
 * @example
 * ```ts
 * import { isMessageStream } from "./stream.ts";
 * import { PortStream } from "./port_stream.ts";
 * const { port1 } = new MessageChannel();
 * isMessageStream(new PortStream(port1)); // true
 * ```
 */
export interface MessageStream extends ByteStream {
  /** Sends `batch` after everything written before; its buffers may be transferred (let them go). */
  writeMessages(batch: MessageBatch): Promise<void>;
  /** Reads bytes into `buffer` (the count), or the batch that comes next; null at end of stream. */
  readSome(buffer: Uint8Array): Promise<number | MessageBatch | null>;
}

/**
 * True when `stream` can carry message batches.
 *
 * @example
 * ```ts
 * import { isMessageStream } from "./stream.ts";
 * isMessageStream({ read: async () => null, write: async () => 0, close() {} }); // false
 * ```
 */
export function isMessageStream(stream: ByteStream): stream is MessageStream {
  return typeof (stream as Partial<MessageStream>).writeMessages === "function";
}

/**
 * A connected, ordered, reliable byte stream.
 *
 * @example
 * ```ts
 * import type { ByteStream } from "./stream.ts";
 * async function echoOnce(s: ByteStream) {
 *   const buf = new Uint8Array(1024);
 *   const n = await s.read(buf);
 *   if (n !== null) await s.write(buf.subarray(0, n));
 * }
 * ```
 */
export interface ByteStream {
  /** Reads into `buffer`; resolves the count, or null at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some prefix of `data`; resolves how many bytes were taken. */
  write(data: Uint8Array): Promise<number>;
  /** Closes both directions; pending reads resolve null or reject. */
  close(): void;
}

/**
 * A bound endpoint that yields incoming streams.
 *
 * @example
 * ```ts
 * import type { StreamListener } from "./stream.ts";
 * async function acceptOne(l: StreamListener) {
 *   const { stream, peer } = await l.accept();
 *   console.log("accepted", peer);
 *   stream.close();
 * }
 * ```
 */
export interface StreamListener {
  /** The endpoint actually bound, with a random port resolved. */
  readonly endpoint: string;
  /** Waits for the next connection; rejects once closed. */
  accept(): Promise<{ stream: ByteStream; peer: string }>;
  /** Stops listening (and removes an ipc socket file). */
  close(): void;
}

/**
 * Writes all of `data`, looping over partial writes.
 *
 * @example
 * ```ts
 * import { writeAll, type ByteStream } from "./stream.ts";
 * async function send(s: ByteStream) {
 *   await writeAll(s, new TextEncoder().encode("hello"));
 * }
 * ```
 */
export async function writeAll(stream: ByteStream, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await stream.write(at === 0 ? data : data.subarray(at));
}
