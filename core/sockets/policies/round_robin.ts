/**
 * Round robin (RFC 28 and 30, "round-robin" sending for PUSH, DEALER, REQ
 * and PAIR): each message goes to the next peer that has room under its
 * high-water mark; a full peer is skipped, not waited for.
 *
 * @module
 */
import type { FrameData } from "../../zmtp/mod.ts";
import type { OutboundPeer } from "./endpoint_pipe.ts";
import type { Outbound } from "./policy.ts";

/**
 * The peers a round-robin socket sends to, in attach order: connections
 * past their handshake, and (with `immediate` off) connect()ed endpoints
 * as `EndpointPipe`s from connect() on.
 *
 * @example
 * ```ts
 * import { RoundRobin } from "./round_robin.ts";
 * const out = new RoundRobin();
 * out.trySend(["job"]); // null: no peer yet
 * out.writable; // false
 * ```
 */
export class RoundRobin implements Outbound {
  readonly #peers: OutboundPeer[] = [];
  #cursor = 0;

  /** Number of peers. */
  get size(): number {
    return this.#peers.length;
  }

  /** True when some peer has room. */
  get writable(): boolean {
    for (const conn of this.#peers) if (conn.hasRoom) return true;
    return false;
  }

  /** A peer finished its handshake (or an endpoint was connect()ed: see endpoint_pipe.ts). */
  add(conn: OutboundPeer): void {
    this.#peers.push(conn);
  }

  /** A peer closed. */
  remove(conn: OutboundPeer): void {
    const index = this.#peers.indexOf(conn);
    if (index < 0) return;
    this.#peers.splice(index, 1);
    if (this.#cursor > index) this.#cursor--;
  }

  /** Sends to the next peer with room, if any has room now; returns that peer. */
  trySend(frames: readonly FrameData[]): OutboundPeer | null {
    const peers = this.#peers;
    const count = peers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#cursor + i) % count;
      const conn = peers[index];
      if (conn.hasRoom) {
        this.#cursor = index + 1;
        conn.send(frames);
        return conn;
      }
    }
    return null;
  }
}
