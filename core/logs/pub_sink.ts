/**
 * Log records published on a PUB socket (AgentZero's log handler): a
 * logtape sink for a program's own records, and `publish` for records
 * formed elsewhere (the supervisor receives every component's). Publishing
 * never waits and never queues beyond the high-water mark: a PUB drops
 * what nobody subscribed to, and what a slow subscriber has no room for —
 * those records are counted in `dropped`.
 *
 * @module
 */
import { Publisher } from "../sockets/mod.ts";
import { type FormedLogRecord, formLogRecord, type LogtapeRecord } from "./record.ts";
import { checkTopicSegment, encodeLogMessage } from "./wire.ts";

/** Records queued per subscriber before the next ones are dropped for it. */
const DEFAULT_HIGH_WATER_MARK = 1000;
/** How long close() lets records already queued reach healthy subscribers. */
const DEFAULT_LINGER_MS = 200;

/**
 * Options of {@link createPubLogSink}: where to publish (`endpoint` or a
 * `socket` of yours) and the names that make up each record's topic.
 *
 * @example
 * ```ts
 * import type { PubLogSinkOptions } from "./pub_sink.ts";
 * const options: PubLogSinkOptions = { endpoint: "tcp://*:7790", robot: "kitchen-bot" };
 * ```
 */
export interface PubLogSinkOptions {
  /** Bind a new PUB socket here (or connect it, with `connect: true`). */
  endpoint?: string;
  /** Connect to `endpoint` (a collector that binds a SUB) instead of binding it. */
  connect?: boolean;
  /**
   * Publish on this PUB (or XPUB) socket instead; it stays yours: close()
   * leaves it open, and only an explicit `highWaterMark` changes it.
   */
  socket?: Publisher;
  /** The robot's name: the first segment of every topic (no dots or whitespace). */
  robot: string;
  /** The component the records given to `sink` come from (default "main"). */
  component?: string;
  /** Records queued per subscriber before newer ones are dropped for it (default 1000; ≥ 1). */
  highWaterMark?: number;
  /** How long close() lets queued records reach subscribers, in ms (default 200). */
  lingerMs?: number;
}

/**
 * A PUB socket publishing log records. Each goes out as topic
 * `<robot>.<component>.<level>` and the JSON body
 * `{ time, level, category, message, properties, robot, component }`.
 *
 * @example
 * ```ts
 * import { configure } from "@logtape/logtape";
 * import { createPubLogSink } from "./pub_sink.ts";
 * const logs = await createPubLogSink({ endpoint: "tcp://127.0.0.1:0", robot: "kitchen-bot" });
 * await configure({ sinks: { pub: logs.sink }, loggers: [{ category: ["app"], sinks: ["pub"] }] });
 * logs.publish("planner", {
 *   time: Date.now(), level: "warning", category: ["kitchen-bot", "planner"],
 *   message: "no path to the dock", properties: {},
 * });
 * console.log(logs.endpoint, logs.published, logs.dropped);
 * await logs.close();
 * ```
 */
export interface PubLogSink extends AsyncDisposable {
  /**
   * The logtape sink (`configure({ sinks: { pub: logs.sink } })`): publishes
   * each record as coming from the `component` option.
   */
  readonly sink: (record: LogtapeRecord) => void;
  /**
   * Publishes a record already formed elsewhere as coming from `component`
   * (no dots or whitespace) — what the supervisor does with each record a
   * component sends it. Never waits; does nothing once closed.
   *
   * @example
   * ```ts
   * import { createPubLogSink, type FormedLogRecord } from "../../mod.ts";
   * const logs = await createPubLogSink({ endpoint: "tcp://*:7790", robot: "kitchen-bot" });
   * // The supervisor's onLog: every component's records, as they arrive.
   * const onLog = (component: string, record: FormedLogRecord) => logs.publish(component, record);
   * onLog("planner", {
   *   time: Date.now(), level: "error", category: ["kitchen-bot", "planner"],
   *   message: "no path", properties: {},
   * }); // topic kitchen-bot.planner.error
   * await logs.close();
   * ```
   */
  publish(component: string, record: FormedLogRecord): void;
  /** The endpoint bound (a random port resolved) or connected; null for a `socket` given. */
  readonly endpoint: string | null;
  /** Records handed to the socket so far. */
  readonly published: number;
  /** Records a subscriber missed because it was over the high-water mark. */
  readonly dropped: number;
  /** Stops publishing and closes the socket it made (after up to `lingerMs`). */
  close(): Promise<void>;
}

/**
 * Makes a {@link PubLogSink}: binds (or connects) a PUB socket at
 * `endpoint`, or uses the `socket` given. Rejects, naming the endpoint,
 * when it cannot bind; throws a TypeError for a bad name or option.
 *
 * @example
 * ```ts
 * import { configure, getLogger } from "@logtape/logtape";
 * import { createPubLogSink } from "./pub_sink.ts";
 * const logs = await createPubLogSink({
 *   endpoint: "tcp://*:7790", robot: "kitchen-bot", component: "supervisor",
 * });
 * await configure({
 *   sinks: { pub: logs.sink },
 *   loggers: [{ category: ["zedge"], sinks: ["pub"], lowestLevel: "info" }],
 * });
 * getLogger(["zedge", "supervisor"]).info("robot up"); // topic kitchen-bot.supervisor.info
 * await logs.close();
 * ```
 */
export async function createPubLogSink(options: PubLogSinkOptions): Promise<PubLogSink> {
  checkTopicSegment(options.robot, "robot");
  const component = options.component ?? "main";
  checkTopicSegment(component, "component");
  const highWaterMark = options.highWaterMark;
  if (highWaterMark !== undefined && !(Number.isInteger(highWaterMark) && highWaterMark >= 1)) {
    throw new TypeError(`highWaterMark must be an integer ≥ 1, got ${highWaterMark}`);
  }
  if ((options.endpoint === undefined) === (options.socket === undefined)) {
    throw new TypeError("createPubLogSink needs an endpoint or a socket (one of them)");
  }
  if (options.socket !== undefined) {
    if (!(options.socket instanceof Publisher)) {
      throw new TypeError("the socket of a PUB log sink must be a Publisher or an XPublisher");
    }
    if (highWaterMark !== undefined) options.socket.sendHighWaterMark = highWaterMark;
    return new PubLogSinkImpl(options.socket, false, null, options.robot, component);
  }
  const endpoint = options.endpoint!;
  const socket = new Publisher({
    sendHighWaterMark: highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    linger: options.lingerMs ?? DEFAULT_LINGER_MS,
  });
  try {
    if (options.connect) socket.connect(endpoint);
    else await socket.bind(endpoint);
  } catch (error) {
    await socket.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `cannot ${options.connect ? "connect" : "bind"} the log publisher to ${endpoint}: ${message}`,
      { cause: error },
    );
  }
  const resolved = options.connect ? endpoint : socket.lastEndpoint;
  return new PubLogSinkImpl(socket, true, resolved, options.robot, component);
}

class PubLogSinkImpl implements PubLogSink {
  readonly endpoint: string | null;
  readonly sink: (record: LogtapeRecord) => void;
  readonly #socket: Publisher;
  readonly #owned: boolean;
  readonly #robot: string;
  #published = 0;
  #dropped = 0;
  #closed = false;

  constructor(
    socket: Publisher,
    owned: boolean,
    endpoint: string | null,
    robot: string,
    component: string,
  ) {
    this.#socket = socket;
    this.#owned = owned;
    this.endpoint = endpoint;
    this.#robot = robot;
    this.sink = (record) => this.#send(component, formLogRecord(record));
  }

  get published(): number {
    return this.#published;
  }

  get dropped(): number {
    return this.#dropped;
  }

  publish(component: string, record: FormedLogRecord): void {
    checkTopicSegment(component, "component");
    this.#send(component, record);
  }

  #send(component: string, record: FormedLogRecord): void {
    if (this.#closed || this.#socket.closed) return;
    const frames = encodeLogMessage({ ...record, robot: this.#robot, component });
    // A PUB send is decided at once (queued for each subscriber with room,
    // dropped for the others), so the drop count can be read right after.
    const droppedBefore = this.#socket.droppedMessages;
    this.#socket.send(frames).catch(() => {
      // Only a socket closed under us rejects; its records have nowhere to go.
    });
    this.#published++;
    if (this.#socket.droppedMessages !== droppedBefore) this.#dropped++;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#socket.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
