/**
 * The client side of the control endpoint's ops for a robot's data (see
 * control_ops.ts): one DEALER to the supervisor's control ROUTER, CURVE
 * when the robot's control endpoint speaks it, with requests matched to
 * their replies by id, and at most one stream — its frames handed to a
 * callback as they come, its lease renewed every second, opened again if
 * the robot restarted, its gaps (messages the supervisor dropped for a
 * slow client) counted.
 *
 * @example
 * ```ts
 * import { LiveClient } from "./control_client.ts";
 * const client = new LiveClient("ipc:///tmp/zedge-kitchen-bot.sock");
 * const { topics } = await client.ask({ op: "topics" });
 * await client.subscribe({ topics: ["odom"] }, (event) => {
 *   if (event.kind === "message") console.log(event.topic, event.time);
 * });
 * await client.close();
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";
import { Dealer, ZmqError } from "../../core/sockets/mod.ts";
import type { ControlRequestOptions } from "../control.ts";
import type { LogLine } from "../observe/view.ts";
import { LEASE_MS, STREAM_HEADER_BYTES, StreamKind } from "./control_wire.ts";
import type { ComponentStateValue } from "./hub.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** How often a stream's lease is renewed. */
const RENEW_MS = 1000;
/** Events read between two acknowledgements (the supervisor sends 20,000 ahead at most). */
const ACK_EVERY = 2000;
/** The id of every renewal (their answers are not waited for). */
const RENEW_ID = "renew";

/**
 * One event of a stream: a topic message as published, a log line, or
 * every component's state; `time` is when the supervisor received or made
 * it (ms since the epoch).
 *
 * @example
 * ```ts
 * import type { StreamEvent } from "./control_client.ts";
 * const show = (e: StreamEvent) => e.kind === "message" ? e.topic : e.kind;
 * ```
 */
export type StreamEvent =
  | { kind: "message"; time: number; topic: string; frames: Uint8Array[] }
  | { kind: "log"; time: number; line: LogLine }
  | { kind: "states"; time: number; components: ComponentStateValue[] };

/**
 * What a stream asks for.
 *
 * @example
 * ```ts
 * import type { StreamRequest } from "./control_client.ts";
 * const everything: StreamRequest = { topics: "*", logs: true, states: true };
 * ```
 */
export interface StreamRequest {
  /** Topics (`*`: every topic of the robot). */
  topics: readonly string[] | "*";
  /** The robot's log lines too. */
  logs?: boolean;
  /** The components' states too (at once, then after each change). */
  states?: boolean;
}

/**
 * Why the supervisor did not answer, or refused this client.
 *
 * @example
 * ```ts
 * import { LiveClientError } from "./control_client.ts";
 * const e = new LiveClientError("no reply within 3000 ms");
 * ```
 */
export class LiveClientError extends ZedgeError {
  /** Always `"live-client"`. */
  readonly code: string = "live-client";
  /** Creates the error, saying why. */
  constructor(message: string) {
    super(message);
    this.name = "LiveClientError";
  }
}

/**
 * A reply of the supervisor (JSON).
 *
 * @example
 * ```ts
 * import type { LiveReply } from "./control_client.ts";
 * const r: LiveReply = { ok: false, error: "no topic 'odm'" };
 * ```
 */
export type LiveReply = { ok: boolean; error?: string; [key: string]: unknown };

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { LiveClient } from "./control_client.ts";
 * const client = new LiveClient("tcp://10.0.0.12:7700", { timeoutMs: 3000 });
 * await client.close();
 * ```
 */
export class LiveClient {
  /** The control endpoint. */
  readonly endpoint: string;
  readonly #dealer: Dealer;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, (reply: LiveReply) => void>();
  #nextId = 0;
  #refused: string | null = null;
  #receiving: Promise<void>;
  #stream: { id: string; request: StreamRequest; onEvent: (e: StreamEvent) => void } | null = null;
  #renewer: ReturnType<typeof setInterval> | undefined;
  #expected = 0;
  #ackedUpTo = 0;
  #missed = 0;
  #unsolicited: (reply: LiveReply) => void = () => {};
  #onNote: (note: string) => void = () => {};
  #closed = false;
  #heardAt = performance.now();
  #silenceNoted = false;
  #reopening = false;

  /** Connects to `endpoint` (the connection is made in the background). */
  constructor(endpoint: string, options: ControlRequestOptions = {}) {
    this.endpoint = endpoint;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    const curve = options.curve;
    this.#dealer = new Dealer({
      immediate: true, // a robot that is down is said by the send timeout
      linger: 0,
      receiveHighWaterMark: 10_000,
      ...(curve === undefined ? {} : {
        curveServerKey: curve.serverKey,
        ...(curve.secretKey === undefined ? {} : { curveSecretKey: curve.secretKey }),
        ...(curve.publicKey === undefined ? {} : { curvePublicKey: curve.publicKey }),
      }),
    });
    this.#dealer.events.on("handshake:error", (event) => {
      this.#refused ??= event.reason ?? "the handshake failed";
      for (const resolve of this.#pending.values()) {
        resolve({ ok: false, error: `the robot refused this client: ${this.#refused}` });
      }
    });
    this.#dealer.connect(endpoint);
    this.#receiving = this.#receive();
  }

  /** Stream messages the supervisor had to drop for this client (gaps in the stream). */
  get missed(): number {
    return this.#missed;
  }

  /** Calls `listener` with replies nobody waits for (a refused `quiet` publish). */
  onUnsolicited(listener: (reply: LiveReply) => void): void {
    this.#unsolicited = listener;
  }

  /** Calls `listener` with what the client notices (the robot restarted, stopped answering). */
  onNote(listener: (note: string) => void): void {
    this.#onNote = listener;
  }

  /**
   * Sends `request` and resolves its reply; throws {@link LiveClientError}
   * when none comes within the timeout or the robot refuses this client.
   */
  async ask(request: Record<string, unknown>, extra: Uint8Array[] = []): Promise<LiveReply> {
    const id = String(++this.#nextId);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reply = new Promise<LiveReply>((resolve) => {
      this.#pending.set(id, resolve);
      timer = setTimeout(() =>
        resolve({
          ok: false,
          error: this.#refused !== null
            ? `the robot refused this client: ${this.#refused}`
            : `no reply from ${this.endpoint} within ${this.#timeoutMs} ms`,
          timeout: true,
        }), this.#timeoutMs);
    });
    try {
      if (this.#refused !== null) {
        throw new LiveClientError(`the robot refused this client: ${this.#refused}`);
      }
      this.#dealer.sendTimeout = this.#timeoutMs;
      await this.#dealer.send([
        new Uint8Array(0),
        utf8.encode(JSON.stringify({ ...request, id })),
        ...extra,
      ]);
      const answer = await reply;
      if (answer.timeout === true || answer.error?.startsWith("the robot refused") === true) {
        throw new LiveClientError(answer.error!);
      }
      return answer;
    } catch (error) {
      if (error instanceof LiveClientError) throw error;
      if (error instanceof ZmqError && error.code === "EAGAIN") {
        throw new LiveClientError(`no reply from ${this.endpoint} within ${this.#timeoutMs} ms`);
      }
      throw new LiveClientError(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
  }

  /**
   * Sends `request` without waiting (a `quiet` publish): its reply, if
   * any, goes to {@link onUnsolicited}. Waits only while the socket's queue
   * is full.
   */
  async post(request: Record<string, unknown>, extra: Uint8Array[] = []): Promise<void> {
    const id = String(++this.#nextId);
    this.#dealer.sendTimeout = -1;
    await this.#dealer.send([
      new Uint8Array(0),
      utf8.encode(JSON.stringify({ ...request, id })),
      ...extra,
    ]);
  }

  /**
   * Opens this client's stream (one at most) and resolves the supervisor's
   * reply (the topics it streams); `onEvent` is called with each event
   * until {@link close}. Throws {@link LiveClientError} when refused.
   */
  async subscribe(
    request: StreamRequest,
    onEvent: (event: StreamEvent) => void,
  ): Promise<LiveReply> {
    if (this.#stream !== null) throw new LiveClientError("this client has a stream already");
    const stream = { id: crypto.randomUUID(), request, onEvent };
    // Events before the request goes out: the supervisor sends the first ones (the states at
    // the start) right behind its reply, often in the same read, and they are read before this
    // function resumes after the reply.
    this.#stream = stream;
    let reply: LiveReply;
    try {
      reply = await this.#open(stream);
    } catch (error) {
      this.#stream = null;
      throw error;
    }
    this.#renewer = setInterval(() => this.#renew(), RENEW_MS);
    return reply;
  }

  async #open(stream: { id: string; request: StreamRequest }): Promise<LiveReply> {
    this.#expected = 0;
    this.#ackedUpTo = 0;
    const reply = await this.ask({ op: "subscribe", stream: stream.id, ...stream.request });
    if (!reply.ok) throw new LiveClientError(reply.error ?? "refused");
    return reply;
  }

  /**
   * Opens a play session for `topics` and resolves the supervisor's reply:
   * its id (`stream`) and the topics it refused, with why.
   */
  async play(
    topics: readonly string[],
  ): Promise<{ stream: string; refused: { topic: string; why: string }[] }> {
    if (this.#stream !== null) throw new LiveClientError("this client has a stream already");
    const id = crypto.randomUUID();
    const reply = await this.ask({ op: "play", stream: id, topics });
    if (!reply.ok) throw new LiveClientError(reply.error ?? "refused");
    this.#stream = { id, request: { topics: [] }, onEvent: () => {} };
    this.#renewer = setInterval(() => this.#renew(), RENEW_MS);
    return { stream: id, refused: reply.refused as { topic: string; why: string }[] };
  }

  /**
   * Renews the stream's lease without waiting for the answer: behind a busy
   * stream the answer comes late, and only a refusal matters (see
   * {@link #renewed}). A robot heard from no more for three leases is noted.
   */
  async #renew(): Promise<void> {
    const stream = this.#stream;
    if (stream === null || this.#closed) return;
    if (this.#expected > this.#ackedUpTo) this.#ack();
    const silent = performance.now() - this.#heardAt;
    if (silent > 3 * LEASE_MS && !this.#silenceNoted) {
      this.#silenceNoted = true;
      this.#onNote(`no word from ${this.endpoint} for ${Math.round(silent / 1000)} s`);
    }
    this.#dealer.sendTimeout = 0;
    await this.#dealer.send([
      new Uint8Array(0),
      utf8.encode(JSON.stringify({ op: "renew", stream: stream.id, id: RENEW_ID })),
    ]).catch(() => {/* the queue is full: the next one goes */});
  }

  /** Tells the supervisor every event before the next expected one was read. */
  #ack(): void {
    const stream = this.#stream;
    if (stream === null || this.#closed) return;
    this.#ackedUpTo = this.#expected;
    this.#dealer.sendTimeout = 0;
    this.#dealer.send([
      new Uint8Array(0),
      utf8.encode(JSON.stringify({ op: "ack", stream: stream.id, seq: this.#expected })),
    ]).catch(() => {/* the queue is full: the next one goes */});
  }

  /** The answer to a renewal: a stream the robot no longer knows (it restarted) is opened again. */
  async #renewed(reply: LiveReply): Promise<void> {
    const stream = this.#stream;
    if (reply.ok || stream === null || this.#closed || stream.request.topics.length === 0) return;
    if (!/unknown stream/.test(reply.error ?? "") || this.#reopening) return;
    this.#reopening = true;
    try {
      stream.id = crypto.randomUUID();
      await this.#open(stream);
      this.#onNote("the robot's stream was lost (did it restart?): subscribed again");
    } catch (error) {
      if (!this.#closed) this.#onNote((error as Error).message);
    } finally {
      this.#reopening = false;
    }
  }

  #heard(): void {
    this.#heardAt = performance.now();
    if (this.#silenceNoted) {
      this.#silenceNoted = false;
      this.#onNote(`${this.endpoint} answers again`);
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#dealer) {
        if (frames.length < 2 || frames[0].length !== 0) continue;
        const first = frames[1];
        if (first[0] === 0x7b) {
          let reply: LiveReply;
          try {
            reply = JSON.parse(fromUtf8.decode(first));
          } catch {
            continue;
          }
          this.#heard();
          if (reply.id === RENEW_ID) {
            this.#renewed(reply);
            continue;
          }
          const waiter = this.#pending.get(String(reply.id));
          if (waiter !== undefined) waiter(reply);
          else this.#unsolicited(reply);
          continue;
        }
        this.#heard();
        // One message carries the events of one turn of the supervisor: header, then its frames.
        let at = 1;
        while (at < frames.length && frames[at].length === STREAM_HEADER_BYTES) {
          const count = frames[at][0] === StreamKind.message ? 3 : 1;
          this.#event(frames[at], frames.slice(at + 1, at + 1 + count));
          at += 1 + count;
        }
        // The supervisor sends so much ahead of what it hears was read, then drops.
        if (this.#expected - this.#ackedUpTo >= ACK_EVERY) this.#ack();
      }
    } catch {
      // Closed.
    }
  }

  #event(header: Uint8Array, rest: Uint8Array[]): void {
    const stream = this.#stream;
    if (stream === null) return;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const seq = view.getUint32(1, true);
    const time = view.getFloat64(5, true);
    if (seq > this.#expected) this.#missed += seq - this.#expected;
    this.#expected = seq + 1;
    try {
      switch (header[0]) {
        case StreamKind.message:
          if (rest.length !== 3) return;
          stream.onEvent({ kind: "message", time, topic: fromUtf8.decode(rest[0]), frames: rest });
          return;
        case StreamKind.log:
          stream.onEvent({ kind: "log", time, line: JSON.parse(fromUtf8.decode(rest[0])) });
          return;
        case StreamKind.states:
          stream.onEvent({
            kind: "states",
            time,
            components: JSON.parse(fromUtf8.decode(rest[0])).components,
          });
          return;
      }
    } catch {
      // An unreadable event: skipped.
    }
  }

  /** Ends the stream (telling the supervisor) and closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewer);
    const stream = this.#stream;
    if (stream !== null && this.#refused === null) {
      // Best effort: without it the stream ends when its lease runs out.
      this.#dealer.sendTimeout = 200;
      await this.#dealer.send([
        new Uint8Array(0),
        utf8.encode(JSON.stringify({ op: "cancel", stream: stream.id })),
      ]).catch(() => {});
      this.#dealer.linger = 200;
    }
    await this.#dealer.close();
    await this.#receiving;
  }
}
