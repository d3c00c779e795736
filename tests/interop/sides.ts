/**
 * One end of an interop conversation, whoever plays it: a zedge socket or a
 * libzmq peer process. The scenarios in cases.ts are written once against
 * {@link Side}, so the same table runs zedge against pyzmq, zedge against
 * zeromq.js, and (to prove the harness itself) pyzmq against zeromq.js.
 *
 * @module
 */
import type { FrameDescription } from "./frames.ts";
import { LibzmqPeer, type Runtime, type SocketType } from "./libzmq_peer.ts";

/**
 * A socket to open: its type and the options the scenario needs.
 *
 * @example
 * ```ts
 * import type { SocketSpec } from "./sides.ts";
 * const spec: SocketSpec = { type: "ROUTER", routingId: "router-a", mandatory: true };
 * ```
 */
export interface SocketSpec {
  type: SocketType;
  /** ASCII, so zeromq.js (which takes routing ids as strings) can use it too. */
  routingId?: string;
  /** ROUTER: fail unroutable sends, so a sender can retry until the peer is attached. */
  mandatory?: boolean;
  /** CURVE or PLAIN, for the security runs of the table (security.ts). */
  security?: SideSecurity;
}

/**
 * One end's security: the socket options (named as in zeromq.js, keys in
 * Z85) and, for a server, who its ZAP handler lets in.
 *
 * @example
 * ```ts
 * import type { SideSecurity } from "./sides.ts";
 * const server: SideSecurity = { plainServer: true, allowPlain: ["robot=secret"] };
 * ```
 */
export interface SideSecurity {
  curveServer?: boolean;
  curvePublicKey?: string;
  curveSecretKey?: string;
  curveServerKey?: string;
  plainServer?: boolean;
  plainUsername?: string;
  plainPassword?: string;
  /** PLAIN users ("user=password") the server's ZAP handler lets in. */
  allowPlain?: string[];
  /** CURVE client keys (Z85) the server's ZAP handler lets in. */
  allowCurve?: string[];
}

/**
 * Send options a scenario may ask for.
 *
 * @example
 * ```ts
 * import type { SendOptions } from "./sides.ts";
 * const options: SendOptions = { retry: true };
 * ```
 */
export interface SendOptions {
  /** ROUTER (mandatory): retry while the destination is not attached yet. */
  retry?: boolean;
}

/**
 * A connected socket under test.
 *
 * @example
 * ```ts
 * import type { Side } from "./sides.ts";
 * import { utf8 } from "./frames.ts";
 * async function ping(a: Side, b: Side) {
 *   await a.send([utf8("ping")]);
 *   console.log(await b.receive(1000)); // ["70696e67"]
 * }
 * ```
 */
export interface Side {
  /** "zedge REQ", "pyzmq ROUTER", … for failure messages. */
  readonly name: string;
  readonly spec: SocketSpec;
  /** Sends one message; throws when it could not be queued within 10 s. */
  send(frames: Uint8Array[], options?: SendOptions): Promise<void>;
  /** The next message, described as the peers print it; null after `timeoutMs`. */
  receive(timeoutMs: number): Promise<FrameDescription[] | null>;
  /** SUB: subscribe; XSUB: send the 0x01 subscription message. */
  subscribe(prefix: Uint8Array): Promise<void>;
  /** SUB: unsubscribe; XSUB: send the 0x00 message. */
  unsubscribe(prefix: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where a side attaches: bind an endpoint (port 0 = random) or connect to one.
 *
 * @example
 * ```ts
 * import type { Attachment } from "./sides.ts";
 * const attach: Attachment = { bind: "ipc:///tmp/zedge-example.sock" };
 * ```
 */
export type Attachment = { bind: string } | { connect: string };

/**
 * Opens sides of one implementation.
 *
 * @example
 * ```ts
 * import { peerSides } from "./sides.ts";
 * const pyzmq = peerSides("pyzmq");
 * const { side, endpoint } = await pyzmq.open({ type: "PULL" }, { bind: "tcp://127.0.0.1:0" });
 * await side.close();
 * ```
 */
export interface SideFactory {
  /** "zedge", "pyzmq" or "zeromq.js". */
  readonly label: string;
  /** Opens a socket; `endpoint` is the resolved bound endpoint, or the one connected to. */
  open(spec: SocketSpec, attach: Attachment): Promise<{ side: Side; endpoint: string }>;
}

const SEND_TIMEOUT_MS = 10_000;

/**
 * A side played by an already started libzmq peer (script role).
 *
 * @example
 * ```ts
 * import { LibzmqPeer } from "./libzmq_peer.ts";
 * import { PeerSide } from "./sides.ts";
 * const peer = await LibzmqPeer.start("pyzmq", { type: "PUB", bind: ["tcp://127.0.0.1:0"] });
 * const side = new PeerSide(peer, { type: "PUB" });
 * await side.close();
 * ```
 */
export class PeerSide implements Side {
  readonly name: string;
  readonly spec: SocketSpec;
  readonly peer: LibzmqPeer;

  constructor(peer: LibzmqPeer, spec: SocketSpec) {
    this.peer = peer;
    this.spec = spec;
    this.name = peer.name;
  }

  async send(frames: Uint8Array[], options: SendOptions = {}): Promise<void> {
    const sent = await this.peer.send(frames, { timeoutMs: SEND_TIMEOUT_MS, retry: options.retry });
    if (!sent) throw new Error(`${this.name} could not send within ${SEND_TIMEOUT_MS} ms`);
  }

  receive(timeoutMs: number): Promise<FrameDescription[] | null> {
    return this.peer.receive(timeoutMs);
  }

  subscribe(prefix: Uint8Array): Promise<void> {
    return this.peer.subscribe(prefix);
  }

  unsubscribe(prefix: Uint8Array): Promise<void> {
    return this.peer.unsubscribe(prefix);
  }

  close(): Promise<void> {
    return this.peer.close();
  }
}

/**
 * Sides played by a libzmq peer process of the given runtime.
 *
 * @example
 * ```ts
 * import { peerSides } from "./sides.ts";
 * const factory = peerSides("zeromq.js");
 * console.log(factory.label); // "zeromq.js"
 * ```
 */
export function peerSides(runtime: Runtime): SideFactory {
  return {
    label: runtime,
    async open(spec, attach) {
      const peer = await LibzmqPeer.start(runtime, {
        type: spec.type,
        ...("bind" in attach ? { bind: [attach.bind] } : { connect: [attach.connect] }),
        routingId: spec.routingId === undefined
          ? undefined
          : new TextEncoder().encode(spec.routingId),
        routerMandatory: spec.mandatory,
        ...securityArgs(spec.security),
      });
      return { side: new PeerSide(peer, spec), endpoint: peer.endpoint };
    },
  };
}

/** A side's security as a peer's arguments. */
function securityArgs(security: SideSecurity | undefined) {
  if (security === undefined) return {};
  const { allowPlain, allowCurve, ...options } = security;
  return { ...options, zapAllowPlain: allowPlain, zapAllowCurve: allowCurve };
}
