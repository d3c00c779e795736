/**
 * ZeroMQ socket type names as they appear in the READY command's
 * `Socket-Type` property, and which pairs may talk to each other
 * (RFC 23 / RFC 37, "The Socket-Type property").
 *
 * @example
 * ```ts
 * import { isCompatible } from "./socket_type.ts";
 * isCompatible("REQ", "ROUTER"); // true
 * isCompatible("PUSH", "SUB"); // false
 * ```
 */
export type SocketType =
  | "REQ"
  | "REP"
  | "DEALER"
  | "ROUTER"
  | "PUB"
  | "SUB"
  | "XPUB"
  | "XSUB"
  | "PUSH"
  | "PULL"
  | "PAIR";

const PEERS: Record<SocketType, readonly SocketType[]> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
  PAIR: ["PAIR"],
};

/**
 * True when `peer` is a valid socket type name.
 *
 * @example
 * ```ts
 * import { isSocketType } from "./socket_type.ts";
 * isSocketType("DEALER"); // true
 * isSocketType("STREAM"); // false
 * ```
 */
export function isSocketType(name: string): name is SocketType {
  return Object.hasOwn(PEERS, name);
}

/**
 * True when a socket of type `local` accepts a peer of type `peer`.
 *
 * @example
 * ```ts
 * import { isCompatible } from "./socket_type.ts";
 * isCompatible("PUB", "XSUB"); // true
 * ```
 */
export function isCompatible(local: SocketType, peer: string): boolean {
  return (PEERS[local] as readonly string[]).includes(peer);
}
