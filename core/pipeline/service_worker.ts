/**
 * A service worker: registers the services its handler module offers with a
 * broker, answers one request at a time, heartbeats, and registers again
 * when the broker restarts or forgets it. A handler that throws produces an
 * error reply for that request only.
 *
 * A running handler never stops the worker from reading the broker's
 * messages or sending heartbeats (a busy worker is busy, not dead). When it
 * registers again while a request runs, the registration names that
 * request, so the broker does not hand it over a second time; a request the
 * broker sends again while it runs or waits here is not run twice.
 *
 * @example
 * ```ts
 * import { ServiceWorker } from "./service_worker.ts";
 * const worker = new ServiceWorker({
 *   broker: "tcp://127.0.0.1:5581",
 *   handlers: { plan: (goal) => ({ path: [goal] }) },
 * });
 * await worker.start();
 * // ... serves until closed
 * await worker.close();
 * ```
 * @module
 */
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { Dealer } from "../sockets/mod.ts";
import type { PipelineMessage } from "./codec.ts";
import { SilenceWatch } from "./liveness.ts";
import { type Executor, InlineExecutor, ThreadPool } from "./executor.ts";
import type { HandlerMap } from "./handlers.ts";
import { maxMessageSizeOption } from "../limits.ts";
import { atMost, OrderedSender } from "./link.ts";
import { DropCounter, serveDealer } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "service"]);

/**
 * Options of a {@link ServiceWorker}.
 *
 * @example
 * ```ts
 * import type { ServiceWorkerOptions } from "./service_worker.ts";
 * const o: ServiceWorkerOptions = { broker: "tcp://127.0.0.1:5581", module: "./services.ts" };
 * ```
 */
export interface ServiceWorkerOptions {
  /** The broker's `backend` endpoint. */
  broker: string;
  /** Handler module: one function per service name. */
  module?: string | URL;
  /**
   * Run the handlers of `module` in a Web-Worker thread: even a handler that
   * blocks its thread for long (CPU work, a synchronous wait) then leaves
   * heartbeats going, so the broker never takes the busy worker for dead. A
   * thread that crashes is replaced; its request gets an error reply.
   * Requests are still answered one at a time. Default false.
   */
  inThread?: boolean;
  /** Deno permissions for that thread (needs `--unstable-worker-options`). */
  threadPermissions?: Deno.PermissionOptions;
  /** In-code handlers instead of `module`. */
  handlers?: HandlerMap;
  /** Services to offer (default: every function of the module). */
  services?: string[];
  /** Name in logs (default `service-<pid>-<random>`). */
  name?: string;
  /** Heartbeat period (ms, default 1000). */
  heartbeatIntervalMs?: number;
  /** Register again after hearing nothing from the broker this long (ms, default 3 × interval). */
  heartbeatTimeoutMs?: number;
  /**
   * Largest message accepted from a peer, in bytes (default 64 MiB, -1 = no
   * limit); a larger one closes that peer's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"broker">;
}

/**
 * Serves requests routed by a {@link Broker}.
 *
 * @example
 * ```ts
 * import { ServiceWorker } from "./service_worker.ts";
 * const w = new ServiceWorker({ broker: "tcp://127.0.0.1:5581", handlers: { echo: (b) => b } });
 * await w.start();
 * await w.close();
 * ```
 */
export class ServiceWorker {
  /** Name in logs. */
  readonly name: string;
  /** Requests answered. */
  handled = 0;
  readonly #options: ServiceWorkerOptions;
  readonly #executor: Executor;
  readonly #interval: number;
  readonly #timeout: number;
  readonly #maxMessageSize: number;
  readonly #drops = new DropCounter();
  #services: string[] = [];
  #dealer: Dealer | null = null;
  #out: OrderedSender | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #broker: SilenceWatch;
  /** Requests received and not started yet (the broker sends one at a time). */
  readonly #queue: Extract<PipelineMessage, { kind: "svc-request" }>[] = [];
  /** The broker's id of the request running now. */
  #running: string | null = null;
  #closed = false;

  /** Keeps the options; nothing connects before {@link start}. */
  constructor(options: ServiceWorkerOptions) {
    this.#options = options;
    this.name = options.name ?? `service-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
    if (options.inThread) {
      if (options.module === undefined) {
        throw new TypeError("a service worker inThread needs 'module'");
      }
      this.#executor = new ThreadPool({
        module: options.module,
        threads: 1,
        permissions: options.threadPermissions,
      });
    } else {
      this.#executor = new InlineExecutor({ module: options.module, handlers: options.handlers });
    }
    this.#interval = options.heartbeatIntervalMs ?? 1000;
    this.#timeout = options.heartbeatTimeoutMs ?? this.#interval * 3;
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize);
    this.#broker = new SilenceWatch(this.#timeout);
  }

  /** The services offered, once started. */
  get services(): string[] {
    return [...this.#services];
  }

  /** Messages from the broker dropped as malformed or unexpected. */
  get dropped(): number {
    return this.#drops.count;
  }

  /** Loads the handlers, connects and registers. */
  async start(): Promise<void> {
    if (this.#dealer !== null) return;
    const exported = await this.#executor.start();
    const wanted = this.#options.services ?? exported;
    const missing = wanted.filter((s) => !exported.includes(s));
    if (missing.length > 0) {
      this.#executor.close();
      throw new Error(`no handler for service(s): ${missing.join(", ")}`);
    }
    this.#services = wanted;
    this.#dealer = new Dealer({
      immediate: true, // live peers only (see worker.ts)
      ...this.#options.security?.broker,
      linger: 200,
      maxMessageSize: this.#maxMessageSize,
    });
    this.#dealer.connect(this.#options.broker);
    this.#out = new OrderedSender(this.#dealer, ["zedge", "pipeline", "service"]);
    this.#broker = new SilenceWatch(this.#timeout);
    this.#register();
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    // Never awaits a handler: heartbeats and resets keep being read while one runs.
    serveDealer(this.#dealer, {
      log,
      from: "the broker",
      accepts: ["svc-request", "reset", "heartbeat"],
      drops: this.#drops,
      onMessage: (m) => this.#onMessage(m),
    });
  }

  /** Tells the broker it leaves and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    // A broker that never answered this registration has nothing of ours to forget,
    // and waiting for the goodbye to drain would only delay the stop.
    if (!this.#broker.resetIsStale()) {
      this.#out?.send({ kind: "bye" });
      await atMost(this.#out?.drained(), 300);
    }
    this.#executor.close();
    await this.#dealer?.close();
  }

  #register(): void {
    // Requests queued here belong to a registration the broker forgets now: it
    // hands them out again. The running one is named so that it does not.
    this.#queue.length = 0;
    this.#broker.registered();
    this.#out!.send({
      kind: "svc-ready",
      name: this.name,
      services: this.#services,
      ...(this.#running === null ? {} : { running: this.#running }),
    });
  }

  #tick(): void {
    const due = this.#broker.registrationDue();
    if (this.#out!.pending > 0) return; // waiting for a broker: more would only pile up
    if (due) {
      log.warn("service worker {name}: broker silent; registering again", { name: this.name });
      this.#register();
      return;
    }
    this.#out!.send({ kind: "heartbeat" });
  }

  #onMessage(m: PipelineMessage): void {
    if (m.kind !== "reset") this.#broker.heard();
    switch (m.kind) {
      case "svc-request":
        if (m.rid === this.#running || this.#queue.some((q) => q.rid === m.rid)) {
          log.info("service worker {name}: request {rid} is already here; not run twice", {
            name: this.name,
            rid: m.rid,
          });
          return;
        }
        this.#queue.push(m);
        this.#runNext();
        return;
      case "reset":
        if (this.#broker.resetIsStale()) return; // our registration is on its way
        log.info("service worker {name}: the broker does not know us; registering again", {
          name: this.name,
        });
        this.#register();
        return;
      case "heartbeat":
        return;
    }
  }

  /** Starts the next queued request unless one is running. */
  #runNext(): void {
    if (this.#running !== null || this.#closed) return;
    const m = this.#queue.shift();
    if (m === undefined) return;
    this.#running = m.rid;
    this.#executor.run({ id: m.rid, type: m.service, payload: m.body, attempt: 1, timeoutMs: 0 })
      .then((outcome) => {
        this.#running = null;
        this.handled++;
        if (this.#closed) return;
        const failed = (error: string) =>
          ({ kind: "svc-reply", rid: m.rid, ok: false, body: null, error }) as const;
        try {
          this.#out!.send(
            outcome.ok
              ? { kind: "svc-reply", rid: m.rid, ok: true, body: outcome.value, error: "" }
              : failed(outcome.reason),
          );
        } catch (error) {
          this.#out!.send(failed(`reply cannot be encoded: ${error}`));
        }
        this.#runNext();
      });
  }
}
