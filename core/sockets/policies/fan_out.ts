/**
 * Fan-out (RFC 29): a message goes to every peer at once. With filtering
 * (PUB, XPUB) each peer has its own subscription set and gets only the
 * messages whose first frame matches it; without (XSUB sending upstream)
 * every peer gets everything. Fan-out never waits: a peer over its
 * high-water mark misses the message, so one slow subscriber cannot stall
 * the others.
 *
 * @module
 */
import type { FrameData } from "../../zmtp/mod.ts";
import type { Connection } from "../connection.ts";
import { SubscriptionSet } from "../subscriptions.ts";
import type { Outbound } from "./policy.ts";

/**
 * The peers of a fan-out socket, each with its subscriptions.
 *
 * @example
 * ```ts
 * import { FanOut } from "./fan_out.ts";
 * const subscribers = new FanOut({ filter: true });
 * subscribers.send(["topic", "body"]); // nobody to send to yet: dropped
 * subscribers.writable; // true: fan-out never waits
 * ```
 */
export class FanOut implements Outbound {
  readonly #filter: boolean;
  /** In attach order; an array, not a Map: sending walks it once per message. */
  readonly #peers: { conn: Connection; subscriptions: SubscriptionSet }[] = [];

  /** `filter`: match each message's first frame against each peer's subscriptions. */
  constructor(options: { filter: boolean }) {
    this.#filter = options.filter;
  }

  /** Always true: a send never waits. */
  get writable(): boolean {
    return true;
  }

  /** Number of peers. */
  get size(): number {
    return this.#peers.length;
  }

  /** A peer finished its handshake; it starts with no subscriptions. */
  add(conn: Connection): void {
    this.#peers.push({ conn, subscriptions: new SubscriptionSet() });
  }

  /** A peer closed. */
  remove(conn: Connection): void {
    const index = this.#peers.findIndex((peer) => peer.conn === conn);
    if (index >= 0) this.#peers.splice(index, 1);
  }

  /** The subscriptions of `conn`, while it is a peer. */
  subscriptionsOf(conn: Connection): SubscriptionSet | undefined {
    return this.#peers.find((peer) => peer.conn === conn)?.subscriptions;
  }

  /** Every peer, in attach order. */
  peers(): Connection[] {
    return this.#peers.map((peer) => peer.conn);
  }

  /**
   * Sends to every peer with room (that matches, when filtering); returns
   * how many peers that wanted the message missed it for lack of room.
   */
  send(frames: readonly FrameData[]): number {
    const peers = this.#peers;
    let missed = 0;
    if (!this.#filter) {
      for (let i = 0; i < peers.length; i++) {
        const conn = peers[i].conn;
        if (conn.hasRoom) conn.send(frames);
        else missed++;
      }
      return missed;
    }
    const first = frames[0];
    for (let i = 0; i < peers.length; i++) {
      const { conn, subscriptions } = peers[i];
      if (!subscriptions.matches(first)) continue;
      if (conn.hasRoom) conn.send(frames);
      else missed++;
    }
    return missed;
  }
}
