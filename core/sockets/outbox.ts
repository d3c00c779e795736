/**
 * The write side of one connection: frames are encoded into a buffer and
 * written in batches, one write at a time, so many small messages cost one
 * syscall; a burst's buffers are given back once the connection drains. It
 * counts the messages not yet written (the peer's high-water mark is on
 * them) and owes at most one PONG. Between two zedge ends of one process it
 * sends whole messages once the handshake is done (see message_batch.ts):
 * the same queue, counts and batching, without ZMTP framing.
 *
 * @module
 */
import { type FrameCodec, type FrameData, FrameWriter } from "../zmtp/mod.ts";
import type { ByteStream, MessageStream } from "../transport/mod.ts";
import { BatchWriter } from "./message_batch.ts";
import { Notifier, type WaitResult } from "./notifier.ts";

/** Below this many queued bytes a write waits one macrotask for more. */
const BATCH_BYTES = 16 * 1024;
/**
 * How long the outbox must stay idle before a burst's buffers are given
 * back. Not at once: a stream drains between bursts many times a second,
 * and regrowing the buffers each time costs more than the writes.
 */
const SHRINK_AFTER_MS = 1000;

/**
 * What an {@link Outbox} tells its connection.
 *
 * @example
 * ```ts
 * import type { OutboxEvents } from "./outbox.ts";
 * const events: OutboxEvents = { wrote: () => {}, failed: (e) => console.log(e) };
 * ```
 */
export interface OutboxEvents {
  /** A write of `bytes` finished: the peer may have room again. */
  wrote(bytes: number): void;
  /** A write failed: the connection is broken. */
  failed(error: unknown): void;
}

/**
 * Batched, ordered writes to one stream.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * import { dialInproc, listenInproc } from "../transport/inproc.ts";
 * const listener = listenInproc("outbox-example");
 * const stream = dialInproc("outbox-example");
 * const out = new Outbox(stream, { wrote() {}, failed() {} });
 * out.message(["hello"]);
 * out.queued; // 1 until written
 * await out.drained(1000);
 * out.close(); stream.close(); listener.close();
 * ```
 */
export class Outbox {
  readonly #stream: ByteStream;
  readonly #events: OutboxEvents;
  readonly #writer = new FrameWriter();
  /** Whole messages, once {@link sendWholeMessages} switched to them. */
  readonly #batch = new BatchWriter();
  #messages: MessageStream | null = null;
  /** Notified when the last write finished and nothing is left. */
  readonly #idle = new Notifier();
  /** Notified after each write. */
  readonly #progress = new Notifier();
  /**
   * How frames are encoded: as they are (null), or by the mechanism once
   * its handshake is done — messages and commands alike.
   */
  framing: FrameCodec | null = null;
  #owedPong: Uint8Array | null = null;
  #shrinkTimer: ReturnType<typeof setTimeout> | undefined;
  #writing = false;
  #closed = false;
  /** Messages encoded and not yet handed to a write. */
  #unflushed = 0;
  /** Messages in the write under way. */
  #inFlight = 0;
  /** The bytes under way (the writer's buffer, recycled once all of it is written). */
  #bytes: Uint8Array | null = null;
  #bytesLength = 0;
  #bytesWritten = 0;
  /** The size of the batch under way. */
  #batchLength = 0;

  /** Writes to `stream`, telling `events` how it goes. */
  constructor(stream: ByteStream, events: OutboxEvents) {
    this.#stream = stream;
    this.#events = events;
  }

  /** Messages queued and not yet written to the transport. */
  get queued(): number {
    return this.#unflushed + this.#inFlight;
  }

  /** True when nothing is being written or waits to be. */
  get idle(): boolean {
    return !this.#writing && this.#writer.length === 0 && this.#batch.length === 0 &&
      this.#owedPong === null;
  }

  /**
   * From now on messages and commands go to `stream` as whole-message
   * batches, after the bytes queued so far. For a connection past its
   * handshake with no framing, whose stream carries batches.
   */
  sendWholeMessages(stream: MessageStream): void {
    this.#messages = stream;
  }

  /** Queues raw bytes (the greeting), to go out with what follows: call {@link flush}. */
  raw(bytes: Uint8Array): void {
    this.#writer.writeRaw(bytes);
  }

  /** Starts writing what is queued, unless a write is under way (it will take it). */
  flush(): void {
    this.#flush();
  }

  /** Queues a message. */
  message(frames: readonly FrameData[]): void {
    if (this.#closed) return;
    if (this.#messages !== null) this.#batch.message(frames);
    else if (this.framing === null) this.#writer.writeMessage(frames);
    else this.framing.writeMessage(this.#writer, frames);
    this.#unflushed++;
    if (!this.#writing) this.#flush();
  }

  /** Queues a command. */
  command(name: string, data: Uint8Array): void {
    if (this.#closed) return;
    this.#writeCommand(name, data);
    if (!this.#writing) this.#flush();
  }

  #writeCommand(name: string, data: Uint8Array): void {
    if (this.#messages !== null) this.#batch.command(name, data);
    else if (this.framing === null) this.#writer.writeCommand(name, data);
    else this.framing.writeCommand(this.#writer, name, data);
  }

  /**
   * Owes the peer a PONG. At most one is owed at a time: PINGs that arrive
   * before it is written are answered by it (with the latest context), so a
   * PING flood costs one command of output, not one per PING.
   */
  owePong(context: Uint8Array): void {
    if (this.#closed) return;
    const first = this.#owedPong === null;
    this.#owedPong = context.slice();
    if (first && !this.#writing) this.#flush();
  }

  /** Resolves after the next write finishes (or at close). */
  async progressed(): Promise<void> {
    await this.#progress.wait();
  }

  /** Waits up to `timeoutMs` (-1 = no limit) until everything queued is written. */
  async drained(timeoutMs: number): Promise<WaitResult> {
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    while (!this.idle && !this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) return "timeout";
      const result = await this.#idle.wait(left === Infinity ? -1 : left);
      if (result === "closed") return result;
    }
    return "notified";
  }

  /** Resolves once no write is under way (the stream may then be let go). */
  async settled(): Promise<void> {
    while (this.#writing) await this.#idle.wait(100);
  }

  /** Stops writing and drops what is queued, buffers included. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#shrinkTimer);
    this.#writer.release();
    this.#batch.release();
    this.#owedPong = null;
    this.#idle.close();
    this.#progress.close();
  }

  #flush(): void {
    if (this.#writing || this.#closed || this.idle) return;
    this.#writing = true;
    // Whole messages go by postMessage, itself asynchronous: waiting one microtask costs no
    // latency, and the messages queued in the rest of this turn (a burst of publishes) go in
    // this batch, not the next. Posting the first alone made every burst two batches, and a
    // batch costs the receiver an event and a structured clone whatever its size.
    if (this.#messages !== null) queueMicrotask(this.#writeNext);
    else this.#writeNext();
  }

  /** The write loop ended (nothing left, or the stream failed): wake who waits for idle. */
  #stopped(): void {
    this.#writing = false;
    // The loop's last check and this run in one turn, so nothing can have been
    // queued unseen in between; only a failure leaves bytes behind (dropped by close).
    if (!this.idle) this.#flush();
    else {
      this.#idle.notify();
      this.#shrinkLater();
    }
  }

  /** Gives big buffers back once the outbox has stayed idle a while. */
  #shrinkLater(): void {
    if (this.#shrinkTimer !== undefined || this.#writer.capacity <= FrameWriter.IDLE_CAPACITY) {
      return;
    }
    const timer = setTimeout(() => {
      this.#shrinkTimer = undefined;
      if (this.idle) this.#writer.shrink();
      else this.#shrinkLater();
    }, SHRINK_AFTER_MS);
    // An idle connection's housekeeping must not keep the process alive.
    Deno.unrefTimer(timer);
    this.#shrinkTimer = timer;
  }

  /**
   * One round of the write loop: everything queued goes in one write. The
   * loop is callbacks on the write's promise, not an async function: a
   * request or reply starts a loop of its own, and an async frame per
   * message was a good part of a round trip's garbage.
   */
  readonly #writeNext = (): void => {
    if (
      this.#closed ||
      (this.#writer.length === 0 && this.#batch.length === 0 && this.#owedPong === null)
    ) {
      this.#stopped();
      return;
    }
    try {
      if (this.#owedPong !== null) {
        this.#writeCommand("PONG", this.#owedPong);
        this.#owedPong = null;
      }
      // Bytes (the greeting, the handshake's commands: never a message once batches are on)
      // are only queued before the switch: they go first, the batch in the next round.
      const toBytes = this.#writer.length > 0;
      if (!toBytes || this.#messages === null) {
        this.#inFlight += this.#unflushed;
        this.#unflushed = 0;
      }
      if (toBytes) {
        const bytes = this.#writer.take();
        // Read now: a stream that transfers its buffers (inproc across Workers) detaches them.
        this.#bytes = bytes;
        this.#bytesLength = bytes.length;
        this.#bytesWritten = 0;
        this.#stream.write(bytes).then(this.#onBytesWritten, this.#onWriteFailed);
      } else {
        const batch = this.#batch.take();
        this.#batchLength = batch.data.byteLength + batch.sizes.byteLength;
        // Posted (copied, or its buffers transferred) before the call returns: the writer
        // may take its buffers back at once if they are still here.
        const sent = this.#messages!.writeMessages(batch);
        this.#batch.posted();
        sent.then(this.#onBatchWritten, this.#onWriteFailed);
      }
    } catch (error) {
      this.#onWriteFailed(error);
    }
  };

  readonly #onBytesWritten = (count: number): void => {
    try {
      const bytes = this.#bytes!;
      this.#bytesWritten += count;
      if (this.#bytesWritten < this.#bytesLength && !this.#closed) {
        this.#stream.write(bytes.subarray(this.#bytesWritten))
          .then(this.#onBytesWritten, this.#onWriteFailed);
        return;
      }
      this.#bytes = null;
      this.#writer.recycle(bytes);
      this.#written(this.#bytesLength);
    } catch (error) {
      this.#onWriteFailed(error);
    }
  };

  readonly #onBatchWritten = (): void => {
    try {
      this.#written(this.#batchLength);
    } catch (error) {
      this.#onWriteFailed(error);
    }
  };

  readonly #onWriteFailed = (error: unknown): void => {
    this.#bytes = null;
    if (!this.#closed) this.#events.failed(error);
    this.#stopped();
  };

  /** A write of `length` bytes finished: count it, then the next round. */
  #written(length: number): void {
    this.#inFlight = 0;
    this.#progress.notify();
    this.#events.wrote(length);
    // A small remainder means the sender is still producing: give it one
    // macrotask to fill the buffer instead of paying a syscall per few
    // messages. The first write after a quiet spell still goes at once.
    const waiting = this.#writer.length + this.#batch.length;
    if (waiting > 0 && waiting < BATCH_BYTES && !this.#closed) setImmediate(this.#writeNext);
    else this.#writeNext();
  }
}
