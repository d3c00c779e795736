/**
 * Routing by id (RFC 28, ROUTER): every peer has a routing id, its own when
 * it announced an Identity, else one generated here (five bytes starting
 * with 0, libzmq's format; a generated id is never one already in use). Received messages are
 * prefixed with it; a sent message's first frame names the peer.
 *
 * @module
 */
import type { Connection } from "../connection.ts";

const latin1 = new TextDecoder("latin1");

/**
 * The peers of a ROUTER socket by routing id.
 *
 * @example
 * ```ts
 * import { RoutingTable } from "./routing_table.ts";
 * const routes = new RoutingTable();
 * routes.lookup(new TextEncoder().encode("worker-1")); // undefined: no such peer
 * ```
 */
export class RoutingTable {
  readonly #byKey = new Map<string, Connection>();
  readonly #idOf = new Map<Connection, { id: Uint8Array; key: string }>();
  #nextId = (Math.random() * 0x7fffffff) >>> 0;

  /** Number of routed peers. */
  get size(): number {
    return this.#idOf.size;
  }

  /**
   * Gives a new peer its routing id. Returns why the peer is refused (its id
   * is taken and `handover` is off), or undefined.
   */
  assign(conn: Connection, handover: boolean): string | undefined {
    let id = conn.peerIdentity;
    let key: string;
    // RFC 37: identities starting with a zero byte are reserved for the
    // implementation, which is why generated ids start with one: a peer
    // may not take one, so it can never collide with (or take over) them.
    if (id.length > 0 && id[0] === 0) return "routing ids starting with a zero byte are reserved";
    if (id.length > 0) {
      key = latin1.decode(id);
      const holder = this.#byKey.get(key);
      if (holder) {
        if (!handover) return "routing id already in use by another peer";
        this.#forget(holder);
        holder.close("routing id taken over by a new peer");
      }
    } else {
      id = new Uint8Array(5);
      const view = new DataView(id.buffer);
      do {
        view.setUint32(1, this.#nextId);
        this.#nextId = (this.#nextId + 1) >>> 0;
        key = latin1.decode(id);
      } while (this.#byKey.has(key));
    }
    this.#byKey.set(key, conn);
    this.#idOf.set(conn, { id, key });
    return undefined;
  }

  /** A peer closed: its id is free again. */
  remove(conn: Connection): void {
    this.#forget(conn);
  }

  /** The routing id of a peer. */
  idOf(conn: Connection): Uint8Array | undefined {
    return this.#idOf.get(conn)?.id;
  }

  /** The peer with routing id `id`, if any. */
  lookup(id: Uint8Array): Connection | undefined {
    return this.#byKey.get(latin1.decode(id));
  }

  /** True when some peer has room (a mandatory ROUTER's send would not wait). */
  get anyHasRoom(): boolean {
    for (const conn of this.#idOf.keys()) if (conn.hasRoom) return true;
    return false;
  }

  #forget(conn: Connection): void {
    const entry = this.#idOf.get(conn);
    if (entry === undefined) return;
    this.#idOf.delete(conn);
    if (this.#byKey.get(entry.key) === conn) this.#byKey.delete(entry.key);
  }
}
