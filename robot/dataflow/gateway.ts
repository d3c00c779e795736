/**
 * A robot's dataflow gateway: how other robots reach its topics and
 * services. The supervisor runs it when the robot YAML has
 * `gateway: { topics: ENDPOINT, services: ENDPOINT }`:
 *
 * - topics: an XPUB bound at `gateway.topics`, proxied to an XSUB connected
 *   (over inproc) to every node that publishes, so a remote subscription
 *   reaches the publishers and their messages come back out;
 * - services: a ROUTER bound at `gateway.services`; each request goes to a
 *   provider of its service on this robot (a DEALER per service, connected
 *   to its providers) and the reply goes back to the caller by request id.
 *
 * Another robot finds the gateway by asking this robot's control endpoint
 * for its `directory` (what is published and provided, and where the
 * gateway is); its nodes then name topics and services `robot/name`.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../config.ts";
 * import { DataflowGateway } from "./gateway.ts";
 * const gateway = new DataflowGateway(await loadRobotConfig("robot.yaml"));
 * await gateway.start();
 * console.log(gateway.directory());
 * await gateway.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Authenticator } from "../../core/security/authenticator.ts";
import { curveServerOptions } from "../../core/security/curve_config.ts";
import { Dealer, Router, XPublisher, XSubscriber } from "../../core/sockets/mod.ts";
import type { SecurityOptions } from "../../core/sockets/options.ts";
import type { NodeSpec, RobotConfig } from "../spec.ts";
import {
  CALL_RELAY_HOLD_MS,
  HEARTBEAT_ACROSS_HOSTS,
  type RobotDirectory,
} from "./dataflow_spec.ts";

export type { RobotDirectory } from "./dataflow_spec.ts";
import { decodeServiceRequest, encodeServiceReply } from "./codec.ts";
import { ROLE_HANDSHAKE_LIMITS } from "../../core/limits.ts";

const log = getLogger(["zedge", "robot", "gateway"]);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Requests in flight through the gateway; the oldest are forgotten beyond this. */
const MAX_IN_FLIGHT = 10_000;

/**
 * The dataflow of a robot as its directory says it (see {@link RobotDirectory}).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../config.ts";
 * import { robotDirectory } from "./gateway.ts";
 * console.log(robotDirectory(await loadRobotConfig("robot.yaml")).services);
 * ```
 */
export function robotDirectory(config: RobotConfig): RobotDirectory {
  const topics: Record<string, string[]> = {};
  const services: Record<string, string[]> = {};
  const exported = config.gatewayAccess.export;
  for (const c of config.components) {
    if (c.kind !== "node") continue;
    for (const topic of Object.keys(c.dataflow.publishes)) {
      if (exported.topics.includes(topic)) (topics[topic] ??= []).push(c.name);
    }
    for (const service of c.dataflow.provides) {
      if (exported.services.includes(service)) (services[service] ??= []).push(c.name);
    }
  }
  return { robot: config.robot, topics, services, gateway: { ...config.gateway } };
}

/**
 * What `robot` says to a call of something it does not export.
 *
 * @example
 * ```ts
 * import { notExported } from "./gateway.ts";
 * notExported("kitchen-bot", "unlock_door"); // "'unlock_door' is not exported by kitchen-bot"
 * ```
 */
export function notExported(robot: string, name: string): string {
  return `'${name}' is not exported by ${robot}`;
}

/**
 * The gateway (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../config.ts";
 * import { DataflowGateway } from "./gateway.ts";
 * const gateway = new DataflowGateway(await loadRobotConfig("robot.yaml"));
 * await gateway.start();
 * await gateway.close();
 * ```
 */
export class DataflowGateway {
  readonly #config: RobotConfig;
  readonly #nodes: NodeSpec[];
  #xpub: XPublisher | null = null;
  #xsub: XSubscriber | null = null;
  #router: Router | null = null;
  readonly #dealers = new Map<string, Dealer>();
  readonly #callers = new Map<string, Uint8Array>();
  #closed = false;

  /** Keeps the configuration; {@link start} binds. */
  constructor(config: RobotConfig) {
    this.#config = config;
    this.#nodes = config.components.filter((c): c is NodeSpec => c.kind === "node");
  }

  /** What this robot's directory says now. */
  directory(): RobotDirectory {
    return robotDirectory(this.#config);
  }

  /**
   * The gateway's server security: CURVE with the robot's key, letting in
   * its peers' keys and `gateway.allow` (nobody else), or NULL without
   * `security.curve` (protected mode keeps that on loopback or insecure).
   */
  #security(): SecurityOptions {
    const config = this.#config;
    if (config.security === null) return {};
    const zapDomain = `zedge.gateway.${config.robot}`;
    const options = curveServerOptions({ secretKey: config.security.secretKey }, {
      zapDomain,
      what: "the gateway (security.curve.secretKey)",
    });
    Authenticator.shared().setPolicy(zapDomain, {
      curve: { allow: [...Object.values(config.peerKeys), ...config.gatewayAccess.allow] },
    });
    return options;
  }

  /** Binds the configured endpoints and connects to the robot's publishers and providers. */
  async start(): Promise<void> {
    const { topics, services } = this.#config.gateway;
    const security = this.#security();
    const exported = this.#config.gatewayAccess.export;
    if (topics !== undefined) {
      // Heartbeats: a peer that vanished behind a partition is let go in 3 s, not queued for
      // as long as TCP retransmits (about 15 minutes).
      this.#xpub = new XPublisher({
        linger: 0,
        ...HEARTBEAT_ACROSS_HOSTS,
        ...ROLE_HANDSHAKE_LIMITS,
        ...security,
      });
      this.#xsub = new XSubscriber({ linger: 0 });
      await this.#xpub.bind(topics);
      for (const node of this.#nodes) {
        const offers = Object.keys(node.dataflow.publishes).some((t) =>
          exported.topics.includes(t)
        );
        if (node.dataflow.topicsEndpoint !== null && offers) {
          this.#xsub.connect(node.dataflow.topicsEndpoint);
        }
      }
      this.#relayTopics(this.#xpub, this.#xsub, exported.topics);
    }
    if (services !== undefined) {
      for (const node of this.#nodes) {
        for (const service of node.dataflow.provides) {
          if (!exported.services.includes(service)) continue;
          let dealer = this.#dealers.get(service);
          if (dealer === undefined) {
            // A call no provider takes in time is dropped, not run once one is back (restarted,
            // resumed) long after its caller gave up.
            dealer = new Dealer({ linger: 0, immediate: true, sendTimeout: CALL_RELAY_HOLD_MS });
            this.#dealers.set(service, dealer);
            this.#relayReplies(dealer);
          }
          dealer.connect(node.dataflow.servicesEndpoint!);
        }
      }
      this.#router = new Router({
        linger: 0,
        ...HEARTBEAT_ACROSS_HOSTS,
        ...ROLE_HANDSHAKE_LIMITS,
        ...security,
      });
      await this.#router.bind(services);
      this.#relayRequests(this.#router);
    }
    log.info("gateway of {robot}: topics at {topics}, services at {services}", {
      robot: this.#config.robot,
      topics: topics ?? "-",
      services: services ?? "-",
    });
  }

  async #relayRequests(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        const [caller, ...body] = frames;
        let request;
        try {
          request = decodeServiceRequest(body);
        } catch (error) {
          log.warn("gateway dropped a request: {error}", { error });
          continue;
        }
        const dealer = this.#dealers.get(request.service);
        if (dealer === undefined) {
          const reply = encodeServiceReply({
            rid: request.rid,
            ok: false,
            error: {
              code: "unknown-service",
              message: notExported(this.#config.robot, request.service),
            },
          });
          router.send([caller, ...reply]).catch(() => {});
          continue;
        }
        this.#callers.set(request.rid, caller);
        if (this.#callers.size > MAX_IN_FLIGHT) {
          this.#callers.delete(this.#callers.keys().next().value!);
        }
        dealer.send(body).catch(() => {/* no provider up: the caller times out and retries */});
      }
    } catch {
      // Closed.
    }
  }

  /**
   * Subscriptions go to the robot's publishers only when they can match an
   * exported topic, and only exported topics' messages come back out.
   */
  #relayTopics(xpub: XPublisher, xsub: XSubscriber, exported: readonly string[]): void {
    const up = (async () => {
      for await (const frames of xpub) {
        const frame = frames[0];
        if (frame === undefined || frame.length === 0 || (frame[0] !== 0 && frame[0] !== 1)) {
          continue;
        }
        const prefix = textDecoder.decode(frame.subarray(1));
        // An empty prefix (everything) is narrowed to the exported topics themselves.
        const wanted = prefix === ""
          ? exported
          : exported.some((t) => t.startsWith(prefix) || prefix.startsWith(t))
          ? [prefix]
          : [];
        for (const topic of wanted) {
          const out = new Uint8Array(1 + textEncoder.encode(topic).length);
          out[0] = frame[0];
          out.set(textEncoder.encode(topic), 1);
          await xsub.send([out]);
        }
      }
    })();
    const down = (async () => {
      for await (const frames of xsub) {
        if (exported.includes(textDecoder.decode(frames[0]))) await xpub.send(frames);
      }
    })();
    Promise.all([up, down]).catch((error) => {
      if (!this.#closed) log.warn("gateway topics stopped: {error}", { error });
    });
  }

  async #relayReplies(dealer: Dealer): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const frames of dealer) {
        if (frames.length !== 3) continue;
        const rid = decoder.decode(frames[0]);
        const caller = this.#callers.get(rid);
        if (caller === undefined || this.#router === null) continue;
        this.#callers.delete(rid);
        this.#router.send([caller, ...frames]).catch(() => {});
      }
    } catch {
      // Closed.
    }
  }

  /** Closes every socket. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([
      this.#xpub?.close(),
      this.#xsub?.close(),
      this.#router?.close(),
      ...[...this.#dealers.values()].map((d) => d.close()),
    ]);
  }
}
