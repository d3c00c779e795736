/**
 * A byte stream over a `MessagePort`: how inproc connections cross from one
 * Web Worker to another (the robot supervisor hands each end of a
 * `MessageChannel` to one Worker). Written bytes travel as transferred
 * ArrayBuffers; the reader returns credit as it consumes, and a writer
 * waits while a window's worth is unread — the same back-pressure a kernel
 * socket gives, so the ZMTP engine's high-water marks work as over tcp.
 * Past the handshake the engine sends whole messages instead
 * ({@link MessageBatch}: no ZMTP framing), in order with the bytes and
 * under the same window.
 *
 * @example
 * ```ts
 * import { PortStream } from "./port_stream.ts";
 * const { port1, port2 } = new MessageChannel();
 * const a = new PortStream(port1);
 * const b = new PortStream(port2);
 * await a.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(16);
 * console.log(await b.read(buf)); // 2
 * a.close(); b.close();
 * ```
 * @module
 */
import type { MessageBatch, MessageStream } from "./stream.ts";

/** Bytes a writer may have in flight before it waits for the reader's credit. */
const WINDOW = 1024 * 1024;
/**
 * The reader returns credit once this much is consumed: a quarter of the
 * window, so a writer that keeps up never waits, and a credit message
 * (a post and its event, tens of microseconds in Deno) is rare: at 64 KiB
 * they were 6 % of a busy subscriber's time.
 */
const ACK_EVERY = WINDOW / 4;

/** Batches of this many bytes and more are transferred, smaller ones copied. */
const TRANSFER_FROM = 16 * 1024;

type Control = { ack: number } | { close: true };

/** Whether what the peer's isolate posted is credit (its amount is checked where it is used). */
function isCredit(data: unknown): data is { ack: unknown } {
  return typeof data === "object" && data !== null && "ack" in data;
}

/** Whether what the peer's isolate posted says it closed. */
function isClose(data: unknown): data is { close: true } {
  return typeof data === "object" && data !== null && (data as { close?: unknown }).close === true;
}

/** What a post that is not this protocol's was, for the reason the link closes. */
function describePost(data: unknown): string {
  if (data === null) return "null";
  if (typeof data !== "object") return `a ${typeof data}`;
  return `an object (${Object.prototype.toString.call(data).slice(8, -1)})`;
}

/** Whether what the peer's isolate posted is a batch (it may post anything). */
function isBatch(data: unknown): data is MessageBatch {
  const batch = data as Partial<MessageBatch> | null;
  return batch?.data instanceof Uint8Array && batch.sizes instanceof Uint32Array;
}

/**
 * One end of an inproc connection between two isolates (see the module documentation).
 *
 * @example
 * ```ts
 * import { PortStream } from "./port_stream.ts";
 * const { port1 } = new MessageChannel();
 * const stream = new PortStream(port1);
 * stream.close();
 * ```
 */
export class PortStream implements MessageStream {
  readonly #port: MessagePort;
  /** What arrived and is not read yet: byte chunks and batches, in order. */
  readonly #chunks: (Uint8Array | MessageBatch)[] = [];
  #head = 0;
  #unacked = 0;
  #consumed = 0;
  /** Bytes that arrived and were not credited back yet (read or not): what the window bounds. */
  #uncredited = 0;
  #closed = false;
  #peerClosed = false;
  /** Why the peer was cut off for breaking this protocol; reads and writes fail with it. */
  #broken: Error | null = null;
  #readers: (() => void)[] = [];
  #writers: (() => void)[] = [];

  /** Takes over `port` (its messages are this stream's from now on). */
  constructor(port: MessagePort) {
    this.#port = port;
    port.onmessage = (event: MessageEvent<unknown>) => {
      // The peer's isolate may post anything: what is not this protocol's closes the link here,
      // where a throw would end this whole isolate (an uncaught error in an event handler).
      const data = event.data;
      if (data instanceof ArrayBuffer) {
        if (this.#closed || !this.#withinWindow(data.byteLength)) return;
        this.#chunks.push(new Uint8Array(data));
        this.#wake("read");
      } else if (isBatch(data)) {
        if (this.#closed) return;
        // Its frames are handed on as views of it, read after its sizes were checked: memory the
        // sender can still write to would let it change both afterwards.
        if (
          !(data.data.buffer instanceof ArrayBuffer && data.sizes.buffer instanceof ArrayBuffer)
        ) {
          this.#refuse("it posted a batch over shared memory, which it could rewrite once checked");
          return;
        }
        if (!this.#withinWindow(data.data.byteLength + data.sizes.byteLength)) return;
        this.#chunks.push(data);
        this.#wake("read");
      } else if (isCredit(data)) {
        // The reader credits only bytes it read, so an honest credit never exceeds what is in
        // flight: more (or NaN, or less than nothing) would open this writer's window for good.
        const ack = data.ack;
        if (typeof ack !== "number" || !Number.isInteger(ack) || ack <= 0 || ack > this.#unacked) {
          this.#refuse(`credit of ${String(ack)} bytes with ${this.#unacked} in flight`);
          return;
        }
        this.#unacked -= ack;
        this.#wake("write");
      } else if (isClose(data)) {
        this.peerClosed();
      } else {
        this.#refuse(`it posted ${describePost(data)}, not bytes, a batch or a control message`);
      }
    };
  }

  /** True once either side closed. */
  get closed(): boolean {
    return this.#closed || this.#peerClosed;
  }

  /**
   * The other side is gone: reads drain what arrived, then end; writes fail.
   * Called on the peer's close message, and by whoever learns that the
   * peer's isolate died (a terminated Worker sends nothing).
   */
  peerClosed(): void {
    if (this.#peerClosed) return;
    this.#peerClosed = true;
    this.#wake("read");
    this.#wake("write");
  }

  #wake(which: "read" | "write"): void {
    const list = which === "read" ? this.#readers : this.#writers;
    if (list.length === 0) return;
    if (which === "read") this.#readers = [];
    else this.#writers = [];
    for (const wake of list) wake();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    const got = await this.readSome(buffer);
    if (got !== null && typeof got !== "number") {
      throw new Deno.errors.InvalidData("a message batch where bytes were read");
    }
    return got;
  }

  async readSome(buffer: Uint8Array): Promise<number | MessageBatch | null> {
    while (this.#chunks.length === 0) {
      if (this.#broken !== null) throw this.#broken;
      if (this.#closed || this.#peerClosed) return null;
      await new Promise<void>((resolve) => this.#readers.push(resolve));
    }
    const first = this.#chunks[0];
    if (!(first instanceof Uint8Array)) {
      this.#chunks.shift();
      this.#credit(first.data.byteLength + first.sizes.byteLength);
      return first;
    }
    let copied = 0;
    while (copied < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      // Bytes stop at a batch: it is the next read's.
      if (!(chunk instanceof Uint8Array)) break;
      const take = Math.min(chunk.length - this.#head, buffer.length - copied);
      buffer.set(chunk.subarray(this.#head, this.#head + take), copied);
      copied += take;
      this.#head += take;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#credit(copied);
    return copied;
  }

  /**
   * Counts `size` bytes arriving; false (and the link closed) when the peer
   * sent them with a window's worth uncredited. An honest writer posts only
   * while less than a window is unacknowledged on its side, which is never
   * less than what is uncredited here (credit reaches it after it leaves
   * here), so past that the peer ignores the window and would have this
   * side hold whatever it posts while the reader waits.
   */
  #withinWindow(size: number): boolean {
    if (this.#uncredited >= WINDOW) {
      this.#refuse(`it sent past the ${WINDOW}-byte window (${this.#uncredited} bytes uncredited)`);
      return false;
    }
    this.#uncredited += size;
    return true;
  }

  #credit(consumed: number): void {
    this.#consumed += consumed;
    // Credit goes back in steps, not per read: a request/reply exchange then costs
    // one message each way, not two.
    if (this.#consumed >= ACK_EVERY && !this.#peerClosed) {
      this.#post({ ack: this.#consumed });
      this.#uncredited -= this.#consumed;
      this.#consumed = 0;
    }
  }

  async write(data: Uint8Array): Promise<number> {
    if (this.#closed || this.#peerClosed) throw this.#gone();
    // A copy, transferred: the writer reuses its buffer once this resolves.
    const copy = data.slice();
    this.#port.postMessage(copy.buffer, [copy.buffer]);
    await this.#sent(data.length);
    return data.length;
  }

  async writeMessages(batch: MessageBatch): Promise<void> {
    if (this.#closed || this.#peerClosed) throw this.#gone();
    const size = batch.data.byteLength + batch.sizes.byteLength;
    // A small batch is cheaper to copy than to transfer (a transfer detaches two buffers on
    // this side and adopts them on the other): request/reply traffic is all small batches.
    // (A copy takes a view's whole buffer: the buffers' sizes decide.)
    if (batch.data.buffer.byteLength + batch.sizes.buffer.byteLength < TRANSFER_FROM) {
      this.#port.postMessage(batch);
    } else this.#port.postMessage(batch, [batch.data.buffer, batch.sizes.buffer]);
    await this.#sent(size);
  }

  /** Counts `size` bytes in flight; waits while a window's worth is unacknowledged. */
  async #sent(size: number): Promise<void> {
    this.#unacked += size;
    while (this.#unacked >= WINDOW && !this.#closed && !this.#peerClosed) {
      await new Promise<void>((resolve) => this.#writers.push(resolve));
    }
    if (this.#closed || this.#peerClosed) throw this.#gone();
  }

  /** Why writing is over: the peer broke the protocol, or either side closed. */
  #gone(): Error {
    return this.#broken ?? new Deno.errors.BrokenPipe("inproc peer closed");
  }

  /**
   * The peer posted what this protocol does not allow: the link closes (the
   * peer is told, as on any close), and the reads and writes pending or to
   * come fail with `reason`, which the connection reports.
   */
  #refuse(reason: string): void {
    if (this.#closed) return;
    this.#broken = new Deno.errors.InvalidData(`inproc peer broke the stream protocol: ${reason}`);
    this.close();
  }

  #post(message: Control): void {
    try {
      this.#port.postMessage(message);
    } catch {
      // The port is closed: nothing to tell.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#peerClosed) this.#post({ close: true });
    this.#port.close();
    this.#chunks.length = 0;
    this.#wake("read");
    this.#wake("write");
  }
}
