/**
 * The socket base every socket type builds on. It owns bind/connect,
 * reconnects with backoff, the connection set, high-water-mark waits,
 * timeouts, linger and close; a socket type supplies only its policy: which
 * peer a message goes to, which messages it takes, its envelope rules.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { FrameData, SocketType } from "../zmtp/mod.ts";
import {
  type ByteStream,
  dial,
  EndpointError,
  listen,
  parseEndpoint,
  type StreamListener,
} from "../transport/mod.ts";
import { isInprocBound } from "../transport/inproc.ts";
import { Connection, type ConnectionOwner, type ConnectionSettings } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import { SocketEvents } from "./events.ts";
import { Notifier } from "./notifier.ts";
import { checkNumberOption, DEFAULT_OPTIONS, type SocketOptions, toRoutingId } from "./options.ts";

const logger = getLogger(["zedge", "socket"]);
const RESOLVED: Promise<void> = Promise.resolve();
/** A send loop yields to the event loop at least this often (see send()). */
const SENDS_PER_YIELD = 256;

/**
 * What `send()` accepts: one frame (string or bytes) or an array of frames.
 *
 * @example
 * ```ts
 * import type { MessageLike } from "./socket.ts";
 * const m: MessageLike = ["topic", new Uint8Array([1, 2]), ""];
 * ```
 */
export type MessageLike = FrameData | readonly FrameData[];

/**
 * What `receive()` returns: the frames of one message.
 *
 * @example
 * ```ts
 * import type { Message } from "./socket.ts";
 * const text = (m: Message) => new TextDecoder().decode(m[0]);
 * ```
 */
export type Message = Uint8Array[];

interface BoundEndpoint {
  listener: StreamListener;
  loop: Promise<void>;
  connections: Set<Connection>;
}

interface DialedEndpoint {
  stopped: boolean;
  wake: Notifier;
  connection: Connection | null;
  loop: Promise<void>;
}

/**
 * Base class of every socket type. Not constructed directly: use `Push`,
 * `Pull`, `Request`, ...
 *
 * @example
 * ```ts
 * import { Pull, Push } from "../../mod.ts";
 * const pull = new Pull();
 * await pull.bind("inproc://base-example");
 * const push = new Push();
 * push.connect("inproc://base-example");
 * await push.send("hello");
 * const [frame] = await pull.receive();
 * push.close(); pull.close();
 * ```
 */
export abstract class Socket implements ConnectionOwner, AsyncIterable<Message> {
  /** The ZMTP socket type. */
  readonly type: SocketType;
  /** Monitor events: bind, accept, connect, handshake, disconnect, errors, close. */
  readonly events: SocketEvents = new SocketEvents();
  /** The endpoint most recently bound, with a random port resolved. */
  lastEndpoint: string | null = null;
  /** @internal resolved numeric options, read by connections. */
  readonly settings: ConnectionSettings & {
    linger: number;
    reconnectInterval: number;
    reconnectMaxInterval: number;
    sendTimeout: number;
    receiveTimeout: number;
  };
  /** @internal identity announced in READY. */
  announcedIdentity: Uint8Array | null = null;

  /** Connections past the handshake that may be sent to, in attach order. */
  protected readonly peers: Connection[] = [];
  /** Connections whose inbox may hold messages (closed ones stay until drained). */
  protected readonly sources: Connection[] = [];
  /** Notified when a message arrives. */
  protected readonly readable: Notifier = new Notifier();
  /** Notified when a peer attaches or gains room. */
  protected readonly writable: Notifier = new Notifier();
  /** The connection the last message returned by {@link takeNext} came from. */
  protected lastSource: Connection | null = null;

  readonly #connections = new Set<Connection>();
  readonly #bound = new Map<string, BoundEndpoint>();
  readonly #dialed = new Map<string, DialedEndpoint>();
  #closed = false;
  #closing: Promise<void> | null = null;
  #sendCursor = 0;
  #sendsSinceYield = 0;
  #receiveCursor = 0;

  /** Sets up a socket of `type`; validates and applies `options`. */
  protected constructor(type: SocketType, options: SocketOptions = {}) {
    this.type = type;
    this.settings = { ...DEFAULT_OPTIONS };
    for (const [name, value] of Object.entries(options)) {
      if (value === undefined) continue;
      if (name === "routingId") this.routingId = value as string | Uint8Array;
      else if (name in DEFAULT_OPTIONS) {
        this.#setNumber(name as keyof typeof DEFAULT_OPTIONS, value);
      } else if (!this.acceptsOption(name)) {
        throw new ZmqError("EINVAL", `unknown option '${name}' for a ${type} socket`);
      }
    }
  }

  /** Socket types with extra options claim them here. */
  protected acceptsOption(_name: string): boolean {
    return false;
  }

  // ---- options as properties -------------------------------------------------

  /** Messages queued per peer before send() waits (PUB: drops). */
  get sendHighWaterMark(): number {
    return this.settings.sendHighWaterMark;
  }
  set sendHighWaterMark(value: number) {
    this.#setNumber("sendHighWaterMark", value);
  }
  /** Messages queued per peer before that peer is read no further. */
  get receiveHighWaterMark(): number {
    return this.settings.receiveHighWaterMark;
  }
  set receiveHighWaterMark(value: number) {
    this.#setNumber("receiveHighWaterMark", value);
  }
  /** ms close() keeps flushing; -1 until flushed. */
  get linger(): number {
    return this.settings.linger;
  }
  set linger(value: number) {
    this.#setNumber("linger", value);
  }
  /** ms before the first reconnect attempt. */
  get reconnectInterval(): number {
    return this.settings.reconnectInterval;
  }
  set reconnectInterval(value: number) {
    this.#setNumber("reconnectInterval", value);
  }
  /** Upper bound of exponential reconnect backoff (0 = none). */
  get reconnectMaxInterval(): number {
    return this.settings.reconnectMaxInterval;
  }
  set reconnectMaxInterval(value: number) {
    this.#setNumber("reconnectMaxInterval", value);
  }
  /** ms between ZMTP PINGs (0 = off); applies to new connections. */
  get heartbeatInterval(): number {
    return this.settings.heartbeatInterval;
  }
  set heartbeatInterval(value: number) {
    this.#setNumber("heartbeatInterval", value);
  }
  /** ms without traffic after a PING before the connection is dropped. */
  get heartbeatTimeout(): number {
    return this.settings.heartbeatTimeout;
  }
  set heartbeatTimeout(value: number) {
    this.#setNumber("heartbeatTimeout", value);
  }
  /** TTL (ms) asked of the peer in our PINGs. */
  get heartbeatTimeToLive(): number {
    return this.settings.heartbeatTimeToLive;
  }
  set heartbeatTimeToLive(value: number) {
    this.#setNumber("heartbeatTimeToLive", value);
  }
  /** ms allowed for a ZMTP handshake (0 = unlimited). */
  get handshakeTimeout(): number {
    return this.settings.handshakeTimeout;
  }
  set handshakeTimeout(value: number) {
    this.#setNumber("handshakeTimeout", value);
  }
  /** Largest accepted inbound message in bytes (-1 = no limit). */
  get maxMessageSize(): number {
    return this.settings.maxMessageSize;
  }
  set maxMessageSize(value: number) {
    this.#setNumber("maxMessageSize", value);
  }
  /** ms a send() may wait (-1 = forever). */
  get sendTimeout(): number {
    return this.settings.sendTimeout;
  }
  set sendTimeout(value: number) {
    this.#setNumber("sendTimeout", value);
  }
  /** ms a receive() may wait (-1 = forever). */
  get receiveTimeout(): number {
    return this.settings.receiveTimeout;
  }
  set receiveTimeout(value: number) {
    this.#setNumber("receiveTimeout", value);
  }
  /** Identity announced to ROUTER peers. */
  get routingId(): Uint8Array | null {
    return this.announcedIdentity;
  }
  set routingId(value: string | Uint8Array | null) {
    this.announcedIdentity = value === null ? null : toRoutingId(value);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #setNumber(name: keyof typeof DEFAULT_OPTIONS, value: unknown): void {
    const min = name.endsWith("HighWaterMark") || name === "reconnectInterval" ||
        name === "reconnectMaxInterval" || name === "heartbeatInterval" ||
        name === "heartbeatTimeToLive" || name === "handshakeTimeout"
      ? 0
      : -1;
    this.settings[name] = checkNumberOption(name, value, min);
  }

  // ---- endpoints --------------------------------------------------------------

  /**
   * Binds an endpoint and starts accepting peers. Port 0 or `*` picks a free
   * port; read it back from {@link lastEndpoint}.
   */
  async bind(endpoint: string): Promise<void> {
    this.#assertOpen();
    let listener: StreamListener;
    try {
      listener = listen(endpoint);
    } catch (error) {
      throw translateError(error, endpoint, "bind");
    }
    const entry: BoundEndpoint = { listener, loop: Promise.resolve(), connections: new Set() };
    this.#bound.set(endpoint, entry);
    if (listener.endpoint !== endpoint) this.#bound.set(listener.endpoint, entry);
    this.lastEndpoint = listener.endpoint;
    entry.loop = this.#acceptLoop(entry);
    this.events.emit({ type: "bind", address: listener.endpoint });
    await Promise.resolve();
  }

  /** Stops listening on an endpoint given to bind() (or its resolved form) and drops its peers. */
  async unbind(endpoint: string): Promise<void> {
    const entry = this.#bound.get(endpoint);
    if (!entry) throw new ZmqError("EINVAL", `not bound to '${endpoint}'`);
    for (const [key, value] of this.#bound) if (value === entry) this.#bound.delete(key);
    entry.listener.close();
    for (const conn of entry.connections) conn.close("unbound");
    await entry.loop;
    await Promise.all([...entry.connections].map((c) => c.done));
    this.events.emit({ type: "unbind", address: entry.listener.endpoint });
  }

  /**
   * Connects to an endpoint in the background: the peer need not be up yet;
   * the socket retries with backoff and reconnects whenever the link drops.
   */
  connect(endpoint: string): void {
    this.#assertOpen();
    try {
      const parsed = parseEndpoint(endpoint);
      if (parsed.transport === "tcp" && parsed.wildcardHost) {
        throw new EndpointError(endpoint, "'*' can be bound, not connected to");
      }
    } catch (error) {
      throw translateError(error, endpoint, "connect");
    }
    if (this.#dialed.has(endpoint)) {
      throw new ZmqError("EINVAL", `already connected to '${endpoint}'`);
    }
    const entry: DialedEndpoint = {
      stopped: false,
      wake: new Notifier(),
      connection: null,
      loop: Promise.resolve(),
    };
    this.#dialed.set(endpoint, entry);
    entry.loop = this.#dialLoop(endpoint, entry);
  }

  /** Stops connecting to an endpoint and closes the link to it. */
  async disconnect(endpoint: string): Promise<void> {
    const entry = this.#dialed.get(endpoint);
    if (!entry) throw new ZmqError("EINVAL", `not connected to '${endpoint}'`);
    this.#dialed.delete(endpoint);
    entry.stopped = true;
    entry.wake.close();
    entry.connection?.close("disconnected");
    await entry.loop;
  }

  async #acceptLoop(entry: BoundEndpoint): Promise<void> {
    for (;;) {
      let accepted;
      try {
        accepted = await entry.listener.accept();
      } catch (error) {
        if (this.#closed || !this.#isBoundEntry(entry)) return;
        // Out of descriptors and the like: say so, pause, keep serving.
        logger.warn("accept on {endpoint} failed: {error}", {
          endpoint: entry.listener.endpoint,
          error: String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (this.#closed) {
        accepted.stream.close();
        return;
      }
      this.events.emit({ type: "accept", address: accepted.peer });
      const conn = this.#adopt(accepted.stream, accepted.peer, false);
      entry.connections.add(conn);
      conn.done.then(() => entry.connections.delete(conn));
    }
  }

  #isBoundEntry(entry: BoundEndpoint): boolean {
    for (const value of this.#bound.values()) if (value === entry) return true;
    return false;
  }

  async #dialLoop(endpoint: string, entry: DialedEndpoint): Promise<void> {
    const base = () => Math.max(1, this.settings.reconnectInterval);
    let delay = base();
    const parsed = parseEndpoint(endpoint);
    while (!entry.stopped) {
      let stream;
      try {
        stream = await dial(endpoint);
      } catch (error) {
        if (entry.stopped) return;
        this.events.emit({
          type: "connect:retry",
          address: endpoint,
          reason: String(error instanceof Error ? error.message : error),
        });
        if (error instanceof Deno.errors.NotCapable) {
          logger.warn("cannot connect to {endpoint}: {error}", { endpoint, error: error.message });
        }
        // inproc: retry as soon as the name is bound rather than on the timer.
        if (parsed.transport === "inproc" && isInprocBound(parsed.name)) continue;
        await entry.wake.wait(delay);
        delay = this.#nextDelay(delay);
        continue;
      }
      if (entry.stopped) {
        stream.close();
        return;
      }
      this.events.emit({ type: "connect", address: endpoint });
      const conn = this.#adopt(stream, endpoint, true);
      entry.connection = conn;
      let wasReady = false;
      const off = this.events.on("handshake", (e) => {
        if (e.address === endpoint) wasReady = true;
      });
      await conn.done;
      off();
      entry.connection = null;
      if (entry.stopped) return;
      if (wasReady) delay = base();
      await entry.wake.wait(delay);
      if (!wasReady) delay = this.#nextDelay(delay);
    }
  }

  #nextDelay(delay: number): number {
    const max = this.settings.reconnectMaxInterval;
    return max > 0 ? Math.min(max, delay * 2) : Math.max(1, this.settings.reconnectInterval);
  }

  #adopt(stream: ByteStream, address: string, outgoing: boolean): Connection {
    const conn = new Connection(this, stream, address, outgoing);
    this.#connections.add(conn);
    conn.done.then(() => this.#connections.delete(conn));
    return conn;
  }

  // ---- connection callbacks (ConnectionOwner) --------------------------------

  /** @internal */
  connectionReady(conn: Connection): string | undefined {
    if (this.#closed) return "socket is closing";
    const refusal = this.attach(conn);
    if (refusal !== undefined) return refusal;
    this.peers.push(conn);
    this.sources.push(conn);
    this.events.emit({ type: "handshake", address: conn.address });
    this.writable.notify();
    return undefined;
  }

  /** @internal */
  connectionMessage(conn: Connection, frames: Uint8Array[]): void {
    if (this.accept(conn, frames)) {
      conn.inbox.push(frames);
      this.readable.notify();
    }
  }

  /** @internal */
  connectionSubscription(conn: Connection, subscribe: boolean, topic: Uint8Array): void {
    this.subscriptionReceived(conn, subscribe, topic);
  }

  /** @internal */
  connectionWritable(_conn: Connection): void {
    this.writable.notify();
  }

  /** @internal */
  connectionClosed(conn: Connection, reason: string, wasReady: boolean): void {
    const index = this.peers.indexOf(conn);
    if (index >= 0) this.peers.splice(index, 1);
    if (conn.inbox.length === 0) this.#dropSource(conn);
    if (wasReady) {
      this.detach(conn);
      this.events.emit({ type: "disconnect", address: conn.address, reason });
    }
    this.readable.notify();
  }

  /** @internal */
  connectionFailed(
    conn: Connection,
    type: "handshake:error" | "protocol:error",
    reason: string,
  ): void {
    this.events.emit({ type, address: conn.address, reason });
  }

  #dropSource(conn: Connection): void {
    const index = this.sources.indexOf(conn);
    if (index >= 0) this.sources.splice(index, 1);
  }

  // ---- policy hooks -------------------------------------------------------------

  /** A peer finished its handshake; return why it is refused, or nothing to accept it. */
  protected attach(_conn: Connection): string | undefined {
    return undefined;
  }

  /** A peer went away (after a successful handshake). */
  protected detach(_conn: Connection): void {}

  /** A message arrived; return true to queue it for receive(). */
  protected accept(_conn: Connection, _frames: Uint8Array[]): boolean {
    return true;
  }

  /** A SUBSCRIBE/CANCEL command arrived (publishers override). */
  protected subscriptionReceived(
    _conn: Connection,
    _subscribe: boolean,
    _topic: Uint8Array,
  ): void {}

  // ---- sending and receiving ---------------------------------------------------

  /**
   * Sends a message: a string or bytes for one frame, an array for multipart.
   * Resolves when the message is queued for a peer.
   */
  send(message: MessageLike): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    let frames: FrameData[];
    try {
      frames = toFrames(message);
    } catch (error) {
      // A bad message is reported through the promise, like every other send failure.
      return Promise.reject(error);
    }
    const sent = this.sendFrames(frames);
    // Sends that never wait (PUB, or peers with room) would otherwise let a
    // tight send loop starve the event loop: no writes, accepts or timers.
    if (++this.#sendsSinceYield < SENDS_PER_YIELD) return sent;
    this.#sendsSinceYield = 0;
    return sent.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  }

  /** Receives the next message's frames. */
  receive(): Promise<Message> {
    if (this.#closed) return Promise.reject(closedError());
    return this.receiveFrames();
  }

  /** Socket types that can send implement this. */
  protected sendFrames(_frames: FrameData[]): Promise<void> {
    return Promise.reject(new ZmqError("ENOTSUP", `${this.type} sockets cannot send`));
  }

  /** Socket types that receive override this or use {@link receiveFairQueued}. */
  protected receiveFrames(): Promise<Message> {
    return Promise.reject(new ZmqError("ENOTSUP", `${this.type} sockets cannot receive`));
  }

  /** Round-robin to the next peer with room, waiting (up to sendTimeout) while none has. */
  protected sendRoundRobin(frames: FrameData[]): Promise<void> {
    // Fast path without an async frame: most sends find room at once.
    if (this.trySendRoundRobin(frames) !== null) return RESOLVED;
    return this.sendRoundRobinWaiting(frames).then(() => {});
  }

  /** Sends to the next peer with room, if any has room now; returns that peer. */
  protected trySendRoundRobin(frames: FrameData[]): Connection | null {
    const peers = this.peers;
    const count = peers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#sendCursor + i) % count;
      const conn = peers[index];
      if (conn.hasRoom) {
        this.#sendCursor = index + 1;
        conn.send(frames);
        return conn;
      }
    }
    return null;
  }

  /** Like {@link sendRoundRobin}, resolving the peer the message went to. */
  protected async sendRoundRobinWaiting(frames: FrameData[]): Promise<Connection> {
    let deadline = -1;
    for (;;) {
      const conn = this.trySendRoundRobin(frames);
      if (conn !== null) return conn;
      deadline = await this.waitWritable(deadline);
    }
  }

  /**
   * Waits until a peer attaches or gains room; throws EAGAIN past sendTimeout
   * and ETERM on close. Pass back the returned deadline on the next call.
   */
  protected waitWritable(deadline: number): Promise<number> {
    return this.#waitFor(this.writable, this.settings.sendTimeout, "send", deadline);
  }

  /** Takes the next queued message from the peers in turn, waiting (up to receiveTimeout). */
  protected receiveFairQueued(): Promise<Message> {
    const frames = this.takeNext();
    if (frames !== undefined) return Promise.resolve(frames);
    return this.#receiveFairQueuedWaiting();
  }

  async #receiveFairQueuedWaiting(): Promise<Message> {
    let deadline = -1;
    for (;;) {
      deadline = await this.waitReadable(deadline);
      const frames = this.takeNext();
      if (frames !== undefined) return frames;
    }
  }

  /** The next queued message from any peer, in turn, or undefined. */
  protected takeNext(only?: Connection): Uint8Array[] | undefined {
    const sources = this.sources;
    const count = sources.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#receiveCursor + i) % count;
      const conn = sources[index];
      if (only !== undefined && conn !== only) continue;
      const frames = conn.take();
      if (frames === undefined) continue;
      this.#receiveCursor = index + 1;
      this.lastSource = conn;
      if (conn.closed && conn.inbox.length === 0) this.#dropSource(conn);
      return frames;
    }
    return undefined;
  }

  /** Waits for a message to arrive; throws EAGAIN past receiveTimeout and ETERM on close. */
  protected waitReadable(deadline: number): Promise<number> {
    return this.#waitFor(this.readable, this.settings.receiveTimeout, "receive", deadline);
  }

  /** One bounded wait on `notifier`; the deadline carries across retries of one call. */
  async #waitFor(
    notifier: Notifier,
    timeout: number,
    what: "send" | "receive",
    deadline: number,
  ): Promise<number> {
    if (deadline < 0 && timeout >= 0) deadline = Date.now() + timeout;
    const left = deadline < 0 ? -1 : Math.max(0, deadline - Date.now());
    const timedOut = () => new ZmqError("EAGAIN", `${what} timed out after ${timeout} ms`);
    if (left === 0) throw timedOut();
    const result = await notifier.wait(left);
    if (result === "closed" || this.#closed) throw closedError();
    if (result === "timeout") throw timedOut();
    return deadline;
  }

  /** Iterates received messages until the socket closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    for (;;) {
      let frames: Message;
      try {
        frames = await this.receive();
      } catch (error) {
        if (error instanceof ZmqError && error.code === "ETERM") return;
        throw error;
      }
      yield frames;
    }
  }

  // ---- close ----------------------------------------------------------------------

  /**
   * Closes the socket: stops listening and reconnecting, fails pending
   * send/receive calls with ETERM, flushes queued messages for up to `linger`
   * ms, then closes every connection. Safe to call twice; awaiting is optional.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const listeners = new Set(this.#bound.values());
    this.#bound.clear();
    for (const entry of listeners) entry.listener.close();
    const dialed = [...this.#dialed.values()];
    this.#dialed.clear();
    for (const entry of dialed) {
      entry.stopped = true;
      entry.wake.close();
    }
    this.readable.close();
    this.writable.close();
    const linger = this.settings.linger;
    await Promise.all([...this.#connections].map((conn) => conn.shutdown(linger)));
    await Promise.all([...listeners].map((entry) => entry.loop));
    await Promise.all(dialed.map((entry) => entry.loop));
    this.events.emit({ type: "close", address: this.lastEndpoint ?? "" });
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

/**
 * Normalises a {@link MessageLike} into a frame array (no copies).
 *
 * @example
 * ```ts
 * import { toFrames } from "./socket.ts";
 * toFrames("hi"); // ["hi"]
 * ```
 */
export function toFrames(message: MessageLike): FrameData[] {
  if (typeof message === "string" || message instanceof Uint8Array) return [message];
  if (!Array.isArray(message) || message.length === 0) {
    throw new ZmqError(
      "EINVAL",
      "a message is a string, a Uint8Array or a non-empty array of them",
    );
  }
  for (const frame of message) {
    if (typeof frame !== "string" && !(frame instanceof Uint8Array)) {
      throw new ZmqError("EINVAL", "every frame must be a string or a Uint8Array");
    }
  }
  return message as FrameData[];
}

function closedError(): ZmqError {
  return new ZmqError("ETERM", "socket is closed");
}

function translateError(error: unknown, endpoint: string, action: string): Error {
  if (error instanceof ZmqError) return error;
  if (error instanceof EndpointError) return new ZmqError("EINVAL", error.message);
  if (error instanceof Deno.errors.AddrInUse) {
    return new ZmqError("EADDRINUSE", `cannot ${action} '${endpoint}': address in use`, {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new ZmqError("EACCES", `cannot ${action} '${endpoint}': ${error.message}`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ZmqError("EINVAL", `cannot ${action} '${endpoint}': ${message}`, { cause: error });
}
