/**
 * Bounds the accepted connections still in their ZMTP handshake. A host
 * that opens connections to a bound endpoint and never finishes a
 * handshake (it cannot, without the CURVE server's key) held a descriptor
 * and a connection each until `handshakeTimeout` (30 s): a few thousand
 * from one LAN host ran the robot's supervisor out of descriptors, and with
 * them out of every file, socket and process it opens. libzmq bounds
 * nothing here either; a socket that faces a network sets
 * `maxHandshakes` (and `maxHandshakesPerAddress`), and a connection over
 * either bound closes the oldest still waiting, as an HTTP server's header
 * timeout makes room. An honest peer's handshake takes milliseconds, so it
 * is rarely the oldest; one that is closed reconnects. Only TCP peers are
 * counted: ipc and inproc peers are this machine's own.
 *
 * @example
 * ```ts
 * import { HandshakeGuard } from "./handshake_guard.ts";
 * const guard = new HandshakeGuard<string>(() => ({ total: 2, perAddress: 1 }), (conn, why) =>
 *   console.log("close", conn, why));
 * guard.admit("a", "tcp://10.0.0.9:4001");
 * guard.admit("b", "tcp://10.0.0.9:4002"); // close a: 2 from 10.0.0.9
 * ```
 * @module
 */
import { parseEndpoint } from "../transport/endpoint.ts";

/** The bounds: 0 = none. */
export interface HandshakeBounds {
  /** Connections in their handshake at once, from anywhere. */
  total: number;
  /** Connections in their handshake at once from one address (its host part). */
  perAddress: number;
}

/**
 * The waiting connections of one socket (see the module documentation).
 *
 * @example
 * ```ts
 * import { HandshakeGuard } from "./handshake_guard.ts";
 * const guard = new HandshakeGuard<object>(() => ({ total: 0, perAddress: 0 }), () => {});
 * const conn = {};
 * guard.admit(conn, "tcp://127.0.0.1:5000");
 * guard.settled(conn);
 * ```
 */
export class HandshakeGuard<C> {
  /** Every waiting connection and its host, oldest first (a Map keeps insertion order). */
  readonly #waiting = new Map<C, string>();
  readonly #perHost = new Map<string, number>();
  readonly #bounds: () => HandshakeBounds;
  readonly #close: (conn: C, reason: string) => void;

  /** `bounds` is read at each admission (options can change); `close` ends a connection. */
  constructor(bounds: () => HandshakeBounds, close: (conn: C, reason: string) => void) {
    this.#bounds = bounds;
    this.#close = close;
  }

  /** Connections waiting now. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * An accepted connection from `address` starts its handshake; the oldest
   * over a bound close. Only TCP peers count: an ipc or inproc peer is a
   * process of this machine that may open the socket file, or this process.
   */
  admit(conn: C, address: string): void {
    const { total, perAddress } = this.#bounds();
    if (total <= 0 && perAddress <= 0) return;
    const host = tcpHostOf(address);
    if (host === null) return;
    this.#waiting.set(conn, host);
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
    if (perAddress > 0 && (this.#perHost.get(host) ?? 0) > perAddress) {
      for (const [older, from] of this.#waiting) {
        if (from !== host) continue;
        this.#evict(older, `${perAddress} connections from ${host} were in their handshake`);
        break;
      }
    }
    if (total > 0 && this.#waiting.size > total) {
      const [oldest] = this.#waiting.keys();
      this.#evict(oldest, `${total} connections were in their handshake`);
    }
  }

  /** The connection finished its handshake, or closed: it no longer counts. */
  settled(conn: C): void {
    const host = this.#waiting.get(conn);
    if (host === undefined) return;
    this.#waiting.delete(conn);
    const left = (this.#perHost.get(host) ?? 1) - 1;
    if (left > 0) this.#perHost.set(host, left);
    else this.#perHost.delete(host);
  }

  #evict(conn: C, why: string): void {
    this.settled(conn);
    this.#close(conn, `closed in its handshake to make room: ${why}`);
  }
}

/** The host of a TCP peer's address (`tcp://10.0.0.9:4001` → `10.0.0.9`); null for any other. */
function tcpHostOf(address: string): string | null {
  try {
    const parsed = parseEndpoint(address);
    return parsed.transport === "tcp" ? parsed.host : null;
  } catch {
    return null;
  }
}
