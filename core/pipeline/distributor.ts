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
import { getLogger } from "@logtape/logtape";
import { Dealer, Router } from "../sockets/mod.ts";
import type { FailedItem, PipelineMessage, PipelineSummary, WorkItem } from "./codec.ts";
import { encodeMessage } from "./codec.ts";
import { checkDependencies } from "./graph.ts";
import { Journal } from "./journal.ts";
import { maxMessageSizeOption } from "../limits.ts";
import { fromDealer, fromRouter } from "./link.ts";

const log = getLogger(["zedge", "pipeline", "distributor"]);

/** No worker may hold more items than this, whatever credit it claims. */
const MAX_CREDIT = 100_000;

/**
 * Items of a task source: a list, a (sync or async) generator, or a function
 * that gets the metadata and returns one of those.
 *
 * @example
 * ```ts
 * import type { ItemSource } from "./distributor.ts";
 * const tiles: ItemSource = function* ({ metadata }) {
 *   for (let x = 0; x < 4; x++) yield { x, map: (metadata as { map: string }).map };
 * };
 * ```
 */
export type ItemSource =
  | Iterable<unknown>
  | AsyncIterable<unknown>
  | ((context: { metadata: unknown }) => Iterable<unknown> | AsyncIterable<unknown>);

/**
 * One task type the distributor hands out.
 *
 * @example
 * ```ts
 * import type { TaskSource } from "./distributor.ts";
 * const upload: TaskSource = { type: "upload", items: ["a.log"], dependsOn: ["compress"], timeoutMs: 30_000 };
 * ```
 */
export interface TaskSource {
  /** Task type; workers announce which types they handle. */
  type: string;
  /** The items (see {@link ItemSource}); they must be msgpack-encodable. */
  items: ItemSource;
  /** Task types whose items must all be done before this one starts. */
  dependsOn?: string[];
  /** Per-item time limit in ms (0 = none, the default). */
  timeoutMs?: number;
  /** Redeliveries after the first attempt before an item is failed (default 3). */
  maxRetries?: number;
  /** Send the distributor's metadata to workers with this type's items. */
  forwardMetadata?: boolean;
  /**
   * Stable id of an item (default `${type}:${index}`). Ids must be the same
   * when the source is replayed after a restart, for the journal to work.
   */
  idOf?: (item: unknown, index: number) => string;
  /** Start even when a parent has failed items (default: skip this type). */
  runIfParentsFailed?: boolean;
}

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
 * A snapshot of a run, for progress bars and logs.
 *
 * @example
 * ```ts
 * import type { Progress } from "./distributor.ts";
 * const show = (p: Progress) => console.log(`${p.done}/${p.total ?? "?"}`);
 * ```
 */
export interface Progress {
  /** Items done (ACKed), including ones resumed from the journal. */
  done: number;
  /** Items failed for good. */
  failed: number;
  /** All items, once every runnable source is exhausted; otherwise `null`. */
  total: number | null;
  /** Items known so far. */
  known: number;
  /** Items currently at workers. */
  inFlight: number;
  /** Redeliveries so far. */
  retries: number;
  /** Done items per second over the last few seconds. */
  rate: number;
  /** Estimated ms to go, when `total` is known and the rate is not zero. */
  etaMs: number | null;
  /** Workers currently registered. */
  workers: number;
  /** ms since the run started. */
  elapsedMs: number;
}

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
}

type ItemState = "queued" | "inflight" | "finished" | "backoff" | "done" | "failed";

interface Item {
  id: string;
  task: TaskState;
  payload: unknown;
  attempts: number;
  state: ItemState;
  worker: WorkerState | null;
  deadline: number;
  reason: string;
}

interface TaskState {
  source: TaskSource;
  status: "waiting" | "running" | "settled" | "skipped";
  queue: ItemQueue;
  iterator: Iterator<unknown> | AsyncIterator<unknown> | null;
  async: boolean;
  pulling: boolean;
  exhausted: boolean;
  index: number;
  outstanding: number;
  failed: number;
  children: TaskState[];
  parents: TaskState[];
}

interface WorkerState {
  key: string;
  peer: Uint8Array;
  name: string;
  types: Set<string>;
  credit: number;
  inflight: Set<Item>;
  lastSeen: number;
}

interface CollectorState {
  key: string;
  peer: Uint8Array;
  lastSeen: number;
}

/** FIFO with O(1) push/shift and front insertion for retries. */
class ItemQueue {
  #items: Item[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: Item): void {
    this.#items.push(item);
  }
  unshift(item: Item): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
  shift(): Item | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
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
  readonly #tasks = new Map<string, TaskState>();
  readonly #items = new Map<string, Item>();
  readonly #earlyAcks = new Set<string>();
  readonly #workers = new Map<string, WorkerState>();
  readonly #collectors = new Map<string, CollectorState>();
  readonly #failed: FailedItem[] = [];
  readonly #skipped: { type: string; reason: string }[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Items a worker reported done whose ACK has not arrived yet. */
  readonly #awaitingAck = new Set<Item>();
  readonly #rateWindow: { at: number; done: number }[] = [];
  #workerRouter: Router | null = null;
  #ackRouter: Router | null = null;
  #journal: Journal | null = null;
  #metadata: unknown = undefined;
  #metadataReady = false;
  #forwardTypes: string[] = [];
  #started = false;
  #closed = false;
  #finishing = false;
  #done = 0;
  #resumed = 0;
  #retries = 0;
  #startedAt = 0;
  #everSawWorkers = 0;
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
    const order = checkDependencies(options.tasks);
    const byType = new Map(options.tasks.map((t) => [t.type, t]));
    for (const type of order) {
      const source = byType.get(type)!;
      const task: TaskState = {
        source,
        status: "waiting",
        queue: new ItemQueue(),
        iterator: null,
        async: false,
        pulling: false,
        exhausted: false,
        index: 0,
        outstanding: 0,
        failed: 0,
        children: [],
        parents: [],
      };
      for (const parent of source.dependsOn ?? []) {
        task.parents.push(this.#tasks.get(parent)!);
        this.#tasks.get(parent)!.children.push(task);
      }
      this.#tasks.set(type, task);
    }
    this.#forwardTypes = options.tasks.filter((t) => t.forwardMetadata).map((t) => t.type);
  }

  /** Resolved endpoints once started (port 0 becomes the real port). */
  get endpoints(): { workers: string; acks: string } {
    return {
      workers: this.#workerRouter?.lastEndpoint ?? this.#options.workers,
      acks: this.#ackRouter?.lastEndpoint ?? this.#options.acks,
    };
  }

  /** Binds the sockets and starts serving; {@link run} awaits the end. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#startedAt = performance.now();
    this.#result = new Promise((resolve, reject) => {
      this.#resolveRun = resolve;
      this.#rejectRun = reject;
    });
    // start() without run() must not turn a close() into an unhandled rejection.
    this.#result.catch(() => {});
    if (this.#options.journal !== undefined) {
      this.#journal = new Journal({ path: this.#options.journal });
      this.#resumed = 0;
    }
    const maxMessageSize = this.#maxMessageSize;
    const workerRouter = new Router({
      sendHighWaterMark: 100_000,
      receiveHighWaterMark: 100_000,
      maxMessageSize,
    });
    const ackRouter = new Router({
      sendHighWaterMark: 10_000,
      receiveHighWaterMark: 100_000,
      maxMessageSize,
    });
    this.#workerRouter = workerRouter;
    this.#ackRouter = ackRouter;
    try {
      await workerRouter.bind(this.#options.workers);
      await ackRouter.bind(this.#options.acks);
    } catch (error) {
      await this.close();
      throw error;
    }
    log.info("distributor serving workers at {workers}, collector at {acks}", this.endpoints);
    this.#serveWorkers(workerRouter);
    this.#serveCollector(ackRouter);
    this.#every(this.#interval, () => this.#tick());
    if (this.#options.onProgress !== undefined) {
      this.#every(this.#options.progressIntervalMs ?? 1000, () => this.#reportProgress());
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
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#rejectRun?.(new Error("distributor closed before the run finished"));
    this.#journal?.close();
    await Promise.all([this.#workerRouter?.close(), this.#ackRouter?.close()]);
  }

  /** Current progress snapshot. */
  progress(): Progress {
    const now = performance.now();
    let inFlight = 0;
    for (const w of this.#workers.values()) inFlight += w.inflight.size;
    const settled = this.#done + this.#failed.length;
    const allKnown = [...this.#tasks.values()].every((t) =>
      t.status === "skipped" || (t.status !== "waiting" && t.exhausted)
    );
    const total = allKnown ? this.#items.size + this.#resumed : null;
    const window = this.#rateWindow;
    let rate = 0;
    const first = window[0];
    if (first !== undefined && now - first.at >= 1000) {
      rate = (this.#done - first.done) / ((now - first.at) / 1000);
    } else if (now > this.#startedAt) {
      // Too early for a window: the average since the start.
      rate = (this.#done - this.#resumed) / ((now - this.#startedAt) / 1000);
    }
    return {
      done: this.#done,
      failed: this.#failed.length,
      total,
      known: this.#items.size + this.#resumed,
      inFlight,
      retries: this.#retries,
      rate,
      etaMs: total !== null && rate > 0 ? ((total - settled) / rate) * 1000 : null,
      workers: this.#workers.size,
      elapsedMs: now - this.#startedAt,
    };
  }

  // ---- set-up ---------------------------------------------------------------

  async #loadMetadata(): Promise<void> {
    const option = this.#options.metadata;
    if (option === undefined) {
      this.#metadataReady = true;
      return;
    }
    if (typeof option === "function") {
      this.#metadata = await option();
    } else {
      this.#metadata = await this.#fetchMetadata(option.endpoint, option.retryMs ?? 1000);
    }
    this.#metadataReady = true;
    log.info("metadata received");
    for (const worker of this.#workers.values()) this.#sendMetadata(worker);
  }

  async #fetchMetadata(endpoint: string, retryMs: number): Promise<unknown> {
    const dealer = new Dealer({ linger: 0, maxMessageSize: this.#maxMessageSize });
    dealer.connect(endpoint);
    try {
      // One receive stays pending across retries (a reply may answer any request).
      let receiving: Promise<Uint8Array[]> | null = null;
      while (!this.#closed) {
        await dealer.send(encodeMessage({ kind: "meta-request" }));
        receiving ??= dealer.receive();
        const reply = await Promise.race([
          receiving,
          new Promise<null>((resolve) => this.#after(retryMs, () => resolve(null))),
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
    if (this.#journal !== null) {
      const done = this.#journal.doneIds();
      if (done.size > 0) log.info("journal: {count} items already done", { count: done.size });
    }
    for (const task of this.#tasks.values()) {
      if (task.parents.length === 0) this.#startTask(task);
    }
    this.#checkFinished();
  }

  #startTask(task: TaskState): void {
    const failedParents = task.parents.filter((p) => p.failed > 0 || p.status === "skipped");
    if (failedParents.length > 0 && !task.source.runIfParentsFailed) {
      task.status = "skipped";
      const reason = `parent task type(s) ${
        failedParents.map((p) => `'${p.source.type}'`).join(", ")
      } did not complete`;
      this.#skipped.push({ type: task.source.type, reason });
      log.warn("skipping task type {type}: {reason}", { type: task.source.type, reason });
      for (const child of task.children) this.#maybeStart(child);
      return;
    }
    task.status = "running";
    log.info("task type {type} started", { type: task.source.type });
    try {
      const items = task.source.items;
      const iterable = typeof items === "function" ? items({ metadata: this.#metadata }) : items;
      if (Symbol.asyncIterator in Object(iterable)) {
        task.iterator = (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]();
        task.async = true;
      } else if (Symbol.iterator in Object(iterable)) {
        task.iterator = (iterable as Iterable<unknown>)[Symbol.iterator]();
      } else {
        throw new TypeError("items must be iterable or async iterable");
      }
    } catch (error) {
      this.#abort(new Error(`task type '${task.source.type}': cannot read items: ${error}`));
      return;
    }
    this.#fill(task);
  }

  #maybeStart(task: TaskState): void {
    if (task.status !== "waiting") return;
    if (task.parents.every((p) => p.status === "settled" || p.status === "skipped")) {
      this.#startTask(task);
    }
  }

  /** Pulls items from the source until the read-ahead is full. */
  #fill(task: TaskState): void {
    if (task.pulling || task.exhausted || task.status !== "running" || this.#closed) return;
    const readAhead = this.#options.readAhead ?? 1000;
    if (task.queue.length >= readAhead) return;
    if (!task.async) {
      const iterator = task.iterator as Iterator<unknown>;
      try {
        while (task.queue.length < readAhead) {
          const next = iterator.next();
          if (next.done) {
            task.exhausted = true;
            break;
          }
          this.#addItem(task, next.value);
        }
      } catch (error) {
        this.#abort(new Error(`task type '${task.source.type}': source threw: ${error}`));
        return;
      }
      this.#afterFill(task);
      return;
    }
    task.pulling = true;
    const iterator = task.iterator as AsyncIterator<unknown>;
    (async () => {
      while (task.queue.length < readAhead && !this.#closed) {
        const next = await iterator.next();
        if (next.done) {
          task.exhausted = true;
          break;
        }
        this.#addItem(task, next.value);
        this.#schedulePump();
      }
    })().then(
      () => {
        task.pulling = false;
        this.#afterFill(task);
      },
      (error) => {
        task.pulling = false;
        this.#abort(new Error(`task type '${task.source.type}': source threw: ${error}`));
      },
    );
  }

  #afterFill(task: TaskState): void {
    if (task.exhausted) this.#maybeSettle(task);
    this.#schedulePump();
  }

  #addItem(task: TaskState, payload: unknown): void {
    const index = task.index++;
    const id = task.source.idOf?.(payload, index) ?? `${task.source.type}:${index}`;
    if (typeof id !== "string" || id.length === 0 || id.length > 1024) {
      throw new TypeError(`item ${index}: idOf must return a non-empty string (≤ 1024 chars)`);
    }
    if (this.#items.has(id)) {
      log.warn("task type {type}: duplicate item id {id} ignored", { type: task.source.type, id });
      return;
    }
    if (this.#journal?.isDone(id)) {
      this.#resumed++;
      this.#done++;
      return;
    }
    const item: Item = {
      id,
      task,
      payload,
      attempts: 0,
      state: "queued",
      worker: null,
      deadline: 0,
      reason: "",
    };
    this.#items.set(id, item);
    task.outstanding++;
    if (this.#earlyAcks.delete(id)) {
      this.#markDone([item]);
      return;
    }
    task.queue.push(item);
  }

  // ---- workers --------------------------------------------------------------

  async #serveWorkers(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        const got = fromRouter(frames, log);
        if (got === null) continue;
        this.#onWorkerMessage(got.key, got.peer, got.message);
      }
    } catch (error) {
      if (!this.#closed) this.#abort(error as Error);
    }
  }

  #onWorkerMessage(key: string, peer: Uint8Array, message: PipelineMessage): void {
    const worker = this.#workers.get(key);
    if (worker !== undefined) worker.lastSeen = performance.now();
    switch (message.kind) {
      case "ready": {
        if (worker !== undefined) this.#dropWorker(worker, "worker re-registered");
        const fresh: WorkerState = {
          key,
          peer,
          name: message.name,
          types: new Set(message.types),
          credit: Math.min(message.credit, MAX_CREDIT),
          inflight: new Set(),
          lastSeen: performance.now(),
        };
        this.#workers.set(key, fresh);
        this.#everSawWorkers = Math.max(this.#everSawWorkers, this.#workers.size);
        log.info("worker {name} ready for {types} with credit {credit}", {
          name: message.name,
          types: message.types.join(","),
          credit: message.credit,
        });
        this.#sendMetadata(fresh);
        if (this.#finishing) this.#sendTo(fresh, { kind: "end" });
        this.#schedulePump();
        return;
      }
      case "credit": {
        if (worker === undefined) return this.#reset(peer);
        worker.credit = Math.min(worker.credit + message.credit, MAX_CREDIT);
        for (const id of message.done) {
          const item = this.#items.get(id);
          if (item === undefined || item.worker !== worker || item.state !== "inflight") continue;
          worker.inflight.delete(item);
          item.worker = null;
          item.state = "finished";
          item.deadline = performance.now() + (this.#options.ackTimeoutMs ?? 30_000);
          this.#awaitingAck.add(item);
        }
        for (const failure of message.failed) {
          const item = this.#items.get(failure.id);
          if (item === undefined || item.worker !== worker || item.state !== "inflight") continue;
          this.#fail(item, failure.reason);
        }
        this.#schedulePump();
        return;
      }
      case "heartbeat":
        if (worker === undefined) this.#reset(peer);
        return;
      case "bye":
        if (worker !== undefined) this.#dropWorker(worker, "worker left");
        return;
      default:
        log.warn("dropped unexpected {kind} message from a worker", { kind: message.kind });
    }
  }

  #reset(peer: Uint8Array): void {
    this.#workerRouter?.send([peer, encodeMessage({ kind: "reset" })]).catch(() => {});
  }

  #sendTo(worker: WorkerState, message: PipelineMessage): void {
    this.#workerRouter?.send([worker.peer, encodeMessage(message)]).catch((error) => {
      if (!this.#closed) log.warn("send to worker failed: {error}", { error });
    });
  }

  #sendMetadata(worker: WorkerState): void {
    if (!this.#metadataReady || this.#forwardTypes.length === 0) return;
    const types = this.#forwardTypes.filter((t) => worker.types.has(t));
    if (types.length === 0) return;
    this.#sendTo(worker, { kind: "metadata", data: this.#metadata ?? null, types });
  }

  #dropWorker(worker: WorkerState, reason: string): void {
    if (this.#workers.get(worker.key) === worker) this.#workers.delete(worker.key);
    if (worker.inflight.size > 0) {
      log.warn("worker {name}: {reason}; redelivering {count} items", {
        name: worker.name,
        reason,
        count: worker.inflight.size,
      });
    }
    for (const item of [...worker.inflight]) this.#fail(item, `worker ${worker.name}: ${reason}`);
    worker.inflight.clear();
    this.#schedulePump();
  }

  /** Sends a batch; an item whose payload msgpack cannot encode fails for good. */
  #sendWork(worker: WorkerState, batch: WorkItem[]): void {
    let frame: Uint8Array;
    try {
      frame = encodeMessage({ kind: "work", items: batch });
    } catch {
      const good: WorkItem[] = [];
      for (const work of batch) {
        try {
          encodeMessage({ kind: "work", items: [work] });
          good.push(work);
        } catch (error) {
          worker.credit++;
          // No retry can fix a payload, so this failure is final.
          this.#fail(this.#items.get(work.id)!, `payload cannot be encoded: ${error}`, true);
        }
      }
      if (good.length === 0) return;
      frame = encodeMessage({ kind: "work", items: good });
    }
    this.#workerRouter?.send([worker.peer, frame]).catch((error) => {
      if (!this.#closed) log.warn("send to worker failed: {error}", { error });
    });
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #collectorAlive(): boolean {
    return this.#collectors.size > 0;
  }

  /** Hands queued items to workers with credit. */
  #pump(): void {
    if (this.#closed || !this.#metadataReady || !this.#collectorAlive()) return;
    if (this.#everSawWorkers < (this.#options.minWorkers ?? 1)) return;
    const running = [...this.#tasks.values()].filter((t) => t.status === "running");
    if (running.length === 0) return;
    for (const worker of this.#workers.values()) {
      if (worker.credit <= 0) continue;
      const batch: WorkItem[] = [];
      let progress = true;
      while (worker.credit > 0 && progress) {
        progress = false;
        for (const task of running) {
          if (worker.credit <= 0) break;
          if (!worker.types.has(task.source.type)) continue;
          const item = task.queue.shift();
          if (item === undefined) continue;
          progress = true;
          // An ACK can arrive for a queued item (a result from before a restart
          // or a redelivery): it is done, not to be handed out again.
          if (item.state !== "queued") continue;
          worker.credit--;
          item.attempts++;
          item.state = "inflight";
          item.worker = worker;
          const timeoutMs = task.source.timeoutMs ?? 0;
          // The worker enforces the limit itself and reports first; the grace
          // period covers a worker that cannot (a hung single-threaded one).
          item.deadline = timeoutMs > 0 ? performance.now() + timeoutMs + this.#interval : 0;
          worker.inflight.add(item);
          batch.push({
            id: item.id,
            type: task.source.type,
            payload: item.payload,
            attempt: item.attempts,
            timeoutMs,
          });
        }
      }
      if (batch.length > 0) this.#sendWork(worker, batch);
    }
    for (const task of running) this.#fill(task);
  }

  // ---- collector ------------------------------------------------------------

  async #serveCollector(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        const got = fromRouter(frames, log);
        if (got === null) continue;
        this.#onCollectorMessage(got.key, got.peer, got.message);
      }
    } catch (error) {
      if (!this.#closed) this.#abort(error as Error);
    }
  }

  #onCollectorMessage(key: string, peer: Uint8Array, message: PipelineMessage): void {
    const kinds = ["hello", "heartbeat", "ack", "finished-ack"];
    if (!kinds.includes(message.kind)) {
      log.warn("dropped unexpected {kind} message on the collector endpoint", {
        kind: message.kind,
      });
      return;
    }
    let collector = this.#collectors.get(key);
    if (collector === undefined) {
      collector = { key, peer, lastSeen: performance.now() };
      this.#collectors.set(key, collector);
      log.info("collector connected");
      this.#schedulePump();
    }
    collector.lastSeen = performance.now();
    switch (message.kind) {
      case "hello":
      case "heartbeat":
        if (this.#finishing) this.#sendFinished();
        return;
      case "ack": {
        const batch = new Set<Item>(); // a Set: one message may name an id twice
        for (const id of message.ids) {
          const item = this.#items.get(id);
          if (item === undefined) {
            // Not generated yet (e.g. after a restart): remember it.
            if (!(this.#journal?.isDone(id) ?? false)) this.#earlyAcks.add(id);
            continue;
          }
          if (item.state === "done" || item.state === "failed") continue;
          batch.add(item);
        }
        this.#markDone([...batch]);
        return;
      }
      case "finished-ack":
        this.#finishAcked?.();
        return;
    }
  }

  #markDone(items: Item[]): void {
    if (items.length === 0) return;
    this.#journal?.markDone(items.map((i) => ({ id: i.id, type: i.task.source.type })));
    const touched = new Set<TaskState>();
    for (const item of items) {
      if (item.worker !== null) item.worker.inflight.delete(item);
      item.worker = null;
      item.state = "done";
      item.payload = undefined; // done items keep only their id
      this.#awaitingAck.delete(item);
      item.task.outstanding--;
      this.#done++;
      touched.add(item.task);
    }
    for (const task of touched) {
      this.#maybeSettle(task);
      this.#fill(task);
    }
    this.#schedulePump();
  }

  // ---- failures, timeouts, completion ---------------------------------------

  #fail(item: Item, reason: string, final = false): void {
    if (item.worker !== null) item.worker.inflight.delete(item);
    item.worker = null;
    this.#awaitingAck.delete(item);
    item.reason = reason;
    const maxRetries = item.task.source.maxRetries ?? 3;
    if (final || item.attempts > maxRetries) {
      item.state = "failed";
      item.payload = undefined;
      item.task.failed++;
      item.task.outstanding--;
      this.#failed.push({
        id: item.id,
        type: item.task.source.type,
        reason,
        attempts: item.attempts,
      });
      log.error("item {id} failed after {attempts} attempts: {reason}", {
        id: item.id,
        attempts: item.attempts,
        reason,
      });
      this.#maybeSettle(item.task);
      return;
    }
    item.state = "backoff";
    this.#retries++;
    const base = this.#options.retryBackoffMs ?? 100;
    const wait = Math.min(
      base * 2 ** Math.max(0, item.attempts - 1),
      this.#options.retryBackoffMaxMs ?? 5000,
    );
    log.info("item {id} attempt {attempts} failed ({reason}); retrying in {wait} ms", {
      id: item.id,
      attempts: item.attempts,
      reason,
      wait,
    });
    this.#after(wait, () => {
      if (item.state !== "backoff") return;
      item.state = "queued";
      item.task.queue.unshift(item);
      this.#schedulePump();
    });
  }

  #maybeSettle(task: TaskState): void {
    if (task.status !== "running" || !task.exhausted || task.outstanding > 0) return;
    task.status = "settled";
    log.info("task type {type} settled ({failed} failed)", {
      type: task.source.type,
      failed: task.failed,
    });
    for (const child of task.children) this.#maybeStart(child);
    this.#checkFinished();
  }

  #checkFinished(): void {
    if (this.#finishing) return;
    for (const task of this.#tasks.values()) {
      if (task.status !== "settled" && task.status !== "skipped") return;
    }
    this.#finish();
  }

  #summary(): PipelineSummary {
    return {
      total: this.#items.size + this.#resumed,
      done: this.#done,
      failed: [...this.#failed],
      skipped: [...this.#skipped],
      retries: this.#retries,
      resumed: this.#resumed,
      elapsedMs: Math.round(performance.now() - this.#startedAt),
    };
  }

  #sendFinished(): void {
    const message = encodeMessage({ kind: "finished", summary: this.#summary() });
    for (const collector of this.#collectors.values()) {
      this.#ackRouter?.send([collector.peer, message]).catch(() => {});
    }
  }

  async #finish(): Promise<void> {
    this.#finishing = true;
    const summary = this.#summary();
    log.info("all items settled: {done} done, {failed} failed, {retries} retries", {
      done: summary.done,
      failed: summary.failed.length,
      retries: summary.retries,
    });
    const acked = new Promise<boolean>((resolve) => {
      this.#finishAcked = () => resolve(true);
      this.#after(this.#options.finishTimeoutMs ?? 10_000, () => resolve(false));
    });
    this.#sendFinished();
    const resend = setInterval(() => this.#sendFinished(), Math.min(this.#interval, 500));
    const confirmed = await acked;
    clearInterval(resend);
    if (!confirmed) log.warn("the collector did not confirm the end of the run");
    for (const worker of this.#workers.values()) this.#sendTo(worker, { kind: "end" });
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
    log.error("distributor stopped: {error}", { error });
    const reject = this.#rejectRun;
    this.#resolveRun = null;
    this.#rejectRun = null;
    this.close();
    reject?.(error);
  }

  #tick(): void {
    const now = performance.now();
    const heartbeat = encodeMessage({ kind: "heartbeat" });
    for (const worker of [...this.#workers.values()]) {
      if (now - worker.lastSeen > this.#timeout) {
        this.#dropWorker(worker, `silent for ${Math.round(now - worker.lastSeen)} ms`);
        continue;
      }
      this.#workerRouter?.send([worker.peer, heartbeat]).catch(() => {});
      for (const item of [...worker.inflight]) {
        if (item.deadline > 0 && now > item.deadline) {
          this.#fail(item, `timeout after ${item.task.source.timeoutMs} ms`);
        }
      }
    }
    for (const collector of [...this.#collectors.values()]) {
      if (now - collector.lastSeen > this.#timeout) {
        this.#collectors.delete(collector.key);
        log.warn("collector silent for {ms} ms; pausing until it is back", {
          ms: Math.round(now - collector.lastSeen),
        });
        continue;
      }
      this.#ackRouter?.send([collector.peer, heartbeat]).catch(() => {});
    }
    // ACK deadlines only run while a collector is there to send ACKs.
    if (this.#collectorAlive()) {
      for (const item of [...this.#awaitingAck]) {
        if (now > item.deadline) {
          this.#fail(
            item,
            `no ACK from the collector within ${this.#options.ackTimeoutMs ?? 30_000} ms`,
          );
        }
      }
    }
    this.#schedulePump();
  }

  #reportProgress(): void {
    const now = performance.now();
    this.#rateWindow.push({ at: now, done: this.#done });
    while (this.#rateWindow.length > 1 && now - this.#rateWindow[0].at > 5000) {
      this.#rateWindow.shift();
    }
    try {
      this.#options.onProgress?.(this.progress());
    } catch (error) {
      log.warn("onProgress threw: {error}", { error });
    }
  }

  #every(ms: number, fn: () => void): void {
    const tick = () => {
      if (this.#closed) return;
      fn();
      this.#after(ms, tick);
    };
    this.#after(ms, tick);
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
