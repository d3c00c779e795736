/**
 * What `ctx.subscribe()` returns: an async generator of topic messages
 * written by hand rather than with `async function*`. A generator pays
 * several promise turns per message (its own queue, the `yield`, the
 * socket iterator it awaits); this one hands out every message already
 * queued on its SUB through an already-resolved promise and awaits the
 * socket only when the queue is empty, so a burst costs one wait, not one
 * per message. It behaves as a generator does: nothing is opened before
 * the first `next()`; `return()` (a `break` out of `for await`) and
 * `throw()` end it and close what it opened; calls made while a `next()`
 * waits are served after it, in order.
 *
 * @module
 */
import { type Subscriber, ZmqError } from "../../core/sockets/mod.ts";
import { PackedMessage } from "../../core/sockets/inbox.ts";

/**
 * An open subscription as a {@link TopicStream} reads it.
 *
 * @example
 * ```ts
 * import type { TopicReader } from "./topic_stream.ts";
 * import { Subscriber } from "../../core/sockets/mod.ts";
 * const sub = new Subscriber();
 * const reader: TopicReader<number> = { sub, accept: (message) => message.frameCount, close: () => sub.close() };
 * await reader.close();
 * ```
 */
export interface TopicReader<M> {
  /** The SUB the messages come from. */
  readonly sub: Subscriber;
  /** A received message (read in place: use it before the next) as the loop yields it, or null to skip it. */
  accept(message: PackedMessage): M | null;
  /** Closes the subscription (once, however the stream ends). */
  close(): Promise<void>;
}

/**
 * An async generator over a SUB's messages (see the module documentation).
 *
 * @example
 * ```ts
 * import { TopicStream } from "./topic_stream.ts";
 * import { Subscriber } from "../../core/sockets/mod.ts";
 * const stream = new TopicStream(() => {
 *   const sub = new Subscriber();
 *   return Promise.resolve({ sub, accept: (message) => message.frameCount, close: () => sub.close() });
 * });
 * await stream.return(undefined); // never opened: nothing to close
 * ```
 */
export class TopicStream<M> implements AsyncGenerator<M, void, unknown> {
  readonly #open: () => Promise<TopicReader<M>>;
  #reader: TopicReader<M> | null = null;
  /** Where each message is read, in place (one for the stream's life). */
  readonly #message = new PackedMessage();
  #ended = false;
  /** The call in progress that had to wait; later calls queue behind it. */
  #busy: Promise<unknown> | null = null;

  /** A stream over what `open` opens (a throw ends the stream with it); nothing is opened yet. */
  constructor(open: () => Promise<TopicReader<M>>) {
    this.#open = open;
  }

  /** The next message: at once when one is queued, else when one arrives or the SUB closes. */
  next(): Promise<IteratorResult<M, void>> {
    if (this.#busy === null && this.#reader !== null && !this.#ended) {
      let message: M | undefined;
      try {
        message = this.#takeQueued(this.#reader);
      } catch {
        message = undefined; // closed: the waiting path ends the stream
      }
      if (message !== undefined) return Promise.resolve({ value: message, done: false });
    }
    return this.#queue(() => this.#nextWaiting());
  }

  /** Ends the stream (what `break` calls) and closes its SUB. */
  return(value?: void | PromiseLike<void>): Promise<IteratorResult<M, void>> {
    return this.#queue(async () => {
      await this.#end();
      return { value: await value, done: true };
    });
  }

  /** Ends the stream and closes its SUB, then rejects with `error` (as a generator does). */
  throw(error: unknown): Promise<IteratorResult<M, void>> {
    return this.#queue(async () => {
      await this.#end();
      throw error;
    });
  }

  /** The stream itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** The first queued message the source accepts; undefined when none is. Throws ETERM once closed. */
  #takeQueued(reader: TopicReader<M>): M | undefined {
    const sub = reader.sub;
    const queued = this.#message;
    // In place: a message that came in a batch (inproc between Workers) gets no view per frame.
    while (sub.tryReceiveInto(queued)) {
      const message = reader.accept(queued);
      if (message !== null) return message;
    }
    return undefined;
  }

  async #nextWaiting(): Promise<IteratorResult<M, void>> {
    if (this.#ended) return { value: undefined, done: true };
    if (this.#reader === null) {
      try {
        this.#reader = await this.#open();
      } catch (error) {
        this.#ended = true;
        throw error;
      }
    }
    const reader = this.#reader;
    try {
      for (;;) {
        const message = this.#takeQueued(reader);
        if (message !== undefined) return { value: message, done: false };
        // Rejects with ETERM once the SUB is closed (the node stops).
        await reader.sub.readable();
      }
    } catch (error) {
      await this.#end();
      if (error instanceof ZmqError && error.code === "ETERM") {
        return { value: undefined, done: true };
      }
      throw error;
    }
  }

  async #end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#reader !== null) await this.#reader.close();
  }

  /** Runs `call` after the calls before it have settled. */
  #queue<R>(call: () => Promise<R>): Promise<R> {
    const run = this.#busy === null ? call() : this.#busy.then(call, call);
    this.#busy = run;
    const settled = () => {
      if (this.#busy === run) this.#busy = null;
    };
    run.then(settled, settled);
    return run;
  }
}
