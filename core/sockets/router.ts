import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { SocketOptions } from "./options.ts";
import { type Message, Socket } from "./socket.ts";

const latin1 = new TextDecoder("latin1");
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
  /** See {@link RouterOptions.mandatory}. */
  mandatory: boolean;
  /** See {@link RouterOptions.handover}. */
  handover: boolean;
  readonly #byId = new Map<string, Connection>();
  #nextId = (Math.random() * 0x7fffffff) >>> 0;

  /** Creates a ROUTER socket with the given options. */
  constructor(options: RouterOptions = {}) {
    super("ROUTER", options);
    this.mandatory = options.mandatory ?? false;
    this.handover = options.handover ?? false;
  }

  /** Claims the ROUTER options `mandatory` and `handover`. */
  protected override acceptsOption(name: string): boolean {
    return name === "mandatory" || name === "handover";
  }

  /** Registers the peer under its announced or a generated routing id. */
  protected override attach(conn: Connection): string | undefined {
    let id = conn.peerIdentity;
    if (id.length > 0) {
      const key = latin1.decode(id);
      const holder = this.#byId.get(key);
      if (holder) {
        if (!this.handover) return "routing id already in use by another peer";
        this.#byId.delete(key);
        holder.close("routing id taken over by a new peer");
      }
    } else {
      id = new Uint8Array(5);
      new DataView(id.buffer).setUint32(1, this.#nextId);
      this.#nextId = (this.#nextId + 1) >>> 0;
    }
    conn.routingId = id;
    conn.routingKey = latin1.decode(id);
    this.#byId.set(conn.routingKey, conn);
    return undefined;
  }

  /** Forgets the peer's routing id. */
  protected override detach(conn: Connection): void {
    if (this.#byId.get(conn.routingKey) === conn) this.#byId.delete(conn.routingKey);
  }

  /** Prefixes each message with the sender's routing id. */
  protected override accept(conn: Connection, frames: Uint8Array[]): boolean {
    frames.unshift(conn.routingId!);
    return true;
  }

  /** Receives fair-queued from all peers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFairQueued();
  }

  /** Sends the body to the peer named by the first (routing id) frame. */
  protected override async sendFrames(frames: FrameData[]): Promise<void> {
    if (frames.length < 2) {
      throw new ZmqError("EINVAL", "a ROUTER message needs a routing id frame and a body");
    }
    const head = frames[0];
    const key = latin1.decode(typeof head === "string" ? utf8.encode(head) : head);
    const body = frames.slice(1);
    let deadline = -1;
    for (;;) {
      const conn = this.#byId.get(key);
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
