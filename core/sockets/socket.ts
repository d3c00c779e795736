/**
 * The socket base every socket type builds on. It owns the connection set,
 * the endpoints (bind/connect, reconnects: see endpoints.ts), the waits for
 * room and for messages with their timeouts, readiness, linger and close. A
 * socket type composes the policies it needs (policies/: fair queue, round
 * robin, fan-out, routing table, envelope) and adds only its own rules.
 *
 * @module
 */
import { HandshakeGuard } from "./handshake_guard.ts";
import type { FrameData, SocketType } from "../zmtp/mod.ts";
import type { ByteStream } from "../transport/mod.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { type EndpointOwner, Endpoints } from "./endpoints.ts";
import { ZmqError } from "./errors.ts";
import { SocketEvents } from "./events.ts";
import { type Message, type MessageLike, toFrames } from "./message.ts";
import { Notifier, type WaitResult } from "./notifier.ts";
import { ReadAheadBudget } from "./read_ahead.ts";
import { announceSocket, SocketTraffic } from "./traffic.ts";
import {
  checkOption,
  type OptionTable,
  resolveOptions,
  SOCKET_OPTIONS,
  type SocketSettings,
} from "./options.ts";
import { mechanismFor, prepareSecurity } from "./security.ts";
import { requestZap, zapAddressOf } from "./zap_client.ts";
import type { FairQueue } from "./policies/fair_queue.ts";
import type { MessageRun, PackedMessage } from "./inbox.ts";
import type { RunFilter } from "./message_batch.ts";
import type { Outbound, PeerPolicy } from "./policies/policy.ts";
import { RoundRobin } from "./policies/round_robin.ts";
import { EndpointPipe, type OutboundPeer } from "./policies/endpoint_pipe.ts";

const RESOLVED: Promise<void> = Promise.resolve();
/** The result of an iteration that has ended. */
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
/** A send loop yields to the event loop at least this often (see send()). */
const SENDS_PER_YIELD = 256;
/**
 * The socket types whose connect()ed endpoints are peers before their
 * handshake when `immediate` is off (libzmq's round-robin senders). PAIR
 * keeps to a peer that is through its handshake: it has exactly one.
 */
const PIPED_TYPES: ReadonlySet<SocketType> = new Set(["PUSH", "DEALER", "REQ"]);

/**
 * How long a readiness wait ({@link Socket.readable}, {@link Socket.writable})
 * may last.
 *
 * @example
 * ```ts
 * import type { ReadinessOptions } from "./socket.ts";
 * const options: ReadinessOptions = { timeoutMs: 100, signal: AbortSignal.timeout(1000) };
 * ```
 */
export interface ReadinessOptions {
  /** Give up after this many ms and resolve false; -1 (default) = no limit. */
  timeoutMs?: number;
  /** Give up when this signal aborts and resolve false. */
  signal?: AbortSignal;
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
export abstract class Socket implements AsyncIterable<Message> {
  /** The ZMTP socket type. */
  readonly type: SocketType;
  /** Monitor events: bind, accept, connect, handshake, disconnect, errors, close. */
  readonly events: SocketEvents = new SocketEvents();
  /** The endpoint most recently bound, with a random port resolved. */
  lastEndpoint: string | null = null;
  /** Messages and bytes sent and received so far (plain counters; see traffic.ts). */
  readonly traffic: SocketTraffic = new SocketTraffic();

  /** Every option's current value (the type's own included), as the engine reads them. */
  readonly #settings: SocketSettings;
  /** The specs the values are checked against: SOCKET_OPTIONS and the type's own. */
  readonly #optionTable: OptionTable;
  readonly #endpoints: Endpoints;
  readonly #connections = new Set<Connection>();
  /** Accepted connections still in their handshake, bounded by maxHandshakes(PerAddress). */
  readonly #handshakes = new HandshakeGuard<Connection>(
    () => ({
      total: this.#settings.maxHandshakes,
      perAddress: this.#settings.maxHandshakesPerAddress,
    }),
    (conn, reason) => {
      // Reported as the failed handshake it is (monitors and figures count it).
      this.events.emit({ type: "handshake:error", address: conn.address, reason });
      conn.close(reason);
    },
  );
  /** With `immediate` off: each connect()ed endpoint's pipe, by endpoint (see endpoint_pipe.ts). */
  readonly #pipes = new Map<string, EndpointPipe>();
  /** The pipe each outgoing connection of a piped endpoint feeds. */
  readonly #pipeOf = new Map<Connection, EndpointPipe>();
  readonly #owner: ConnectionOwner & EndpointOwner;
  readonly #policies: PeerPolicy[] = [];
  #inbound: FairQueue | null = null;
  #outbound: Outbound | null = null;
  /** Notified when a message is queued to receive (or the socket's state changed). */
  readonly #arrived = new Notifier();
  /** Notified when a peer attaches or gains room (or the socket's state changed). */
  readonly #room = new Notifier();
  #peerCount = 0;
  #closed = false;
  #closing: Promise<void> | null = null;
  #sendsSinceYield = 0;

  /**
   * Sets up a socket of `type`; validates and applies `options` against the
   * common options and the type's own `typeOptions`.
   */
  protected constructor(type: SocketType, options: object = {}, typeOptions: OptionTable = {}) {
    this.type = type;
    this.#optionTable = { ...SOCKET_OPTIONS, ...typeOptions };
    this.#settings = resolveOptions(this.#optionTable, options, type) as SocketSettings;
    const settings = this.#settings;
    const traffic = this.traffic;
    this.#owner = {
      type,
      traffic,
      get identity() {
        return settings.routingId;
      },
      settings,
      readAhead: new ReadAheadBudget(
        () => this.#inbound?.queued ?? 0,
        () => settings.receiveHighWaterMark,
        () => this.#peerCount,
        () => traffic.bytesReceived / Math.max(1, traffic.messagesReceived),
      ),
      get mechanism() {
        return mechanismFor(settings);
      },
      authenticate: (conn, credentials) =>
        requestZap({
          ...credentials,
          domain: settings.zapDomain,
          address: zapAddressOf(conn.address),
          identity: settings.routingId ?? new Uint8Array(0),
        }, settings.handshakeTimeout > 0 ? settings.handshakeTimeout : 30_000),
      prepare: () => this.#prepare(),
      events: this.events,
      adopt: (stream, address, outgoing) => this.#adopt(stream, address, outgoing),
      connectionReady: (conn) => this.#connectionReady(conn),
      connectionMessage: (conn, frames) => {
        if (this.accept(conn, frames)) this.queueMessage(conn, frames);
      },
      runFilter: () => this.runFilter(),
      connectionRun: (conn, run) => this.queueRun(conn, run),
      connectionSubscription: (conn, subscribe, topic) =>
        this.subscriptionReceived(conn, subscribe, topic),
      connectionWritable: () => this.#room.notify(),
      connectionClosed: (conn, reason, wasReady) => this.#connectionClosed(conn, reason, wasReady),
      connectionFailed: (conn, type, reason) =>
        this.events.emit({ type, address: conn.address, reason }),
    };
    this.#endpoints = new Endpoints(this.#owner);
    announceSocket(this);
  }

  // ---- options ------------------------------------------------------------------
  //
  // Each option of SocketOptions is a get/set pair below; a type's own
  // options are pairs in its class, over optionValue/setOptionValue (see
  // Request). The table in options.ts holds each option's kind, default and
  // bounds; setOptionValue checks a value against it (EINVAL names the option;
  // a rejected value leaves the old one) and the engine reads the new value
  // from then on. A new option is a table line, a SocketOptions field and a
  // pair here, as `immediate` is (the first pair below).
  //
  // tests/core/option_accessors_test.ts fails for a table option without its pair.

  /**
   * With false (libzmq's default), a message to a connect()ed endpoint whose
   * link is not through its handshake yet waits in that endpoint's pipe (up to
   * sendHighWaterMark), so send() returns and a receive timeout decides; round
   * robin then also queues to endpoints that are down. With true, only peers
   * through their handshake take messages (send() waits for one). Default false.
   */
  get immediate(): boolean {
    return this.#settings.immediate;
  }
  set immediate(value: boolean) {
    this.setOptionValue("immediate", value);
  }

  /** Identity announced to ROUTER peers (REQ, DEALER, ROUTER); null = none. Reads back as bytes. */
  get routingId(): Uint8Array | null {
    return this.#settings.routingId;
  }
  /** Sets the identity from a string (UTF-8) or bytes; 1..255 bytes, not starting with 0. */
  set routingId(value: string | Uint8Array | null) {
    this.setOptionValue("routingId", value);
  }

  /** Messages queued per peer for sending before send() waits (or PUB drops); 0 = no limit. Default 1000. */
  get sendHighWaterMark(): number {
    return this.#settings.sendHighWaterMark;
  }
  set sendHighWaterMark(value: number) {
    this.setOptionValue("sendHighWaterMark", value);
  }

  /** Messages queued per peer for receiving before that peer is read no further; 0 = no limit. Default 1000. */
  get receiveHighWaterMark(): number {
    return this.#settings.receiveHighWaterMark;
  }
  set receiveHighWaterMark(value: number) {
    this.setOptionValue("receiveHighWaterMark", value);
  }

  /** How long close() keeps flushing queued messages to connected peers; -1 = until sent. Default -1. */
  get linger(): number {
    return this.#settings.linger;
  }
  set linger(value: number) {
    this.setOptionValue("linger", value);
  }

  /** First delay before reconnecting a connect()ed endpoint. Default 100. */
  get reconnectInterval(): number {
    return this.#settings.reconnectInterval;
  }
  set reconnectInterval(value: number) {
    this.setOptionValue("reconnectInterval", value);
  }

  /** Upper bound of exponential reconnect backoff; 0 = always reconnectInterval. Default 0. */
  get reconnectMaxInterval(): number {
    return this.#settings.reconnectMaxInterval;
  }
  set reconnectMaxInterval(value: number) {
    this.setOptionValue("reconnectMaxInterval", value);
  }

  /** Send a ZMTP PING this often (to ZMTP 3.1 peers); 0 = no heartbeats. Default 0. Applies to new connections. */
  get heartbeatInterval(): number {
    return this.#settings.heartbeatInterval;
  }
  set heartbeatInterval(value: number) {
    this.setOptionValue("heartbeatInterval", value);
  }

  /** Close a connection that sent nothing for this long after a PING; default = heartbeatInterval. */
  get heartbeatTimeout(): number {
    return this.#settings.heartbeatTimeout;
  }
  set heartbeatTimeout(value: number) {
    this.setOptionValue("heartbeatTimeout", value);
  }

  /** TTL we ask the peer to apply to us (sent in PING); 0 = none. Default 0. */
  get heartbeatTimeToLive(): number {
    return this.#settings.heartbeatTimeToLive;
  }
  set heartbeatTimeToLive(value: number) {
    this.setOptionValue("heartbeatTimeToLive", value);
  }

  /** Close a connection whose ZMTP handshake is not done by then; 0 = never. Default 30000. */
  get handshakeTimeout(): number {
    return this.#settings.handshakeTimeout;
  }
  set handshakeTimeout(value: number) {
    this.setOptionValue("handshakeTimeout", value);
  }

  /**
   * Accepted connections that may be in their handshake at once; over it,
   * the oldest still waiting is closed (see handshake_guard.ts). 0 = no
   * limit. Default 0.
   */
  get maxHandshakes(): number {
    return this.#settings.maxHandshakes;
  }
  set maxHandshakes(value: number) {
    this.setOptionValue("maxHandshakes", value);
  }

  /** As {@link maxHandshakes}, for the connections from one address. 0 = no limit. Default 0. */
  get maxHandshakesPerAddress(): number {
    return this.#settings.maxHandshakesPerAddress;
  }
  set maxHandshakesPerAddress(value: number) {
    this.setOptionValue("maxHandshakesPerAddress", value);
  }

  /**
   * Milliseconds a connect() dial may take before it is given up and retried
   * (ZMQ_CONNECT_TIMEOUT): a host cut off silently otherwise holds the dial
   * for the OS's minutes. 0 = the OS's own limit. Default 0.
   */
  get connectTimeout(): number {
    return this.#settings.connectTimeout;
  }
  set connectTimeout(value: number) {
    this.setOptionValue("connectTimeout", value);
  }

  /**
   * Largest message accepted from a peer, in bytes; a larger one closes that
   * connection. -1 = no limit. Commands and the handshake have their own small
   * cap whatever this says. Applies to new connections.
   */
  get maxMessageSize(): number {
    return this.#settings.maxMessageSize;
  }
  set maxMessageSize(value: number) {
    this.setOptionValue("maxMessageSize", value);
  }

  /** send() fails with EAGAIN after this long; -1 = wait forever. Default -1. */
  get sendTimeout(): number {
    return this.#settings.sendTimeout;
  }
  set sendTimeout(value: number) {
    this.setOptionValue("sendTimeout", value);
  }

  /** receive() fails with EAGAIN after this long; -1 = wait forever. Default -1. */
  get receiveTimeout(): number {
    return this.#settings.receiveTimeout;
  }
  set receiveTimeout(value: number) {
    this.setOptionValue("receiveTimeout", value);
  }

  /**
   * Be the CURVE server (RFC 25/26) of the connections (needs
   * curveSecretKey): clients must know its public key. Default false.
   */
  get curveServer(): boolean {
    return this.#settings.curveServer;
  }
  set curveServer(value: boolean) {
    this.setOptionValue("curveServer", value);
  }

  /**
   * This socket's long-term CURVE public key: Z85 (40 characters) or 32
   * bytes; reads back as Z85. A client may leave it out: it is derived from
   * curveSecretKey.
   */
  get curvePublicKey(): string | null {
    return this.#settings.curvePublicKey;
  }
  set curvePublicKey(value: string | Uint8Array | null) {
    this.setOptionValue("curvePublicKey", value);
  }

  /** This socket's long-term CURVE secret key: Z85 or 32 bytes; reads back as Z85. */
  get curveSecretKey(): string | null {
    return this.#settings.curveSecretKey;
  }
  set curveSecretKey(value: string | Uint8Array | null) {
    this.setOptionValue("curveSecretKey", value);
  }

  /**
   * The server's public key: setting it makes this socket a CURVE client
   * (with curveSecretKey, or a key pair of its own for this socket when
   * none is given). Z85 or 32 bytes; reads back as Z85.
   */
  get curveServerKey(): string | null {
    return this.#settings.curveServerKey;
  }
  set curveServerKey(value: string | Uint8Array | null) {
    this.setOptionValue("curveServerKey", value);
  }

  /** Be the PLAIN server (RFC 24): an Authenticator (ZAP) checks the passwords. Default false. */
  get plainServer(): boolean {
    return this.#settings.plainServer;
  }
  set plainServer(value: boolean) {
    this.setOptionValue("plainServer", value);
  }

  /** Setting it makes this socket a PLAIN client with this user name (at most 255 bytes). */
  get plainUsername(): string | null {
    return this.#settings.plainUsername;
  }
  set plainUsername(value: string | null) {
    this.setOptionValue("plainUsername", value);
  }

  /** The PLAIN client's password (at most 255 bytes). */
  get plainPassword(): string | null {
    return this.#settings.plainPassword;
  }
  set plainPassword(value: string | null) {
    this.setOptionValue("plainPassword", value);
  }

  /**
   * The ZAP domain (RFC 27) a server's authentication requests name; for
   * NULL, setting one makes the binding side ask the ZAP handler (IP allow
   * and deny lists). At most 255 bytes. Default "".
   */
  get zapDomain(): string {
    return this.#settings.zapDomain;
  }
  set zapDomain(value: string) {
    this.setOptionValue("zapDomain", value);
  }

  /**
   * @internal The current value of option `name` (for a socket type's own
   * option accessors).
   */
  protected optionValue<T>(name: string): T {
    return (this.#settings as unknown as Record<string, unknown>)[name] as T;
  }

  /**
   * @internal Checks `value` against option `name`'s spec and stores it
   * (every option's setter; a rejected value leaves the old one).
   */
  protected setOptionValue(name: string, value: unknown): void {
    const spec = this.#optionTable[name];
    if (spec === undefined) {
      throw new ZmqError("EINVAL", `unknown option '${name}' for a ${this.type} socket`);
    }
    (this.#settings as unknown as Record<string, unknown>)[name] = checkOption(name, spec, value);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  // ---- endpoints --------------------------------------------------------------

  /**
   * Binds an endpoint and starts accepting peers. Port 0 or `*` picks a free
   * port; read it back from {@link lastEndpoint}.
   */
  async bind(endpoint: string): Promise<void> {
    this.#assertOpen();
    // CURVE: libsodium loads (once) before the first peer can arrive.
    const pending = prepareSecurity(this.#settings);
    if (pending !== null) await pending;
    this.#assertOpen();
    this.lastEndpoint = this.#endpoints.bind(endpoint);
    await RESOLVED;
  }

  /** Stops listening on an endpoint given to bind() (or its resolved form) and drops its peers. */
  unbind(endpoint: string): Promise<void> {
    return this.#endpoints.unbind(endpoint);
  }

  /**
   * Connects to an endpoint in the background: the peer need not be up yet;
   * the socket retries with backoff and reconnects whenever the link drops.
   */
  connect(endpoint: string): void {
    this.#assertOpen();
    // Options that contradict each other fail here, at once; the dial loop
    // waits for libsodium itself (#prepare).
    void prepareSecurity(this.#settings)?.catch(() => {});
    this.#endpoints.connect(endpoint);
    const out = this.#outbound;
    if (!this.#settings.immediate && out instanceof RoundRobin && PIPED_TYPES.has(this.type)) {
      const pipe = new EndpointPipe(endpoint, () => this.#settings.sendHighWaterMark);
      this.#pipes.set(endpoint, pipe);
      out.add(pipe);
      this.#room.notify();
    }
  }

  /** What a dial loop waits for before its first dial (null: nothing). */
  #prepare(): Promise<void> | null {
    try {
      return prepareSecurity(this.#settings);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops connecting to an endpoint and closes the link to it. */
  disconnect(endpoint: string): Promise<void> {
    const done = this.#endpoints.disconnect(endpoint);
    const pipe = this.#pipes.get(endpoint);
    if (pipe !== undefined) {
      this.#pipes.delete(endpoint);
      (this.#outbound as RoundRobin).remove(pipe);
      pipe.clear();
    }
    return done;
  }

  #adopt(stream: ByteStream, address: string, outgoing: boolean): Connection {
    const conn = new Connection(this.#owner, stream, address, outgoing);
    this.#connections.add(conn);
    const pipe = outgoing ? this.#pipes.get(address) : undefined;
    if (pipe !== undefined) this.#pipeOf.set(conn, pipe);
    if (!outgoing && !conn.closed) this.#handshakes.admit(conn, address);
    conn.done.then(() => {
      this.#connections.delete(conn);
      this.#pipeOf.delete(conn);
      this.#handshakes.settled(conn);
    });
    return conn;
  }

  // ---- peers ------------------------------------------------------------------

  #connectionReady(conn: Connection): string | undefined {
    this.#handshakes.settled(conn);
    // While closing, only a piped endpoint's link is still taken: what
    // waited for it is flushed (see #flushPipes).
    if (this.#closed && !this.#pipeOf.has(conn)) return "socket is closing";
    const refusal = this.attach(conn);
    if (refusal !== undefined) return refusal;
    const pipe = this.#pipeOf.get(conn);
    for (const policy of this.#policies) {
      // A piped endpoint is already the round robin's peer: it forwards.
      if (pipe !== undefined && policy === this.#outbound) pipe.attach(conn);
      else policy.add(conn);
    }
    this.#peerCount++;
    this.events.emit({ type: "handshake", address: conn.address });
    this.#room.notify();
    return undefined;
  }

  #connectionClosed(conn: Connection, reason: string, wasReady: boolean): void {
    if (wasReady) {
      this.detach(conn);
      const pipe = this.#pipeOf.get(conn);
      for (const policy of this.#policies) {
        if (pipe !== undefined && policy === this.#outbound) pipe.detach(conn);
        else policy.remove(conn);
      }
      this.#peerCount--;
      this.events.emit({ type: "disconnect", address: conn.address, reason });
    }
    this.#arrived.notify();
  }

  /**
   * Composes the socket type: `inbound` queues what peers send for
   * receive(), `outbound` picks the peers a message goes to, and every
   * policy given is told when a peer attaches and when it leaves. Call
   * from the subclass constructor; calls add up.
   * @internal
   */
  protected use(
    parts: { inbound?: FairQueue; outbound?: Outbound; others?: readonly PeerPolicy[] },
  ): void {
    if (parts.inbound) {
      this.#inbound = parts.inbound;
      this.#policies.push(parts.inbound);
    }
    if (parts.outbound) {
      this.#outbound = parts.outbound;
      this.#policies.push(parts.outbound);
    }
    if (parts.others) this.#policies.push(...parts.others);
  }

  /** @internal The policy queueing received messages, if the socket type receives. */
  protected get inbound(): FairQueue | null {
    return this.#inbound;
  }

  /**
   * @internal The round-robin peer a connection's messages are sent
   * through: its endpoint's pipe (immediate off), or the connection itself.
   */
  protected peerOf(conn: Connection): OutboundPeer {
    return this.#pipeOf.get(conn) ?? conn;
  }

  /** @internal The connection a round-robin peer's replies come on now; null while none is ready. */
  protected connectionOf(peer: OutboundPeer): Connection | null {
    return peer instanceof EndpointPipe ? peer.connection : peer as Connection;
  }

  /** @internal Peers past their handshake and not yet closed. */
  protected get peerCount(): number {
    return this.#peerCount;
  }

  /** @internal Queues a message from `conn` for receive() (the inbound policy must be set). */
  protected queueMessage(conn: Connection, frames: Uint8Array[]): void {
    this.traffic.messagesReceived++;
    this.#inbound!.push(conn, frames);
    this.#arrived.notify();
  }

  /**
   * @internal Whether a batch's messages (inproc between Workers) are queued
   * as they lie in it, and the test a message's first frame must pass; null
   * (the default): each goes through {@link accept} as its frames. Only a
   * type whose accept() reads nothing but the first frame may return one.
   */
  protected runFilter(): RunFilter | null {
    return null;
  }

  /** @internal Queues consecutive messages of a batch from `conn` (see {@link runFilter}). */
  protected queueRun(conn: Connection, run: MessageRun): void {
    this.traffic.messagesReceived += run.count;
    this.#inbound!.pushRun(conn, run);
    this.#arrived.notify();
  }

  /**
   * The socket's own state changed in a way that can make it readable or
   * writable (REQ got its reply, REP sent its reply): wake readiness waits.
   * @internal
   */
  protected stateChanged(): void {
    this.#arrived.notify();
    this.#room.notify();
  }

  // ---- policy hooks -------------------------------------------------------------

  /** @internal A peer finished its handshake; return why it is refused, or nothing to accept it. */
  protected attach(_conn: Connection): string | undefined {
    return undefined;
  }

  /** @internal A peer went away (after a successful handshake), before the policies forget it. */
  protected detach(_conn: Connection): void {}

  /** @internal A message arrived; return true to queue it for receive(). It may be changed in place. */
  protected accept(_conn: Connection, _frames: Uint8Array[]): boolean {
    return true;
  }

  /** @internal A SUBSCRIBE/CANCEL command arrived (publishers override). */
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

  /**
   * The next message when one can be taken now, else undefined: never
   * waits. A loop drains what has already arrived with it and awaits
   * {@link readable} only when it returns undefined (one await per batch
   * rather than per message). Throws ETERM once closed, ENOTSUP for a
   * socket type that cannot receive without waiting (PULL, SUB and XSUB
   * can: a message queued is theirs to take, with no state to keep).
   *
   * @example
   * ```ts
   * import { Subscriber } from "../../mod.ts";
   * const sub = new Subscriber();
   * sub.tryReceive(); // undefined: nothing queued
   * sub.close();
   * ```
   */
  tryReceive(): Message | undefined {
    if (this.#closed) throw closedError();
    if (this.receiveNow === undefined) {
      throw new ZmqError("ENOTSUP", `${this.type} sockets cannot receive without waiting`);
    }
    return this.receiveNow();
  }

  /**
   * @internal Socket types that receive straight from their queue implement
   * this: the next queued message, or undefined (see tryReceive).
   */
  protected receiveNow?(): Message | undefined;

  /**
   * @internal {@link tryReceive} for a reader that works on a message in
   * place: reads the next one into `message` without making a view per
   * frame when it came in a batch (see core/sockets/inbox.ts); false when
   * none is queued. Throws ETERM once closed, ENOTSUP as tryReceive does.
   */
  tryReceiveInto(message: PackedMessage): boolean {
    if (this.#closed) throw closedError();
    return this.receiveNowInto(message);
  }

  /** @internal Socket types that receive straight from their queue implement this (see tryReceiveInto). */
  protected receiveNowInto(_message: PackedMessage): boolean {
    throw new ZmqError("ENOTSUP", `${this.type} sockets cannot receive without waiting`);
  }

  /** @internal Socket types that can send implement this. */
  protected sendFrames(_frames: FrameData[]): Promise<void> {
    return Promise.reject(new ZmqError("ENOTSUP", `${this.type} sockets cannot send`));
  }

  /** @internal Socket types that receive implement this, usually with {@link receiveFrom}. */
  protected receiveFrames(): Promise<Message> {
    return Promise.reject(new ZmqError("ENOTSUP", `${this.type} sockets cannot receive`));
  }

  /** @internal Round-robin to the next peer with room, waiting (up to sendTimeout) while none has. */
  protected sendRoundRobin(out: RoundRobin, frames: FrameData[]): Promise<void> {
    // Fast path without an async frame: most sends find room at once.
    if (out.trySend(frames) !== null) return RESOLVED;
    return this.sendRoundRobinWaiting(out, frames).then(() => {});
  }

  /** @internal Like {@link sendRoundRobin}, resolving the peer the message went to. */
  protected async sendRoundRobinWaiting(
    out: RoundRobin,
    frames: FrameData[],
  ): Promise<OutboundPeer> {
    let deadline = -1;
    for (;;) {
      const conn = out.trySend(frames);
      if (conn !== null) return conn;
      deadline = await this.waitWritable(deadline);
    }
  }

  /**
   * @internal Resolves the first message `take` returns, trying again each
   * time a message arrives or the socket's state changes; rejects EAGAIN past
   * receiveTimeout and ETERM on close. Without a receive timeout the wait is
   * this one promise and a callback per wake-up (the request/reply path), with
   * one the waits of {@link waitReadable}.
   */
  protected receiveWhen(take: () => Message | undefined): Promise<Message> {
    let frames: Message | undefined;
    try {
      frames = take();
    } catch (error) {
      return Promise.reject(error);
    }
    if (frames !== undefined) return Promise.resolve(frames);
    if (this.#settings.receiveTimeout >= 0) return this.#receiveWhenBounded(take);
    const { promise, resolve, reject } = Promise.withResolvers<Message>();
    const wake = (result: WaitResult): void => {
      if (result === "closed" || this.#closed) {
        reject(closedError());
        return;
      }
      let frames: Message | undefined;
      try {
        frames = take();
      } catch (error) {
        reject(error);
        return;
      }
      if (frames !== undefined) resolve(frames);
      else this.#arrived.once(wake);
    };
    this.#arrived.once(wake);
    return promise;
  }

  async #receiveWhenBounded(take: () => Message | undefined): Promise<Message> {
    let deadline = -1;
    for (;;) {
      deadline = await this.waitReadable(deadline);
      const frames = take();
      if (frames !== undefined) return frames;
    }
  }

  /** @internal Takes the next message from `queue`, waiting (up to receiveTimeout) while it is empty. */
  protected receiveFrom(queue: FairQueue): Promise<Message> {
    const frames = queue.take();
    if (frames !== undefined) return Promise.resolve(frames);
    return this.#receiveWaiting(queue);
  }

  async #receiveWaiting(queue: FairQueue): Promise<Message> {
    let deadline = -1;
    for (;;) {
      deadline = await this.waitReadable(deadline);
      const frames = queue.take();
      if (frames !== undefined) return frames;
    }
  }

  /**
   * Waits until a peer attaches or gains room; throws EAGAIN past sendTimeout
   * and ETERM on close. Pass back the returned deadline on the next call.
   * @internal
   */
  protected waitWritable(deadline: number): Promise<number> {
    return this.#waitFor(this.#room, this.#settings.sendTimeout, "send", deadline);
  }

  /** @internal Waits for a message to arrive; throws EAGAIN past receiveTimeout and ETERM on close. */
  protected waitReadable(deadline: number): Promise<number> {
    return this.#waitFor(this.#arrived, this.#settings.receiveTimeout, "receive", deadline);
  }

  /** One bounded wait on `notifier`; the deadline carries across retries of one call. */
  #waitFor(
    notifier: Notifier,
    timeout: number,
    what: "send" | "receive",
    deadline: number,
  ): Promise<number> {
    // No timeout (the default): one promise for the wait, no async frame around it.
    if (timeout < 0) return notifier.wait().then(this.#afterWait);
    return this.#waitBounded(notifier, timeout, what, deadline);
  }

  readonly #afterWait = (result: WaitResult): number => {
    if (result === "closed" || this.#closed) throw closedError();
    return -1;
  };

  async #waitBounded(
    notifier: Notifier,
    timeout: number,
    what: "send" | "receive",
    deadline: number,
  ): Promise<number> {
    if (deadline < 0) deadline = Date.now() + timeout;
    const left = Math.max(0, deadline - Date.now());
    const timedOut = () => new ZmqError("EAGAIN", `${what} timed out after ${timeout} ms`);
    if (left === 0) throw timedOut();
    const result = await notifier.wait(left);
    if (result === "closed" || this.#closed) throw closedError();
    if (result === "timeout") throw timedOut();
    return deadline;
  }

  /**
   * Iterates received messages until the socket closes (other receive
   * errors, such as EAGAIN past receiveTimeout, are thrown). A message
   * already queued on a socket that can take it without waiting (see
   * {@link tryReceive}) is handed over in the same step: `for await` then
   * costs one await per message, where an async generator around
   * receive() cost three.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    /** next() calls still waiting for receive(): later ones may not overtake them. */
    let waiting = 0;
    let finished = false;
    const received = (value: Message): IteratorResult<Message> => {
      waiting--;
      return { value, done: false };
    };
    const failed = (error: unknown): IteratorResult<Message> => {
      waiting--;
      if (!(error instanceof ZmqError && error.code === "ETERM")) throw error;
      finished = true;
      return DONE;
    };
    const iterator: AsyncIterableIterator<Message> = {
      next: (): Promise<IteratorResult<Message>> => {
        if (finished) return Promise.resolve(DONE);
        if (waiting === 0 && !this.#closed && this.receiveNow !== undefined) {
          const value = this.receiveNow();
          if (value !== undefined) return Promise.resolve({ value, done: false });
        }
        waiting++;
        return this.receive().then(received, failed);
      },
      return: (): Promise<IteratorResult<Message>> => {
        finished = true;
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  // ---- readiness ------------------------------------------------------------------

  /**
   * True when receive() would return a message at once: one is queued and
   * the socket's state allows receiving (a REQ awaiting its reply, a REP
   * between requests).
   */
  get readableNow(): boolean {
    return this.#inbound?.readable ?? false;
  }

  /**
   * True when send() would queue a message at once, without waiting: a peer
   * has room (or the socket type never waits, as PUB) and the socket's state
   * allows sending.
   */
  get writableNow(): boolean {
    return this.#outbound?.writable ?? false;
  }

  /**
   * Resolves true once the socket is readable ({@link readableNow}), at once
   * when it already is; false when `timeoutMs` passes or `signal` aborts
   * first. Rejects with ETERM when the socket closes. It waits on the
   * socket's own notifications, never by polling, and takes nothing: a
   * receive() must follow.
   *
   * @example
   * ```ts
   * import { Pull, Push } from "../../mod.ts";
   * const pull = new Pull();
   * await pull.bind("inproc://readable-example");
   * const push = new Push();
   * push.connect("inproc://readable-example");
   * await push.send("hello");
   * if (await pull.readable({ timeoutMs: 1000 })) {
   *   const [frame] = await pull.receive(); // at once
   * }
   * push.close(); pull.close();
   * ```
   */
  readable(options: ReadinessOptions = {}): Promise<boolean> {
    return this.#until(() => this.readableNow, this.#arrived, options);
  }

  /**
   * Resolves true once the socket is writable ({@link writableNow}), at once
   * when it already is; false when `timeoutMs` passes or `signal` aborts
   * first. Rejects with ETERM when the socket closes.
   *
   * @example
   * ```ts
   * import { Pull, Push } from "../../mod.ts";
   * const push = new Push();
   * push.writableNow; // false: no peer yet
   * const pull = new Pull();
   * await pull.bind("inproc://writable-example");
   * push.connect("inproc://writable-example");
   * await push.writable(); // a peer has attached with room
   * await push.send("queued at once");
   * push.close(); pull.close();
   * ```
   */
  writable(options: ReadinessOptions = {}): Promise<boolean> {
    return this.#until(() => this.writableNow, this.#room, options);
  }

  async #until(
    ready: () => boolean,
    notifier: Notifier,
    { timeoutMs = -1, signal }: ReadinessOptions,
  ): Promise<boolean> {
    if (this.#closed) throw closedError();
    if (ready()) return true;
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      const left = deadline === Infinity ? -1 : Math.max(0, deadline - Date.now());
      if (left === 0) return false;
      const result = await notifier.wait(left, signal);
      if (result === "closed" || this.#closed) throw closedError();
      if (ready()) return true;
      if (result === "timeout" || result === "aborted") return false;
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
    const linger = this.#settings.linger;
    await this.#flushPipes(linger);
    const loops = this.#endpoints.stop();
    for (const pipe of this.#pipes.values()) pipe.clear();
    this.#pipes.clear();
    this.#arrived.close();
    this.#room.close();
    await Promise.all([...this.#connections].map((conn) => conn.shutdown(linger)));
    await loops;
    this.events.emit({ type: "close", address: this.lastEndpoint ?? "" });
  }

  /**
   * Gives messages still waiting in endpoint pipes (immediate off) their
   * chance before close: each waits until its endpoint's link is through
   * the handshake (then linger flushes it like any connection's) or the
   * endpoint fails once (refused, handshake failed), at most `linger` ms,
   * and with no linger limit at most the handshake timeout. Unlike libzmq,
   * an endpoint that is down does not hold close() forever.
   */
  async #flushPipes(linger: number): Promise<void> {
    const waiting = new Set<string>();
    for (const pipe of this.#pipes.values()) {
      if (pipe.queued > 0 && pipe.connection === null) waiting.add(pipe.endpoint);
    }
    if (waiting.size === 0 || linger === 0) return;
    const handshakeTimeout = this.#settings.handshakeTimeout > 0
      ? this.#settings.handshakeTimeout
      : 30_000;
    await new Promise<void>((resolve) => {
      const finish = () => {
        off();
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, linger > 0 ? linger : handshakeTimeout);
      const off = this.events.on("*", (event) => {
        const settled = event.type === "connect:retry" || event.type === "handshake:error" ||
          (event.type === "handshake" && this.#pipes.get(event.address)?.queued === 0);
        if (settled) waiting.delete(event.address);
        if (waiting.size === 0) finish();
      });
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): ZmqError {
  return new ZmqError("ETERM", "socket is closed");
}
