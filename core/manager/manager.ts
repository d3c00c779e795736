/**
 * The socket manager (AgentZero's model, for programs outside the robot
 * runtime): sockets by name, readiness across them, serialized sends and
 * receives, and events by topic.
 *
 * @module
 */
import { type FrameData, type Socket, Subscriber, ZmqError } from "../sockets/mod.ts";
import {
  SocketAlreadyExists,
  SocketBindError,
  SocketConnectError,
  SocketDecodeError,
  SocketNotFound,
} from "./errors.ts";
import { Event } from "./event.ts";
import { type PollResult, pollSockets, type PollTarget } from "./poll.ts";
import { resolveSerializer, type Serializer, type SerializerName } from "./serializers.ts";
import {
  type Direction,
  directionsOf,
  type ManagedSocketOptions,
  resolveSocketClass,
  type SocketFor,
  type SocketTypeSpec,
} from "./socket_types.ts";

/** AgentZero's default wait: 10 s. */
const DEFAULT_TIMEOUT_MS = 10_000;

const utf8 = new TextDecoder();

/**
 * Options of a {@link SocketManager}.
 *
 * @example
 * ```ts
 * import type { SocketManagerOptions } from "./manager.ts";
 * const options: SocketManagerOptions = { serializer: "msgpack", timeoutMs: 2000 };
 * ```
 */
export interface SocketManagerOptions {
  /** How values become frames: "json" (default), "msgpack", "raw" or `{ encode, decode }`. */
  serializer?: SerializerName | Serializer;
  /**
   * How long the waiting calls (`poll`, `waitUntilReady`, `sendSafe`,
   * `receiveSafe`, `publishSafe`) wait when not told: 10 000 ms; -1 = no limit.
   */
  timeoutMs?: number;
  /** Options every socket the manager creates starts from (per-call options win). */
  socketOptions?: ManagedSocketOptions;
}

/**
 * How long one waiting call may wait.
 *
 * @example
 * ```ts
 * import type { ManagerWaitOptions } from "./manager.ts";
 * const options: ManagerWaitOptions = { timeoutMs: 500 };
 * ```
 */
export interface ManagerWaitOptions {
  /** Give up after this many ms (default: the manager's `timeoutMs`; -1 = no limit). */
  timeoutMs?: number;
}

/**
 * Options of {@link SocketManager.sendSafe}.
 *
 * @example
 * ```ts
 * import type { SendSafeOptions } from "./manager.ts";
 * const options: SendSafeOptions = { timeoutMs: 500, envelope: [""] }; // DEALER → REP
 * ```
 */
export interface SendSafeOptions extends ManagerWaitOptions {
  /** Frames sent before the value's frame (a routing id, an empty delimiter). */
  envelope?: readonly FrameData[];
}

/**
 * Options of {@link SocketManager.poll}.
 *
 * @example
 * ```ts
 * import type { PollOptions } from "./manager.ts";
 * const options: PollOptions = { timeoutMs: 100, names: ["jobs", "control"], direction: "in" };
 * ```
 */
export interface PollOptions extends ManagerWaitOptions {
  /** The sockets to poll (default: all of them). */
  names?: readonly string[];
  /**
   * What counts as ready (default `"both"`): a socket is polled in the
   * directions its type has — PULL and SUB in, PUSH and PUB out, the others
   * both — narrowed to this one.
   */
  direction?: Direction | "both";
  /** Stop waiting when this signal aborts. */
  signal?: AbortSignal;
}

/**
 * Options of {@link SocketManager.subscribe}.
 *
 * @example
 * ```ts
 * import type { SubscribeOptions } from "./manager.ts";
 * const options: SubscribeOptions = { signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface SubscribeOptions {
  /** End the iteration when this signal aborts. */
  signal?: AbortSignal;
}

interface ManagedSocket {
  socket: Socket;
  /** Endpoints bound through the manager, as given and as resolved. */
  bound: Set<string>;
  /** ensureAndBind calls under way, by endpoint: a second one awaits the first. */
  binding: Map<string, Promise<string>>;
  /** Endpoints connected through the manager. */
  connected: Set<string>;
}

/**
 * Named sockets with readiness across them, serializers and events — the
 * AgentZero `SocketManager` for TypeScript. Every socket has a name; the
 * `ensureAnd…` calls make a program's set-up idempotent; `sendSafe` and
 * `receiveSafe` wait until the socket is ready and (de)serialize for you.
 *
 * @example
 * ```ts
 * import { SocketManager } from "../../mod.ts";
 * const sockets = new SocketManager({ serializer: "json" });
 * sockets.create("jobs", "pull");
 * const endpoint = await sockets.bindToRandomPort("jobs", "tcp://127.0.0.1");
 * sockets.ensureAndConnect("submit", "push", endpoint);
 * await sockets.sendSafe("submit", { job: "map", tile: 7 });
 * const { readable } = await sockets.poll({ timeoutMs: 1000 }); // ["jobs"]
 * const job = await sockets.receiveSafe("jobs"); // { job: "map", tile: 7 }
 * await sockets.closeAll();
 * ```
 */
export class SocketManager implements AsyncDisposable {
  readonly #sockets = new Map<string, ManagedSocket>();
  readonly #serializer: Serializer;
  readonly #timeoutMs: number;
  readonly #socketOptions: ManagedSocketOptions;

  /** Creates a manager; see {@link SocketManagerOptions}. */
  constructor(options: SocketManagerOptions = {}) {
    this.#serializer = resolveSerializer(options.serializer ?? "json");
    this.#timeoutMs = checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, "timeoutMs");
    this.#socketOptions = { ...options.socketOptions };
  }

  /** The serializer `sendSafe`, `receiveSafe`, `publishSafe` and `subscribe` use. */
  get serializer(): Serializer {
    return this.#serializer;
  }

  /** The names of the sockets, in creation order. */
  get names(): string[] {
    return [...this.#sockets.keys()];
  }

  /** Whether a socket has this name. */
  has(name: string): boolean {
    return this.#sockets.has(name);
  }

  // ---- named sockets ----------------------------------------------------------

  /**
   * Creates a socket under `name`: `type` is a name such as `"pull"` (any
   * case) or a socket class; `options` add to the manager's
   * `socketOptions`. Throws {@link SocketAlreadyExists} when the name is taken.
   *
   * @example
   * ```ts
   * import { Push, SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * const jobs = sockets.create("jobs", "PULL"); // a Pull
   * const out = sockets.create("out", Push, { sendHighWaterMark: 100 });
   * await sockets.closeAll();
   * ```
   */
  create<T extends SocketTypeSpec>(
    name: string,
    type: T,
    options: ManagedSocketOptions = {},
  ): SocketFor<T> {
    checkName(name);
    const existing = this.#sockets.get(name);
    if (existing) {
      throw new SocketAlreadyExists(
        name,
        `a socket named '${name}' already exists (a ${existing.socket.type} socket)`,
      );
    }
    const SocketType = resolveSocketClass(type);
    const socket = new SocketType({ ...this.#socketOptions, ...options });
    this.#sockets.set(name, { socket, bound: new Set(), binding: new Map(), connected: new Set() });
    return socket as SocketFor<T>;
  }

  /**
   * The socket named `name`; throws {@link SocketNotFound} naming the ones
   * that exist.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.create("jobs", "pull");
   * const jobs = sockets.get("jobs");
   * await sockets.closeAll();
   * ```
   */
  get(name: string): Socket {
    return this.#entry(name).socket;
  }

  /**
   * The socket named `name`, created with `type` (and `options`) when there
   * is none. Throws {@link SocketAlreadyExists} when the name holds a socket
   * of another type.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * const a = sockets.getOrCreate("jobs", "pull");
   * const b = sockets.getOrCreate("jobs", "pull"); // the same socket
   * await sockets.closeAll();
   * ```
   */
  getOrCreate<T extends SocketTypeSpec>(
    name: string,
    type: T,
    options: ManagedSocketOptions = {},
  ): SocketFor<T> {
    return this.#getOrCreate(name, type, options).socket as SocketFor<T>;
  }

  #getOrCreate(name: string, type: SocketTypeSpec, options: ManagedSocketOptions): ManagedSocket {
    const existing = this.#sockets.get(name);
    if (existing === undefined) {
      this.create(name, type, options);
      return this.#sockets.get(name)!;
    }
    const SocketType = resolveSocketClass(type);
    if (existing.socket.constructor !== SocketType) {
      throw new SocketAlreadyExists(
        name,
        `a socket named '${name}' already exists as a ${existing.socket.type} socket, ` +
          `not ${SocketType.name}`,
      );
    }
    return existing;
  }

  /**
   * Binds the socket named `name` to `endpoint`; resolves the endpoint
   * bound (a random port filled in). Throws {@link SocketNotFound} or
   * {@link SocketBindError} (the engine's error as its `cause`).
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.create("jobs", "pull");
   * const endpoint = await sockets.bind("jobs", "tcp://127.0.0.1:0"); // "tcp://127.0.0.1:40123"
   * await sockets.closeAll();
   * ```
   */
  async bind(name: string, endpoint: string): Promise<string> {
    const entry = this.#entry(name);
    try {
      await entry.socket.bind(endpoint);
    } catch (error) {
      throw new SocketBindError(
        name,
        String(endpoint),
        `cannot bind socket '${name}' to ${endpoint}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const resolved = entry.socket.lastEndpoint ?? endpoint;
    entry.bound.add(endpoint).add(resolved);
    return resolved;
  }

  /**
   * Connects the socket named `name` to `endpoint` in the background (the
   * peer need not be up yet). Throws {@link SocketNotFound} or
   * {@link SocketConnectError} for an endpoint that does not parse, a
   * wildcard host, or one the socket is connected to already.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.create("submit", "push");
   * sockets.connect("submit", "tcp://127.0.0.1:5557");
   * await sockets.closeAll();
   * ```
   */
  connect(name: string, endpoint: string): void {
    const entry = this.#entry(name);
    try {
      entry.socket.connect(endpoint);
    } catch (error) {
      throw new SocketConnectError(
        name,
        String(endpoint),
        `cannot connect socket '${name}' to ${endpoint}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    entry.connected.add(endpoint);
  }

  /**
   * Makes sure a socket named `name` of `type` exists and is bound to
   * `endpoint` — calling it again does nothing more — and resolves the
   * socket. When the bind fails ({@link SocketBindError}) a socket this
   * call created is closed again, so the call can be retried.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
   * await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0"); // already bound: same socket
   * await sockets.closeAll();
   * ```
   */
  async ensureAndBind<T extends SocketTypeSpec>(
    name: string,
    type: T,
    endpoint: string,
    options: ManagedSocketOptions = {},
  ): Promise<SocketFor<T>> {
    const created = !this.#sockets.has(name);
    const entry = this.#getOrCreate(name, type, options);
    if (!entry.bound.has(endpoint)) {
      let binding = entry.binding.get(endpoint);
      if (binding === undefined) {
        binding = this.bind(name, endpoint).finally(() => entry.binding.delete(endpoint));
        entry.binding.set(endpoint, binding);
      }
      try {
        await binding;
      } catch (error) {
        if (created) await this.close(name);
        throw error;
      }
    }
    return entry.socket as SocketFor<T>;
  }

  /**
   * Makes sure a socket named `name` of `type` exists and is connected to
   * `endpoint` — calling it again does nothing more — and returns the
   * socket. When the connect is refused ({@link SocketConnectError}) a
   * socket this call created is closed again.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * const requester = sockets.ensureAndConnect("requester", "req", "tcp://127.0.0.1:5051");
   * await sockets.closeAll();
   * ```
   */
  ensureAndConnect<T extends SocketTypeSpec>(
    name: string,
    type: T,
    endpoint: string,
    options: ManagedSocketOptions = {},
  ): SocketFor<T> {
    const created = !this.#sockets.has(name);
    const entry = this.#getOrCreate(name, type, options);
    if (!entry.connected.has(endpoint)) {
      try {
        this.connect(name, endpoint);
      } catch (error) {
        if (created) this.#forget(name);
        throw error;
      }
    }
    return entry.socket as SocketFor<T>;
  }

  /**
   * Binds the socket named `name` to a free port on `localAddress` (a
   * `tcp://` address without a port, or with port 0 or `*`; default
   * `tcp://0.0.0.0`) and resolves the endpoint, port included. Throws
   * {@link SocketNotFound} or {@link SocketBindError}.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.create("api", "rep");
   * const endpoint = await sockets.bindToRandomPort("api", "tcp://127.0.0.1"); // "tcp://127.0.0.1:40211"
   * await sockets.closeAll();
   * ```
   */
  async bindToRandomPort(name: string, localAddress = "tcp://0.0.0.0"): Promise<string> {
    this.#entry(name);
    const endpoint = randomPortEndpoint(localAddress);
    if (endpoint === null) {
      throw new SocketBindError(
        name,
        String(localAddress),
        `cannot bind socket '${name}' to a random port of '${localAddress}': ` +
          "expected tcp://HOST, tcp://HOST:0 or tcp://HOST:*",
      );
    }
    return await this.bind(name, endpoint);
  }

  /**
   * Closes the socket named `name` (see `Socket.close`: queued messages are
   * flushed for up to its `linger`) and forgets it; resolves false when no
   * socket had that name.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.create("jobs", "pull");
   * await sockets.close("jobs"); // true
   * await sockets.close("jobs"); // false: gone already
   * ```
   */
  async close(name: string): Promise<boolean> {
    const entry = this.#forget(name);
    if (entry === undefined) return false;
    await entry.socket.close();
    return true;
  }

  /**
   * Closes every socket at once and forgets them.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.create("a", "pull");
   * sockets.create("b", "push");
   * await sockets.closeAll();
   * sockets.names; // []
   * ```
   */
  async closeAll(): Promise<void> {
    const entries = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(entries.map((entry) => entry.socket.close()));
  }

  /** Closes every socket: `await using sockets = new SocketManager()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }

  #forget(name: string): ManagedSocket | undefined {
    const entry = this.#sockets.get(name);
    if (entry === undefined) return undefined;
    this.#sockets.delete(name);
    // Closing a socket never fails; it is only awaited by close() for its linger.
    void entry.socket.close();
    return entry;
  }

  #entry(name: string): ManagedSocket {
    const entry = this.#sockets.get(name);
    if (entry !== undefined) return entry;
    const known = this.names;
    throw new SocketNotFound(
      name,
      `no socket named '${name}' (${
        known.length === 0 ? "no sockets yet" : `sockets: ${known.join(", ")}`
      })`,
    );
  }

  // ---- readiness --------------------------------------------------------------

  /**
   * Waits until any of the sockets `names` (default: all) is ready — at
   * once when one already is — and resolves which are, by name: `readable`
   * ones have a message to receive, `writable` ones would take a send at
   * once. Each socket counts in the directions its type has (PULL and SUB
   * in, PUSH and PUB out, the others both), narrowed by `direction`; a PUB
   * is always writable. Resolves empty lists after `timeoutMs` (default the
   * manager's) or when `signal` aborts. It waits on the sockets' readiness
   * signals, never by polling.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
   * await sockets.ensureAndBind("control", "rep", "tcp://127.0.0.1:0");
   * const { readable } = await sockets.poll({ timeoutMs: 1000, direction: "in" });
   * for (const name of readable) console.log(name, await sockets.receiveSafe(name));
   * await sockets.closeAll();
   * ```
   */
  async poll(options: PollOptions = {}): Promise<PollResult> {
    const names = options.names ?? this.names;
    const targets: PollTarget[] = names.map((name) => {
      const { socket } = this.#entry(name);
      const directions = directionsOf(socket.type).filter((d) =>
        options.direction === undefined || options.direction === "both" ||
        options.direction === d
      );
      return { name, socket, directions };
    });
    return await pollSockets(targets, this.#timeout(options), options.signal);
  }

  /**
   * Resolves true once the socket named `name` is ready in `direction` —
   * `"in"`: a message to receive; `"out"`: a send would be taken at once —
   * at once when it already is; false after `timeoutMs` (default the
   * manager's). Rejects with ETERM if the socket closes.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.ensureAndConnect("submit", "push", "tcp://127.0.0.1:5557");
   * if (await sockets.waitUntilReady("submit", "out", 2000)) console.log("a peer has room");
   * await sockets.closeAll();
   * ```
   */
  async waitUntilReady(name: string, direction: Direction, timeoutMs?: number): Promise<boolean> {
    const { socket } = this.#entry(name);
    const options = { timeoutMs: this.#timeout({ timeoutMs }) };
    if (direction === "in") return await socket.readable(options);
    if (direction === "out") return await socket.writable(options);
    throw new TypeError(`direction must be "in" or "out", not '${direction}'`);
  }

  // ---- serialized sending and receiving ---------------------------------------

  /**
   * Serializes `value`, waits (up to `timeoutMs`) until the socket named
   * `name` can send, and sends it as one frame after `envelope`. Resolves
   * true once sent, false when the socket never became ready. A value the
   * serializer refuses rejects at once.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager({ serializer: "msgpack" });
   * sockets.ensureAndConnect("submit", "push", "tcp://127.0.0.1:5557");
   * const sent = await sockets.sendSafe("submit", { tile: 7 }, { timeoutMs: 500 });
   * await sockets.closeAll();
   * ```
   */
  async sendSafe(name: string, value: unknown, options: SendSafeOptions = {}): Promise<boolean> {
    const { socket } = this.#entry(name);
    const frame = this.#serializer.encode(value);
    if (!(await socket.writable({ timeoutMs: this.#timeout(options) }))) return false;
    await socket.send(options.envelope ? [...options.envelope, frame] : frame);
    return true;
  }

  /**
   * Waits (up to `timeoutMs`) for a message on the socket named `name`,
   * receives it and resolves its last frame decoded; `undefined` when none
   * came. Rejects with {@link SocketDecodeError} for a frame the serializer
   * cannot read (that message is consumed).
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
   * const job = await sockets.receiveSafe<{ tile: number }>("jobs", { timeoutMs: 100 }); // undefined
   * await sockets.closeAll();
   * ```
   */
  async receiveSafe<T = unknown>(
    name: string,
    options: ManagerWaitOptions = {},
  ): Promise<T | undefined> {
    const { socket } = this.#entry(name);
    if (!(await socket.readable({ timeoutMs: this.#timeout(options) }))) return undefined;
    const frames = await socket.receive();
    return this.#decode(name, frames[frames.length - 1]) as T;
  }

  /**
   * Publishes `value` under `topic` on the socket named `name` (a PUB or
   * XPUB): two frames, the topic and the serialized value. Resolves true
   * once sent, false when the socket never became ready (a PUB always is).
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * await sockets.ensureAndBind("events", "pub", "tcp://127.0.0.1:0");
   * await sockets.publishSafe("events", "odom", { x: 1.5, y: 0 });
   * await sockets.closeAll();
   * ```
   */
  async publishSafe(
    name: string,
    topic: FrameData,
    value: unknown,
    options: ManagerWaitOptions = {},
  ): Promise<boolean> {
    return await this.sendSafe(name, value, { ...options, envelope: [topic] });
  }

  /**
   * Subscribes the SUB socket named `name` to `topic` (a prefix; "" is
   * everything, an array several) and yields each message as an
   * {@link Event} — topic from the first frame, data the last frame
   * decoded — until the loop is left, `signal` aborts or the socket closes;
   * then the subscription is dropped. A message the serializer cannot read
   * ends the loop with {@link SocketDecodeError} (it is consumed: subscribe
   * again to carry on). One loop per socket: loops on one socket share its
   * messages.
   *
   * @example
   * ```ts
   * import { SocketManager } from "../../mod.ts";
   * const sockets = new SocketManager();
   * sockets.ensureAndConnect("events", "sub", "tcp://127.0.0.1:6000");
   * for await (const { topic, data } of sockets.subscribe("events", "odom")) {
   *   console.log(topic, data);
   *   break;
   * }
   * await sockets.closeAll();
   * ```
   */
  subscribe<T = unknown>(
    name: string,
    topic: FrameData | readonly FrameData[] = "",
    options: SubscribeOptions = {},
  ): AsyncIterableIterator<Event<T>> {
    const { socket } = this.#entry(name);
    if (!(socket instanceof Subscriber)) {
      throw new TypeError(`subscribe needs a SUB socket; '${name}' is a ${socket.type} socket`);
    }
    const topics = Array.isArray(topic) ? [...topic] : [topic as FrameData];
    // Subscribed now, not at the first next(): what is published from here on is not missed.
    socket.subscribe(...topics);
    return this.#events<T>(name, socket, topics, options.signal);
  }

  async *#events<T>(
    name: string,
    socket: Subscriber,
    topics: FrameData[],
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Event<T>> {
    try {
      for (;;) {
        let ready: boolean;
        try {
          ready = await socket.readable({ signal });
        } catch (error) {
          if (error instanceof ZmqError && error.code === "ETERM") return;
          throw error;
        }
        if (!ready) return;
        const frames = await socket.receive();
        if (frames.length < 2) {
          throw new SocketDecodeError(
            name,
            `socket '${name}' received an event of ${frames.length} frame(s): expected [topic, data]`,
          );
        }
        yield new Event(utf8.decode(frames[0]), this.#decode(name, frames[frames.length - 1]) as T);
      }
    } finally {
      if (!socket.closed) socket.unsubscribe(...topics);
    }
  }

  #decode(name: string, frame: Uint8Array): unknown {
    try {
      return this.#serializer.decode(frame);
    } catch (error) {
      throw new SocketDecodeError(
        name,
        `socket '${name}' received a frame of ${frame.length} bytes its serializer cannot decode: ${
          messageOf(error)
        }`,
        { cause: error },
      );
    }
  }

  #timeout(options: ManagerWaitOptions): number {
    return options.timeoutMs === undefined
      ? this.#timeoutMs
      : checkTimeout(options.timeoutMs, "timeoutMs");
  }
}

function checkName(name: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`a socket name is a non-empty string, not ${JSON.stringify(name)}`);
  }
}

function checkTimeout(value: number, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || (value < 0 && value !== -1)) {
    throw new TypeError(`${what} must be a number of ms ≥ 0, or -1 for no limit; got ${value}`);
  }
  return value;
}

/** `tcp://HOST` → `tcp://HOST:0`; a port of 0 or `*` as it is; anything else null. */
function randomPortEndpoint(localAddress: string): string | null {
  if (typeof localAddress !== "string") return null;
  const match = /^tcp:\/\/(\[[^\]]+\]|[^:[\]/]+)(:(0|\*))?$/.exec(localAddress);
  if (match === null) return null;
  return `tcp://${match[1]}:0`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
