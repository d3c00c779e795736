import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { Message } from "./message.ts";
import type { OptionTable, SocketOptions } from "./options.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { RoutingTable } from "./policies/routing_table.ts";
import { Socket } from "./socket.ts";

const utf8 = new TextEncoder();

/**
 * Options of a {@link Router}.
 *
 * @example
 * ```ts
 * import type { RouterOptions } from "./router.ts";
 * const o: RouterOptions = { mandatory: true };
 * ```
 */
export interface RouterOptions extends SocketOptions {
  /**
   * Unroutable messages fail with EHOSTUNREACH instead of being dropped, and a
   * send to a peer over its high-water mark waits instead of dropping.
   */
  mandatory?: boolean;
  /** A new peer with a routing id already in use takes it over (default: refused). */
  handover?: boolean;
}

/** The Router socket's own options (their kind and default), beside `SOCKET_OPTIONS`'s. */
export const ROUTER_OPTIONS: OptionTable = {
  mandatory: { kind: "boolean", default: false },
  handover: { kind: "boolean", default: false },
};

/**
 * ROUTER (RFC 28): every received message starts with the sender's routing id;
 * a sent message's first frame picks the peer. Peers that announce an
 * Identity keep it; others get a generated 5-byte id (libzmq's format).
 *
 * @example
 * ```ts
 * import { Request, Router } from "../../mod.ts";
 * const router = new Router({ mandatory: true });
 * await router.bind("tcp://127.0.0.1:0");
 * const req = new Request();
 * req.connect(router.lastEndpoint!);
 * await req.send("hello");
 * const [id, empty, body] = await router.receive();
 * await router.send([id, empty, "world"]);
 * await req.receive(); // ["world"]
 * req.close(); router.close();
 * ```
 */
export class Router extends Socket {
  readonly #inbound = new FairQueue();
  readonly #routes = new RoutingTable();

  /** Creates a ROUTER socket with the given options. */
  constructor(options: RouterOptions = {}) {
    super("ROUTER", options, ROUTER_OPTIONS);
    this.use({ inbound: this.#inbound });
  }

  /**
   * Unroutable messages fail with EHOSTUNREACH instead of being dropped, and a
   * send to a peer over its high-water mark waits instead of dropping.
   */
  get mandatory(): boolean {
    return this.optionValue("mandatory");
  }
  set mandatory(value: boolean) {
    this.setOptionValue("mandatory", value);
  }

  /** A new peer with a routing id already in use takes it over (default: refused). */
  get handover(): boolean {
    return this.optionValue("handover");
  }
  set handover(value: boolean) {
    this.setOptionValue("handover", value);
  }

  /** True unless mandatory: then only when some peer has room. */
  override get writableNow(): boolean {
    return !this.mandatory || this.#routes.anyHasRoom;
  }

  /**
   * The User-Id the ZAP handler gave the peer with this routing id (for a
   * CURVE client, its public key in Z85), or null when no such peer is
   * connected; empty when the socket has no ZAP handler. What libzmq
   * offers as the `User-Id` property of the peer's messages.
   *
   * @example
   * ```ts
   * import { Router } from "./router.ts";
   * const router = new Router();
   * // const [id, ...body] = await router.receive(); router.peerUserId(id);
   * await router.close();
   * ```
   */
  peerUserId(routingId: Uint8Array): string | null {
    return this.#routes.lookup(routingId)?.userId ?? null;
  }

  /** @internal Registers the peer under its announced or a generated routing id. */
  protected override attach(conn: Connection): string | undefined {
    return this.#routes.assign(conn, this.handover);
  }

  /** @internal Forgets the peer's routing id. */
  protected override detach(conn: Connection): void {
    this.#routes.remove(conn);
  }

  /** @internal Prefixes each message with the sender's routing id. */
  protected override accept(conn: Connection, frames: Uint8Array[]): boolean {
    const id = this.#routes.idOf(conn);
    if (id === undefined) return false;
    frames.unshift(id);
    return true;
  }

  /** @internal Receives fair-queued from all peers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFrom(this.#inbound);
  }

  /** @internal Sends the body to the peer named by the first (routing id) frame. */
  protected override async sendFrames(frames: FrameData[]): Promise<void> {
    if (frames.length < 2) {
      throw new ZmqError("EINVAL", "a ROUTER message needs a routing id frame and a body");
    }
    const head = frames[0];
    const id = typeof head === "string" ? utf8.encode(head) : head;
    const body = frames.slice(1);
    let deadline = -1;
    for (;;) {
      const conn = this.#routes.lookup(id);
      if (!conn || !conn.ready) {
        if (this.mandatory) {
          throw new ZmqError("EHOSTUNREACH", "no connected peer has that routing id");
        }
        return;
      }
      if (conn.hasRoom) {
        conn.send(body);
        return;
      }
      if (!this.mandatory) return;
      deadline = await this.waitWritable(deadline);
    }
  }
}
