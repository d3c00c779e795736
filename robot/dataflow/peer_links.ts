/**
 * The supervisor carries a robot's traffic with its peers, so the robot's
 * secret key never enters a component and a node that uses a peer needs no
 * net leave at all. For each peer in the YAML's `peers`, the supervisor
 * binds three inproc names that the robot's nodes reach as if they were the
 * peer (see {@link peerLinkEndpoints}):
 *
 * - `control`: answers `directory` only, by asking the peer's control
 *   endpoint (over CURVE as this robot, when the YAML gives the peer's
 *   `serverKey` and this robot has `security.curve`), with the gateway's
 *   endpoints replaced by the two below;
 * - `topics`: an XPUB proxied to an XSUB connected to the peer's gateway;
 * - `services`: a ROUTER relaying each call to a DEALER connected to the
 *   peer's gateway, and each reply back to its caller by request id.
 *
 * The peer's gateway decides what is exported: calls and subscriptions to
 * anything else fail with `not exported by <peer>`.
 *
 * @example
 * ```ts
 * import { peerLinkEndpoints } from "./peer_links.ts";
 * peerLinkEndpoints("kitchen-bot", "arm-bot").control;
 * // "inproc://zedge/kitchen-bot/peers/arm-bot/control"
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { readSecretCertificateSync, resolvePublicKeySync } from "../../core/security/mod.ts";
import { Dealer, proxy, Router, XPublisher, XSubscriber } from "../../core/sockets/mod.ts";
import type { SecurityOptions } from "../../core/sockets/options.ts";
import { reachableEndpoint } from "../../core/transport/endpoint.ts";
import { controlRequest, type ControlRequestOptions } from "../control.ts";
import type { RobotConfig } from "../spec.ts";
import { decodeServiceRequest } from "./codec.ts";
import {
  CALL_RELAY_HOLD_MS,
  HEARTBEAT_ACROSS_HOSTS,
  peerLinkEndpoints,
  type RobotDirectory,
} from "./dataflow_spec.ts";

/**
 * The links to a peer's gateway cross the network: a silent partition (packets dropped, no
 * reset) leaves a dead TCP connection that TCP retries at doubling intervals, so after a 20 s
 * cut the link came back only 5-7 s after the network healed (tests/fleet). Heartbeats close
 * the dead connection within 3 s; a connect attempt that hangs on a silent network is given up
 * after 2 s and tried again, so the link is back about a second after the heal.
 */
const ACROSS_HOSTS = { ...HEARTBEAT_ACROSS_HOSTS, connectTimeout: 2000 };

export { peerLinkEndpoints } from "./dataflow_spec.ts";

const log = getLogger(["zedge", "robot", "peers"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Calls in flight through one link; the oldest are forgotten beyond this. */
const MAX_IN_FLIGHT = 10_000;

/** One peer: its control, and the links opened once its directory named its gateway. */
class PeerLink {
  readonly #robot: string;
  readonly #peer: string;
  readonly #control: string;
  readonly #curve: ControlRequestOptions["curve"];
  readonly #ends: { control: string; topics: string; services: string };
  readonly #sockets: { close(): Promise<void> }[] = [];
  #router: Router | null = null;
  #xpub: XPublisher | null = null;
  #xsub: XSubscriber | null = null;
  #services: Router | null = null;
  #dealer: Dealer | null = null;
  readonly #callers = new Map<string, Uint8Array>();
  #closed = false;

  constructor(
    robot: string,
    peer: string,
    control: string,
    curve: ControlRequestOptions["curve"],
  ) {
    this.#robot = robot;
    this.#peer = peer;
    this.#control = control;
    this.#curve = curve;
    this.#ends = peerLinkEndpoints(robot, peer);
  }

  /** The socket options of a client of the peer (CURVE as this robot, or NULL). */
  #security(): SecurityOptions {
    const curve = this.#curve;
    if (curve === undefined) return {};
    return {
      curveServerKey: curve.serverKey,
      ...(curve.secretKey === undefined ? {} : { curveSecretKey: curve.secretKey }),
      ...(curve.publicKey === undefined ? {} : { curvePublicKey: curve.publicKey }),
    };
  }

  async start(): Promise<void> {
    this.#router = new Router({ linger: 0 });
    this.#xpub = new XPublisher({ linger: 0 });
    this.#xsub = new XSubscriber({ linger: 0, ...ACROSS_HOSTS, ...this.#security() });
    this.#services = new Router({ linger: 0 });
    // A call the peer's gateway does not take in time (a partition, the peer restarting) is
    // dropped: held, it ran on the peer when the network healed, long after its caller gave up.
    this.#dealer = new Dealer({
      linger: 0,
      immediate: true,
      sendTimeout: CALL_RELAY_HOLD_MS,
      ...ACROSS_HOSTS,
      ...this.#security(),
    });
    this.#sockets.push(this.#router, this.#xpub, this.#xsub, this.#services, this.#dealer);
    await this.#router.bind(this.#ends.control);
    await this.#xpub.bind(this.#ends.topics);
    await this.#services.bind(this.#ends.services);
    proxy(this.#xpub, this.#xsub).catch((error) => {
      if (!this.#closed) {
        log.warn("link to {peer}: topics stopped: {error}", { peer: this.#peer, error });
      }
    });
    this.#answerControl(this.#router);
    this.#relayCalls(this.#services, this.#dealer);
    this.#relayReplies(this.#dealer);
  }

  async #answerControl(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        if (frames.length !== 3 || frames[1].length !== 0) continue;
        this.#directory(frames[2]).then((reply) =>
          router.send([frames[0], new Uint8Array(0), encoder.encode(JSON.stringify(reply))])
            .catch(() => {/* the node left */})
        );
      }
    } catch {
      // Closed.
    }
  }

  /** A node's control request: only `directory`, asked of the peer and pointed at the links. */
  async #directory(body: Uint8Array): Promise<unknown> {
    let op: unknown;
    try {
      op = JSON.parse(decoder.decode(body))?.op;
    } catch {
      return { ok: false, error: "request is not JSON" };
    }
    if (op !== "directory") {
      return { ok: false, error: `a node may ask peer ${this.#peer} for its directory only` };
    }
    let reply;
    try {
      reply = await controlRequest(this.#control, { op: "directory" }, {
        timeoutMs: 2000,
        curve: this.#curve,
      });
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (!reply.ok || !("directory" in reply)) return reply;
    const directory = reply.directory as RobotDirectory;
    const gateway = directory.gateway ?? {};
    this.#connect("topics", gateway.topics);
    this.#connect("services", gateway.services);
    return {
      ok: true,
      directory: {
        ...directory,
        gateway: {
          ...(gateway.topics === undefined ? {} : { topics: this.#ends.topics }),
          ...(gateway.services === undefined ? {} : { services: this.#ends.services }),
        },
      },
    };
  }

  readonly #connected = new Map<string, string>();

  /** Connects the link to the peer's gateway endpoint (again, when it moved). */
  #connect(which: "topics" | "services", bound: string | undefined): void {
    if (bound === undefined || this.#closed) return;
    const endpoint = reachableEndpoint(bound, this.#control);
    const before = this.#connected.get(which);
    if (before === endpoint) return;
    const socket = which === "topics" ? this.#xsub! : this.#dealer!;
    if (before !== undefined) socket.disconnect(before).catch(() => {});
    socket.connect(endpoint);
    this.#connected.set(which, endpoint);
  }

  async #relayCalls(router: Router, dealer: Dealer): Promise<void> {
    try {
      for await (const frames of router) {
        const [caller, ...body] = frames;
        let rid: string;
        try {
          rid = decodeServiceRequest(body).rid;
        } catch (error) {
          log.warn("link to {peer}: dropped a call: {error}", { peer: this.#peer, error });
          continue;
        }
        this.#callers.set(rid, caller);
        if (this.#callers.size > MAX_IN_FLIGHT) {
          this.#callers.delete(this.#callers.keys().next().value!);
        }
        dealer.send(body).catch(() => {/* the peer is away: the caller times out and retries */});
      }
    } catch {
      // Closed.
    }
  }

  async #relayReplies(dealer: Dealer): Promise<void> {
    try {
      for await (const frames of dealer) {
        if (frames.length < 1) continue;
        const rid = decoder.decode(frames[0]);
        const caller = this.#callers.get(rid);
        if (caller === undefined || this.#services === null) continue;
        this.#callers.delete(rid);
        this.#services.send([caller, ...frames]).catch(() => {});
      }
    } catch {
      // Closed.
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#sockets.map((s) => s.close()));
  }
}

/**
 * The CURVE client settings this robot uses towards `peer`: its own key
 * pair and the peer's key, when both are in the YAML; none otherwise (the
 * string form of a peer, on loopback or with `insecure: true`).
 *
 * @example
 * ```ts
 * import { peerCurve } from "./peer_links.ts";
 * import type { RobotConfig } from "../spec.ts";
 * declare const config: RobotConfig;
 * peerCurve(config, "arm-bot");
 * ```
 */
export function peerCurve(
  config: Pick<RobotConfig, "security" | "peerKeys">,
  peer: string,
): ControlRequestOptions["curve"] {
  const key = config.peerKeys[peer];
  if (key === undefined || config.security === null) return undefined;
  const own = readSecretCertificateSync(config.security.secretKey);
  return {
    serverKey: resolvePublicKeySync(key),
    secretKey: own.secretKey,
    publicKey: own.publicKey,
  };
}

/**
 * Every peer link of a robot (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../config.ts";
 * import { PeerLinks } from "./peer_links.ts";
 * const links = new PeerLinks(await loadRobotConfig("robot.yaml"));
 * await links.start();
 * await links.close();
 * ```
 */
export class PeerLinks {
  readonly #links: PeerLink[] = [];

  /** One link per peer of `config`; the key files are read here. */
  constructor(config: RobotConfig) {
    for (const [peer, control] of Object.entries(config.peers)) {
      this.#links.push(new PeerLink(config.robot, peer, control, peerCurve(config, peer)));
    }
  }

  /** True when the robot has peers. */
  get any(): boolean {
    return this.#links.length > 0;
  }

  /** Binds every link's inproc names. */
  async start(): Promise<void> {
    for (const link of this.#links) await link.start();
  }

  /** Closes every link. */
  async close(): Promise<void> {
    await Promise.all(this.#links.map((l) => l.close()));
  }
}
