/**
 * libzmq's send semantics toward peers not yet through their handshake
 * (`ZMQ_IMMEDIATE` off, libzmq's default): a connect()ed endpoint is a peer
 * of the round robin from connect() on, whether or not a connection to it
 * is up. What is sent to it while no connection has finished its handshake
 * waits here (up to the send high-water mark) and goes out, in order, once
 * one has; when the link drops, the endpoint queues again until the next.
 * What the dropped connection had not yet written is lost, as in libzmq.
 *
 * @module
 */
import type { FrameData } from "../../zmtp/mod.ts";
import type { Connection } from "../connection.ts";
import { Deque } from "../deque.ts";

/**
 * What round robin needs of a peer: room under the high-water mark, and a
 * way to queue a message to it. A {@link Connection} is one; so is an
 * {@link EndpointPipe}.
 *
 * @example
 * ```ts
 * import type { OutboundPeer } from "./endpoint_pipe.ts";
 * const sink: OutboundPeer = { hasRoom: true, send: () => {} };
 * ```
 */
export interface OutboundPeer {
  /** True when the peer can take another message without passing its high-water mark. */
  readonly hasRoom: boolean;
  /** Queues a message to the peer (the caller has checked {@link hasRoom}). */
  send(frames: readonly FrameData[]): void;
}

/**
 * One connect()ed endpoint as a round-robin peer: it queues while no
 * connection to the endpoint is ready and forwards to the one that is.
 *
 * @example
 * ```ts
 * import { EndpointPipe } from "./endpoint_pipe.ts";
 * const pipe = new EndpointPipe("tcp://127.0.0.1:5555", () => 1000);
 * pipe.hasRoom; // true: nothing queued yet, no connection needed
 * pipe.send(["job"]);
 * pipe.queued; // 1, until a connection to the endpoint finishes its handshake
 * ```
 */
export class EndpointPipe implements OutboundPeer {
  /** The endpoint given to connect(). */
  readonly endpoint: string;
  readonly #highWaterMark: () => number;
  readonly #waiting = new Deque<readonly FrameData[]>();
  #connection: Connection | null = null;

  /** A pipe to `endpoint` holding at most `highWaterMark()` messages (0 = no limit). */
  constructor(endpoint: string, highWaterMark: () => number) {
    this.endpoint = endpoint;
    this.#highWaterMark = highWaterMark;
  }

  /** The connection messages go to now; null while none is through its handshake. */
  get connection(): Connection | null {
    return this.#connection;
  }

  /** Messages waiting for a connection. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** True when a message would be queued at once (to the connection, or here). */
  get hasRoom(): boolean {
    if (this.#connection !== null) return this.#connection.hasRoom;
    const limit = this.#highWaterMark();
    return limit <= 0 || this.#waiting.length < limit;
  }

  /** Sends on the ready connection, or keeps the message until there is one. */
  send(frames: readonly FrameData[]): void {
    if (this.#connection !== null) {
      this.#connection.send(frames);
      return;
    }
    // Kept past send()'s return: the caller may reuse its buffers (a
    // connection encodes at once, so only a waiting message needs a copy).
    this.#waiting.push(frames.map((frame) => typeof frame === "string" ? frame : frame.slice()));
  }

  /** A connection to the endpoint finished its handshake: what waited goes out on it, in order. */
  attach(conn: Connection): void {
    this.#connection = conn;
    for (let frames = this.#waiting.shift(); frames !== undefined; frames = this.#waiting.shift()) {
      conn.send(frames);
    }
  }

  /** That connection closed: queue again until the next one. */
  detach(conn: Connection): void {
    if (this.#connection === conn) this.#connection = null;
  }

  /** Drops what waits (disconnect() or close()). */
  clear(): void {
    this.#waiting.clear();
  }
}
