/**
 * A running robot's data as the supervisor offers it to people: its
 * topics (through the {@link TopicTap}), its log records and its
 * components' states, its services to call, and the operator's topics to
 * publish on. The Foxglove server, the control endpoint's streams (`zedge
 * topic`, `zedge service`, `zedge robot record|play`) and the status page
 * all read the robot through one {@link RobotLive}.
 *
 * - An operator publishes only the topics the YAML's `operator.publishes`
 *   names: the supervisor binds their PUB and the nodes subscribing to them
 *   dial it. `play` (a recording) is refused a topic that a component also
 *   publishes: two sources would interleave.
 * - Log records and states are channels of their own, named so no topic
 *   can be ({@link LOG_TOPIC}, {@link STATES_TOPIC}): a log record is a
 *   `foxglove.Log`, the states are every component's state after each
 *   change.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../config.ts";
 * import { RobotObservatory } from "../observe/observatory.ts";
 * import { RobotLive } from "./hub.ts";
 * const config = await loadRobotConfig("robot.yaml");
 * const observatory = new RobotObservatory(() => ({ robot: config.robot, pid: Deno.pid, uptimeMs: 0, components: [] }));
 * const live = new RobotLive(config, observatory);
 * await live.start();
 * const stop = live.tap.listen(["odom"], (m) => console.log(m.topic));
 * stop();
 * await live.close();
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";
import { Publisher } from "../../core/sockets/mod.ts";
import { type NodeSpec, OPERATOR_SOURCE, type RobotConfig, type TopicSchema } from "../spec.ts";
import type { ComponentState } from "../control.ts";
import {
  decodeTopicMessage,
  encodeTopicMessage,
  type TopicEncoding,
  topicEncodingOf,
} from "../dataflow/codec.ts";
import { matches } from "../dataflow/node_dataflow.ts";
import type { RobotObservatory } from "../observe/observatory.ts";
import type { LogLine, TopicView } from "../observe/view.ts";
import { fromJsonValue, type JsonValue, toJsonValue } from "./json_value.ts";
import { type CallOutcome, ServiceCaller } from "./service_caller.ts";
import { TopicTap } from "./tap.ts";

/**
 * The channel of the robot's log records (a `foxglove.Log` each).
 *
 * @example
 * ```ts
 * import { LOG_TOPIC } from "./hub.ts";
 * console.log(LOG_TOPIC); // "/zedge/log"
 * ```
 */
export const LOG_TOPIC = "/zedge/log";

/**
 * The channel of the components' states (every component's, after each change).
 *
 * @example
 * ```ts
 * import { STATES_TOPIC } from "./hub.ts";
 * console.log(STATES_TOPIC); // "/zedge/states"
 * ```
 */
export const STATES_TOPIC = "/zedge/states";

/** How long a topic's latest value is kept up to date after someone last asked for it. */
const LATEST_LEASE_MS = 10_000;
/** Topics whose latest values are kept at once, at most. */
const MAX_LATEST_TOPICS = 64;

/**
 * One topic of the robot, as its YAML declares it.
 *
 * @example
 * ```ts
 * import type { LiveTopic } from "./hub.ts";
 * const t: LiveTopic = {
 *   topic: "odom", publishers: ["odometry"], subscribers: ["filter"], encoding: "msgpack", operator: false,
 * };
 * ```
 */
export interface LiveTopic {
  /** The topic. */
  topic: string;
  /** Who publishes it: components, and `(operator)` when an operator may. */
  publishers: string[];
  /** The components whose YAML subscribes to it. */
  subscribers: string[];
  /** The encoding its first publisher declares. */
  encoding: TopicEncoding;
  /** Whether an operator may publish it (`operator.publishes`). */
  operator: boolean;
  /** The schema the YAML declares for it, if any. */
  schema?: TopicSchema;
}

/**
 * A topic's latest message, as JSON.
 *
 * @example
 * ```ts
 * import type { LatestValue } from "./hub.ts";
 * const v: LatestValue = { topic: "odom", value: { x: 1 }, time: Date.now(), source: "odometry", receivedAt: Date.now() };
 * ```
 */
export interface LatestValue {
  /** The topic. */
  topic: string;
  /** Its value, as JSON (see json_value.ts). */
  value: JsonValue;
  /** When it was published (the publisher's clock), ms since the epoch. */
  time: number;
  /** Who published it. */
  source: string;
  /** When the supervisor received it, ms since the epoch. */
  receivedAt: number;
}

/**
 * One component in a {@link STATES_TOPIC} message.
 *
 * @example
 * ```ts
 * import type { ComponentStateValue } from "./hub.ts";
 * const s: ComponentStateValue = { name: "planner", kind: "node", state: "running", restarts: 0, lastError: null };
 * ```
 */
export interface ComponentStateValue {
  /** Component name. */
  name: string;
  /** Its kind. */
  kind: string;
  /** Its state. */
  state: ComponentState;
  /** Restarts since the robot started. */
  restarts: number;
  /** Its last error, or null. */
  lastError: string | null;
}

/**
 * Why an operator's publish was refused (the message says what to change).
 *
 * @example
 * ```ts
 * import { PublishRefusedError } from "./hub.ts";
 * const e = new PublishRefusedError("'odom' is not among the topics an operator may publish");
 * ```
 */
export class PublishRefusedError extends ZedgeError {
  /** Always `"publish-refused"`. */
  readonly code: string = "publish-refused";
  /** Creates the error, saying why. */
  constructor(message: string) {
    super(message);
    this.name = "PublishRefusedError";
  }
}

interface LatestEntry {
  value: LatestValue | null;
  waiters: ((value: LatestValue) => void)[];
  stop: () => void;
  expires: number;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import type { RobotLive } from "./hub.ts";
 * declare const live: RobotLive;
 * console.log(live.topics().map((t) => t.topic));
 * ```
 */
export class RobotLive {
  /** The robot's configuration. */
  readonly config: RobotConfig;
  /** The tap on every topic of the robot. */
  readonly tap: TopicTap;
  readonly #observatory: RobotObservatory;
  readonly #caller: ServiceCaller;
  readonly #topics: LiveTopic[];
  readonly #latest = new Map<string, LatestEntry>();
  #latestSweep: ReturnType<typeof setInterval> | undefined;
  #operator: Publisher | null = null;

  /** Reads the robot from `config`, its logs and states from `observatory`. */
  constructor(config: RobotConfig, observatory: RobotObservatory) {
    this.config = config;
    this.#observatory = observatory;
    const nodes = config.components.filter((c): c is NodeSpec => c.kind === "node");
    const publishers: Record<string, string[]> = {};
    const sources: Record<string, string> = {};
    for (const node of nodes) {
      for (const topic of Object.keys(node.dataflow.publishes)) {
        (publishers[topic] ??= []).push(node.dataflow.topicsEndpoint!);
        sources[node.dataflow.topicsEndpoint!] = node.name;
      }
    }
    for (const topic of Object.keys(config.operator.publishes)) {
      (publishers[topic] ??= []).push(config.operator.endpoint!);
      sources[config.operator.endpoint!] = OPERATOR_SOURCE;
    }
    this.tap = new TopicTap(publishers, sources);
    const providers: Record<string, string[]> = {};
    for (const node of nodes) {
      for (const service of node.dataflow.provides) {
        (providers[service] ??= []).push(node.dataflow.servicesEndpoint!);
      }
    }
    this.#caller = new ServiceCaller(providers);
    this.#topics = declaredTopics(config, nodes);
  }

  /** Binds the operator's PUB (when the YAML names operator topics). */
  async start(): Promise<void> {
    const endpoint = this.config.operator.endpoint;
    if (endpoint === null || this.#operator !== null) return;
    const publisher = new Publisher({ linger: 0, sendHighWaterMark: 1000 });
    try {
      await publisher.bind(endpoint);
    } catch (error) {
      await publisher.close();
      throw error;
    }
    this.#operator = publisher;
  }

  /** Every topic of the robot, sorted. */
  topics(): LiveTopic[] {
    return this.#topics.map((t) => ({
      ...t,
      publishers: [...t.publishers],
      subscribers: [...t.subscribers],
    }));
  }

  /** Every topic's live figures (publishers, subscribers, rates), as the status page shows them. */
  figures(): TopicView[] {
    return this.#observatory.view().topics;
  }

  /** Every service of the robot with its providers, sorted. */
  services(): { service: string; providers: string[] }[] {
    const services = new Map<string, string[]>();
    for (const c of this.config.components) {
      if (c.kind !== "node") continue;
      for (const service of c.dataflow.provides) {
        services.set(service, [...(services.get(service) ?? []), c.name]);
      }
    }
    return [...services].sort(([a], [b]) => a.localeCompare(b))
      .map(([service, providers]) => ({ service, providers }));
  }

  /** Calls a service of the robot as an operator (see {@link ServiceCaller}). */
  call(service: string, request: unknown, timeoutMs: number): Promise<CallOutcome> {
    return this.#caller.call(service, request, timeoutMs);
  }

  /**
   * Publishes `value` (JSON: a raw topic's bytes as `{ data: base64 }`) on
   * one of the operator's topics. `play`: refused on a topic a component
   * publishes too. Throws {@link PublishRefusedError} saying what to change.
   */
  publish(topic: string, value: unknown, options: { play?: boolean } = {}): Promise<void> {
    let frames: Uint8Array[];
    try {
      const encoding = this.#publishable(topic, options.play ?? false);
      let decoded: unknown;
      try {
        decoded = fromJsonValue(value, encoding, topic);
      } catch (error) {
        throw new PublishRefusedError((error as Error).message);
      }
      frames = encodeTopicMessage(topic, decoded, OPERATOR_SOURCE, encoding);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#operator!.send(frames);
  }

  /** The encoding an operator publishes `topic` in; throws when it may not. */
  #publishable(topic: string, play: boolean): TopicEncoding {
    const allowed = this.config.operator.publishes;
    if (play) {
      // Two sources on one topic would interleave: a recording plays beside a component only renamed.
      const components = this.#topics.find((t) => t.topic === topic)?.publishers
        .filter((p) => p !== OPERATOR_SOURCE) ?? [];
      if (components.length > 0) {
        throw new PublishRefusedError(
          `'${topic}' is also published by ${components.join(", ")}: play it under another ` +
            `name (--remap ${topic}=NEW) or stop ${components.length > 1 ? "them" : "it"}`,
        );
      }
    }
    if (!Object.hasOwn(allowed, topic) || this.#operator === null) {
      throw new PublishRefusedError(
        `'${topic}' is not among the topics an operator may publish: add it to the robot YAML's ` +
          `operator.publishes (now: ${Object.keys(allowed).join(", ") || "none"})`,
      );
    }
    return allowed[topic];
  }

  /**
   * Checks that `topic` may be published (as {@link publish} would) and
   * returns the refusal's text, or null when it may.
   */
  publishProblem(topic: string, options: { play?: boolean } = {}): string | null {
    try {
      this.#publishable(topic, options.play ?? false);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * The latest message on `topic`, waiting up to `waitMs` for one when none
   * has come since someone last asked; the topic is kept watched for
   * {@link LATEST_LEASE_MS} after each ask. Null when nothing came in time.
   */
  async latest(topic: string, waitMs: number): Promise<LatestValue | null> {
    if (!this.#topics.some((t) => t.topic === topic)) return null;
    let entry = this.#latest.get(topic);
    if (entry === undefined) {
      if (this.#latest.size >= MAX_LATEST_TOPICS) {
        this.#forgetLatest(this.#latest.keys().next().value!);
      }
      const created: LatestEntry = { value: null, waiters: [], stop: () => {}, expires: 0 };
      created.stop = this.tap.listen([topic], (message) => {
        try {
          const decoded = decodeTopicMessage(message.frames);
          const encoding = topicEncodingOf(message.frames[1]) ?? "msgpack";
          created.value = {
            topic,
            value: toJsonValue(decoded.value, encoding),
            time: decoded.time,
            source: decoded.source,
            receivedAt: message.receivedAt,
          };
          for (const wake of created.waiters.splice(0)) wake(created.value);
        } catch {
          // An unreadable message: the previous value stays the latest.
        }
      });
      this.#latest.set(topic, entry = created);
      this.#latestSweep ??= setInterval(() => this.#sweepLatest(), 1000);
    }
    entry.expires = performance.now() + LATEST_LEASE_MS;
    if (entry.value !== null) return entry.value;
    const found = entry;
    let timer: ReturnType<typeof setTimeout> | undefined;
    return await new Promise<LatestValue | null>((resolve) => {
      const wake = (value: LatestValue | null) => {
        clearTimeout(timer);
        resolve(value);
      };
      found.waiters.push(wake);
      timer = setTimeout(() => {
        found.waiters = found.waiters.filter((w) => w !== wake);
        resolve(null);
      }, waitMs);
    });
  }

  #sweepLatest(): void {
    const now = performance.now();
    for (const [topic, entry] of this.#latest) {
      if (entry.expires < now && entry.waiters.length === 0) this.#forgetLatest(topic);
    }
    if (this.#latest.size === 0) {
      clearInterval(this.#latestSweep);
      this.#latestSweep = undefined;
    }
  }

  #forgetLatest(topic: string): void {
    this.#latest.get(topic)?.stop();
    this.#latest.delete(topic);
  }

  /** Calls `listener` with every log line of the robot; returns the unsubscribe function. */
  onLog(listener: (line: LogLine) => void): () => void {
    return this.#observatory.onLog(listener);
  }

  /** The components' states now. */
  states(): ComponentStateValue[] {
    return this.#observatory.status().components.map((c) => ({
      name: c.name,
      kind: c.kind,
      state: c.state,
      restarts: c.restarts,
      lastError: c.lastError,
    }));
  }

  /** Calls `listener` with every component's state after each change; returns the unsubscribe function. */
  onStates(listener: (states: ComponentStateValue[]) => void): () => void {
    return this.#observatory.onChange(() => listener(this.states()));
  }

  /** Stops watching, closes the operator's PUB, the service sockets and the tap. */
  async close(): Promise<void> {
    clearInterval(this.#latestSweep);
    this.#latestSweep = undefined;
    for (const topic of [...this.#latest.keys()]) this.#forgetLatest(topic);
    await Promise.all([this.#operator?.close(), this.#caller.close(), this.tap.close()]);
    this.#operator = null;
  }
}

/** The topics the YAML declares: every node's `publishes` and `operator.publishes`, sorted. */
function declaredTopics(config: RobotConfig, nodes: NodeSpec[]): LiveTopic[] {
  const topics = new Map<string, LiveTopic>();
  const add = (topic: string, publisher: string, encoding: TopicEncoding, operator: boolean) => {
    let entry = topics.get(topic);
    if (entry === undefined) {
      entry = {
        topic,
        publishers: [],
        subscribers: nodes.filter((n) => n.dataflow.subscribes.some((s) => matches(s, topic)))
          .map((n) => n.name),
        encoding,
        operator: false,
      };
      const schema = config.topicSchemas[topic];
      if (schema !== undefined) entry.schema = schema;
      topics.set(topic, entry);
    }
    entry.publishers.push(publisher);
    entry.operator ||= operator;
  };
  for (const node of nodes) {
    for (const [topic, encoding] of Object.entries(node.dataflow.publishes)) {
      add(topic, node.name, encoding, false);
    }
  }
  for (const [topic, encoding] of Object.entries(config.operator.publishes)) {
    add(topic, OPERATOR_SOURCE, encoding, true);
  }
  return [...topics.values()].sort((a, b) => a.topic.localeCompare(b.topic));
}
