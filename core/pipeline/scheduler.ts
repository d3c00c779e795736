/**
 * Item scheduling for the distributor: reads items from the task sources
 * (a bounded read-ahead), starts a task type when its parents have settled
 * (or skips it when they failed), hands queued items to workers with
 * credit, and follows every item — in flight, finished and awaiting its
 * ACK, retried with exponential backoff, done or failed for good — until
 * every type is settled. It does no I/O: the distributor's worker and
 * collector protocols call it and send what it decides.
 *
 * @example
 * ```ts
 * import { RunJournal } from "./resume.ts";
 * import { Scheduler } from "./scheduler.ts";
 * import { Timers } from "./link.ts";
 * const timers = new Timers();
 * const scheduler = new Scheduler([{ type: "square", items: [1, 2, 3] }], {
 *   journal: new RunJournal(undefined),
 *   timers,
 *   graceMs: 1000,
 *   hooks: { wake: () => {}, settled: () => console.log("all settled"), abort: console.error },
 * });
 * scheduler.begin(undefined);
 * const worker = { name: "w", types: new Set(["square"]), credit: 2, inflight: new Set<never>() };
 * console.log(scheduler.assign(worker)); // two items, now in flight
 * timers.clear();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type AckData, defaultItemId, type FailedItem, type IndexRanges } from "./codec.ts";
import { checkDependencies } from "./graph.ts";
import { addNew, type Timers } from "./link.ts";
import { IndexWindow } from "./index_window.ts";
import type { RunJournal } from "./resume.ts";

const log = getLogger(["zedge", "pipeline", "distributor"]);

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
  /**
   * Gates dispatch (the seed's `is_available_for_handling`): called before
   * each item of this type is handed to a worker, with the latest ACK data
   * (what the collector's `onResult` last returned, `undefined` before any);
   * `true` lets that one item go, `false` holds the type's items until the
   * next ACK (or heartbeat) asks again. Items of other types go on.
   */
  isAvailableForHandling?: (lastAckData: AckData | undefined) => boolean;
}

/**
 * Where an item is in its life: waiting to be handed out, at a worker,
 * reported done and waiting for its ACK, waiting out a retry delay, done, or
 * failed for good.
 *
 * @example
 * ```ts
 * import type { ItemState } from "./scheduler.ts";
 * const settled = (s: ItemState) => s === "done" || s === "failed";
 * ```
 */
export type ItemState = "queued" | "inflight" | "finished" | "backoff" | "done" | "failed";

/**
 * Whoever holds items in flight (a worker), as the scheduler sees it.
 *
 * @example
 * ```ts
 * import type { ItemHolder } from "./scheduler.ts";
 * const w: ItemHolder = { name: "cpu-1", types: new Set(["tiles"]), credit: 4, inflight: new Set() };
 * ```
 */
export interface ItemHolder {
  /** Name in failure reasons. */
  readonly name: string;
  /** Task types it takes. */
  readonly types: ReadonlySet<string>;
  /** Items it may still be given. */
  credit: number;
  /** Items it holds. */
  readonly inflight: Set<Item>;
}

/**
 * One item, from its source to done or failed.
 *
 * @example
 * ```ts
 * import type { Item } from "./scheduler.ts";
 * const isLate = (item: Item, now: number) => item.deadline > 0 && now > item.deadline;
 * ```
 */
export interface Item {
  /** Stable id. */
  readonly id: string;
  /** Task type (the journal records it). */
  readonly type: string;
  /** Position in its type's source: its number on the wire. */
  readonly index: number;
  /** True when `id` came from the source's `idOf`. */
  readonly ownId: boolean;
  /** @internal */
  readonly task: TaskState;
  /** What the source yielded; dropped once the item is settled. */
  payload: unknown;
  /** Deliveries so far (the attempt number of the latest). */
  attempt: number;
  /** Its type's per-item time limit (ms, 0 = none). */
  readonly timeoutMs: number;
  /** Where it is in its life. */
  state: ItemState;
  /** The worker holding it while in flight. */
  worker: ItemHolder | null;
  /** When it overruns (in flight) or its ACK is late (finished); 0 = never. */
  deadline: number;
  /** Reason of the last failure. */
  reason: string;
}

/** An {@link Item} whose default id is spelled out only when read. */
class ScheduledItem implements Item {
  readonly type: string;
  readonly ownId: boolean;
  readonly timeoutMs: number;
  attempt = 0;
  state: ItemState = "queued";
  worker: ItemHolder | null = null;
  deadline = 0;
  reason = "";
  readonly #own: string | undefined;

  constructor(
    readonly task: TaskState,
    readonly index: number,
    own: string | undefined,
    public payload: unknown,
  ) {
    this.type = task.source.type;
    this.ownId = own !== undefined;
    this.timeoutMs = task.source.timeoutMs ?? 0;
    this.#own = own;
  }

  get id(): string {
    return this.#own ?? defaultItemId(this.type, this.index);
  }
}

/**
 * One task type's progress (the scheduler's own bookkeeping).
 *
 * @example
 * ```ts
 * import type { TaskState } from "./scheduler.ts";
 * const done = (t: TaskState) => t.status === "settled" || t.status === "skipped";
 * ```
 */
export interface TaskState {
  /** The task type as configured. */
  source: TaskSource;
  /** Waiting for its parents, running, settled (every item done or failed), or skipped. */
  status: "waiting" | "running" | "settled" | "skipped";
  /** Items read from the source and not handed out yet (retries go first). */
  queue: ItemQueue;
  /**
   * Items of this type not settled yet, by index (credit and ACKs name
   * items so). Settled ones leave it, so it stays about read-ahead plus
   * in-flight sized.
   */
  items: IndexWindow<Item>;
  /** The source being read, once the type runs. */
  iterator: Iterator<unknown> | AsyncIterator<unknown> | null;
  /** True for an async source. */
  async: boolean;
  /** True while an async read is under way. */
  pulling: boolean;
  /** True once the source has no more items. */
  exhausted: boolean;
  /** Items read so far (the default id is `type:index`). */
  index: number;
  /** Items read and not settled yet. */
  outstanding: number;
  /** Items failed for good. */
  failed: number;
  /** Types that depend on this one. */
  children: TaskState[];
  /** Types this one depends on. */
  parents: TaskState[];
}

/**
 * FIFO with O(1) push/shift and front insertion for retries.
 *
 * @example
 * ```ts
 * import { ItemQueue } from "./scheduler.ts";
 * const queue = new ItemQueue();
 * console.log(queue.length); // 0
 * ```
 */
export class ItemQueue {
  #items: Item[] = [];
  #head = 0;
  /** Items queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }
  /** Adds at the back. */
  push(item: Item): void {
    this.#items.push(item);
  }
  /** Adds at the front (a retry goes before new items). */
  unshift(item: Item): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
  /** The front item, left in place. */
  peek(): Item | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }
  /** Takes from the front. */
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
 * Finished items waiting for their ACK, in the order they finished. Every
 * deadline is the finish time plus the same ACK timeout, so the overdue ones
 * are at the front; an entry whose item has moved on (ACKed, failed, or
 * finished again later) is skipped when reached, not searched for when it
 * moves — no per-item hashing on the hot path.
 *
 * @example
 * ```ts
 * import { AckDeadlines } from "./scheduler.ts";
 * const waiting = new AckDeadlines();
 * console.log(waiting.takeOverdue(performance.now())); // []
 * ```
 */
export class AckDeadlines {
  #items: Item[] = [];
  #deadlines: number[] = [];
  #head = 0;

  /** `item` (state `finished`, its `deadline` set) waits for its ACK. */
  push(item: Item): void {
    // Entries ACKed since are dropped from the front as we go, so the queue
    // holds about what is really waiting, not a heartbeat's worth of items.
    if (this.#head < this.#items.length && !this.#current(this.#head)) this.takeOverdue(-Infinity);
    this.#items.push(item);
    this.#deadlines.push(item.deadline);
  }

  #current(at: number): boolean {
    const item = this.#items[at];
    return item.state === "finished" && item.deadline === this.#deadlines[at];
  }

  /** The items still waiting whose deadline is before `now`, taken out. */
  takeOverdue(now: number): Item[] {
    const overdue: Item[] = [];
    const items = this.#items;
    const deadlines = this.#deadlines;
    let head = this.#head;
    for (; head < items.length; head++) {
      const current = this.#current(head);
      if (current && deadlines[head] >= now) break;
      if (current) overdue.push(items[head]);
    }
    if (head === items.length) {
      this.#items = [];
      this.#deadlines = [];
      head = 0;
    } else if (head > 1024 && head * 2 > items.length) {
      this.#items = items.slice(head);
      this.#deadlines = deadlines.slice(head);
      head = 0;
    }
    this.#head = head;
    return overdue;
  }
}

/**
 * What the scheduler tells the distributor.
 *
 * @example
 * ```ts
 * import type { SchedulerHooks } from "./scheduler.ts";
 * const hooks: SchedulerHooks = { wake: () => {}, settled: () => {}, abort: (e) => console.error(e) };
 * ```
 */
export interface SchedulerHooks {
  /** Items became available to hand out: dispatch soon. */
  wake(): void;
  /** Every task type is settled or skipped: the run is over. */
  settled(): void;
  /** The run cannot go on (a source threw or is not iterable). */
  abort(error: Error): void;
}

/**
 * Settings of a {@link Scheduler}.
 *
 * @example
 * ```ts
 * import type { SchedulerOptions } from "./scheduler.ts";
 * import { RunJournal } from "./resume.ts";
 * import { Timers } from "./link.ts";
 * const o: SchedulerOptions = {
 *   journal: new RunJournal(undefined),
 *   timers: new Timers(),
 *   graceMs: 1000,
 *   hooks: { wake() {}, settled() {}, abort() {} },
 * };
 * ```
 */
export interface SchedulerOptions {
  /** Done ids of earlier runs, and where new ones are recorded. */
  journal: RunJournal;
  /** Timers for retry backoff (cleared when the distributor closes). */
  timers: Timers;
  /** Added to an item's time limit before the distributor gives up on it (ms). */
  graceMs: number;
  /** A finished item whose ACK does not arrive within this is redelivered (ms, default 30000). */
  ackTimeoutMs?: number;
  /** First retry delay; doubles per attempt (ms, default 100). */
  retryBackoffMs?: number;
  /** Cap of the retry delay (ms, default 5000). */
  retryBackoffMaxMs?: number;
  /** Items pulled from a source ahead of dispatch (default 1000). */
  readAhead?: number;
  /** What the scheduler tells the distributor. */
  hooks: SchedulerHooks;
}

/**
 * The distributor's item state machine (see the module documentation).
 *
 * @example
 * ```ts
 * import { RunJournal } from "./resume.ts";
 * import { Scheduler } from "./scheduler.ts";
 * import { Timers } from "./link.ts";
 * const s = new Scheduler([{ type: "a", items: [] }], {
 *   journal: new RunJournal(undefined),
 *   timers: new Timers(),
 *   graceMs: 0,
 *   hooks: { wake() {}, settled: () => console.log("done"), abort() {} },
 * });
 * s.begin(undefined); // prints "done": nothing to do
 * ```
 */
export class Scheduler {
  /** Items done (ACKed), resumed ones included. */
  done = 0;
  /** Items found done in the journal. */
  resumed = 0;
  /** Redeliveries so far. */
  retries = 0;
  /** Items failed for good. */
  readonly failed: FailedItem[] = [];
  /** Task types skipped because a parent failed. */
  readonly skipped: { type: string; reason: string }[] = [];
  readonly #tasks = new Map<string, TaskState>();
  /**
   * Items not settled yet whose id a source made itself (`idOf`), by id: an
   * ACK names those by id, since their index may differ in a restarted run.
   * Settled ones leave it.
   */
  readonly #ownIds = new Map<string, Item>();
  /** Items generated this run (resumed ones not counted). */
  #generated = 0;
  /** Every id generated this run, kept only when a source has its own `idOf` (duplicates). */
  readonly #ids = new Set<string>();
  readonly #checkIds: boolean;
  /** Items a worker reported done whose ACK has not arrived yet. */
  readonly #awaitingAck = new AckDeadlines();
  readonly #options: SchedulerOptions;
  #journal: RunJournal;
  readonly #hooks: SchedulerHooks;
  readonly #readAhead: number;
  readonly #ackTimeoutMs: number;
  #metadata: unknown = undefined;
  /** The latest ACK data, for `isAvailableForHandling`. */
  #lastAck: AckData | undefined = undefined;
  #running: TaskState[] = [];
  #stopped = false;
  #settled = false;

  /**
   * Orders the task types by their dependencies; cycles and unknown
   * dependencies throw a `DependencyError` here.
   */
  constructor(tasks: TaskSource[], options: SchedulerOptions) {
    this.#options = options;
    this.#journal = options.journal;
    this.#hooks = options.hooks;
    this.#readAhead = options.readAhead ?? 1000;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.#checkIds = tasks.some((task) => task.idOf !== undefined);
    const order = checkDependencies(tasks);
    const byType = new Map(tasks.map((t) => [t.type, t]));
    for (const type of order) {
      const source = byType.get(type)!;
      const task: TaskState = {
        source,
        status: "waiting",
        queue: new ItemQueue(),
        items: new IndexWindow(),
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
  }

  /** Items known: generated this run plus resumed from the journal. */
  get known(): number {
    return this.#generated + this.resumed;
  }

  /** All items, once every runnable source is exhausted; otherwise `null`. */
  get total(): number | null {
    for (const t of this.#tasks.values()) {
      if (t.status !== "skipped" && (t.status === "waiting" || !t.exhausted)) return null;
    }
    return this.known;
  }

  /** True while some task type is running. */
  get active(): boolean {
    return this.#running.length > 0;
  }

  /** True once every task type is settled or skipped. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Replaces the journal given at construction (before {@link begin}). */
  useJournal(journal: RunJournal): void {
    this.#journal = journal;
  }

  /** Starts the task types without parents; `metadata` goes to the item sources. */
  begin(metadata: unknown): void {
    this.#metadata = metadata;
    for (const task of this.#tasks.values()) {
      if (task.parents.length === 0) this.#startTask(task);
    }
    this.#checkSettled();
  }

  /** Stops reading sources and retrying (the distributor is closing). */
  stop(): void {
    this.#stopped = true;
  }

  /** Item `index` of `type`, if it was generated this run and is not settled. */
  itemAt(type: string, index: number): Item | undefined {
    return this.#tasks.get(type)?.items.get(index);
  }

  /**
   * Hands `worker` queued items of its types, round robin over the running
   * types, while it has credit; they are in flight from now on.
   */
  assign(worker: ItemHolder): Item[] {
    const batch: Item[] = [];
    const running = this.#running;
    let progress = true;
    while (worker.credit > 0 && progress) {
      progress = false;
      for (const task of running) {
        if (worker.credit <= 0) break;
        if (!worker.types.has(task.source.type)) continue;
        const item = this.#nextQueued(task);
        if (item === undefined) continue;
        task.queue.shift();
        progress = true;
        worker.credit--;
        item.attempt++;
        item.state = "inflight";
        item.worker = worker;
        const timeoutMs = item.timeoutMs;
        // The worker enforces the limit itself and reports first; the grace
        // period covers a worker that cannot (a hung single-threaded one).
        item.deadline = timeoutMs > 0 ? performance.now() + timeoutMs + this.#options.graceMs : 0;
        worker.inflight.add(item);
        batch.push(item); // an Item is the WorkItem the codec encodes
      }
    }
    return batch;
  }

  /**
   * The item `task` would hand out next, if its gate lets one go. An ACK can
   * arrive for a queued item (a result from before a restart or a
   * redelivery): it is done and dropped here, not handed out again.
   */
  #nextQueued(task: TaskState): Item | undefined {
    let item = task.queue.peek();
    while (item !== undefined && item.state !== "queued") {
      task.queue.shift();
      item = task.queue.peek();
    }
    if (item === undefined) return undefined;
    const gate = task.source.isAvailableForHandling;
    if (gate === undefined) return item;
    try {
      return gate(this.#lastAck) ? item : undefined;
    } catch (error) {
      this.#hooks.abort(
        new Error(`task type '${task.source.type}': isAvailableForHandling threw: ${error}`),
      );
      return undefined;
    }
  }

  /** Tops up the read-ahead of every running type. */
  refill(): void {
    for (const task of this.#running) this.#fill(task);
  }

  /** `worker` reports the items in `done` finished: they wait for the collector's ACK now. */
  finished(worker: ItemHolder, done: readonly IndexRanges[]): void {
    const deadline = performance.now() + this.#ackTimeoutMs;
    for (const { type, ranges } of done) {
      const items = this.#tasks.get(type)?.items;
      if (items === undefined) continue;
      for (let r = 0; r < ranges.length; r += 2) {
        for (let index = ranges[r], end = index + ranges[r + 1]; index < end; index++) {
          const item = items.get(index);
          if (item === undefined || item.worker !== worker || item.state !== "inflight") continue;
          worker.inflight.delete(item);
          item.worker = null;
          item.state = "finished";
          item.deadline = deadline;
          this.#awaitingAck.push(item);
        }
      }
    }
  }

  /** `worker` reports item `index` of `type` failed: retried or failed for good. */
  failedAt(worker: ItemHolder, type: string, index: number, reason: string): void {
    const item = this.itemAt(type, index);
    if (item === undefined || item.worker !== worker || item.state !== "inflight") return;
    this.fail(item, reason);
  }

  /**
   * The collector ACKed the items in `done` (by index) and `ids` (by their
   * own id), with ACK data if `onResult` returned any: those items are done.
   */
  acked(done: readonly IndexRanges[], ids: readonly string[], data?: AckData): void {
    if (data !== undefined) this.#lastAck = data;
    const batch: Item[] = [];
    const take = (item: Item) => {
      if (item.state === "done" || item.state === "failed") return; // named twice, or settled
      item.state = "done";
      batch.push(item);
    };
    for (const { type, ranges } of done) {
      const task = this.#tasks.get(type);
      for (let r = 0; r < ranges.length; r += 2) {
        for (let index = ranges[r], end = index + ranges[r + 1]; index < end; index++) {
          const item = task?.items.get(index);
          if (item !== undefined) take(item);
          // Not generated yet (e.g. after a restart): remember it. An index below the
          // source's position was generated and has settled: that ACK came again.
          else if (task === undefined || index >= task.index) {
            this.#journal.ackedEarly(defaultItemId(type, index));
          }
        }
      }
    }
    for (const id of ids) {
      const item = this.#ownIds.get(id);
      if (item !== undefined) take(item);
      else this.#journal.ackedEarly(id);
    }
    this.#markDone(batch);
  }

  /** Redelivers finished items whose ACK is overdue (call only while a collector is up). */
  expireAcks(now: number): void {
    for (const item of this.#awaitingAck.takeOverdue(now)) {
      this.fail(item, `no ACK from the collector within ${this.#ackTimeoutMs} ms`);
    }
  }

  /** Fails the items `holder` holds past their time limit. */
  expireInflight(holder: ItemHolder, now: number): void {
    for (const item of [...holder.inflight]) {
      if (item.deadline > 0 && now > item.deadline) {
        this.fail(item, `timeout after ${item.task.source.timeoutMs} ms`);
      }
    }
  }

  /** Fails every item `holder` holds (it died or left). */
  failAll(holder: ItemHolder, reason: string): void {
    for (const item of [...holder.inflight]) this.fail(item, reason);
    holder.inflight.clear();
  }

  /**
   * One attempt of `item` failed: it is retried after a backoff, or failed
   * for good once its retries are used up (at once when `final`).
   */
  fail(item: Item, reason: string, final = false): void {
    if (item.worker !== null) item.worker.inflight.delete(item);
    item.worker = null;
    item.reason = reason;
    const maxRetries = item.task.source.maxRetries ?? 3;
    if (final || item.attempt > maxRetries) {
      item.state = "failed";
      item.payload = undefined;
      this.#forget(item);
      item.task.failed++;
      item.task.outstanding--;
      this.failed.push({ id: item.id, type: item.type, reason, attempts: item.attempt });
      log.error("item {id} failed after {attempts} attempts: {reason}", {
        id: item.id,
        attempts: item.attempt,
        reason,
      });
      this.#maybeSettle(item.task);
      return;
    }
    item.state = "backoff";
    this.retries++;
    const base = this.#options.retryBackoffMs ?? 100;
    const wait = Math.min(
      base * 2 ** Math.max(0, item.attempt - 1),
      this.#options.retryBackoffMaxMs ?? 5000,
    );
    log.info("item {id} attempt {attempts} failed ({reason}); retrying in {wait} ms", {
      id: item.id,
      attempts: item.attempt,
      reason,
      wait,
    });
    this.#options.timers.after(wait, () => {
      if (item.state !== "backoff") return;
      item.state = "queued";
      item.task.queue.unshift(item);
      this.#hooks.wake();
    });
  }

  /** A settled item leaves every table. */
  #forget(item: Item): void {
    item.task.items.delete(item.index);
    if (item.ownId) this.#ownIds.delete(item.id);
  }

  #markDone(items: Item[]): void {
    if (items.length === 0) return;
    this.#journal.record(items);
    const touched = new Set<TaskState>();
    let last: TaskState | null = null; // batches are mostly of one type: skip the Set then
    for (const item of items) {
      if (item.worker !== null) item.worker.inflight.delete(item);
      item.worker = null;
      item.state = "done";
      item.payload = undefined;
      this.#forget(item);
      item.task.outstanding--;
      this.done++;
      if (item.task !== last) touched.add(last = item.task);
    }
    for (const task of touched) {
      this.#maybeSettle(task);
      this.#fill(task);
    }
    this.#hooks.wake();
  }

  #startTask(task: TaskState): void {
    const failedParents = task.parents.filter((p) => p.failed > 0 || p.status === "skipped");
    if (failedParents.length > 0 && !task.source.runIfParentsFailed) {
      task.status = "skipped";
      const reason = `parent task type(s) ${
        failedParents.map((p) => `'${p.source.type}'`).join(", ")
      } did not complete`;
      this.skipped.push({ type: task.source.type, reason });
      log.warn("skipping task type {type}: {reason}", { type: task.source.type, reason });
      for (const child of task.children) this.#maybeStart(child);
      return;
    }
    task.status = "running";
    this.#running.push(task);
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
      this.#hooks.abort(new Error(`task type '${task.source.type}': cannot read items: ${error}`));
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
    if (task.pulling || task.exhausted || task.status !== "running" || this.#stopped) return;
    const readAhead = this.#readAhead;
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
        this.#hooks.abort(new Error(`task type '${task.source.type}': source threw: ${error}`));
        return;
      }
      this.#afterFill(task);
      return;
    }
    task.pulling = true;
    const iterator = task.iterator as AsyncIterator<unknown>;
    (async () => {
      while (task.queue.length < readAhead && !this.#stopped) {
        const next = await iterator.next();
        if (next.done) {
          task.exhausted = true;
          break;
        }
        this.#addItem(task, next.value);
        this.#hooks.wake();
      }
    })().then(
      () => {
        task.pulling = false;
        this.#afterFill(task);
      },
      (error) => {
        task.pulling = false;
        this.#hooks.abort(new Error(`task type '${task.source.type}': source threw: ${error}`));
      },
    );
  }

  #afterFill(task: TaskState): void {
    if (task.exhausted) this.#maybeSettle(task);
    this.#hooks.wake();
  }

  #addItem(task: TaskState, payload: unknown): void {
    const index = task.index++;
    const type = task.source.type;
    const idOf = task.source.idOf;
    const own = idOf === undefined ? undefined : idOf(payload, index);
    if (own !== undefined && (typeof own !== "string" || own.length === 0 || own.length > 1024)) {
      throw new TypeError(`item ${index}: idOf must return a non-empty string (≤ 1024 chars)`);
    }
    // A default id (type:index) is only spelled out when something looks it up: most
    // runs never do, and a string per item is garbage at a million items a second.
    const id = own ??
      (this.#checkIds || this.#journal.remembers ? defaultItemId(type, index) : undefined);
    // Default ids (type:index) cannot repeat; only a source's own idOf can make one twice.
    if (this.#checkIds && !addNew(this.#ids, id!)) {
      log.warn("task type {type}: duplicate item id {id} ignored", { type, id });
      return;
    }
    if (id !== undefined && this.#journal.wasDone(id)) {
      this.resumed++;
      this.done++;
      return;
    }
    const item = new ScheduledItem(task, index, own, payload);
    task.items.add(item);
    if (own !== undefined) this.#ownIds.set(own, item);
    this.#generated++;
    task.outstanding++;
    if (this.#journal.hasEarlyAcks && this.#journal.takeEarlyAck(item.id)) {
      this.#markDone([item]);
      return;
    }
    task.queue.push(item);
  }

  #maybeSettle(task: TaskState): void {
    if (task.status !== "running" || !task.exhausted || task.outstanding > 0) return;
    task.status = "settled";
    this.#running = this.#running.filter((t) => t !== task);
    log.info("task type {type} settled ({failed} failed)", {
      type: task.source.type,
      failed: task.failed,
    });
    for (const child of task.children) this.#maybeStart(child);
    this.#checkSettled();
  }

  #checkSettled(): void {
    if (this.#settled) return;
    for (const task of this.#tasks.values()) {
      if (task.status !== "settled" && task.status !== "skipped") return;
    }
    this.#settled = true;
    this.#hooks.settled();
  }
}
