/**
 * A byte stream over a `MessagePort`: how inproc connections cross from one
 * Web Worker to another (the robot supervisor hands each end of a
 * `MessageChannel` to one Worker). Written bytes travel as transferred
 * ArrayBuffers; the reader returns credit as it consumes, and a writer
 * waits while a window's worth is unread — the same back-pressure a kernel
 * socket gives, so the ZMTP engine's high-water marks work as over tcp.
 * Past the handshake the engine sends whole messages instead
 * ({@link MessageBatch}: no ZMTP framing), in order with the bytes and
 * under the same window, and counts them against the receive high-water
 * mark the peer announces until the peer says its socket took them.
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
/** The reader returns credit once this much is consumed (far below the window). */
const ACK_EVERY = 64 * 1024;

/** Batches of this many bytes and more are transferred, smaller ones copied. */
const TRANSFER_FROM = 16 * 1024;

type Control =
  | { ack: number }
  | { close: true }
  | { window: number }
  | { took: number }
  | { tookShared: SharedArrayBuffer };

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
  #closed = false;
  #peerClosed = false;
  /** Messages sent in batches and not taken by the peer's socket yet. */
  #messagesOut = 0;
  /** The messages the peer's socket holds for its reader, once it said (its receive HWM). */
  #peerWindow = Infinity;
  /** Messages this end's socket took and the peer has not been told of yet. */
  #taken = 0;
  /**
   * Messages taken, in memory both Workers share: the peer's count, which this end reads
   * (null until the peer shares it), and this end's own, which this end writes. Credit read
   * there is never late; a port message about it is only a wake-up for a waiting sender.
   */
  #peerTook: Int32Array | null = null;
  #tookShared: Int32Array | null = null;
  /** Told to the peer every this many taken; 0 while no window was announced. */
  #takenEvery = 0;
  onRoom: (() => void) | null = null;
  #readers: (() => void)[] = [];
  #writers: (() => void)[] = [];

  /** Takes over `port` (its messages are this stream's from now on). */
  constructor(port: MessagePort) {
    this.#port = port;
    port.onmessage = (event: MessageEvent<ArrayBuffer | MessageBatch | Control>) => {
      const data = event.data;
      if (data instanceof ArrayBuffer) {
        if (this.#closed) return;
        this.#chunks.push(new Uint8Array(data));
        this.#wake("read");
      } else if (isBatch(data)) {
        if (this.#closed) return;
        this.#chunks.push(data);
        this.#wake("read");
      } else if ("ack" in data) {
        this.#unacked -= data.ack;
        this.#wake("write");
      } else if ("took" in data) {
        if (typeof data.took !== "number") return;
        if (this.#peerTook === null) this.#messagesOut = Math.max(0, this.#messagesOut - data.took);
        this.onRoom?.();
      } else if ("tookShared" in data) {
        if (!(data.tookShared instanceof SharedArrayBuffer) || data.tookShared.byteLength < 4) {
          return;
        }
        // From here on the shared count is the credit: what the port said so far is in it too.
        this.#peerTook = new Int32Array(data.tookShared, 0, 1);
        this.onRoom?.();
      } else if ("window" in data) {
        if (typeof data.window !== "number" || !(data.window >= 0)) return;
        this.#peerWindow = data.window;
        this.onRoom?.();
      } else if ("close" in data) {
        this.peerClosed();
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

  #credit(consumed: number): void {
    this.#consumed += consumed;
    // Credit goes back in 64 KiB steps, not per read: a request/reply exchange then costs
    // one message each way, not two.
    if (this.#consumed >= ACK_EVERY && !this.#peerClosed) {
      this.#post({ ack: this.#consumed });
      this.#consumed = 0;
    }
  }

  async write(data: Uint8Array): Promise<number> {
    if (this.#closed || this.#peerClosed) {
      throw new Deno.errors.BrokenPipe("inproc peer closed");
    }
    // A copy, transferred: the writer reuses its buffer once this resolves.
    const copy = data.slice();
    this.#port.postMessage(copy.buffer, [copy.buffer]);
    await this.#sent(data.length);
    return data.length;
  }

  get messageRoom(): number {
    // Counts wrap at 2^32 alike on both sides: their difference is what is in flight.
    const out = this.#peerTook === null
      ? this.#messagesOut
      : (this.#messagesOut - Atomics.load(this.#peerTook, 0)) | 0;
    return this.#peerWindow - out;
  }

  announceWindow(messages: number): void {
    if (!Number.isFinite(messages)) return;
    // Credit goes back in steps of a quarter of the window (at most 256): far fewer port
    // messages than one per message, and the peer never waits on more than that unreported.
    this.#takenEvery = Math.max(1, Math.min(256, Math.floor(messages / 4)));
    this.#post({ window: messages });
    this.#tookShared = new Int32Array(new SharedArrayBuffer(4));
    // A port relayed to another process cannot carry shared memory: that message is dropped on
    // the way (see frame_link.ts), and the credit comes by port messages alone.
    this.#post({ tookShared: this.#tookShared.buffer as SharedArrayBuffer });
  }

  messagesTaken(count: number): void {
    if (this.#takenEvery === 0) return;
    if (this.#tookShared !== null) Atomics.add(this.#tookShared, 0, count);
    this.#taken += count;
    if (this.#taken >= this.#takenEvery && !this.#peerClosed) {
      this.#post({ took: this.#taken });
      this.#taken = 0;
    }
  }

  async writeMessages(batch: MessageBatch, messages: number): Promise<void> {
    if (this.#closed || this.#peerClosed) {
      throw new Deno.errors.BrokenPipe("inproc peer closed");
    }
    this.#messagesOut = (this.#messagesOut + messages) | 0;
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
    if (this.#closed || this.#peerClosed) throw new Deno.errors.BrokenPipe("inproc peer closed");
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
