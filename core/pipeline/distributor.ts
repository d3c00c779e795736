/**
 * The distributor: pulls items from task sources, hands them only to workers
 * that asked for work (credit-based load balancing), and counts an item done
 * only when the collector ACKs its id. Items of a worker that dies, goes
 * silent or overruns its time limit are redelivered with backoff, up to a
 * maximum, then reported as failed with the reason. A task type starts when
 * every item of its parents is done. With a journal, ACKed ids survive a
 * crash: a restarted distributor re-issues only the others.
 *
 * Sockets: a Router bound at `workers` (workers connect Dealers) and a Router
 * bound at `acks` (the collector connects a Dealer).
 *
 * This file wires the parts together and runs the start and the end of a
 * run; each concern lives in its own module: item scheduling in
 * `scheduler.ts`, the worker protocol in `distributor_workers.ts`, the
 * collector protocol in `distributor_collector.ts`, journal resume in
 * `resume.ts` and progress in `progress.ts`.
 *
 * @example
 * ```ts
 * import { Distributor } from "./distributor.ts";
 * const distributor = new Distributor({
 *   workers: "tcp://127.0.0.1:5570",
 *   acks: "tcp://127.0.0.1:5571",
 *   tasks: [
 *     { type: "render", items: [1, 2, 3] },
 *     { type: "upload", items: ["a", "b"], dependsOn: ["render"] },
 *   ],
 * });
 * const summary = await distributor.run(); // until every item is done or failed
 * ```
 * @module
 */
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { maxMessageSizeOption, ROLE_HANDSHAKE_LIMITS } from "../limits.ts";
import { Dealer, Router } from "../sockets/mod.ts";
import { encodeMessage, type PipelineSummary } from "./codec.ts";
import { CollectorProtocol } from "./distributor_collector.ts";
import { WorkerProtocol } from "./distributor_workers.ts";
import { fromDealer, Timers } from "./link.ts";
import { type Progress, ProgressMeter } from "./progress.ts";
import { RunJournal } from "./resume.ts";
import { Scheduler, type TaskSource } from "./scheduler.ts";
import { DropCounter } from "./serve.ts";

export type { Progress } from "./progress.ts";
export type { ItemSource, TaskSource } from "./scheduler.ts";

const log = getLogger(["zedge", "pipeline", "distributor"]);

/**
 * Where the distributor gets metadata from before it starts handing out
 * work: a metadata provider's endpoint, or a function.
 *
 * @example
 * ```ts
 * import type { MetadataOption } from "./distributor.ts";
 * const fromProvider: MetadataOption = { endpoint: "tcp://127.0.0.1:5575" };
 * const inline: MetadataOption = async () => ({ map: "warehouse-3" });
 * ```
 */
export type MetadataOption =
  | { endpoint: string; retryMs?: number }
  | (() => unknown);

/**
 * Everything a distributor needs, as plain data plus optional callbacks.
 *
 * @example
 * ```ts
 * import type { DistributorOptions } from "./distributor.ts";
 * const options: DistributorOptions = {
 *   workers: "ipc:///run/zedge/workers.sock",
 *   acks: "ipc:///run/zedge/acks.sock",
 *   tasks: [{ type: "tiles", items: [1, 2] }],
 *   journal: "/var/lib/zedge/tiles.db",
 * };
 * ```
 */
export interface DistributorOptions {
  /** Endpoint to bind for workers. */
  workers: string;
  /** Endpoint to bind for the collector's ACKs. */
  acks: string;
  /** The task types. */
  tasks: TaskSource[];
  /** SQLite journal path; ACKed ids survive a restart. */
  journal?: string;
  /** Metadata to wait for before handing out work. */
  metadata?: MetadataOption;
  /** How often to send heartbeats and check deadlines (ms, default 1000). */
  heartbeatIntervalMs?: number;
  /** A worker or collector silent this long is dead (ms, default 3 × interval). */
  heartbeatTimeoutMs?: number;
  /** A result reported done but not ACKed within this is redelivered (ms, default 30000). */
  ackTimeoutMs?: number;
  /** First retry delay; doubles per attempt (ms, default 100). */
  retryBackoffMs?: number;
  /** Cap of the retry delay (ms, default 5000). */
  retryBackoffMaxMs?: number;
  /** Wait for this many workers before handing out the first item (default 1). */
  minWorkers?: number;
  /** How long to wait for the collector to confirm `onFinished` (ms, default 10000). */
  finishTimeoutMs?: number;
  /** Called every `progressIntervalMs` and once at the end. */
  onProgress?: (progress: Progress) => void;
  /** ms between progress calls (default 1000). */
  progressIntervalMs?: number;
  /** Items pulled from a source ahead of dispatch (default 1000). */
  readAhead?: number;
  /**
   * Largest message accepted from a peer, in bytes (default 64 MiB, -1 = no
   * limit); a larger one closes that peer's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"workers" | "acks" | "metadata">;
}

/**
 * Hands out work and tracks every item until it is done or failed.
 *
 * @example
 * ```ts
 * import { Distributor } from "./distributor.ts";
 * const d = new Distributor({ workers: "tcp://127.0.0.1:0", acks: "tcp://127.0.0.1:0", tasks: [] });
 * await d.start();
 * console.log(d.endpoints); // resolved endpoints for workers and collector
 * await d.close();
 * ```
 */
export class Distributor {
  readonly #options: DistributorOptions;
  readonly #interval: number;
  readonly #timeout: number;
  readonly #maxMessageSize: number;
  readonly #timers = new Timers();
  readonly #meter = new ProgressMeter();
  readonly #drops = new DropCounter();
  readonly #scheduler: Scheduler;
  #journal: RunJournal | null = null;
  #workerRouter: Router | null = null;
  #ackRouter: Router | null = null;
  #workers: WorkerProtocol | null = null;
  #collectors: CollectorProtocol | null = null;
  #metadata: unknown = undefined;
  #metadataReady = false;
  #started = false;
  #closed = false;
  #finishing = false;
  #pumpScheduled = false;
  #finishAcked: (() => void) | null = null;
  #result: Promise<PipelineSummary> | null = null;
  #resolveRun: ((summary: PipelineSummary) => void) | null = null;
  #rejectRun: ((error: Error) => void) | null = null;

  /**
   * Validates the options (dependency cycles and unknown dependencies throw
   * a `DependencyError` here). Does no I/O and never blocks.
   */
  constructor(options: DistributorOptions) {
    this.#options = options;
    this.#interval = positive(options.heartbeatIntervalMs, 1000, "heartbeatIntervalMs");
    this.#timeout = positive(options.heartbeatTimeoutMs, this.#interval * 3, "heartbeatTimeoutMs");
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize);
    this.#scheduler = new Scheduler(options.tasks, {
      // Replaced by the real journal in start(); the constructor does no I/O.
      journal: new RunJournal(undefined),
      timers: this.#timers,
      graceMs: this.#interval,
      ackTimeoutMs: options.ackTimeoutMs,
      retryBackoffMs: options.retryBackoffMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs,
      readAhead: options.readAhead,
      hooks: {
        wake: () => this.#schedulePump(),
        settled: () => this.#finish(),
        abort: (error) => this.#abort(error),
      },
    });
  }

  /** Resolved endpoints once started (port 0 becomes the real port). */
  get endpoints(): { workers: string; acks: string } {
    return {
      workers: this.#workerRouter?.lastEndpoint ?? this.#options.workers,
      acks: this.#ackRouter?.lastEndpoint ?? this.#options.acks,
    };
  }

  /** Messages dropped as malformed or unexpected, on both sockets. */
  get dropped(): number {
    return this.#drops.count;
  }

  /** Binds the sockets and starts serving; {@link run} awaits the end. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#meter.start();
    this.#result = new Promise((resolve, reject) => {
      this.#resolveRun = resolve;
      this.#rejectRun = reject;
    });
    // start() without run() must not turn a close() into an unhandled rejection.
    this.#result.catch(() => {});
    const maxMessageSize = this.#maxMessageSize;
    const security = this.#options.security ?? {};
    const workerRouter = new Router({
      ...security.workers,
      sendHighWaterMark: 100_000,
      receiveHighWaterMark: 100_000,
      maxMessageSize,
      ...ROLE_HANDSHAKE_LIMITS,
    });
    const ackRouter = new Router({
      ...security.acks,
      sendHighWaterMark: 10_000,
      receiveHighWaterMark: 100_000,
      maxMessageSize,
      ...ROLE_HANDSHAKE_LIMITS,
    });
    this.#workerRouter = workerRouter;
    this.#ackRouter = ackRouter;
    try {
      this.#journal = new RunJournal(this.#options.journal);
      this.#scheduler.useJournal(this.#journal);
      await workerRouter.bind(this.#options.workers);
      await ackRouter.bind(this.#options.acks);
    } catch (error) {
      await this.close();
      throw error;
    }
    log.info("distributor serving workers at {workers}, collector at {acks}", this.endpoints);
    const onError = (error: Error) => this.#abort(error);
    const wake = () => this.#schedulePump();
    this.#workers = new WorkerProtocol(workerRouter, this.#scheduler, {
      timeoutMs: this.#timeout,
      wake,
      drops: this.#drops,
      onError,
    });
    this.#collectors = new CollectorProtocol(ackRouter, this.#scheduler, {
      timeoutMs: this.#timeout,
      wake,
      onFinishedAck: () => this.#finishAcked?.(),
      drops: this.#drops,
      onError,
    });
    this.#workers.serve();
    this.#collectors.serve();
    this.#timers.every(this.#interval, () => this.#tick());
    if (this.#options.onProgress !== undefined) {
      this.#timers.every(this.#options.progressIntervalMs ?? 1000, () => this.#reportProgress());
    }
    this.#loadMetadata().then(() => this.#beginTasks(), (error) => this.#abort(error));
  }

  /** Starts (if needed) and resolves with the summary when every item is settled. */
  async run(): Promise<PipelineSummary> {
    await this.start();
    return await this.#result!;
  }

  /** Stops at once; a pending {@link run} rejects. Never waits for workers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timers.clear();
    this.#scheduler.stop();
    this.#rejectRun?.(new Error("distributor closed before the run finished"));
    this.#journal?.close();
    await Promise.all([this.#workerRouter?.close(), this.#ackRouter?.close()]);
  }

  /** Current progress snapshot. */
  progress(): Progress {
    const s = this.#scheduler;
    return this.#meter.snapshot({
      done: s.done,
      failed: s.failed.length,
      total: s.total,
      known: s.known,
      inFlight: this.#workers?.inFlight ?? 0,
      retries: s.retries,
      workers: this.#workers?.count ?? 0,
      resumed: s.resumed,
      waitingFor: this.#waitingFor(),
    });
  }

  /** What #pump waits for before it hands out items (for progress displays). */
  #waitingFor(): NonNullable<Progress["waitingFor"]> {
    if (this.#finishing || this.#closed) return [];
    const waiting: NonNullable<Progress["waitingFor"]> = [];
    if (!this.#metadataReady) waiting.push("metadata");
    if (!this.#collectors?.alive) waiting.push("collector");
    const workers = this.#workers;
    if (workers === null || workers.count === 0 || workers.peak < (this.#options.minWorkers ?? 1)) {
      waiting.push("workers");
    }
    return waiting;
  }

  // ---- start of a run -------------------------------------------------------

  async #loadMetadata(): Promise<void> {
    const option = this.#options.metadata;
    if (option !== undefined) {
      if (typeof option === "function") {
        this.#metadata = await option();
      } else {
        this.#metadata = await this.#fetchMetadata(option.endpoint, option.retryMs ?? 1000);
      }
      log.info("metadata received");
    }
    this.#metadataReady = true;
    const forward = this.#options.tasks.filter((t) => t.forwardMetadata).map((t) => t.type);
    this.#workers?.setMetadata(this.#metadata, forward);
  }

  async #fetchMetadata(endpoint: string, retryMs: number): Promise<unknown> {
    const dealer = new Dealer({
      immediate: true, // live peers only (see worker.ts)
      ...this.#options.security?.metadata,
      linger: 0,
      maxMessageSize: this.#maxMessageSize,
    });
    dealer.connect(endpoint);
    try {
      // One receive stays pending across retries (a reply may answer any request).
      let receiving: Promise<Uint8Array[]> | null = null;
      while (!this.#closed) {
        await dealer.send(encodeMessage({ kind: "meta-request" }));
        receiving ??= dealer.receive();
        const reply = await Promise.race([
          receiving,
          new Promise<null>((resolve) => this.#timers.after(retryMs, () => resolve(null))),
        ]);
        if (reply === null) {
          log.info("waiting for metadata from {endpoint}", { endpoint });
          continue;
        }
        receiving = null;
        const message = fromDealer(reply, log);
        if (message?.kind === "meta-reply") return message.data;
      }
      throw new Error("distributor closed while waiting for metadata");
    } finally {
      await dealer.close();
    }
  }

  #beginTasks(): void {
    const done = this.#journal?.preload() ?? 0;
    if (done > 0) log.info("journal: {count} items already done", { count: done });
    this.#scheduler.begin(this.#metadata);
  }

  // ---- dispatch -------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Hands queued items to workers with credit, once everything a run needs is there. */
  #pump(): void {
    if (this.#closed || !this.#metadataReady || !this.#collectors?.alive) return;
    if (this.#workers!.peak < (this.#options.minWorkers ?? 1)) return;
    if (!this.#scheduler.active) return;
    this.#workers!.dispatch();
    this.#scheduler.refill();
  }

  #tick(): void {
    this.#workers?.tick();
    this.#collectors?.tick();
    // ACK deadlines only run while a collector is there to send ACKs.
    if (this.#collectors?.alive) this.#scheduler.expireAcks(performance.now());
    this.#schedulePump();
  }

  #reportProgress(): void {
    this.#meter.sample(this.#scheduler.done);
    try {
      this.#options.onProgress?.(this.progress());
    } catch (error) {
      log.warn("onProgress threw: {error}", { error });
    }
  }

  // ---- end of a run ---------------------------------------------------------

  #summary(): PipelineSummary {
    const s = this.#scheduler;
    return {
      total: s.known,
      done: s.done,
      failed: [...s.failed],
      skipped: [...s.skipped],
      retries: s.retries,
      resumed: s.resumed,
      elapsedMs: Math.round(performance.now() - this.#meter.startedAt),
    };
  }

  async #finish(): Promise<void> {
    if (this.#finishing) return;
    this.#finishing = true;
    const summary = this.#summary();
    log.info("all items settled: {done} done, {failed} failed, {retries} retries", {
      done: summary.done,
      failed: summary.failed.length,
      retries: summary.retries,
    });
    const acked = new Promise<boolean>((resolve) => {
      this.#finishAcked = () => resolve(true);
      this.#timers.after(this.#options.finishTimeoutMs ?? 10_000, () => resolve(false));
    });
    // FINISHED first: the end of the run (the collector's onFinished) waits for it, and the
    // workers' END, written before it, was two encodes and writes on that path.
    this.#collectors!.finish(summary);
    // Nothing is left for workers: END now, and to any that speaks up until we close.
    this.#workers!.end();
    const resend = setInterval(
      () => this.#collectors!.resendFinished(),
      Math.min(this.#interval, 500),
    );
    const confirmed = await acked;
    clearInterval(resend);
    if (!confirmed) log.warn("the collector did not confirm the end of the run");
    this.#reportProgress();
    const resolve = this.#resolveRun;
    this.#resolveRun = null;
    this.#rejectRun = null;
    // Give the END messages a moment on the wire; never wait for workers.
    for (const s of [this.#workerRouter, this.#ackRouter]) if (s !== null) s.linger = 200;
    await this.close();
    // elapsedMs ends when the last item settled, not after the closing handshakes.
    resolve?.(summary);
  }

  #abort(error: Error): void {
    if (this.#closed) return;
    log.error("distributor stopped: {error}", { error });
    const reject = this.#rejectRun;
    this.#resolveRun = null;
    this.#rejectRun = null;
    this.close();
    reject?.(error);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
