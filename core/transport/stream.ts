/**
 * The byte-stream interface every transport provides: what the ZMTP engine
 * reads from and writes to. `Deno.Conn` already has this shape; inproc
 * provides its own in-memory implementation.
 *
 * @module
 */

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
