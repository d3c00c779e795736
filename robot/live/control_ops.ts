/**
 * The control endpoint's ops for a robot's data (`zedge topic`, `zedge
 * service`, `zedge robot record|play`), served beside the others on the
 * same ROUTER. Every op is for operators only (the control op table's
 * default). A request may carry an `id`, which its reply repeats, so a
 * client with several requests in flight on one DEALER matches them.
 *
 * | request | reply |
 * | --- | --- |
 * | `{ op: "topics" }` | `{ ok, topics: TopicInfo[] }`: declared topics with publishers, subscribers, rates |
 * | `{ op: "services" }` | `{ ok, services: [{ service, providers }] }` |
 * | `{ op: "call", service, request, timeoutMs? }` | `{ ok, value }`, or `{ ok: false, code, error }` |
 * | `{ op: "publish", topic, value }` (or the value's JSON as a second frame) | `{ ok }` (none with `quiet`, unless refused) |
 * | `{ op: "subscribe", stream, topics: [...] \| "*", logs?, states? }` | `{ ok, stream, topics, leaseMs }`, then stream frames |
 * | `{ op: "play", stream, topics }` | `{ ok, stream, refused: [{ topic, why }] }`: a session for `publish` with `play` |
 * | `{ op: "renew", stream }` | `{ ok }`, or `{ ok: false, error: "unknown stream …" }` |
 * | `{ op: "ack", stream, seq }` | none: the client read every event before `seq` |
 * | `{ op: "cancel", stream }` | `{ ok }` |
 *
 * (The wire's constants are in control_wire.ts.) Streams: each event the supervisor sends on a stream starts with a
 * 13-byte header — a kind byte (`m` topic message, `l` log line, `s`
 * states), a little-endian uint32 sequence number (per stream: a gap is
 * what the client missed) and the time as a float64 (ms since the epoch) —
 * followed by the topic message's own three frames, or one JSON frame; the
 * events of one event-loop turn travel as one ZMTP message (512 at most).
 * The client acknowledges what it read (`ack`); with 20,000 events or
 * 16 MiB not acknowledged, the stream's tap reads no more (its publishers
 * drop for it, as for any slow subscriber) and log lines are dropped (a
 * gap), instead of queueing for a client that cannot keep up. A
 * stream lives while its client renews its lease ({@link LEASE_MS}; the
 * client renews every second): a client that vanishes costs nothing after
 * that. Messages a slow client cannot take are dropped at the socket's
 * high-water mark, never queued without bound. A `publish` naming an open
 * play session (the same client key) is not checked again against the op
 * table, so a recording plays at its rate.
 *
 * @example
 * ```ts
 * import { LiveControl } from "./control_ops.ts";
 * import type { RobotLive } from "./hub.ts";
 * declare const live: RobotLive;
 * const ops = new LiveControl(live);
 * console.log(ops.accepts(new TextEncoder().encode('{"op":"topics"}')) !== null); // true
 * ops.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Deque } from "../../core/sockets/deque.ts";
import type { RobotLive } from "./hub.ts";
import {
  LEASE_MS,
  LIVE_OPS,
  STREAM_HEADER_BYTES,
  StreamKind,
  type TopicInfo,
} from "./control_wire.ts";
import { toJsonValue } from "./json_value.ts";
import { PublishRefusedError } from "./hub.ts";

const log = getLogger(["zedge", "robot", "live"]);

/** Streams and play sessions open at once, at most. */
const MAX_SESSIONS = 64;
/** The longest service call an operator may ask for. */
const MAX_CALL_MS = 60_000;

/**
 * What the control server gives each request it hands over.
 *
 * @example
 * ```ts
 * import type { LiveRequestContext } from "./control_ops.ts";
 * const context: LiveRequestContext = {
 *   key: "",
 *   authorize: () => Promise.resolve(null),
 *   reply: (frames) => console.log(frames.length),
 * };
 * ```
 */
export interface LiveRequestContext {
  /** The client's CURVE public key (Z85), "" without CURVE. */
  key: string;
  /** Checks the op table: null when allowed, else the refusal's text. */
  authorize(op: string): Promise<string | null>;
  /** Sends frames to the client (the routing id and delimiter added). */
  reply(frames: Uint8Array[]): void;
}

interface Session {
  id: string;
  key: string;
  reply: (frames: Uint8Array[]) => void;
  expires: number;
  seq: number;
  stop: () => void;
  /** Topics a play session may publish. */
  plays: Set<string> | null;
  /** Stream frames waiting for the end of this event-loop turn. */
  batch: Uint8Array[];
  batchBytes: number;
  flush: ReturnType<typeof setTimeout> | undefined;
  /** The client read every event before `seq` (its acknowledgement). */
  acked: (seq: number) => void;
}

/**
 * Events and bytes sent on a stream and not acknowledged yet, at most:
 * beyond them events are dropped (the client sees the gap) rather than
 * queued in the supervisor for a client that cannot keep up.
 */
const MAX_IN_FLIGHT_EVENTS = 20_000;
const MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

/** Events in one stream message at most, and its bytes. */
const MAX_BATCH_EVENTS = 512;
const MAX_BATCH_BYTES = 1024 * 1024;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { LiveControl } from "./control_ops.ts";
 * import type { RobotLive } from "./hub.ts";
 * declare const live: RobotLive;
 * const ops = new LiveControl(live);
 * ops.close();
 * ```
 */
export class LiveControl {
  readonly #live: RobotLive;
  readonly #sessions = new Map<string, Session>();
  #sweep: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** Serves `live`'s data. */
  constructor(live: RobotLive) {
    this.#live = live;
  }

  /** Streams and play sessions open now. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** The request in `body` when it is one of these ops, else null (another op, or not JSON). */
  accepts(body: Uint8Array): Record<string, unknown> | null {
    // Every request here starts {"op":…; cheap to skip the others without parsing twice.
    let request: unknown;
    try {
      request = JSON.parse(fromUtf8.decode(body));
    } catch {
      return null;
    }
    const op = (request as { op?: unknown } | null)?.op;
    return typeof op === "string" && (LIVE_OPS as readonly string[]).includes(op)
      ? request as Record<string, unknown>
      : null;
  }

  /** Answers one request (never throws; every outcome is a reply). */
  handle(request: Record<string, unknown>, extra: Uint8Array[], context: LiveRequestContext): void {
    const answer = (reply: Record<string, unknown>) => {
      if (typeof request.id === "string" || typeof request.id === "number") reply.id = request.id;
      context.reply([utf8.encode(JSON.stringify(reply))]);
    };
    this.#handle(request, extra, context, answer).catch((error) => {
      log.warn("control {op} failed: {error}", { op: request.op, error });
      answer({ ok: false, error: error instanceof Error ? error.message : String(error) });
    });
  }

  async #handle(
    request: Record<string, unknown>,
    extra: Uint8Array[],
    context: LiveRequestContext,
    answer: (reply: Record<string, unknown>) => void,
  ): Promise<void> {
    const op = request.op as string;
    const stream = typeof request.stream === "string" ? request.stream : null;
    const session = stream === null ? undefined : this.#sessions.get(stream);
    // Within a session of the same client, what it opened was allowed: a play's publishes, a
    // stream's renewals and acknowledgements (the op table reads key files: not per message).
    const own = session !== undefined && session.key === context.key;
    const inSession = op === "publish" && own && session.plays !== null;
    if (!inSession && !(own && (op === "renew" || op === "ack"))) {
      const refusal = await context.authorize(op);
      if (refusal !== null) return answer({ ok: false, error: refusal });
    }
    switch (op) {
      case "topics":
        return answer({ ok: true, topics: this.#topics() });
      case "services":
        return answer({ ok: true, services: this.#live.services() });
      case "call":
        return answer(await this.#call(request));
      case "publish":
        if (stream !== null && !inSession) {
          // A play whose session ended (the robot restarted, its lease ran out) stops here.
          return answer({
            ok: false,
            topic: request.topic,
            error: `no play session ${stream} (did the robot restart?): play again`,
          });
        }
        return this.#publish(request, extra, inSession ? session! : null, answer);
      case "subscribe":
      case "play":
        return answer(this.#open(op, stream, request, context));
      case "renew":
        if (session === undefined) {
          return answer({
            ok: false,
            error: `unknown stream ${stream} (it expired, or the robot restarted)`,
          });
        }
        session.expires = performance.now() + LEASE_MS;
        session.reply = context.reply; // the client may have reconnected
        return answer({ ok: true });
      case "ack":
        // No answer: the client sends these as it reads, and waits for none.
        if (session !== undefined && typeof request.seq === "number") session.acked(request.seq);
        return;
      case "cancel":
        if (stream !== null) this.#end(stream);
        return answer({ ok: true });
    }
  }

  #topics(): TopicInfo[] {
    const figures = new Map(this.#live.figures().map((t) => [t.topic, t]));
    return this.#live.topics().map((t) => {
      const f = figures.get(t.topic);
      return {
        topic: t.topic,
        encoding: t.encoding,
        publishers: t.publishers,
        // Open subscriptions, once the figures show any or something was received; until then
        // (a component's first figures come with its first heartbeat, before its main subscribes),
        // who the YAML says subscribes.
        subscribers: f === undefined || (f.subscribers.length === 0 && f.received === 0)
          ? t.subscribers
          : f.subscribers,
        operator: t.operator,
        rate: Math.round((f?.rate ?? 0) * 10) / 10,
        published: f?.published ?? 0,
        ...(t.schema === undefined ? {} : { schema: t.schema }),
      };
    });
  }

  async #call(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (typeof request.service !== "string") {
      return { ok: false, error: "'call' needs a 'service'" };
    }
    const timeoutMs = typeof request.timeoutMs === "number" && request.timeoutMs > 0
      ? Math.min(request.timeoutMs, MAX_CALL_MS)
      : 5000;
    const outcome = await this.#live.call(request.service, request.request ?? {}, timeoutMs);
    return outcome.ok
      ? { ok: true, value: toJsonValue(outcome.value) }
      : { ok: false, code: outcome.error.code, error: outcome.error.message };
  }

  #publish(
    request: Record<string, unknown>,
    extra: Uint8Array[],
    session: Session | null,
    answer: (reply: Record<string, unknown>) => void,
  ): void {
    const quiet = request.quiet === true;
    const topic = typeof request.topic === "string" ? request.topic : "";
    let value = request.value;
    if (value === undefined && extra.length > 0) {
      try {
        value = JSON.parse(fromUtf8.decode(extra[0]));
      } catch {
        return answer({ ok: false, topic, error: `the value for '${topic}' is not JSON` });
      }
    }
    if (session !== null && !session.plays!.has(topic)) {
      return answer({ ok: false, topic, error: `'${topic}' is not among this play's topics` });
    }
    this.#live.publish(topic, value, { play: session !== null }).then(
      () => quiet ? undefined : answer({ ok: true }),
      (error: Error) =>
        answer({
          ok: false,
          topic,
          error: error instanceof PublishRefusedError
            ? error.message
            : `not published: ${error.message}`,
        }),
    );
  }

  #open(
    op: "subscribe" | "play",
    stream: string | null,
    request: Record<string, unknown>,
    context: LiveRequestContext,
  ): Record<string, unknown> {
    if (stream === null || stream.length < 8 || stream.length > 64) {
      return { ok: false, error: `'${op}' needs a 'stream' id of 8 to 64 characters` };
    }
    if (this.#closed) return { ok: false, error: "the robot is stopping" };
    if (this.#sessions.has(stream)) return { ok: false, error: `stream ${stream} is open already` };
    if (this.#sessions.size >= MAX_SESSIONS) {
      return { ok: false, error: `${MAX_SESSIONS} streams are open already: close one first` };
    }
    const known = this.#live.topics().map((t) => t.topic);
    const asked = request.topics === "*" || request.topics === undefined
      ? (op === "subscribe" ? null : [])
      : Array.isArray(request.topics) && request.topics.every((t) => typeof t === "string")
      ? request.topics as string[]
      : undefined;
    if (asked === undefined) {
      return { ok: false, error: "'topics' must be a list of topics, or \"*\"" };
    }
    const session: Session = {
      id: stream,
      key: context.key,
      reply: context.reply,
      expires: performance.now() + LEASE_MS,
      seq: 0,
      stop: () => {},
      plays: null,
      batch: [],
      batchBytes: 0,
      flush: undefined,
      acked: () => {},
    };
    if (op === "play") {
      const refused: { topic: string; why: string }[] = [];
      session.plays = new Set();
      for (const topic of asked ?? []) {
        const why = this.#live.publishProblem(topic, { play: true });
        if (why === null) session.plays.add(topic);
        else refused.push({ topic, why });
      }
      this.#add(session);
      return { ok: true, stream, refused, leaseMs: LEASE_MS };
    }
    const unknown = (asked ?? []).filter((t) => !known.includes(t));
    if (unknown.length > 0) {
      return {
        ok: false,
        error: `no topic ${
          unknown.map((t) => `'${t}'`).join(", ")
        } on ${this.#live.config.robot} ` +
          `(topics: ${known.join(", ") || "none"})`,
      };
    }
    const stops: (() => void)[] = [];
    // The events of one event-loop turn go out as one message: a ZMTP message per event costs
    // the supervisor more than the event itself at a flood's rate.
    let events = 0;
    // Flow control: what went out and is not acknowledged, as (last seq, bytes sent so far) per
    // message. A client that does not keep up holds the tap back (its publishers drop for it,
    // as for any slow subscriber); a log line or states beyond the window are dropped (a gap).
    const sentUpTo = new Deque<[number, number]>();
    let sentBytes = 0;
    let ackedSeq = 0;
    let ackedBytes = 0;
    let reopened: PromiseWithResolvers<void> | null = null;
    const full = () =>
      session.seq - ackedSeq > MAX_IN_FLIGHT_EVENTS ||
      sentBytes + session.batchBytes - ackedBytes > MAX_IN_FLIGHT_BYTES;
    session.acked = (seq) => {
      if (seq <= ackedSeq) return;
      ackedSeq = seq;
      while (sentUpTo.length > 0 && sentUpTo.peek()![0] < seq) ackedBytes = sentUpTo.shift()![1];
      if (reopened !== null && !full()) {
        reopened.resolve();
        reopened = null;
      }
    };
    const flush = () => {
      clearTimeout(session.flush);
      session.flush = undefined;
      if (session.batch.length === 0) return;
      const frames = session.batch;
      sentBytes += session.batchBytes;
      sentUpTo.push([session.seq - 1, sentBytes]);
      session.batch = [];
      session.batchBytes = 0;
      events = 0;
      session.reply(frames);
    };
    const send = (kind: number, time: number, frames: Uint8Array[]) => {
      if (full()) {
        session.seq++; // dropped: the client counts the gap
        return;
      }
      const seq = session.seq++;
      const header = new Uint8Array(STREAM_HEADER_BYTES);
      const view = new DataView(header.buffer);
      header[0] = kind;
      view.setUint32(1, seq >>> 0, true);
      view.setFloat64(5, time, true);
      session.batch.push(header, ...frames);
      for (const frame of frames) session.batchBytes += frame.length;
      if (++events >= MAX_BATCH_EVENTS || session.batchBytes >= MAX_BATCH_BYTES) flush();
      else session.flush ??= setTimeout(flush, 0);
    };
    if (asked === null || asked.length > 0) {
      // Every topic means every declared one, each by name: nothing a component was not
      // declared to publish reaches a client, whatever arrives at the tap.
      stops.push(this.#live.tap.listen(asked ?? known, (message) => {
        send(StreamKind.message, message.receivedAt, message.frames);
        if (!full()) return;
        flush();
        reopened ??= Promise.withResolvers<void>();
        return reopened.promise;
      }));
    }
    if (request.logs === true) {
      stops.push(this.#live.onLog((line) => {
        send(StreamKind.log, line.time, [utf8.encode(JSON.stringify(line))]);
      }));
    }
    if (request.states === true) {
      const states = () => {
        const now = Date.now();
        send(StreamKind.states, now, [
          utf8.encode(JSON.stringify({ components: this.#live.states() })),
        ]);
      };
      stops.push(this.#live.onStates(states));
      queueMicrotask(states); // after the reply: where the states are at the start
    }
    session.stop = () => {
      stops.forEach((stop) => stop());
      clearTimeout(session.flush);
      reopened?.resolve(); // the tap's loop ends with its socket
    };
    this.#add(session);
    return { ok: true, stream, topics: asked ?? known, leaseMs: LEASE_MS };
  }

  #add(session: Session): void {
    this.#sessions.set(session.id, session);
    this.#sweep ??= setInterval(() => this.#expire(), 1000);
  }

  #expire(): void {
    const now = performance.now();
    for (const [id, session] of this.#sessions) if (session.expires < now) this.#end(id);
  }

  #end(id: string): void {
    const session = this.#sessions.get(id);
    if (session === undefined) return;
    this.#sessions.delete(id);
    session.stop();
    if (this.#sessions.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** Ends every stream and play session. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#sessions.keys()]) this.#end(id);
  }
}
