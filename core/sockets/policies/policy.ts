/**
 * What the socket base asks of the policies a socket type is composed of.
 *
 * @module
 */
import type { Connection } from "../connection.ts";

/**
 * A policy that keeps per-peer state: told when a peer finishes its
 * handshake and when it closes.
 *
 * @example
 * ```ts
 * import type { PeerPolicy } from "./policy.ts";
 * import type { Connection } from "../connection.ts";
 * const peers = new Set<Connection>();
 * const policy: PeerPolicy = { add: (c) => peers.add(c), remove: (c) => peers.delete(c) };
 * ```
 */
export interface PeerPolicy {
  /** A peer finished its handshake and was accepted. */
  add(conn: Connection): void;
  /** A peer that was added has closed. */
  remove(conn: Connection): void;
}

/**
 * A policy that picks which peers a message goes to.
 *
 * @example
 * ```ts
 * import type { Outbound } from "./policy.ts";
 * const never: Outbound = { add() {}, remove() {}, writable: false };
 * ```
 */
export interface Outbound extends PeerPolicy {
  /** True when a send would be taken at once, without waiting. */
  readonly writable: boolean;
}
