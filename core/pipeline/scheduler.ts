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
 * import { WorkFrameWriter } from "./codec.ts";
 * const timers = new Timers();
 * const scheduler = new Scheduler([{ type: "square", items: [1, 2, 3] }], {
 *   journal: new RunJournal(undefined),
 *   timers,
 *   graceMs: 1000,
 *   hooks: { wake: () => {}, settled: () => console.log("all settled"), abort: console.error },
 * });
 * scheduler.begin(undefined);
 * const worker = { name: "w", types: new Set(["square"]), credit: 2, inflight: 0 };
 * const frame = new WorkFrameWriter();
 * scheduler.assign(worker, frame);
 * console.log(frame.count); // two items, now in flight
 * timers.clear();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type AckData,
  defaultItemId,
  type FailedItem,
  type IndexRanges,
  type WorkFrameWriter,
} from "./codec.ts";
import { checkDependencies } from "./graph.ts";
import { addNew, type Timers } from "./link.ts";
import { BACKOFF, FINISHED, INFLIGHT, ItemColumns, NONE, QUEUED } from "./item_columns.ts";
import { MAX_EARLY_ACKS, type RunJournal } from "./resume.ts";

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
 * Whoever holds items in flight (a worker), as the scheduler sees it.
 *
 * @example
 * ```ts
 * import type { ItemHolder } from "./scheduler.ts";
 * const w: ItemHolder = { name: "cpu-1", types: new Set(["tiles"]), credit: 4, inflight: 0 };
 * ```
 */
export interface ItemHolder {
  /** Name in failure reasons. */
  readonly name: string;
  /** Task types it takes. */
  readonly types: ReadonlySet<string>;
  /** Items it may still be given. */
  credit: number;
  /** Items it holds (the scheduler counts them). */
  inflight: number;
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
  /**
   * Items of this type not settled yet, by index (credit and ACKs name
   * items so). Settled ones leave it, so it stays about read-ahead plus
   * in-flight sized.
   */
  items: ItemColumns<ItemHolder>;
  /** Next index to consider handing out: queued items at or above it have never been out. */
  cursor: number;
  /** Indexes queued again after a failure; they go before new ones. */
  retries: number[];
  /** Items queued (new and retried). */
  queued: number;
  /** The source when it is an array: read by position, no iterator result per item. */
  array: readonly unknown[] | null;
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
 * Finished items waiting for their ACK, as the ranges the workers reported
 * them in, in the order they finished. Every deadline is the finish time
 * plus the same ACK timeout, so the overdue ones are at the front; an item
 * that has moved on (ACKed, failed, or finished again later) is skipped
 * when reached, not searched for when it moves — no per-item work beyond
 * one look when its range leaves the front.
 *
 * @example
 * ```ts
 * import { AckDeadlines } from "./scheduler.ts";
 * const waiting = new AckDeadlines();
 * console.log(waiting.takeOverdue(performance.now())); // []
 * ```
 */
export class AckDeadlines {
  #tasks: TaskState[] = [];
  #starts: number[] = [];
  #ends: number[] = [];
  #deadlines: number[] = [];
  #head = 0;

  /** Items `start` to `end - 1` of `task` finished with `deadline` (those still so wait). */
  push(task: TaskState, start: number, end: number, deadline: number): void {
    // Ranges ACKed since are dropped from the front as we go, so the queue
    // holds about what is really waiting, not a heartbeat's worth of ranges.
    this.#prune(-Infinity);
    this.#tasks.push(task);
    this.#starts.push(start);
    this.#ends.push(end);
    this.#deadlines.push(deadline);
  }

  /** True while item `index` of the entry `at` still waits for the ACK it names. */
  #waiting(at: number, index: number): boolean {
    const items = this.#tasks[at].items;
    const state = items.stateOf(index);
    return state === FINISHED && items.deadline[items.slotOf(index)] === this.#deadlines[at];
  }

  /**
   * Drops settled items from the front; stops at the first one still
   * waiting whose deadline is not before `now`. Items still waiting with an
   * earlier deadline go to `overdue`.
   */
  #prune(now: number, overdue?: [TaskState, number][]): void {
    const starts = this.#starts;
    const ends = this.#ends;
    let head = this.#head;
    for (; head < starts.length; head++) {
      const late = this.#deadlines[head] < now;
      let start = starts[head];
      const end = ends[head];
      for (; start < end; start++) {
        if (!this.#waiting(head, start)) continue;
        if (!late) break;
        overdue?.push([this.#tasks[head], start]);
      }
      starts[head] = start;
      if (start < end) break;
    }
    if (head === starts.length) {
      this.#tasks = [];
      this.#starts = [];
      this.#ends = [];
      this.#deadlines = [];
      head = 0;
    } else if (head > 1024 && head * 2 > starts.length) {
      this.#tasks = this.#tasks.slice(head);
      this.#starts = starts.slice(head);
      this.#ends = ends.slice(head);
      this.#deadlines = this.#deadlines.slice(head);
      head = 0;
    }
    this.#head = head;
  }

  /** The items still waiting whose deadline is before `now`, taken out. */
  takeOverdue(now: number): [TaskState, number][] {
    const overdue: [TaskState, number][] = [];
    this.#prune(now, overdue);
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
  readonly #ownIds = new Map<string, { task: TaskState; index: number }>();
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
  /** Set once the early ACKs were full and that was logged. */
  #warnedEarlyAcks = false;
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
        items: new ItemColumns(),
        cursor: 0,
        retries: [],
        queued: 0,
        array: null,
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

  /**
   * Writes queued items of `worker`'s types into `frame`, round robin over
   * the running types, while it has credit; they are in flight from now on.
   * An item whose payload msgpack cannot encode fails for good instead (no
   * retry can fix a payload) and costs no credit.
   */
  assign(worker: ItemHolder, frame: WorkFrameWriter): void {
    const running = this.#running;
    const now = performance.now();
    let progress = true;
    while (worker.credit > 0 && progress) {
      progress = false;
      for (const task of running) {
        if (worker.credit <= 0) break;
        if (!worker.types.has(task.source.type)) continue;
        // One type alone takes all the credit at once; several take turns item by item.
        const take = running.length === 1 ? worker.credit : 1;
        for (let n = 0; n < take; n++) {
          const index = this.#takeQueued(task);
          if (index < 0) break;
          progress = true;
          const items = task.items;
          const at = items.slotOf(index);
          const attempt = items.attempt[at] + 1;
          const timeoutMs = task.source.timeoutMs ?? 0;
          try {
            frame.add(
              task.source.type,
              index,
              attempt,
              timeoutMs,
              items.ownIdOf(index),
              items.payload[at],
            );
          } catch (error) {
            task.queued++; // still queued as #settleFailed sees it: it counts it out again
            items.attempt[at] = attempt; // this was its (only) attempt
            this.#settleFailed(task, index, `payload cannot be encoded: ${error}`);
            continue;
          }
          worker.credit--;
          worker.inflight++;
          items.attempt[at] = attempt;
          items.state[at] = INFLIGHT;
          items.holder[at] = worker;
          // The worker enforces the limit itself and reports first; the grace
          // period covers a worker that cannot (a hung single-threaded one).
          items.deadline[at] = timeoutMs > 0 ? now + timeoutMs + this.#options.graceMs : 0;
        }
      }
    }
  }

  /**
   * Takes the index `task` hands out next (-1 when none), if its gate lets
   * one go: retries first, then new items in order. An ACK can arrive for a
   * queued item (a result from before a restart or a redelivery): it is
   * done and released, and skipped here.
   */
  #takeQueued(task: TaskState): number {
    if (task.queued === 0) return -1;
    const items = task.items;
    const retries = task.retries;
    while (retries.length > 0 && items.stateOf(retries[0]) !== QUEUED) retries.shift();
    let index = retries.length > 0 ? retries[0] : -1;
    if (index < 0) {
      let cursor = task.cursor;
      while (cursor < task.index && items.stateOf(cursor) !== QUEUED) cursor++;
      task.cursor = cursor;
      if (cursor >= task.index) return -1;
      index = cursor;
    }
    const gate = task.source.isAvailableForHandling;
    if (gate !== undefined) {
      try {
        if (!gate(this.#lastAck)) return -1;
      } catch (error) {
        this.#hooks.abort(
          new Error(`task type '${task.source.type}': isAvailableForHandling threw: ${error}`),
        );
        return -1;
      }
    }
    if (retries.length > 0) retries.shift();
    else task.cursor = index + 1;
    task.queued--;
    return index;
  }

  /** Tops up the read-ahead of every running type. */
  refill(): void {
    for (const task of this.#running) this.#fill(task);
  }

  /** `worker` reports the items in `done` finished: they wait for the collector's ACK now. */
  finished(worker: ItemHolder, done: readonly IndexRanges[]): void {
    const deadline = performance.now() + this.#ackTimeoutMs;
    for (const { type, ranges } of done) {
      const task = this.#tasks.get(type);
      if (task === undefined) continue;
      const items = task.items;
      const state = items.state;
      for (let r = 0; r < ranges.length; r += 2) {
        const start = Math.max(ranges[r], items.low);
        const end = Math.min(ranges[r] + ranges[r + 1], items.high);
        if (start >= end) continue;
        for (let index = start; index < end; index++) {
          const at = items.slotOf(index);
          if (state[at] !== INFLIGHT || items.holder[at] !== worker) continue;
          worker.inflight--;
          items.holder[at] = null;
          state[at] = FINISHED;
          items.deadline[at] = deadline;
        }
        this.#awaitingAck.push(task, start, end, deadline);
      }
    }
  }

  /** `worker` reports item `index` of `type` failed: retried or failed for good. */
  failedAt(worker: ItemHolder, type: string, index: number, reason: string): void {
    const task = this.#tasks.get(type);
    if (task === undefined || task.items.stateOf(index) !== INFLIGHT) return;
    if (task.items.holder[task.items.slotOf(index)] !== worker) return;
    this.#fail(task, index, reason);
  }

  /**
   * The collector ACKed the items in `done` (by index) and `ids` (by their
   * own id), with ACK data if `onResult` returned any: those items are done.
   */
  acked(done: readonly IndexRanges[], ids: readonly string[], data?: AckData): void {
    if (data !== undefined) this.#lastAck = data;
    const record: { id: string; type: string }[] | null = this.#journal.remembers ? [] : null;
    const touched: TaskState[] = [];
    for (const { type, ranges } of done) {
      const task = this.#tasks.get(type);
      for (let r = 0; r < ranges.length; r += 2) {
        for (let index = ranges[r], end = index + ranges[r + 1]; index < end; index++) {
          if (task !== undefined && task.items.stateOf(index) !== NONE) {
            this.#settleDone(task, index, record);
            if (touched[touched.length - 1] !== task) touched.push(task);
          } // Not generated yet (e.g. after a restart): remember it. An index below the
          // source's position was generated and has settled: that ACK came again.
          else if (task === undefined || index >= task.index) {
            // Every later index of the range is early too: none is kept once they are full.
            if (!this.#journal.ackedEarly(defaultItemId(type, index))) {
              this.#earlyAcksFull();
              break;
            }
          }
        }
      }
    }
    for (const id of ids) {
      const own = this.#ownIds.get(id);
      if (own === undefined) {
        if (!this.#journal.ackedEarly(id)) this.#earlyAcksFull();
        continue;
      }
      this.#settleDone(own.task, own.index, record);
      if (touched[touched.length - 1] !== own.task) touched.push(own.task);
    }
    this.#afterDone(touched, record);
  }

  /** Says once that early ACKs are being dropped (their items will be redone when generated). */
  #earlyAcksFull(): void {
    if (this.#warnedEarlyAcks) return;
    this.#warnedEarlyAcks = true;
    log.warn(
      "{max} ACKs wait for items not generated yet; further ones are dropped (their items are " +
        "redone when generated): a collector ACKing items this run never issued?",
      { max: MAX_EARLY_ACKS },
    );
  }

  /** Redelivers finished items whose ACK is overdue (call only while a collector is up). */
  expireAcks(now: number): void {
    for (const [task, index] of this.#awaitingAck.takeOverdue(now)) {
      this.#fail(task, index, `no ACK from the collector within ${this.#ackTimeoutMs} ms`);
    }
  }

  /** Fails the items `holder` holds past their time limit. */
  expireInflight(holder: ItemHolder, now: number): void {
    for (const task of this.#tasks.values()) {
      const timeoutMs = task.source.timeoutMs ?? 0;
      if (timeoutMs <= 0) continue; // no deadline to pass
      for (const index of this.#heldBy(task, holder)) {
        const deadline = task.items.deadline[task.items.slotOf(index)];
        if (deadline > 0 && now > deadline) {
          this.#fail(task, index, `timeout after ${timeoutMs} ms`);
        }
      }
    }
  }

  /** Fails every item `holder` holds (it died or left). */
  failAll(holder: ItemHolder, reason: string): void {
    for (const task of this.#tasks.values()) {
      if (task.items.size === 0) continue;
      for (const index of this.#heldBy(task, holder)) this.#fail(task, index, reason);
    }
    holder.inflight = 0;
  }

  /** Indexes of `task` that `holder` holds in flight (a scan: rare events only). */
  #heldBy(task: TaskState, holder: ItemHolder): number[] {
    const items = task.items;
    const held: number[] = [];
    for (let index = items.low; index < items.high; index++) {
      const at = items.slotOf(index);
      if (items.state[at] === INFLIGHT && items.holder[at] === holder) held.push(index);
    }
    return held;
  }

  /** The id of item `index` of `task` (its own, or the default one). */
  #idOf(task: TaskState, index: number): string {
    return task.items.ownIdOf(index) ?? defaultItemId(task.source.type, index);
  }

  /**
   * One attempt of item `index` failed: it is retried after a backoff, or
   * failed for good once its retries are used up.
   */
  #fail(task: TaskState, index: number, reason: string): void {
    const items = task.items;
    const at = items.slotOf(index);
    const attempt = items.attempt[at];
    if (attempt > (task.source.maxRetries ?? 3)) {
      this.#settleFailed(task, index, reason);
      return;
    }
    this.#uncount(task, at);
    items.state[at] = BACKOFF;
    this.retries++;
    const base = this.#options.retryBackoffMs ?? 100;
    const wait = Math.min(
      base * 2 ** Math.max(0, attempt - 1),
      this.#options.retryBackoffMaxMs ?? 5000,
    );
    const id = this.#idOf(task, index);
    log.info("item {id} attempt {attempts} failed ({reason}); retrying in {wait} ms", {
      id,
      attempts: attempt,
      reason,
      wait,
    });
    this.#options.timers.after(wait, () => {
      if (items.stateOf(index) !== BACKOFF) return; // ACKed meanwhile
      items.state[items.slotOf(index)] = QUEUED;
      task.queued++;
      task.retries.push(index);
      this.#hooks.wake();
    });
  }

  /** Item `index` of `task` failed for good (at once, whatever its retries). */
  #settleFailed(task: TaskState, index: number, reason: string): void {
    const items = task.items;
    const at = items.slotOf(index);
    if (items.state[at] === NONE) return;
    this.#uncount(task, at);
    const id = this.#idOf(task, index);
    const attempts = items.attempt[at];
    this.#release(task, index);
    task.failed++;
    task.outstanding--;
    this.failed.push({ id, type: task.source.type, reason, attempts });
    log.error("item {id} failed after {attempts} attempts: {reason}", { id, attempts, reason });
    this.#maybeSettle(task);
  }

  /** Item `index` of `task` (held) is ACKed: done, out of every table. */
  #settleDone(
    task: TaskState,
    index: number,
    record: { id: string; type: string }[] | null,
  ): void {
    this.#uncount(task, task.items.slotOf(index));
    if (record !== null) record.push({ id: this.#idOf(task, index), type: task.source.type });
    this.#release(task, index);
    task.outstanding--;
    this.done++;
  }

  /**
   * The item in `slot` leaves the count it is in: its task's queued items,
   * or its holder's items in flight (and that holder).
   */
  #uncount(task: TaskState, slot: number): void {
    const items = task.items;
    const state = items.state[slot];
    if (state === QUEUED) task.queued--;
    else if (state === INFLIGHT) {
      const holder = items.holder[slot];
      if (holder !== null) holder.inflight--;
      items.holder[slot] = null;
    }
  }

  /** A settled item leaves every table. */
  #release(task: TaskState, index: number): void {
    const own = task.items.ownIdOf(index);
    if (own !== undefined) this.#ownIds.delete(own);
    task.items.release(index);
  }

  /** Items of the `touched` types were done: journal, settle, refill, dispatch. */
  #afterDone(touched: TaskState[], record: { id: string; type: string }[] | null): void {
    if (touched.length === 0) return;
    if (record !== null) this.#journal.record(record);
    for (const task of new Set(touched)) {
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
      if (Array.isArray(iterable)) {
        task.array = iterable;
      } else if (Symbol.asyncIterator in Object(iterable)) {
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
    if (task.queued >= readAhead) return;
    if (!task.async) {
      const array = task.array;
      const iterator = task.iterator as Iterator<unknown>;
      try {
        while (task.queued < readAhead) {
          if (array !== null) {
            // An array is read by position (as its iterator would, length read each time).
            if (task.index >= array.length) {
              task.exhausted = true;
              break;
            }
            this.#addItem(task, array[task.index]);
            continue;
          }
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
      while (task.queued < readAhead && !this.#stopped) {
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
    this.#generated++;
    if (
      this.#journal.hasEarlyAcks && this.#journal.takeEarlyAck(id ?? defaultItemId(type, index))
    ) {
      // ACKed before it existed: done at once, never held.
      if (this.#journal.remembers) this.#journal.record([{ id: id!, type }]);
      this.done++;
      this.#maybeSettle(task);
      this.#hooks.wake();
      return;
    }
    task.items.add(index, payload, own);
    if (own !== undefined) this.#ownIds.set(own, { task, index });
    task.outstanding++;
    task.queued++;
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
