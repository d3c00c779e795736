/**
 * The robot's live view for Foxglove: the supervisor serves Foxglove's
 * WebSocket protocol (subprotocol `foxglove.websocket.v1`, see
 * protocol.ts) on the YAML's `foxglove: HOST:PORT`, over Deno's WebSockets.
 *
 * - Every topic of the robot is a `json` channel, advertised once its first
 *   message shows its shape (its JSON Schema, unless the YAML declares
 *   one); a topic is watched only while a client is connected and until
 *   then, or while a client subscribes to it.
 * - The log records are a `foxglove.Log` channel ({@link LOG_TOPIC}); the
 *   components' states a channel of their own ({@link STATES_TOPIC}).
 * - Services are offered through the `services` capability (Foxglove's
 *   Call Service panel): `json` requests and replies.
 * - `clientPublish` reaches only the topics the YAML's `operator.publishes`
 *   names; anything else gets a status message and is dropped.
 * - Browsers may connect from Foxglove's own app (`https://*.foxglove.dev`)
 *   and pages on this machine only: a page from anywhere else (its
 *   `Origin`) is refused, so a web page the operator opens cannot reach the
 *   robot through the tunnel. Clients that are not browsers send no Origin.
 * - A client that reads slower than the robot publishes misses messages
 *   (counted, and told in a status message) rather than growing the
 *   supervisor's memory; one that keeps sending what the protocol does not
 *   allow is disconnected.
 *
 * The protocol has no authentication: the YAML check keeps the server on
 * loopback unless the robot says `insecure: true` (reach it over an SSH
 * tunnel).
 *
 * @example
 * ```ts
 * import type { RobotLive } from "../live/hub.ts";
 * import { FoxgloveServer } from "./server.ts";
 * declare const live: RobotLive;
 * const server = new FoxgloveServer("127.0.0.1:8765", live);
 * await server.start();
 * console.log(`ws://${server.address}`);
 * await server.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Log as FOXGLOVE_LOG_SCHEMA } from "@foxglove/schemas/jsonschema.js";
import { escapeUntrusted } from "../../core/logs/escape.ts";
import { VERSION } from "../../core/version.ts";
import { isLoopbackHost, parseEndpoint } from "../../core/transport/endpoint.ts";
import { decodeTopicMessage, topicEncodingOf } from "../dataflow/codec.ts";
import { inferJsonSchema } from "../live/json_schema.ts";
import { type JsonValue, toJsonValue } from "../live/json_value.ts";
import {
  type ComponentStateValue,
  type LiveTopic,
  LOG_TOPIC,
  PublishRefusedError,
  type RobotLive,
  STATES_TOPIC,
} from "../live/hub.ts";
import { HttpGuard } from "../http_guard.ts";
import { foxgloveLog, nanoseconds, STATES_SCHEMA } from "./messages.ts";
import {
  type ClientChannel,
  type ClientMessage,
  encodeMessageData,
  encodeServiceCallResponse,
  FoxgloveProtocolError,
  parseClientMessage,
  type ServerChannel,
  type ServerService,
  StatusLevel,
  SUBPROTOCOL,
} from "./protocol.ts";

const log = getLogger(["zedge", "robot", "foxglove"]);

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A client's unsent bytes beyond which its topic messages are dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** How long a service call from Foxglove may take. */
const SERVICE_TIMEOUT_MS = 10_000;
/** Subscriptions and advertised channels one client may hold at once. */
const MAX_PER_CLIENT = 10_000;
/** Protocol errors after which a client is disconnected. */
const MAX_CLIENT_ERRORS = 100;
/** How often a paused channel looks whether a client takes messages again. */
const ROOM_CHECK_MS = 20;
/** Service calls one client may have in flight. */
const MAX_CALLS_PER_CLIENT = 100;

/** One connected client: its subscriptions, its advertised channels, what it missed. */
class ClientSession {
  readonly socket: WebSocket;
  /** Subscription id → channel. */
  readonly subscriptions = new Map<number, number>();
  /** Channel → subscription id. */
  readonly byChannel = new Map<number, number>();
  /** The client's channels (to publish on), by its ids. */
  readonly advertised = new Map<number, ClientChannel>();
  calls = 0;
  errors = 0;
  dropped = 0;
  #warnedAt = 0;

  constructor(socket: WebSocket) {
    this.socket = socket;
  }

  send(message: Record<string, unknown>): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  status(level: number, message: string): void {
    this.send({ op: "status", level, message });
  }

  /** Sends a binary frame; a topic message (`droppable`) is dropped while the client lags. */
  /** True while the connection takes topic messages (it is not too far behind). */
  get keepsUp(): boolean {
    return this.socket.bufferedAmount <= MAX_BUFFERED_BYTES;
  }

  /** Counts a topic message this client missed, and tells it now and then. */
  missed(): void {
    this.dropped++;
    const now = performance.now();
    if (now - this.#warnedAt > 5000) {
      this.#warnedAt = now;
      this.status(
        StatusLevel.WARNING,
        "this connection is slower than the robot: zedge is dropping messages for it",
      );
    }
  }

  sendBinary(frame: Uint8Array<ArrayBuffer>, droppable: boolean): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    if (droppable && !this.keepsUp) {
      this.missed();
      return false;
    }
    this.socket.send(frame);
    return true;
  }
}

/**
 * The Foxglove server (see the module documentation).
 *
 * @example
 * ```ts
 * import type { RobotLive } from "../live/hub.ts";
 * import { FoxgloveServer } from "./server.ts";
 * declare const live: RobotLive;
 * const server = new FoxgloveServer("127.0.0.1:0", live);
 * await server.start();
 * await server.close();
 * ```
 */
export class FoxgloveServer {
  readonly #hostname: string;
  readonly #port: number;
  readonly #live: RobotLive;
  #guard: HttpGuard | null = null;
  readonly #socketPath: string | undefined;
  #address: string | null = null;
  readonly #sessionId = String(Date.now());
  readonly #sessions = new Set<ClientSession>();
  readonly #channels = new Map<number, ServerChannel>();
  /** Topic → its channel, once advertised. */
  readonly #channelOf = new Map<string, number>();
  #nextChannel = 1;
  readonly #services = new Map<number, ServerService>();
  /** Channel → what feeds it while a client subscribes. */
  readonly #feeds = new Map<number, () => void>();
  /** Topics being watched for their first message (while a client is connected). */
  readonly #discovering = new Map<string, () => void>();
  #dropped = 0;

  /**
   * Serves `live` on `address` (`HOST:PORT`, port 0 for any) once started;
   * `socketPath` is where the server listens behind its guard (see
   * http_guard.ts), by default in a temporary directory.
   */
  constructor(address: string, live: RobotLive, options: { socketPath?: string } = {}) {
    this.#socketPath = options.socketPath;
    const parsed = parseEndpoint(`tcp://${address}`);
    if (parsed.transport !== "tcp") throw new TypeError(`'${address}' is not HOST:PORT`);
    this.#hostname = parsed.host;
    this.#port = parsed.port;
    this.#live = live;
  }

  /** Where it listens (`HOST:PORT`, the port resolved), null before start. */
  get address(): string | null {
    return this.#address;
  }

  /** Messages dropped for clients too slow to take them, so far. */
  get dropped(): number {
    let dropped = this.#dropped;
    for (const session of this.#sessions) dropped += session.dropped;
    return dropped;
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#sessions.size;
  }

  /**
   * Listens (behind an {@link HttpGuard}: a deadline for request heads, a
   * cap on connections), and advertises the log, states, services and the
   * topics with declared schemas.
   */
  async start(): Promise<void> {
    if (this.#guard !== null) return;
    this.#advertiseFixed();
    const guard = new HttpGuard(this.#hostname, this.#port, {
      page: "Foxglove server",
      log,
      ...(this.#socketPath === undefined ? {} : { socketPath: this.#socketPath }),
    });
    let addr: Deno.NetAddr;
    try {
      addr = await guard.start((path) =>
        Deno.serve({
          transport: "unix",
          path,
          onListen: () => {},
          onError: (error) => {
            log.warn("foxglove server: {error}", { error });
            return new Response("internal error\n", { status: 500 });
          },
        }, (request) => this.#answer(request))
      );
    } catch (error) {
      throw new Error(
        `cannot serve Foxglove on ${this.#hostname}:${this.#port}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    this.#guard = guard;
    const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    this.#address = `${host}:${addr.port}`;
    log.info("Foxglove live view at ws://{address}", { address: this.#address });
  }

  #answer(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response(
        `This is ${this.#live.config.robot}'s Foxglove WebSocket server: in Foxglove, open a ` +
          `connection to ws://${this.#address ?? "HOST:PORT"} (Foxglove WebSocket).\n`,
        { headers: { "content-type": "text/plain; charset=utf-8" } },
      );
    }
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",")
      .map((p) => p.trim());
    if (!offered.includes(SUBPROTOCOL)) {
      return new Response(`subprotocol ${SUBPROTOCOL} required\n`, { status: 400 });
    }
    const origin = request.headers.get("origin");
    if (!isAllowedOrigin(origin)) {
      // A web page the operator happens to open could otherwise reach the robot through the tunnel.
      log.warn("foxglove: refused a connection from a web page at {origin}", {
        origin: escapeUntrusted(origin ?? ""),
      });
      return new Response("this page may not connect to the robot\n", { status: 403 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: SUBPROTOCOL });
    socket.binaryType = "arraybuffer";
    const session = new ClientSession(socket);
    socket.onopen = () => this.#opened(session);
    socket.onmessage = (event) => this.#received(session, event.data);
    socket.onclose = () => this.#closed(session);
    socket.onerror = () => {/* onclose follows */};
    return response;
  }

  #opened(session: ClientSession): void {
    this.#sessions.add(session);
    session.send({
      op: "serverInfo",
      name: `zedge ${this.#live.config.robot}`,
      capabilities: ["clientPublish", "services"],
      supportedEncodings: ["json"],
      metadata: { robot: this.#live.config.robot, zedge: VERSION },
      sessionId: this.#sessionId,
    });
    session.send({ op: "advertise", channels: [...this.#channels.values()] });
    if (this.#services.size > 0) {
      session.send({ op: "advertiseServices", services: [...this.#services.values()] });
    }
    this.#discover();
  }

  #closed(session: ClientSession): void {
    if (!this.#sessions.delete(session)) return;
    this.#dropped += session.dropped;
    for (const channel of session.byChannel.keys()) this.#release(channel);
    session.subscriptions.clear();
    session.byChannel.clear();
    if (this.#sessions.size === 0) this.#stopDiscovering();
  }

  #received(session: ClientSession, data: unknown): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(
        typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer),
      );
    } catch (error) {
      if (!(error instanceof FoxgloveProtocolError)) throw error;
      this.#refuse(session, error.message);
      return;
    }
    switch (message.op) {
      case "subscribe":
        for (const { id, channelId } of message.subscriptions) {
          this.#subscribe(session, id, channelId);
        }
        return;
      case "unsubscribe":
        for (const id of message.subscriptionIds) {
          const channel = session.subscriptions.get(id);
          if (channel === undefined) continue;
          session.subscriptions.delete(id);
          session.byChannel.delete(channel);
          this.#release(channel);
        }
        return;
      case "advertise":
        for (const channel of message.channels) this.#clientAdvertise(session, channel);
        return;
      case "unadvertise":
        for (const id of message.channelIds) session.advertised.delete(id);
        return;
      case "messageData":
        this.#clientPublish(session, message.channelId, message.data);
        return;
      case "serviceCallRequest":
        this.#call(session, message);
        return;
      case "unsupported":
        session.status(StatusLevel.WARNING, `zedge does not offer ${message.name}`);
        return;
    }
  }

  /** Tells the client what was wrong; one that keeps at it is disconnected. */
  #refuse(session: ClientSession, why: string): void {
    session.errors++;
    if (session.errors > MAX_CLIENT_ERRORS) {
      log.warn("foxglove: disconnected a client after {count} protocol errors (last: {why})", {
        count: session.errors,
        why,
      });
      session.socket.close(1008, "too many protocol errors");
      return;
    }
    session.status(StatusLevel.ERROR, why);
  }

  #subscribe(session: ClientSession, id: number, channel: number): void {
    if (session.subscriptions.has(id)) {
      return this.#refuse(session, `subscription id ${id} is in use`);
    }
    if (session.byChannel.has(channel)) {
      return session.status(StatusLevel.WARNING, `already subscribed to channel ${channel}`);
    }
    if (!this.#channels.has(channel)) {
      return session.status(StatusLevel.WARNING, `no channel ${channel}`);
    }
    if (session.subscriptions.size >= MAX_PER_CLIENT) {
      return this.#refuse(session, "too many subscriptions");
    }
    session.subscriptions.set(id, channel);
    session.byChannel.set(channel, id);
    if (!this.#feeds.has(channel)) this.#feed(channel);
  }

  /** A subscription to `channel` ended: its feed stops with the last one. */
  #release(channel: number): void {
    for (const session of this.#sessions) if (session.byChannel.has(channel)) return;
    this.#feeds.get(channel)?.();
    this.#feeds.delete(channel);
  }

  #clientAdvertise(session: ClientSession, channel: ClientChannel): void {
    if (session.advertised.size >= MAX_PER_CLIENT) {
      return this.#refuse(session, "too many advertised channels");
    }
    session.advertised.set(channel.id, channel);
    const problem = channel.encoding !== "json"
      ? `zedge takes json from clients, not ${channel.encoding}`
      : this.#live.publishProblem(channel.topic);
    if (problem !== null) {
      session.status(StatusLevel.WARNING, `cannot publish on '${channel.topic}': ${problem}`);
    }
  }

  #clientPublish(session: ClientSession, id: number, data: Uint8Array): void {
    const channel = session.advertised.get(id);
    if (channel === undefined) return this.#refuse(session, `no advertised channel ${id}`);
    if (channel.encoding !== "json") return; // told at its advertisement
    let value: unknown;
    try {
      value = JSON.parse(fromUtf8.decode(data));
    } catch {
      return this.#refuse(session, `a message on '${channel.topic}' is not JSON`);
    }
    this.#live.publish(channel.topic, value).catch((error: Error) => {
      if (error instanceof PublishRefusedError) {
        this.#refuse(session, `not published on '${channel.topic}': ${error.message}`);
      }
    });
  }

  async #call(
    session: ClientSession,
    request: { serviceId: number; callId: number; encoding: string; data: Uint8Array },
  ): Promise<void> {
    const { serviceId, callId } = request;
    const fail = (message: string) =>
      session.send({ op: "serviceCallFailure", serviceId, callId, message });
    const service = this.#services.get(serviceId);
    if (service === undefined) return fail(`no service ${serviceId}`);
    if (request.encoding !== "json") return fail(`zedge takes json, not ${request.encoding}`);
    if (session.calls >= MAX_CALLS_PER_CLIENT) return fail("too many calls in flight");
    let body: unknown;
    try {
      body = request.data.length === 0 ? {} : JSON.parse(fromUtf8.decode(request.data));
    } catch {
      return fail("the request is not JSON");
    }
    session.calls++;
    try {
      const outcome = await this.#live.call(service.name, body, SERVICE_TIMEOUT_MS);
      if (!outcome.ok) return fail(`${outcome.error.code}: ${outcome.error.message}`);
      const payload = utf8.encode(JSON.stringify(toJsonValue(outcome.value)));
      session.sendBinary(encodeServiceCallResponse(serviceId, callId, "json", payload), false);
    } finally {
      session.calls--;
    }
  }

  #advertiseFixed(): void {
    this.#addChannel(LOG_TOPIC, "foxglove.Log", FOXGLOVE_LOG_SCHEMA);
    this.#addChannel(STATES_TOPIC, STATES_SCHEMA.title, STATES_SCHEMA);
    let id = 1;
    for (const { service } of this.#live.services()) {
      const definition = (part: string) => ({
        encoding: "json",
        schemaName: `${service}.${part}`,
        schemaEncoding: "jsonschema",
        schema: "{}",
      });
      this.#services.set(id, {
        id,
        name: service,
        type: service,
        request: definition("Request"),
        response: definition("Response"),
        requestSchema: "{}",
        responseSchema: "{}",
      });
      id++;
    }
    for (const topic of this.#live.topics()) {
      if (topic.schema?.schema !== undefined) this.#advertise(topic, topic.schema.schema);
    }
  }

  #addChannel(topic: string, schemaName: string, schema: Record<string, unknown>): number {
    const channel: ServerChannel = {
      id: this.#nextChannel++,
      topic,
      encoding: "json",
      schemaName,
      schema: JSON.stringify(schema),
      schemaEncoding: "jsonschema",
    };
    this.#channels.set(channel.id, channel);
    this.#channelOf.set(topic, channel.id);
    for (const session of this.#sessions) session.send({ op: "advertise", channels: [channel] });
    return channel.id;
  }

  #advertise(topic: LiveTopic, schema: Record<string, unknown>): void {
    if (this.#channelOf.has(topic.topic)) return;
    this.#addChannel(topic.topic, topic.schema?.schemaName ?? topic.topic, schema);
  }

  /** Watches every topic not advertised yet for its first message (while a client is connected). */
  #discover(): void {
    for (const topic of this.#live.topics()) {
      if (this.#channelOf.has(topic.topic) || this.#discovering.has(topic.topic)) continue;
      const stop = this.#live.tap.listen([topic.topic], (message) => {
        let value: JsonValue;
        try {
          value = jsonOf(message.frames);
        } catch {
          return; // unreadable: wait for a readable one
        }
        this.#discovering.get(topic.topic)?.();
        this.#discovering.delete(topic.topic);
        this.#advertise(topic, { title: topic.topic, ...inferJsonSchema(value) });
      });
      this.#discovering.set(topic.topic, stop);
    }
  }

  #stopDiscovering(): void {
    for (const stop of this.#discovering.values()) stop();
    this.#discovering.clear();
  }

  /** Sends one message of `channel` to every client subscribed to it. */
  #broadcast(channel: number, timeMs: number, payload: Uint8Array): void {
    const time = nanoseconds(timeMs);
    for (const session of this.#sessions) {
      const subscription = session.byChannel.get(channel);
      if (subscription === undefined) continue;
      session.sendBinary(encodeMessageData(subscription, time, payload), true);
    }
  }

  /** Whether a client subscribed to `channel` takes messages now (when none does, each misses it). */
  #anyKeepsUp(channel: number): boolean {
    for (const session of this.#sessions) {
      if (session.byChannel.has(channel) && session.keepsUp) return true;
    }
    for (const session of this.#sessions) if (session.byChannel.has(channel)) session.missed();
    return false;
  }

  /** Resolves once a client subscribed to `channel` takes messages again, or none is left. */
  #room(channel: number): Promise<void> {
    return new Promise((resolve) => {
      const check = setInterval(() => {
        let subscribed = false;
        let room = false;
        for (const session of this.#sessions) {
          if (!session.byChannel.has(channel)) continue;
          subscribed = true;
          room ||= session.keepsUp;
        }
        if (room || !subscribed || !this.#feeds.has(channel) || this.#guard === null) {
          clearInterval(check);
          resolve();
        }
      }, ROOM_CHECK_MS);
    });
  }

  /** Starts what feeds `channel` (its first subscriber came). */
  #feed(channel: number): void {
    const topic = this.#channels.get(channel)!.topic;
    if (topic === LOG_TOPIC) {
      this.#feeds.set(
        channel,
        this.#live.onLog((line) =>
          this.#broadcast(channel, line.time, utf8.encode(JSON.stringify(foxgloveLog(line))))
        ),
      );
      return;
    }
    if (topic === STATES_TOPIC) {
      const send = (states: ComponentStateValue[]) =>
        this.#broadcast(channel, Date.now(), utf8.encode(JSON.stringify({ components: states })));
      this.#feeds.set(channel, this.#live.onStates(send));
      send(this.#live.states());
      return;
    }
    this.#feeds.set(
      channel,
      this.#live.tap.listen([topic], (message) => {
        // Nobody can take it now: dropped before the work of turning it into JSON, and the
        // channel's tap reads no more until a client can (its publishers drop meanwhile).
        if (!this.#anyKeepsUp(channel)) return this.#room(channel);
        let payload: Uint8Array;
        try {
          // A json topic's value is sent as published; others are turned into JSON.
          payload = topicEncodingOf(message.frames[1]) === "json"
            ? message.frames[2]
            : utf8.encode(JSON.stringify(jsonOf(message.frames)));
        } catch {
          return;
        }
        this.#broadcast(channel, message.receivedAt, payload);
      }),
    );
  }

  /** Closes every client's connection and stops listening. */
  async close(): Promise<void> {
    this.#stopDiscovering();
    for (const stop of this.#feeds.values()) stop();
    this.#feeds.clear();
    for (const session of this.#sessions) {
      try {
        session.socket.close(1001, "the robot is stopping");
      } catch {
        // Already closing.
      }
    }
    this.#sessions.clear();
    const guard = this.#guard;
    this.#guard = null;
    await guard?.close();
  }
}

/**
 * Browsers name the page that opens a WebSocket (`Origin`), and any page
 * may try: only Foxglove's own app and pages on this machine may connect
 * (and clients that are not browsers, which send no Origin).
 */
function isAllowedOrigin(origin: string | null): boolean {
  if (origin === null || origin === "file://") return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  const foxglove = url.hostname === "foxglove.dev" || url.hostname.endsWith(".foxglove.dev");
  if (url.protocol === "https:" && foxglove) return true;
  return isLoopbackHost(url.hostname);
}

/** A topic message's value as JSON. */
function jsonOf(frames: Uint8Array[]): JsonValue {
  const encoding = topicEncodingOf(frames[1]);
  return toJsonValue(decodeTopicMessage(frames).value, encoding);
}
