import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { Message } from "./message.ts";
import type { OptionTable, SocketOptions } from "./options.ts";
import { stripReplyEnvelope, withRequestEnvelope } from "./policies/envelope.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { RoundRobin } from "./policies/round_robin.ts";
import type { OutboundPeer } from "./policies/endpoint_pipe.ts";
import { Socket } from "./socket.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Options of a {@link Request}.
 *
 * @example
 * ```ts
 * import type { RequestOptions } from "./request.ts";
 * const o: RequestOptions = { relaxed: true, correlate: true };
 * ```
 */
export interface RequestOptions extends SocketOptions {
  /** Allow a new request before the reply to the last one arrived (the old reply is then ignored). */
  relaxed?: boolean;
  /** Prefix each request with an id and accept only the reply carrying it. */
  correlate?: boolean;
}

/** The Request socket's own options (their kind and default), beside `SOCKET_OPTIONS`'s. */
export const REQUEST_OPTIONS: OptionTable = {
  relaxed: { kind: "boolean", default: false },
  correlate: { kind: "boolean", default: false },
};

/**
 * REQ (RFC 28): strictly alternating send and receive, round-robin over
 * peers, with the empty delimiter frame added and removed for you.
 *
 * @example
 * ```ts
 * import { Reply, Request } from "../../mod.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * const req = new Request({ receiveTimeout: 2000 });
 * req.connect(rep.lastEndpoint!);
 * await req.send("ping");
 * await rep.receive(); // ["ping"]
 * await rep.send("pong");
 * await req.receive(); // ["pong"]
 * req.close(); rep.close();
 * ```
 */
export class Request extends Socket {
  readonly #inbound = new FairQueue();
  readonly #outbound = new RoundRobin();
  /** The peer the outstanding request went to; null when none is outstanding. */
  #awaiting: OutboundPeer | null = null;
  #sending = false;
  #requestId = (Math.random() * 0x7fffffff) >>> 0;

  /** Creates a REQ socket with the given options. */
  constructor(options: RequestOptions = {}) {
    super("REQ", options, REQUEST_OPTIONS);
    this.use({ inbound: this.#inbound, outbound: this.#outbound });
  }

  /** Allow a new request before the reply to the last one arrived (the old reply is then ignored). */
  get relaxed(): boolean {
    return this.optionValue("relaxed");
  }
  set relaxed(value: boolean) {
    this.setOptionValue("relaxed", value);
  }

  /** Prefix each request with an id and accept only the reply carrying it. */
  get correlate(): boolean {
    return this.optionValue("correlate");
  }
  set correlate(value: boolean) {
    this.setOptionValue("correlate", value);
  }

  /** True when the reply to the outstanding request is queued. */
  override get readableNow(): boolean {
    if (this.#awaiting === null) return false;
    const conn = this.connectionOf(this.#awaiting);
    return conn !== null && this.#inbound.hasFrom(conn);
  }

  /** True when a request may be sent now (none outstanding, or relaxed) and a peer has room. */
  override get writableNow(): boolean {
    return !this.#sending && (this.#awaiting === null || this.relaxed) &&
      this.#outbound.writable;
  }

  /** @internal Sends a request round-robin, with an envelope (and request id when correlating). */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    if (this.#sending || (this.#awaiting !== null && !this.relaxed)) {
      return Promise.reject(
        new ZmqError("EFSM", "a REQ socket must receive the reply before sending again"),
      );
    }
    this.#awaiting = null;
    // A new request makes anything still queued from earlier peers stale.
    this.#inbound.clear();
    let requestId: number | null = null;
    if (this.correlate) requestId = this.#requestId = (this.#requestId + 1) >>> 0;
    const request = withRequestEnvelope(requestId, frames);
    // Most requests find a peer with room at once: no async frame for them.
    let peer: OutboundPeer | null;
    try {
      peer = this.#outbound.trySend(request);
    } catch (error) {
      return Promise.reject(error);
    }
    if (peer !== null) {
      this.#awaiting = peer;
      return RESOLVED;
    }
    return this.#sendWaiting(request);
  }

  async #sendWaiting(request: FrameData[]): Promise<void> {
    this.#sending = true;
    try {
      this.#awaiting = await this.sendRoundRobinWaiting(this.#outbound, request);
    } finally {
      this.#sending = false;
    }
  }

  /** @internal Queues only the reply to the outstanding request, stripping its envelope. */
  protected override accept(conn: Connection, frames: Uint8Array[]): boolean {
    if (this.peerOf(conn) !== this.#awaiting) return false;
    return stripReplyEnvelope(frames, this.correlate ? this.#requestId : null);
  }

  /** @internal Receives the reply to the outstanding request. */
  protected override receiveFrames(): Promise<Message> {
    const peer = this.#awaiting;
    if (peer === null) {
      return Promise.reject(
        new ZmqError("EFSM", "a REQ socket must send a request before receiving"),
      );
    }
    return this.receiveWhen(() => this.#takeReply(peer));
  }

  /**
   * The reply from `peer` when it is queued (the request is then answered),
   * else undefined; throws EFSM once a newer request superseded it.
   */
  #takeReply(peer: OutboundPeer): Message | undefined {
    if (this.#awaiting !== peer) {
      throw new ZmqError("EFSM", "the request was superseded by a newer one (relaxed mode)");
    }
    // A piped endpoint's reply comes on whichever connection is up now.
    const conn = this.connectionOf(peer);
    const frames = conn === null ? undefined : this.#inbound.takeFrom(conn);
    if (frames === undefined) return undefined;
    this.#awaiting = null;
    this.stateChanged();
    return frames;
  }
}
