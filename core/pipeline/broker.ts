/**
 * The service broker: routes client requests by service name to idle
 * service workers, least-recently-used first. Workers heartbeat; one that
 * dies or goes silent is removed and its request is retried on another
 * worker (up to `maxAttempts` deliveries). A request for a service nobody
 * offers gets an error reply, never a crash.
 *
 * A worker given up as silent may only have been paused or blocked by its
 * handler: its late reply is still taken (the first reply to a request
 * wins), and when it registers again naming the request it is still
 * running, it keeps that request instead of being sent it a second time.
 *
 * Sockets: a Router bound at `frontend` (clients connect Dealers) and a Router
 * bound at `backend` (service workers connect Dealers).
 *
 * @example
 * ```ts
 * import { Broker } from "./broker.ts";
 * const broker = new Broker({ frontend: "tcp://127.0.0.1:5580", backend: "tcp://127.0.0.1:5581" });
 * await broker.start();
 * // ... clients and service workers connect
 * await broker.close();
 * ```
 * @module
 */
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { Router } from "../sockets/mod.ts";
import { encodeMessage, type PipelineMessage } from "./codec.ts";
import { maxMessageSizeOption, ROLE_HANDSHAKE_LIMITS } from "../limits.ts";
import { LivenessRegistry, type LivePeer } from "./liveness.ts";
import { DropCounter, serveRouter } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "broker"]);

/**
 * Error codes a client can get back from the broker (in the reply body).
 *
 * @example
 * ```ts
 * import type { ServiceErrorCode } from "./broker.ts";
 * const code: ServiceErrorCode = "unknown-service";
 * ```
 */
export type ServiceErrorCode =
  | "unknown-service"
  | "unavailable"
  | "handler-error"
  | "timeout"
  | "busy";

/**
 * Options of a {@link Broker}.
 *
 * @example
 * ```ts
 * import type { BrokerOptions } from "./broker.ts";
 * const o: BrokerOptions = { frontend: "tcp://*:5580", backend: "tcp://*:5581", services: ["plan"] };
 * ```
 */
export interface BrokerOptions {
  /** Endpoint to bind for clients. */
  frontend: string;
  /** Endpoint to bind for service workers. */
  backend: string;
  /**
   * Services that exist even while no worker offers them (requests wait for
   * a worker). Any other name is unknown unless a live worker offers it.
   */
  services?: string[];
  /** Heartbeat period (ms, default 1000). */
  heartbeatIntervalMs?: number;
  /** A worker silent this long is dead (ms, default 3 × interval). */
  heartbeatTimeoutMs?: number;
  /** Deliveries of one request before giving up on dying workers (default 3). */
  maxAttempts?: number;
  /** How long a request may wait for a worker (ms, default 30000). */
  queueTimeoutMs?: number;
  /** Waiting requests per service before new ones are refused (default 10000). */
  maxQueue?: number;
  /**
   * Largest message accepted from a peer, in bytes (default 64 MiB, -1 = no
   * limit); a larger one closes that peer's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"frontend" | "backend">;
}

interface Pending {
  clientPeer: Uint8Array;
  clientKey: string;
  rid: string;
  service: string;
  body: unknown;
  attempts: number;
  since: number;
  /** The id workers see; the same for every delivery, so any of them may answer. */
  brokerRid: string;
  /** The worker it is assigned to now; null while it waits in its service's queue. */
  worker: ServiceWorkerState | null;
  /** Routing keys of every worker it was sent to (the first reply from one of them wins). */
  sentTo: Set<string>;
}

interface ServiceWorkerState extends LivePeer {
  name: string;
  services: Set<string>;
  /** The broker id of the request it is running (it gets no other meanwhile). */
  busy: string | null;
  idleSince: number;
}

const HEARTBEAT = encodeMessage({ kind: "heartbeat" });

/**
 * Counters of a broker.
 *
 * @example
 * ```ts
 * import type { BrokerStats } from "./broker.ts";
 * const s: BrokerStats = { routed: 0, replied: 0, retried: 0, errors: 0 };
 * ```
 */
export interface BrokerStats {
  /** Requests handed to a worker (including retries). */
  routed: number;
  /** Replies forwarded to clients. */
  replied: number;
  /** Requests re-routed after a worker died. */
  retried: number;
  /** Error replies sent by the broker itself. */
  errors: number;
}

/**
 * Load-balancing request router for services.
 *
 * @example
 * ```ts
 * import { Broker } from "./broker.ts";
 * const b = new Broker({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0" });
 * await b.start();
 * console.log(b.endpoints);
 * await b.close();
 * ```
 */
export class Broker {
  /** Counters. */
  readonly stats: BrokerStats = { routed: 0, replied: 0, retried: 0, errors: 0 };
  readonly #options: BrokerOptions;
  readonly #interval: number;
  readonly #timeout: number;
  readonly #maxMessageSize: number;
  readonly #workers: LivenessRegistry<ServiceWorkerState>;
  readonly #drops = new DropCounter();
  readonly #queues = new Map<string, Pending[]>();
  readonly #byBrokerRid = new Map<string, Pending>();
  readonly #byClientRid = new Map<string, Pending>();
  #frontend: Router | null = null;
  #backend: Router | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #seq = 0;
  #closed = false;

  /** Keeps the options; nothing binds before {@link start}. */
  constructor(options: BrokerOptions) {
    this.#options = options;
    this.#interval = options.heartbeatIntervalMs ?? 1000;
    this.#timeout = options.heartbeatTimeoutMs ?? this.#interval * 3;
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize);
    this.#workers = new LivenessRegistry(this.#timeout);
  }

  /** Resolved endpoints once started. */
  get endpoints(): { frontend: string; backend: string } {
    return {
      frontend: this.#frontend?.lastEndpoint ?? this.#options.frontend,
      backend: this.#backend?.lastEndpoint ?? this.#options.backend,
    };
  }

  /** Live service workers. */
  get workerCount(): number {
    return this.#workers.size;
  }

  /** Service names with at least one live worker. */
  get liveServices(): string[] {
    const names = new Set<string>();
    for (const w of this.#workers) for (const s of w.services) names.add(s);
    return [...names].sort();
  }

  /** Messages dropped as malformed or unexpected, on both sockets. */
  get dropped(): number {
    return this.#drops.count;
  }

  /** Binds both sockets and starts routing. */
  async start(): Promise<void> {
    if (this.#frontend !== null) return;
    const limits = {
      sendHighWaterMark: 10_000,
      receiveHighWaterMark: 10_000,
      maxMessageSize: this.#maxMessageSize,
      ...ROLE_HANDSHAKE_LIMITS,
    };
    const security = this.#options.security ?? {};
    this.#frontend = new Router({ ...security.frontend, ...limits });
    this.#backend = new Router({ ...security.backend, ...limits });
    try {
      await this.#frontend.bind(this.#options.frontend);
      await this.#backend.bind(this.#options.backend);
    } catch (error) {
      await this.close();
      throw error;
    }
    serveRouter(this.#frontend, {
      log,
      from: "a client",
      accepts: ["svc-request"],
      drops: this.#drops,
      onMessage: (m, peer, key) => this.#onRequest(peer, key, m.rid, m.service, m.body),
    });
    serveRouter(this.#backend, {
      log,
      from: "a service worker",
      accepts: ["svc-ready", "svc-reply", "heartbeat", "bye"],
      drops: this.#drops,
      onMessage: (m, peer, key) => this.#onWorkerMessage(key, peer, m),
    });
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    log.info("broker: clients at {frontend}, workers at {backend}", this.endpoints);
  }

  /** Stops routing; waiting clients get nothing more (their timeouts apply). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await Promise.all([this.#frontend?.close(), this.#backend?.close()]);
  }

  // ---- clients --------------------------------------------------------------

  #onRequest(peer: Uint8Array, key: string, rid: string, service: string, body: unknown): void {
    const clientRid = `${key}/${rid}`;
    if (this.#byClientRid.has(clientRid)) return; // a client retry of a request still in progress
    if (!this.#isKnown(service)) {
      this.#replyError(peer, rid, "unknown-service", `unknown service '${service}'`);
      return;
    }
    const queue = this.#queues.get(service) ?? [];
    if (queue.length >= (this.#options.maxQueue ?? 10_000)) {
      this.#replyError(peer, rid, "busy", `service '${service}' has too many waiting requests`);
      return;
    }
    const pending: Pending = {
      clientPeer: peer,
      clientKey: key,
      rid,
      service,
      body,
      attempts: 0,
      since: performance.now(),
      brokerRid: `${++this.#seq}`,
      worker: null,
      sentTo: new Set(),
    };
    this.#byClientRid.set(clientRid, pending);
    this.#byBrokerRid.set(pending.brokerRid, pending);
    queue.push(pending);
    this.#queues.set(service, queue);
    this.#dispatch(service);
  }

  #isKnown(service: string): boolean {
    if (this.#options.services?.includes(service)) return true;
    for (const w of this.#workers) if (w.services.has(service)) return true;
    return false;
  }

  #replyError(peer: Uint8Array, rid: string, code: ServiceErrorCode, error: string): void {
    this.stats.errors++;
    this.#toClient(peer, { kind: "svc-reply", rid, ok: false, body: code, error });
  }

  #toClient(peer: Uint8Array, message: PipelineMessage): void {
    this.#frontend?.send([peer, encodeMessage(message)]).catch(() => {});
  }

  #toWorker(worker: ServiceWorkerState, message: PipelineMessage): void {
    this.#backend?.send([worker.peer, encodeMessage(message)]).catch(() => {});
  }

  /** The request is answered (or given up): forgotten, and out of its queue if it waits there. */
  #settle(pending: Pending): void {
    this.#byClientRid.delete(`${pending.clientKey}/${pending.rid}`);
    this.#byBrokerRid.delete(pending.brokerRid);
    if (pending.worker === null) {
      const queue = this.#queues.get(pending.service);
      const at = queue?.indexOf(pending) ?? -1;
      if (at >= 0) queue!.splice(at, 1);
    }
    pending.worker = null;
  }

  /** Routes waiting requests of `service` to idle workers, least recently used first. */
  #dispatch(service: string): void {
    const queue = this.#queues.get(service);
    if (queue === undefined || queue.length === 0) return;
    const idle = this.#workers.values()
      .filter((w) => w.busy === null && w.services.has(service))
      .sort((a, b) => a.idleSince - b.idleSince);
    for (const worker of idle) {
      const pending = queue.shift();
      if (pending === undefined) break;
      pending.attempts++;
      pending.worker = worker;
      pending.sentTo.add(worker.key);
      worker.busy = pending.brokerRid;
      this.stats.routed++;
      this.#toWorker(worker, {
        kind: "svc-request",
        rid: pending.brokerRid,
        service,
        body: pending.body,
      });
    }
  }

  // ---- workers --------------------------------------------------------------

  #onWorkerMessage(key: string, peer: Uint8Array, m: PipelineMessage): void {
    const worker = this.#workers.touch(key);
    switch (m.kind) {
      case "svc-ready": {
        // Still running what we gave it: the same registration, not a new worker.
        if (worker !== undefined && m.running !== undefined && worker.busy === m.running) return;
        if (worker !== undefined) this.#removeWorker(worker, "re-registered");
        const fresh: ServiceWorkerState = {
          key,
          peer,
          name: m.name,
          services: new Set(m.services),
          lastSeen: 0,
          busy: null,
          idleSince: performance.now(),
        };
        this.#workers.add(fresh);
        log.info("service worker {name} offers {services}", {
          name: m.name,
          services: m.services.join(","),
        });
        if (m.running !== undefined) this.#resume(fresh, m.running);
        for (const service of fresh.services) this.#dispatch(service);
        return;
      }
      case "svc-reply": {
        // A worker removed as silent (paused, or blocked by its handler) may still
        // answer: the first reply from a worker the request was sent to wins.
        const pending = this.#byBrokerRid.get(m.rid);
        if (pending !== undefined && pending.sentTo.has(key)) {
          this.#settle(pending);
          this.stats.replied++;
          this.#toClient(pending.clientPeer, {
            kind: "svc-reply",
            rid: pending.rid,
            ok: m.ok,
            body: m.ok ? m.body : "handler-error",
            error: m.error,
          });
        }
        if (worker === undefined) {
          this.#backend?.send([peer, encodeMessage({ kind: "reset" })]).catch(() => {});
          return;
        }
        if (worker.busy === m.rid) worker.busy = null;
        worker.idleSince = performance.now();
        for (const service of worker.services) this.#dispatch(service);
        return;
      }
      case "heartbeat":
        if (worker === undefined) {
          this.#backend?.send([peer, encodeMessage({ kind: "reset" })]).catch(() => {});
        }
        return;
      case "bye":
        if (worker !== undefined) this.#removeWorker(worker, "left");
        return;
    }
  }

  /**
   * A worker registered while still running `brokerRid`: it stays busy with
   * it, and a request waiting for a retry goes back to it instead of being
   * sent anywhere again.
   */
  #resume(worker: ServiceWorkerState, brokerRid: string): void {
    worker.busy = brokerRid;
    const pending = this.#byBrokerRid.get(brokerRid);
    if (pending === undefined || !pending.sentTo.has(worker.key) || pending.worker !== null) {
      return; // answered already, or running elsewhere: its reply is still welcome
    }
    const queue = this.#queues.get(pending.service);
    const at = queue?.indexOf(pending) ?? -1;
    if (at >= 0) queue!.splice(at, 1);
    pending.worker = worker;
    log.info("service worker {name} is still running request {rid}", {
      name: worker.name,
      rid: brokerRid,
    });
  }

  #removeWorker(worker: ServiceWorkerState, reason: string): void {
    this.#workers.remove(worker);
    const rid = worker.busy;
    worker.busy = null;
    log.warn("service worker {name} removed: {reason}", { name: worker.name, reason });
    const pending = rid === null ? undefined : this.#byBrokerRid.get(rid);
    if (pending === undefined || pending.worker !== worker) return;
    pending.worker = null;
    if (pending.attempts >= (this.#options.maxAttempts ?? 3)) {
      this.#settle(pending);
      this.#replyError(
        pending.clientPeer,
        pending.rid,
        "unavailable",
        `service '${pending.service}': ${pending.attempts} workers died handling this request`,
      );
      return;
    }
    // Retry elsewhere, ahead of newer requests.
    this.stats.retried++;
    const queue = this.#queues.get(pending.service) ?? [];
    queue.unshift(pending);
    this.#queues.set(pending.service, queue);
    this.#dispatch(pending.service);
  }

  #tick(): void {
    const now = performance.now();
    this.#workers.sweep(
      (worker, silentMs) => this.#removeWorker(worker, `silent for ${silentMs} ms`),
      (worker) => this.#backend?.send([worker.peer, HEARTBEAT]).catch(() => {}),
    );
    const limit = this.#options.queueTimeoutMs ?? 30_000;
    for (const [service, queue] of this.#queues) {
      const expired = queue.filter((pending) => now - pending.since > limit);
      if (expired.length === 0) continue;
      this.#queues.set(service, queue.filter((pending) => now - pending.since <= limit));
      for (const pending of expired) {
        this.#settle(pending);
        this.#replyError(
          pending.clientPeer,
          pending.rid,
          "timeout",
          `no worker for service '${service}' within ${limit} ms`,
        );
      }
    }
  }
}
