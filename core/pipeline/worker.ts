/**
 * The pipeline worker: asks the distributor for work by granting credit
 * (how many items it may hold), runs items on an executor — inline, or a
 * pool of Web-Worker threads — sends results to the collector and returns
 * credit with the ids it finished or failed. It heartbeats the distributor
 * and re-registers when the distributor goes silent or forgets it.
 *
 * It leaves when the run is over: on END, or — when END never reaches it,
 * because its distributor finished and closed while this worker was paused
 * or cut off — once the distributor of a run it took part in has been
 * silent for `giveUpAfterMs`. Time this process itself spent stopped does
 * not count. With `keepRunning` it stays for the next run instead.
 *
 * @example
 * ```ts
 * import { PipelineWorker } from "./worker.ts";
 * const worker = new PipelineWorker({
 *   distributor: "tcp://127.0.0.1:5570",
 *   collector: "tcp://127.0.0.1:5572",
 *   module: "./handlers.ts",
 *   threads: 4,
 * });
 * await worker.run(); // until the distributor says the run is over
 * ```
 * @module
 */
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { Dealer } from "../sockets/mod.ts";
import {
  addIndex,
  type IndexRanges,
  type ItemFailure,
  type PipelineMessage,
  ResultsFrameWriter,
  workEntriesOf,
  type WorkEntry,
  workItemOf,
} from "./codec.ts";
import {
  type EntryRunner,
  entryRunner,
  type Executor,
  InlineExecutor,
  type Outcome,
  ThreadPool,
} from "./executor.ts";
import type { HandlerMap } from "./handlers.ts";
import { maxMessageSizeOption } from "../limits.ts";
import { atMost, OrderedSender, Soon } from "./link.ts";
import { SilenceWatch } from "./liveness.ts";
import { DropCounter, serveDealer } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "worker"]);

/** Most fast items that end between two reads of the clock. */
const MAX_UNCLOCKED = 64;

/**
 * How long a thread pool's outcomes wait for others to share their report
 * (ms), while reports are flowing and items are slow (see
 * `#reportAfterOutcomes`).
 */
const REPORT_WINDOW_MS = 2;

/**
 * Items that took at least this long (ms) may wait {@link REPORT_WINDOW_MS}
 * for their report: a quarter of their time, so a thread's item sent ahead
 * is still running when the refill the report asks for arrives.
 */
const WINDOW_ITEM_MS = 4 * REPORT_WINDOW_MS;

/** A worker that has sent no report for this long (ms) reports its next outcome at once. */
const QUIET_MS = 50;

/**
 * Everything a worker needs, as plain data (plus optional in-code handlers).
 *
 * @example
 * ```ts
 * import type { WorkerOptions } from "./worker.ts";
 * const options: WorkerOptions = {
 *   distributor: "tcp://10.0.0.2:5570",
 *   collector: "tcp://10.0.0.2:5572",
 *   module: "file:///opt/robot/handlers.ts",
 *   threads: 2,
 * };
 * ```
 */
export interface WorkerOptions {
  /** The distributor's `workers` endpoint. */
  distributor: string;
  /** The collector's `results` endpoint. */
  collector: string;
  /** Handler module (path or URL); required for threads. */
  module?: string | URL;
  /** In-code handlers for a single-threaded worker (instead of `module`). */
  handlers?: HandlerMap;
  /** Web-Worker threads; omit or 0 to run handlers in this thread. */
  threads?: number;
  /** Items held beyond the running ones, to hide network latency (default 1). */
  prefetch?: number;
  /** Task types to ask for (default: every type the module exports). */
  types?: string[];
  /** Name in logs and reports (default `worker-<pid>-<random>`). */
  name?: string;
  /** Heartbeat period (ms, default 1000). */
  heartbeatIntervalMs?: number;
  /** Re-register after hearing nothing from the distributor this long (ms, default 3 × interval). */
  heartbeatTimeoutMs?: number;
  /** Stop when the distributor ends the run (default true); `keepRunning: true` is the same as false. */
  exitOnEnd?: boolean;
  /**
   * Stay up when a run ends and wait for the next distributor, instead of
   * leaving (default false). Such a worker never gives up on a silent
   * distributor either.
   */
  keepRunning?: boolean;
  /**
   * After a run this worker took part in (it heard from a distributor), a
   * distributor silent this long is taken as gone with the run over, and
   * the worker leaves (ms, default 10 × heartbeatTimeoutMs, at least 30 s,
   * so a crashed distributor has time to restart). Not with `keepRunning`.
   */
  giveUpAfterMs?: number;
  /** Deno permissions for the threads (needs `--unstable-worker-options`). */
  threadPermissions?: Deno.PermissionOptions;
  /**
   * Largest message accepted from a peer, in bytes (default 64 MiB, -1 = no
   * limit); a larger one closes that peer's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"distributor" | "collector">;
}

/**
 * Counters of one worker.
 *
 * @example
 * ```ts
 * import type { WorkerStats } from "./worker.ts";
 * const s: WorkerStats = { processed: 1, failed: 0, registrations: 1 };
 * ```
 */
export interface WorkerStats {
  /** Items whose handler returned. */
  processed: number;
  /** Items whose handler failed (thrown, crashed, timed out). */
  failed: number;
  /** READY messages sent (1 + re-registrations). */
  registrations: number;
}

/**
 * A worker process role (single-threaded or a Web-Worker pool).
 *
 * @example
 * ```ts
 * import { PipelineWorker } from "./worker.ts";
 * const w = new PipelineWorker({
 *   distributor: "tcp://127.0.0.1:5570",
 *   collector: "tcp://127.0.0.1:5572",
 *   handlers: { square: (n) => (n as number) ** 2 },
 * });
 * const run = w.run();
 * await w.close();
 * ```
 */
export class PipelineWorker {
  /** Name in logs and reports. */
  readonly name: string;
  /** Counters. */
  readonly stats: WorkerStats = { processed: 0, failed: 0, registrations: 0 };
  readonly #options: WorkerOptions;
  readonly #interval: number;
  readonly #timeout: number;
  readonly #maxMessageSize: number;
  readonly #keepRunning: boolean;
  readonly #giveUpAfterMs: number;
  readonly #executor: Executor;
  /** Runs items straight from their work entries when the executor is inline. */
  readonly #runEntry: EntryRunner | undefined;
  /**
   * Work not started yet, as the entries it came in (a run of empty items
   * is one entry); the first one's first `#taken` items have started.
   */
  readonly #queue: WorkEntry[] = [];
  #taken = 0;
  readonly #metadata = new Map<string, unknown>();
  readonly #drops = new DropCounter();
  #types: string[] = [];
  #capacity = 0;
  /** Fast items finished before a report goes out without waiting for the next turn. */
  #reportEvery = 64;
  #running = 0;
  #toDistributor: Dealer | null = null;
  #toCollector: Dealer | null = null;
  #out: OrderedSender | null = null;
  #results: OrderedSender | null = null;
  /** Results not yet sent, written into their frame as they come. */
  readonly #pendingResults = new ResultsFrameWriter();
  /** The items of those results, as index ranges (credit reports them done). */
  #pendingDone: IndexRanges[] = [];
  #pendingFailed: ItemFailure[] = [];
  #pendingCredit = 0;
  /** The last clock read (Date.now) while running items. */
  #clock = 0;
  /** Items ended since that read. */
  #unclocked = 0;
  /** Items that end before the clock is read again (1 while items are slow). */
  #clockEvery = 1;
  /** Sends batched reports (and starts queued items) on the next turn of the event loop. */
  readonly #soon = new Soon(() => {
    this.#lastTurn = Date.now();
    this.#flush();
    this.#runQueued();
  });
  /** When this worker last came from the event loop (a message or the Soon turn). */
  #lastTurn = 0;
  #distributor: SilenceWatch;
  /** Heard from a distributor since the last run ended (or since starting). */
  #tookPart = false;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;
  #closed = false;
  #ended: Promise<void> | null = null;
  #resolveEnded: (() => void) | null = null;

  /** Validates the options; nothing connects before {@link start}. */
  constructor(options: WorkerOptions) {
    this.#options = options;
    this.name = options.name ?? `worker-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.#interval = options.heartbeatIntervalMs ?? 1000;
    this.#timeout = options.heartbeatTimeoutMs ?? this.#interval * 3;
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize);
    this.#keepRunning = options.keepRunning ?? !(options.exitOnEnd ?? true);
    this.#giveUpAfterMs = options.giveUpAfterMs ?? Math.max(10 * this.#timeout, 30_000);
    if (!(this.#giveUpAfterMs > 0)) {
      throw new RangeError(
        `giveUpAfterMs must be a positive number of ms, got ${this.#giveUpAfterMs}`,
      );
    }
    this.#distributor = new SilenceWatch(this.#timeout);
    const prefetch = options.prefetch ?? 1;
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new RangeError(`prefetch must be a non-negative integer, got ${prefetch}`);
    }
    const threads = options.threads ?? 0;
    if (threads > 0) {
      if (options.module === undefined) throw new TypeError("a threaded worker needs 'module'");
      this.#executor = new ThreadPool({
        module: options.module,
        threads,
        permissions: options.threadPermissions,
        worker: this.name,
      });
    } else {
      this.#executor = new InlineExecutor({
        module: options.module,
        handlers: options.handlers,
        worker: this.name,
      });
    }
    this.#runEntry = entryRunner(this.#executor);
    this.#capacity = this.#executor.slots + prefetch;
    this.#reportEvery = Math.max(64, this.#capacity >> 2);
  }

  /** Loads handlers, connects and registers; {@link run} awaits the end. */
  async start(): Promise<void> {
    if (this.#ended !== null) return;
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    const exported = await this.#executor.start();
    const wanted = this.#options.types;
    this.#types = wanted === undefined ? exported : wanted.filter((t) => exported.includes(t));
    const missing = (wanted ?? []).filter((t) => !exported.includes(t));
    if (missing.length > 0) {
      this.#executor.close();
      throw new Error(`handler module has no function for task type(s): ${missing.join(", ")}`);
    }
    const maxMessageSize = this.#maxMessageSize;
    const security = this.#options.security ?? {};
    // Pipeline roles send only to live peers (immediate): a message kept for a
    // peer that is down would reach its restarted successor out of protocol.
    this.#toDistributor = new Dealer({
      immediate: true,
      ...security.distributor,
      linger: 500,
      sendHighWaterMark: 100_000,
      maxMessageSize,
    });
    this.#toCollector = new Dealer({
      immediate: true,
      ...security.collector,
      linger: 2000,
      sendHighWaterMark: 100_000,
      maxMessageSize,
    });
    this.#toDistributor.connect(this.#options.distributor);
    this.#toCollector.connect(this.#options.collector);
    this.#out = new OrderedSender(this.#toDistributor, ["zedge", "pipeline", "worker"]);
    this.#results = new OrderedSender(this.#toCollector, ["zedge", "pipeline", "worker"]);
    this.#distributor = new SilenceWatch(this.#timeout);
    this.#register();
    serveDealer(this.#toDistributor, {
      log,
      from: "the distributor",
      accepts: ["work", "metadata", "heartbeat", "reset", "end"],
      drops: this.#drops,
      onMessage: (message) => this.#onMessage(message),
    });
    this.#timer = setInterval(() => this.#tick(), this.#interval);
  }

  /** Messages from the distributor dropped as malformed or unexpected. */
  get dropped(): number {
    return this.#drops.count;
  }

  /** Starts (if needed) and resolves when the run ends or the worker is closed. */
  async run(): Promise<WorkerStats> {
    await this.start();
    await this.#ended;
    return this.stats;
  }

  /** Leaves: tells the distributor, stops threads and closes sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#reportWindow);
    this.#flush();
    // Goodbye whenever READY went out: the distributor may have handed us
    // items we have not read yet (they wait in our socket), and without a
    // "bye" it would hold them until its heartbeat timeout. A distributor
    // that never answered may be gone, so the goodbye then waits for the
    // socket only briefly (a robot's stop must take milliseconds).
    if (this.#out !== null) {
      this.#out.send({ kind: "bye" });
      const answered = !this.#distributor.resetIsStale();
      await atMost(
        Promise.all([this.#out.drained(), this.#results!.drained()]),
        answered ? 500 : 50,
      );
    }
    this.#executor.close();
    this.#soon.close();
    await Promise.all([this.#toDistributor?.close(), this.#toCollector?.close()]);
    this.#resolveEnded?.();
  }

  #register(): void {
    // Items that were queued here belong to a registration the distributor
    // has forgotten (or will, on re-registration): it redelivers them.
    this.#queue.length = 0;
    this.#taken = 0;
    this.stats.registrations++;
    this.#pendingCredit = 0;
    const credit = Math.max(0, this.#capacity - this.#running);
    this.#distributor.registered();
    this.#out!.send({ kind: "ready", name: this.name, types: this.#types, credit });
    log.debug("worker {name} registered with credit {credit}", { name: this.name, credit });
  }

  #onMessage(message: PipelineMessage): void {
    this.#lastTurn = Date.now();
    if (message.kind !== "reset") {
      this.#distributor.heard();
      this.#tookPart = true;
    }
    switch (message.kind) {
      case "work": {
        const entries = workEntriesOf(message) ??
          message.items.map((item): WorkEntry => ({
            ...item,
            index: item.index!,
            count: 1,
            ownId: item.ownId ? item.id : undefined,
          }));
        for (const entry of entries) this.#queue.push(entry);
        this.#runQueued();
        return;
      }
      case "metadata":
        for (const type of message.types) this.#metadata.set(type, message.data);
        return;
      case "heartbeat":
        return;
      case "reset":
        // Answers a message sent before our last READY, which is on its way:
        // registering again would make the distributor redeliver what it just sent.
        if (this.#distributor.resetIsStale()) return;
        log.info("worker {name}: distributor does not know us; registering again", {
          name: this.name,
        });
        this.#register();
        return;
      case "end":
        log.info("worker {name}: run ended", { name: this.name });
        if (!this.#keepRunning) {
          this.close();
          return;
        }
        // Wait for the next run with nothing of this one left over.
        this.#metadata.clear();
        this.#queue.length = 0;
        this.#taken = 0;
        this.#tookPart = false;
        return;
    }
  }

  #runQueued(): void {
    // A pool queues internally and hands a freed thread its next item at
    // once; an inline executor gets one item at a time.
    const executor = this.#executor;
    const queue = this.#queue;
    const limit = executor.queues ? this.#capacity : executor.slots;
    // Date.now, not performance.now: millisecond resolution is all the
    // checks need, and it costs less (both are calls out of V8: ~0.1 µs).
    this.#clock = Date.now();
    this.#unclocked = 0;
    while (this.#running < limit && queue.length > 0 && !this.#closed) {
      const entry = queue[0];
      const index = entry.index + this.#taken;
      if (++this.#taken === entry.count) {
        queue.shift();
        this.#taken = 0;
      }
      this.#running++;
      const metadata = this.#metadata.size === 0 ? undefined : this.#metadata.get(entry.type);
      // A handler that returns no promise has its outcome here and now: the
      // loop goes on to the next item without a trip through the microtasks.
      // Items run from their entry: no item object is made where nothing asks for one.
      const runEntry = this.#runEntry;
      const outcome = runEntry !== undefined
        ? runEntry(entry, index, metadata)
        : executor.runNow !== undefined
        ? executor.runNow(workItemOf(entry, index), metadata)
        : executor.run(workItemOf(entry, index), metadata);
      if (outcome instanceof Promise) {
        // The last clock read is when this item started (the loop read it
        // just now, or after the item before, which ended here).
        const started = this.#clock;
        outcome.then((o) => {
          this.#record(entry, index, o);
          if (this.#reportAsync(started)) this.#runQueued();
        });
      } else {
        this.#record(entry, index, outcome);
        if (!this.#reportSync()) return;
      }
    }
  }

  /** Records the outcome of item `index` of `entry`, to be reported. */
  #record(entry: WorkEntry, index: number, outcome: Outcome): void {
    this.#running--;
    const { type } = entry;
    if (outcome.ok) {
      try {
        this.#pendingResults.add(type, index, entry.ownId, outcome.value);
        this.stats.processed++;
        addIndex(this.#pendingDone, type, index);
      } catch (error) {
        this.stats.failed++;
        this.#pendingFailed.push({
          type,
          index,
          reason: `result cannot be encoded: ${error}`,
        });
      }
    } else {
      this.stats.failed++;
      this.#pendingFailed.push({ type, index, reason: outcome.reason });
    }
    this.#pendingCredit++;
  }

  /**
   * Reports an item that ended in a later turn (its handler returned a
   * promise) when due; true when the next item may start in this turn.
   */
  #reportAsync(started: number): boolean {
    const now = Date.now();
    this.#clock = now;
    // A pool settles every outcome its threads have written in one turn
    // (ten threads started together end together): one report for them,
    // sent once that turn's outcomes are recorded, not on a turn of its
    // own (a wake-up of this thread per burst, on 2 shared cores).
    if (this.#executor.queues) {
      this.#reportAfterOutcomes(now - started);
      return this.#mayGoOn(now);
    }
    // A slow item in this thread gains nothing from batching: report it
    // now (the first write after a quiet spell goes to the socket at once)
    // so the distributor refills us while the next item runs. Fast items
    // share one report, sent on the next turn: one message each way for
    // many items, not one per item.
    this.#report(now - started >= 1);
    return this.#mayGoOn(now);
  }

  /**
   * Sends the report once the outcomes settled in this turn are recorded:
   * they resolve their items' promises together, so the report, queued
   * behind the first one's, goes after the last. While reports are flowing
   * and items are slow (`itemMs`: since the item reached the pool), it
   * waits up to {@link REPORT_WINDOW_MS} more for the other threads' outcomes:
   * threads started together end within a few milliseconds of each other,
   * each in a turn of its own, and a report per outcome was a results frame,
   * a credit and a work frame back per item, each a write and a wake-up on
   * 2 shared cores (2 workers × 10 threads of 10 ms items, medians of 6
   * runs: the distributor and collector's CPU per item from 174 to 87 µs,
   * each worker's main thread's from 210 to 140 µs). It does not wait when nothing
   * else runs (the last outcomes of a run go at once), after a quiet spell
   * (the first outcome of a run goes at once), nor on a pool of one thread
   * (no other outcome could join).
   */
  #reportAfterOutcomes(itemMs: number): void {
    if (this.#pendingCredit >= this.#reportEvery) {
      this.#flush();
      return;
    }
    if (this.#reportQueued) {
      // Nothing else runs: no outcome will join the report held for them.
      if (this.#running === 0 && this.#reportWindow !== undefined) {
        clearTimeout(this.#reportWindow);
        this.#reportWindow = undefined;
        queueMicrotask(this.#flushQueued);
      }
      return;
    }
    this.#reportQueued = true;
    // Other threads' outcomes can join only on a pool of several threads with items still out.
    const hold = this.#executor.slots > 1 && this.#running > 0 && itemMs >= WINDOW_ITEM_MS &&
      performance.now() - this.#lastReportAt < QUIET_MS;
    if (hold) this.#reportWindow = setTimeout(this.#flushQueued, REPORT_WINDOW_MS);
    else queueMicrotask(this.#flushQueued);
  }

  #reportQueued = false;
  /** The timer of a report held for more outcomes ({@link #reportAfterOutcomes}). */
  #reportWindow: ReturnType<typeof setTimeout> | undefined = undefined;
  /** When the last report went out (performance.now). */
  #lastReportAt = -Infinity;
  readonly #flushQueued = () => {
    this.#reportQueued = false;
    clearTimeout(this.#reportWindow);
    this.#reportWindow = undefined;
    this.#flush();
  };

  /**
   * Reports an item whose outcome came at once when due; true when the next
   * item may start in this turn. Two clock reads per item were a fifth of
   * a fast item's cost: the clock is read after every item only while items
   * take a millisecond or more, and after every 2nd, 4th, … 64th while they
   * take less.
   */
  #reportSync(): boolean {
    const span = ++this.#unclocked;
    if (span < this.#clockEvery) {
      this.#report(false);
      return true;
    }
    const now = Date.now();
    const slow = now - this.#clock >= 1;
    this.#clock = now;
    this.#unclocked = 0;
    // Over one item, the slow-item rule as for any item. Over several, a
    // millisecond may be a tick of the clock between fast items: measure
    // item by item again, and report by that.
    if (slow) this.#clockEvery = 1;
    else if (span === this.#clockEvery) this.#clockEvery = Math.min(span * 2, MAX_UNCLOCKED);
    this.#report(slow && span === 1);
    return this.#mayGoOn(now);
  }

  /** Sends the report now when `urgent` or a quarter of the credit waits, else on the next turn. */
  #report(urgent: boolean): void {
    // A long run of fast items reports every quarter of the credit, so
    // the distributor refills while the rest runs instead of after it.
    if (urgent || this.#pendingCredit >= this.#reportEvery) this.#flush();
    else this.#soon.request();
  }

  /**
   * The next item, when one is here, starts at once: an event-loop turn
   * costs about as much as a fast item. Only a worker that has not yielded
   * for half a heartbeat interval (blocking handlers back to back) takes
   * that turn, so heartbeats and refills are read.
   */
  #mayGoOn(now: number): boolean {
    if (now - this.#lastTurn < this.#interval / 2) return true;
    this.#soon.request();
    return false;
  }

  #flush(): void {
    if (this.#out === null) return;
    // The items whose results went out are done, as index ranges.
    const done = this.#pendingDone;
    if (this.#pendingResults.count > 0) {
      const metadata = this.#forwardedMetadata(this.#pendingResults.types);
      this.#results!.sendFrame(this.#pendingResults.finish(this.name, metadata));
      this.#pendingDone = [];
    }
    if (this.#pendingCredit > 0 || this.#pendingFailed.length > 0 || done.length > 0) {
      this.#out.send({
        kind: "credit",
        credit: this.#pendingCredit,
        done,
        failed: this.#pendingFailed,
      });
      this.#pendingCredit = 0;
      this.#pendingFailed = [];
      this.#lastReportAt = performance.now();
    }
  }

  /**
   * The metadata of the forwarding types among `types` (those of the
   * results about to go), for the collector (`CollectedResult.metadata`);
   * it travels with the results, so it reaches whichever collector gets
   * them, a restarted one too.
   */
  #forwardedMetadata(types: readonly string[]): Record<string, unknown> | undefined {
    if (this.#metadata.size === 0) return undefined;
    let metadata: Record<string, unknown> | undefined;
    for (const type of types) {
      if (!this.#metadata.has(type)) continue;
      metadata ??= Object.create(null) as Record<string, unknown>;
      metadata[type] = this.#metadata.get(type);
    }
    return metadata;
  }

  #tick(): void {
    if (this.#closed) return;
    const silent = this.#distributor.silentMs();
    if (this.#tookPart && !this.#keepRunning && silent > this.#giveUpAfterMs) {
      log.warn(
        "worker {name}: distributor silent for {ms} ms after a run we took part in; " +
          "taking the run as over",
        { name: this.name, ms: Math.round(silent) },
      );
      this.close();
      return;
    }
    const due = this.#distributor.registrationDue();
    // A message already waits for a distributor to connect: more would only pile up.
    if (this.#out!.pending > 0) return;
    if (due) {
      log.warn("worker {name}: distributor silent for {ms} ms; registering again", {
        name: this.name,
        ms: Math.round(silent),
      });
      this.#register();
      return;
    }
    this.#out!.send({ kind: "heartbeat" });
  }
}
