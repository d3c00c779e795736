/**
 * The dataflow as plain data: what a node declared and where its peers are
 * ({@link DataflowSpec}, part of its component spec), what a robot tells
 * another ({@link RobotDirectory}), and how topic names match. No sockets
 * here, so the spec types can use it without the runtime.
 *
 * @example
 * ```ts
 * import { matches } from "./dataflow_spec.ts";
 * matches("odom", "odom"); // true
 * ```
 * @module
 */
import type { TopicEncoding } from "./codec.ts";

/**
 * A node's dataflow, as resolved from the robot YAML: what it declared, and
 * where the peers it needs are.
 *
 * @example
 * ```ts
 * import type { DataflowSpec } from "./node_dataflow.ts";
 * const spec: DataflowSpec = {
 *   publishes: { odom: "msgpack" }, subscribes: [], provides: [], calls: [],
 *   topicsEndpoint: "inproc://zedge/kitchen-bot/odometry/topics", servicesEndpoint: null,
 *   publishers: [], providers: {}, peers: {},
 * };
 * ```
 */
export interface DataflowSpec {
  /** Topics it publishes, with their encodings. */
  publishes: Record<string, TopicEncoding>;
  /** Topic names or prefixes it subscribes to. */
  subscribes: string[];
  /** Services it provides. */
  provides: string[];
  /** Services it calls. */
  calls: string[];
  /** Where its PUB socket binds (when it publishes). */
  topicsEndpoint: string | null;
  /** Where its ROUTER socket binds (when it provides). */
  servicesEndpoint: string | null;
  /** Publishers of the topics it subscribes to: who, where, and what they publish. */
  publishers: { source: string; endpoint: string; topics: string[] }[];
  /** Providers of each service it calls. */
  providers: Record<string, { source: string; endpoint: string }[]>;
  /** The other robots it uses (`peer/name`), by name: their control endpoints. */
  peers: Record<string, string>;
}

/**
 * What a robot tells another about its dataflow (the control `directory` reply).
 *
 * @example
 * ```ts
 * import type { RobotDirectory } from "./gateway.ts";
 * const d: RobotDirectory = {
 *   robot: "arm-bot", topics: { joint_states: ["arm"] }, services: { grip: ["gripper"] },
 *   gateway: { topics: "tcp://*:7701", services: "tcp://*:7702" },
 * };
 * ```
 */
export interface RobotDirectory {
  /** The robot's name. */
  robot: string;
  /** Topic → the components that publish it. */
  topics: Record<string, string[]>;
  /** Service → the components that provide it. */
  services: Record<string, string[]>;
  /** Where the gateway's sockets are bound (a wildcard host means the robot's own). */
  gateway: { topics?: string; services?: string };
}

/**
 * Whether `topic` is what a subscription to `pattern` (a topic, or a prefix
 * ending in `*`) wants.
 *
 * @example
 * ```ts
 * import { matches } from "./dataflow_spec.ts";
 * matches("odom*", "odom.filtered"); // true
 * ```
 */
export function matches(pattern: string, topic: string): boolean {
  return pattern.endsWith("*") ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern;
}

/**
 * Where this robot's nodes reach peer `peer` (inproc names the supervisor binds).
 *
 * @example
 * ```ts
 * import { peerLinkEndpoints } from "./dataflow_spec.ts";
 * peerLinkEndpoints("kitchen-bot", "arm-bot").services;
 * // "inproc://zedge/kitchen-bot/peers/arm-bot/services"
 * ```
 */
export function peerLinkEndpoints(
  robot: string,
  peer: string,
): { control: string; topics: string; services: string } {
  const base = `inproc://zedge/${robot}/peers/${peer}`;
  return { control: `${base}/control`, topics: `${base}/topics`, services: `${base}/services` };
}

/**
 * How long a relay of calls (a peer link, a gateway) waits to hand a call on when no provider
 * is reachable before it drops it: as long as a call waits by default (`ctx.call`'s 5 s). A
 * relay cannot know its caller's own timeout, and a call held without end (a partition, a
 * provider down) ran long after its caller gave up, once the way was back; the caller's retry,
 * with the same request id, is handed on afresh.
 *
 * @example
 * ```ts
 * import { CALL_RELAY_HOLD_MS } from "./dataflow_spec.ts";
 * console.log(CALL_RELAY_HOLD_MS); // 5000
 * ```
 */
export const CALL_RELAY_HOLD_MS = 5000;

/**
 * The ZMTP heartbeats of the sockets that cross to other robots (the peer links and the gateway):
 * a PING every second, a connection silent for 3 s after one is closed. Over a silent partition
 * TCP alone keeps a dead connection for minutes (a peer link's, until its next retransmission
 * after the heal; a gateway's to a peer that vanished, about 15 minutes, queueing its exported
 * messages all along).
 *
 * @example
 * ```ts
 * import { HEARTBEAT_ACROSS_HOSTS } from "./dataflow_spec.ts";
 * console.log(HEARTBEAT_ACROSS_HOSTS.heartbeatTimeout); // 3000
 * ```
 */
export const HEARTBEAT_ACROSS_HOSTS = { heartbeatInterval: 1000, heartbeatTimeout: 3000 } as const;
