import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { Message } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { delimiterIndex } from "./policies/envelope.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { Socket } from "./socket.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * REP (RFC 28): receives a request (fair-queued), then must send exactly one
 * reply, which goes back to the requester with its envelope restored.
 *
 * @example
 * ```ts
 * import { Reply } from "../../mod.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * // for await (const [request] of rep) await rep.send(request); // an echo server
 * rep.close();
 * ```
 */
export class Reply extends Socket {
  readonly #inbound = new FairQueue();
  /** The sender of the request being answered; null between requests. */
  #pending: Connection | null = null;
  /**
   * That request's envelope (its routing frames and delimiter), or null
   * when it was the delimiter alone (a request straight from a REQ): two
   * fields, not an object per request.
   */
  #pendingEnvelope: Uint8Array[] | null = null;

  /** Creates a REP socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("REP", options);
    this.use({ inbound: this.#inbound });
  }

  /** True when a request is queued and the last one has been answered. */
  override get readableNow(): boolean {
    return this.#pending === null && this.#inbound.readable;
  }

  /** True while a request waits for its reply. */
  override get writableNow(): boolean {
    return this.#pending !== null;
  }

  /** @internal Queues only requests that carry an envelope delimiter; drops malformed ones. */
  protected override accept(_conn: Connection, frames: Uint8Array[]): boolean {
    // A request without the empty delimiter is malformed: drop it, as libzmq does.
    return delimiterIndex(frames) >= 0;
  }

  /** @internal Receives the next request body, remembering its envelope for the reply. */
  protected override receiveFrames(): Promise<Message> {
    if (this.#pending !== null) {
      return Promise.reject(
        new ZmqError("EFSM", "a REP socket must send the reply before receiving again"),
      );
    }
    return this.receiveWhen(this.#takeRequest);
  }

  /** The next request's body, remembering its sender and envelope; undefined when none is queued. */
  readonly #takeRequest = (): Message | undefined => {
    const frames = this.#inbound.take();
    if (frames === undefined) return undefined;
    // Read the source in the same turn as the take: it names the requester.
    this.#pending = this.#inbound.lastSource!;
    const delimiter = delimiterIndex(frames);
    let body: Message;
    if (delimiter === 0) {
      this.#pendingEnvelope = null;
      body = frames.length === 2 ? [frames[1]] : frames.slice(1);
    } else {
      this.#pendingEnvelope = frames.slice(0, delimiter + 1);
      body = frames.slice(delimiter + 1);
    }
    this.stateChanged();
    return body;
  };

  /** @internal Sends the reply to the peer whose request was last received. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    const conn = this.#pending;
    if (conn === null) {
      return Promise.reject(
        new ZmqError("EFSM", "a REP socket must receive a request before replying"),
      );
    }
    const envelope = this.#pendingEnvelope;
    this.#pending = this.#pendingEnvelope = null;
    this.stateChanged();
    // The requester may be gone; its reply is then dropped, as in libzmq.
    if (conn.ready) {
      let reply: FrameData[];
      if (envelope === null) reply = frames.length === 1 ? ["", frames[0]] : ["", ...frames];
      else {
        reply = envelope;
        for (const frame of frames) reply.push(frame);
      }
      conn.send(reply);
    }
    return RESOLVED;
  }
}
