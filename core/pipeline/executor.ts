/**
 * Executors run a worker's items: {@link InlineExecutor} in the worker's own
 * thread (one item at a time, like the seed's single-threaded worker) and
 * {@link ThreadPool} on N Web-Worker threads that each load the handler
 * module. A pool thread that crashes, ends itself or overruns the item's
 * time limit is terminated and replaced; its item fails with the reason so
 * the distributor can retry it.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "./executor.ts";
 * const pool = new ThreadPool({ module: "file:///app/handlers.ts", threads: 4 });
 * const types = await pool.start();
 * const outcome = await pool.run({ id: "a:0", type: types[0], payload: 1, attempt: 1, timeoutMs: 0 });
 * pool.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { defaultItemId, type WorkEntry, type WorkItem } from "./codec.ts";
import {
  type Handler,
  type HandlerContext,
  type HandlerHooks,
  type HandlerMap,
  loadHandlerModule,
  resolveModule,
  runInit,
} from "./handlers.ts";
import type { FromThread, ToThread } from "./thread_worker.ts";
import { deserialize, serialize } from "node:v8";
import { Doorbell, RECORD, type RingRecord, ThreadChannel } from "./thread_ring.ts";

/**
 * The Worker class as it was when zedge loaded: a robot's shared host takes `Worker` away from
 * component code (robot/component_runtime.ts), not from zedge's own thread pools.
 */
const ThreadWorker = globalThis.Worker;

const log = getLogger(["zedge", "pipeline", "worker"]);

/**
 * How one item ended.
 *
 * @example
 * ```ts
 * import type { Outcome } from "./executor.ts";
 * const o: Outcome = { ok: false, reason: "timeout after 50 ms" };
 * ```
 */
export type Outcome = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Something that runs items; `run` never rejects.
 *
 * @example
 * ```ts
 * import { InlineExecutor, type Executor } from "./executor.ts";
 * const ex: Executor = new InlineExecutor({ handlers: { echo: (p) => p } });
 * ```
 */
export interface Executor {
  /** How many items it runs at once. */
  readonly slots: number;
  /**
   * True when `run()` may be called beyond `slots` (extra items wait inside
   * the executor and start the moment a slot frees, with no extra hop).
   */
  readonly queues: boolean;
  /** Loads handlers; resolves with the task types they cover. */
  start(): Promise<string[]>;
  /** Runs one item with the metadata forwarded to its type. */
  run(item: WorkItem, metadata?: unknown): Promise<Outcome>;
  /**
   * Like {@link run}, but the outcome comes back at once (not as a promise)
   * when the handler returned no promise. Executors that run items
   * elsewhere leave it out.
   */
  runNow?(item: WorkItem, metadata?: unknown): Outcome | Promise<Outcome>;
  /** Stops everything; pending runs resolve as failed. */
  close(): void;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The context a handler (or `prepare`) gets. The id of an item with the
 * default id (`type:index`) is spelled out only when read: most handlers
 * never do, and making it was a string per item.
 */
class ItemContext implements HandlerContext {
  readonly type: string;
  readonly attempt: number;
  readonly metadata: unknown;
  readonly thread: number;
  readonly state: unknown;
  readonly #index: number;
  #id: string | undefined;

  constructor(
    type: string,
    index: number,
    id: string | undefined,
    attempt: number,
    metadata: unknown,
    thread: number,
    state: unknown,
  ) {
    this.type = type;
    this.#index = index;
    this.#id = id;
    this.attempt = attempt;
    this.metadata = metadata;
    this.thread = thread;
    this.state = state;
  }

  get id(): string {
    return this.#id ??= defaultItemId(this.type, this.#index);
  }

  /** Every field, the id too (it is an accessor, which JSON would leave out). */
  toJSON(): HandlerContext {
    const { id, type, attempt, metadata, thread, state } = this;
    return { id, type, attempt, metadata, thread, state };
  }
}

/** The context a handler (or `prepare`) gets for `item`. */
function contextOf(item: WorkItem, metadata: unknown, thread: number, state: unknown) {
  return new ItemContext(
    item.type,
    item.index ?? 0,
    item.id,
    item.attempt,
    metadata,
    thread,
    state,
  );
}

/**
 * Runs the module's `prepare` hook on `item`: the payload the handler gets,
 * or the failure that ends this attempt.
 */
async function prepared(
  prepare: NonNullable<HandlerHooks["prepare"]>,
  payload: unknown,
  ctx: HandlerContext,
): Promise<{ ok: true; payload: unknown } | { ok: false; reason: string }> {
  try {
    let value = prepare(payload, ctx);
    if (value instanceof Promise) value = await value;
    return { ok: true, payload: value === undefined ? payload : value };
  } catch (error) {
    return { ok: false, reason: `prepare: ${describe(error)}` };
  }
}

/** Reaches an inline executor's private entry path (set in its static block). */
let runEntryOf: (
  executor: InlineExecutor,
  entry: WorkEntry,
  index: number,
  metadata: unknown,
) => Outcome | Promise<Outcome>;

/**
 * Options for {@link InlineExecutor}: a module to import or handlers in code.
 *
 * @example
 * ```ts
 * import type { InlineExecutorOptions } from "./executor.ts";
 * const o: InlineExecutorOptions = { module: "./handlers.ts" };
 * ```
 */
export interface InlineExecutorOptions {
  /** Handler module (path or URL). */
  module?: string | URL;
  /** Handlers given directly (takes precedence over `module`; no hooks then). */
  handlers?: HandlerMap;
  /** Worker name handed to the module's `init` hook. */
  worker?: string;
}

/**
 * Runs handlers in the calling thread, one item at a time. A time limit can
 * only abandon an overrunning item (JavaScript cannot pre-empt it); use a
 * {@link ThreadPool} when handlers may hang.
 *
 * @example
 * ```ts
 * import { InlineExecutor } from "./executor.ts";
 * const ex = new InlineExecutor({ handlers: { double: (p) => (p as number) * 2 } });
 * await ex.start();
 * console.log(await ex.run({ id: "d:0", type: "double", payload: 2, attempt: 1, timeoutMs: 0 }));
 * ```
 */
export class InlineExecutor implements Executor {
  readonly slots = 1;
  readonly queues = false;
  readonly #options: InlineExecutorOptions;
  #handlers = new Map<string, Handler>();
  #hooks: HandlerHooks = {};
  #state: unknown = undefined;

  /** Takes handlers directly or a module to import in {@link start}. */
  constructor(options: InlineExecutorOptions) {
    if (options.handlers === undefined && options.module === undefined) {
      throw new TypeError("InlineExecutor needs 'handlers' or 'module'");
    }
    this.#options = options;
  }

  async start(): Promise<string[]> {
    if (this.#options.handlers !== undefined) {
      this.#handlers = new Map(Object.entries(this.#options.handlers));
    } else {
      const module = this.#options.module!;
      ({ handlers: this.#handlers, hooks: this.#hooks } = await loadHandlerModule(module));
      try {
        this.#state = await runInit(this.#hooks, { worker: this.#options.worker ?? "", thread: 0 });
      } catch (error) {
        throw new Error(
          `handler module ${resolveModule(module).href}: ${(error as Error).message}`,
        );
      }
    }
    return [...this.#handlers.keys()];
  }

  run(item: WorkItem, metadata?: unknown): Promise<Outcome> {
    const outcome = this.runNow(item, metadata);
    return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
  }

  runNow(item: WorkItem, metadata?: unknown): Outcome | Promise<Outcome> {
    const handler = this.#handlers.get(item.type);
    if (handler === undefined) return noHandler(item.type);
    const ctx = contextOf(item, metadata, 0, this.#state);
    return this.#run(handler, item.payload, item.timeoutMs, ctx);
  }

  #runEntry(entry: WorkEntry, index: number, metadata: unknown): Outcome | Promise<Outcome> {
    const { type } = entry;
    const handler = this.#handlers.get(type);
    if (handler === undefined) return noHandler(type);
    const ctx = new ItemContext(
      type,
      index,
      entry.ownId,
      entry.attempt,
      metadata,
      0,
      this.#state,
    );
    return this.#run(handler, entry.payload, entry.timeoutMs, ctx);
  }

  #run(
    handler: Handler,
    payload: unknown,
    timeoutMs: number,
    ctx: HandlerContext,
  ): Outcome | Promise<Outcome> {
    if (this.#hooks.prepare !== undefined) {
      return this.#runPrepared(handler, payload, timeoutMs, ctx);
    }
    return this.#call(handler, payload, timeoutMs, ctx);
  }

  async #runPrepared(
    handler: Handler,
    payload: unknown,
    timeoutMs: number,
    ctx: HandlerContext,
  ): Promise<Outcome> {
    const ready = await prepared(this.#hooks.prepare!, payload, ctx);
    if (!ready.ok) return ready;
    return await this.#call(handler, ready.payload, timeoutMs, ctx);
  }

  /** Calls `handler`: its outcome, or a promise of it when the handler returned one. */
  #call(
    handler: Handler,
    payload: unknown,
    timeoutMs: number,
    ctx: HandlerContext,
  ): Outcome | Promise<Outcome> {
    let value: unknown;
    try {
      value = handler(payload, ctx);
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
    if (!(value instanceof Promise)) return succeeded(value);
    return (timeoutMs > 0 ? withTimeout(value, timeoutMs) : value).then(
      (resolved) => succeeded(resolved),
      (error) => ({ ok: false, reason: describe(error) }),
    );
  }

  close(): void {}

  static {
    runEntryOf = (executor, entry, index, metadata) => executor.#runEntry(entry, index, metadata);
  }
}

/**
 * Runs item `index` of a work frame's `entry` (one of the indexes it stands
 * for) on an inline executor, like `runNow` but with no {@link WorkItem}
 * object made for it.
 */
export type EntryRunner = (
  entry: WorkEntry,
  index: number,
  metadata: unknown,
) => Outcome | Promise<Outcome>;

/**
 * The {@link EntryRunner} of `executor` when it runs items in this thread
 * (an {@link InlineExecutor}), else `undefined`. The pipeline worker's own
 * path: not part of the package's surface.
 *
 * @example
 * ```ts
 * import { entryRunner, InlineExecutor } from "./executor.ts";
 * const ex = new InlineExecutor({ handlers: { id: (_, ctx) => ctx.id } });
 * await ex.start();
 * const run = entryRunner(ex)!;
 * const entry = { type: "id", index: 0, count: 2, attempt: 1, timeoutMs: 0, ownId: undefined, payload: null };
 * console.log(run(entry, 1, undefined)); // { ok: true, value: "id:1" }
 * ```
 */
export function entryRunner(executor: Executor): EntryRunner | undefined {
  if (!(executor instanceof InlineExecutor)) return undefined;
  return (entry, index, metadata) => runEntryOf(executor, entry, index, metadata);
}

/** The outcome of a handler that returned nothing: one object, not one per item. */
const NOTHING: Outcome = Object.freeze({ ok: true, value: null });

/** The outcome of a handler that returned `value` (`undefined` becomes `null`). */
function succeeded(value: unknown): Outcome {
  return value === undefined || value === null ? NOTHING : { ok: true, value };
}

function noHandler(type: string): Outcome {
  return { ok: false, reason: `no handler for task type '${type}'` };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/**
 * Options for {@link ThreadPool}.
 *
 * @example
 * ```ts
 * import type { ThreadPoolOptions } from "./executor.ts";
 * const o: ThreadPoolOptions = { module: "./handlers.ts", threads: 4 };
 * ```
 */
export interface ThreadPoolOptions {
  /** Handler module each thread imports (path or URL). */
  module: string | URL;
  /** Number of threads (≥ 1). */
  threads: number;
  /**
   * Deno permissions for the threads (needs `--unstable-worker-options`);
   * default: inherit the process's permissions.
   */
  permissions?: Deno.PermissionOptions;
  /** Delay before re-spawning a thread whose module failed to load (ms, default 1000). */
  respawnDelayMs?: number;
  /** Worker name handed to the module's `init` hook. */
  worker?: string;
}

/**
 * How long a thread that overran its item's time limit has to answer a ping: one that does not is
 * in a synchronous loop, which `terminate()` cannot stop (Deno #13941).
 */
const STUCK_PROBE_MS = 250;

const stuckListeners = new Set<(reason: string) => void>();

/**
 * Calls `listener` whenever a pool thread of this isolate overran its time
 * limit in a synchronous loop: `terminate()` leaves such a thread running,
 * so it keeps a core until its process ends. A robot's component runtime
 * listens, so that the supervisor kills the component's host (and with it
 * the thread) and says why. Returns a function that stops listening.
 *
 * @example
 * ```ts
 * import { onStuckThread } from "./executor.ts";
 * const stop = onStuckThread((reason) => console.error(reason));
 * stop();
 * ```
 */
export function onStuckThread(listener: (reason: string) => void): () => void {
  stuckListeners.add(listener);
  return () => stuckListeners.delete(listener);
}

interface Job {
  seq: number;
  item: WorkItem;
  /** What the thread's handler gets: the item's payload, or what `prepare` made of it. */
  payload: unknown;
  metadata: unknown;
  resolve: (outcome: Outcome) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When it started on its thread (performance.now()), as far as this thread knows. */
  startedAt: number;
  /**
   * Sent ahead through the ring: where its record's kind is, to take it back
   * while the thread has not started it; -1 otherwise.
   */
  aheadAt: number;
}

interface Thread {
  index: number;
  worker: Worker;
  /** Set while a stuck probe waits for the thread's `pong`. */
  pong?: () => void;
  /**
   * Its items and outcomes, in shared memory: the thread takes the next item
   * from here as soon as one ends, and writes its outcome here.
   */
  channel: ThreadChannel;
  /**
   * Items sent by message (to a thread idle in its event loop, or too big for the ring), each
   * after its marker in the ring.
   */
  jobs: MessagePort;
  /** Read positions of its outcome and item rings at the last {@link ThreadPool} watch (-1: empty). */
  watched: [number, number];
  /** Outcomes too big for the ring, until their marker is read. */
  outcomes: Extract<FromThread, { op: "ok" | "err" }>[];
  ready: boolean;
  /** The job it runs. */
  job: Job | null;
  /** The job sent ahead, waiting in the thread's own queue: it starts when `job` ends. */
  next: Job | null;
  /**
   * A job sent ahead was taken back from it while `job` runs: its record
   * waits in the ring until the thread passes over it, so nothing more is
   * sent ahead to it before `job` ends (the ring holds a bounded number).
   */
  tookBack: boolean;
}

/**
 * A fixed pool of Web-Worker threads running one item each.
 *
 * @example
 * ```ts
 * import { ThreadPool } from "./executor.ts";
 * const pool = new ThreadPool({ module: "./examples/pipeline/handlers.ts", threads: 2 });
 * await pool.start();
 * pool.close();
 * ```
 */
export class ThreadPool implements Executor {
  readonly slots: number;
  readonly queues = true;
  readonly #module: string;
  readonly #options: ThreadPoolOptions;
  readonly #threads: (Thread | null)[];
  readonly #queue: Job[] = [];
  #seq = 0;
  #closed = false;
  /** Rung by every thread after it writes an outcome; this thread waits on it. */
  readonly #doorbell = new Doorbell(Doorbell.allocate());
  #listening = false;
  /** Runs {@link #recover}. */
  #watch: ReturnType<typeof setInterval> | undefined = undefined;
  /**
   * Wake-ups found missed and taken up by the pool's 100 ms watch (each also
   * logged as a warning): a stall of up to 200 ms each, and a bug if ever
   * more than 0.
   */
  missedWakeUps = 0;
  /** The doorbell's pending wait, while {@link #listen} waits. */
  #rung: Promise<unknown> | null = null;
  #types: string[] = [];
  /** The module's `prepare` hook and `init` state in this (the worker's own) thread. */
  #prepare: HandlerHooks["prepare"] = undefined;
  #state: unknown = undefined;
  #hasPrepare = false;
  /** Threads replaced so far (crashes, self-exits, timeouts). */
  replaced = 0;
  /** Items sent ahead to a busy thread and taken back for one that went idle. */
  takenBack = 0;

  /** Validates the options; threads start in {@link start}. */
  constructor(options: ThreadPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    this.#options = options;
    this.slots = options.threads;
    this.#module = resolveModule(options.module).href;
    this.#threads = new Array(options.threads).fill(null);
  }

  /** Starts every thread; rejects if the module cannot be loaded. */
  async start(): Promise<string[]> {
    const started = await Promise.allSettled(
      this.#threads.map((_, index) => this.#spawn(index)),
    );
    const failure = started.find((s) => s.status === "rejected");
    if (failure !== undefined) {
      this.close();
      throw (failure as PromiseRejectedResult).reason;
    }
    this.#listen();
    this.#watch = setInterval(() => this.#recover(), RECOVER_EVERY_MS);
    Deno.unrefTimer(this.#watch);
    // Only a module with a `prepare` hook is loaded here too: this thread runs nothing else.
    if (this.#hasPrepare) {
      try {
        const { hooks } = await loadHandlerModule(this.#module);
        this.#state = await runInit(hooks, { worker: this.#options.worker ?? "", thread: -1 });
        this.#prepare = hooks.prepare;
      } catch (error) {
        this.close();
        throw new Error(`handler module ${this.#module}: ${(error as Error).message}`);
      }
    }
    return this.#types;
  }

  run(item: WorkItem, metadata?: unknown): Promise<Outcome> {
    if (this.#closed) return Promise.resolve({ ok: false, reason: "worker is closing" });
    if (this.#prepare !== undefined) return this.#runPrepared(this.#prepare, item, metadata);
    return this.#enqueue(item, item.payload, metadata);
  }

  async #runPrepared(
    prepare: NonNullable<HandlerHooks["prepare"]>,
    item: WorkItem,
    metadata: unknown,
  ): Promise<Outcome> {
    const ready = await prepared(prepare, item.payload, contextOf(item, metadata, -1, this.#state));
    if (!ready.ok) return ready;
    if (this.#closed) return { ok: false, reason: "worker is closing" };
    return await this.#enqueue(item, ready.payload, metadata);
  }

  #enqueue(item: WorkItem, payload: unknown, metadata: unknown): Promise<Outcome> {
    return new Promise((resolve) => {
      this.#queue.push({
        seq: ++this.#seq,
        item,
        payload,
        metadata,
        resolve,
        timer: undefined,
        startedAt: 0,
        aheadAt: -1,
      });
      this.#dispatch();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watch);
    this.#doorbell.release();
    for (const thread of this.#threads) {
      if (thread === null) continue;
      thread.worker.terminate();
      thread.jobs.close();
      if (thread.job !== null) this.#finish(thread.job, { ok: false, reason: "worker is closing" });
      if (thread.next !== null) {
        this.#finish(thread.next, { ok: false, reason: "worker is closing" });
      }
    }
    for (const job of this.#queue.splice(0)) {
      job.resolve({ ok: false, reason: "worker is closing" });
    }
  }

  #spawn(index: number): Promise<void> {
    const options: WorkerOptions & { deno?: { permissions: Deno.PermissionOptions } } = {
      type: "module",
      name: `pipeline-thread-${index}`,
    };
    if (this.#options.permissions !== undefined) {
      options.deno = { permissions: this.#options.permissions };
    }
    const worker = new ThreadWorker(new URL("./thread_worker.ts", import.meta.url), options);
    const channel = new MessageChannel();
    const shared = ThreadChannel.allocate();
    const thread: Thread = {
      index,
      worker,
      channel: new ThreadChannel(shared),
      jobs: channel.port1,
      outcomes: [],
      watched: [-1, -1],
      ready: false,
      job: null,
      next: null,
      tookBack: false,
    };
    this.#threads[index] = thread;
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromThread>) => {
        const m = event.data;
        // The handler's code shares the thread's isolate and may post anything: reading `op` of
        // null here would throw in this event handler, which ends this isolate.
        if (typeof m !== "object" || m === null) {
          this.#replace(thread, `thread ${index} posted ${m === null ? "null" : `a ${typeof m}`}`);
          return;
        }
        // Start-up's messages come once, before any item: later, they are the handler's forgeries
        // (an init-error then dropped the thread for good, its item left hanging).
        if ((m.op === "ready" || m.op === "init-error") && thread.ready) {
          this.#replace(thread, `thread ${index} posted ${m.op} after it started`);
          return;
        }
        switch (m.op) {
          case "ready":
            thread.ready = true;
            this.#types = m.types;
            this.#hasPrepare = m.prepare;
            resolve();
            this.#dispatch();
            break;
          case "init-error":
            worker.terminate();
            thread.jobs.close();
            if (this.#threads[index] === thread) this.#threads[index] = null;
            reject(new Error(`cannot load handler module ${this.#module}: ${m.message}`));
            break;
          case "ok":
          case "err":
            // An outcome too big for the ring: its marker there says when it counts.
            thread.outcomes.push(m);
            this.#drain(thread);
            break;
          case "exit":
            this.#replace(thread, `thread ${index} exited: ${m.reason}`);
            break;
          case "pong":
            thread.pong?.();
            break;
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        // Keep the error from propagating to (and killing) this process.
        event.preventDefault();
        if (!thread.ready) {
          worker.terminate();
          thread.jobs.close();
          reject(new Error(`thread ${index} failed to start: ${event.message}`));
          return;
        }
        this.#replace(thread, `thread ${index} crashed: ${event.message}`);
      };
      worker.onmessageerror = () => {
        this.#replace(thread, `thread ${index} sent a message that cannot be cloned`);
      };
      const init: ToThread = {
        op: "init",
        module: this.#module,
        index,
        worker: this.#options.worker ?? "",
        jobs: channel.port2,
        channel: shared,
        doorbell: this.#doorbell.shared,
      };
      worker.postMessage(init, [channel.port2]);
    });
  }

  /**
   * Takes every outcome the threads have written, whenever one rings the
   * doorbell: the threads never wait for this thread, which takes their
   * outcomes (and refills them) in its own time, one wake-up for a burst.
   */
  async #listen(): Promise<void> {
    if (this.#listening) return;
    this.#listening = true;
    while (!this.#closed) {
      const seen = this.#doorbell.count();
      for (const thread of this.#threads) if (thread !== null) this.#drain(thread);
      // Held here: V8 holds a waitAsync promise only weakly, and a collected one never resolves.
      this.#rung = this.#doorbell.wait(seen);
      if (this.#rung !== null) await this.#rung;
    }
    this.#rung = null;
  }

  /**
   * A safety net under the doorbell and the idle threads' wake-ups: outcomes
   * left in a ring, or items left for a thread waiting in its event loop,
   * are taken up here at the latest, and said (a missed wake-up is a bug: a
   * stall of this period instead of a hang).
   */
  #recover(): void {
    for (const thread of this.#threads) {
      if (thread === null) continue;
      const { outcomes, items } = thread.channel;
      // Stuck: something waits in a ring whose reader has not moved since the last look.
      const outcomesStuck = !outcomes.empty && outcomes.readPosition === thread.watched[0] &&
        this.#rung !== null;
      const itemsStuck = !items.empty && items.readPosition === thread.watched[1] &&
        thread.channel.idle;
      thread.watched = outcomesStuck || itemsStuck
        ? [-1, -1]
        : [outcomes.empty ? -1 : outcomes.readPosition, items.empty ? -1 : items.readPosition];
      if (!outcomesStuck && !itemsStuck) continue;
      this.missedWakeUps++;
      log.warn("thread {index}: a wake-up was missed; recovered", { index: thread.index });
      if (outcomesStuck) this.#drain(thread);
      if (itemsStuck && thread.channel.wakeNeeded()) thread.jobs.postMessage(WAKE);
    }
  }

  /** Settles the outcomes `thread` has written, in the order it wrote them. */
  #drain(thread: Thread): void {
    const ring = thread.channel.outcomes;
    for (;;) {
      let record: RingRecord | null;
      let outcome: Outcome | undefined;
      try {
        record = ring.peek();
        if (record === null) return;
        outcome = this.#outcomeOf(thread, record);
      } catch (error) {
        // The handler's code shares the thread's isolate, and so the ring's memory: what it
        // wrote there costs its thread, never this isolate (an error here ended it).
        this.#replace(thread, `thread ${thread.index} broke its outcome ring: ${describe(error)}`);
        return;
      }
      // Its message is not here yet: it comes as an event, which drains again.
      if (outcome === undefined) return;
      ring.advance();
      if (this.#threads[thread.index] !== thread) return; // replaced meanwhile
      this.#settle(thread, record.seq, outcome);
    }
  }

  #outcomeOf(thread: Thread, record: RingRecord): Outcome | undefined {
    switch (record.kind) {
      case RECORD.nothing:
        return NOTHING;
      case RECORD.value:
        return { ok: true, value: deserialize(record.body) };
      case RECORD.failure:
        return { ok: false, reason: deserialize(record.body) as string };
      default: {
        const m = thread.outcomes.shift();
        if (m === undefined) return undefined;
        return m.op === "ok" ? { ok: true, value: m.value } : { ok: false, reason: m.message };
      }
    }
  }

  /** Item `seq` ended on `thread` with `outcome`. */
  #settle(thread: Thread, seq: number, outcome: Outcome): void {
    if (thread.job === null || thread.job.seq !== seq) return;
    const job = thread.job;
    // The job sent ahead starts in the thread now: so does its time limit.
    const next = thread.next;
    thread.job = null;
    thread.next = null;
    thread.tookBack = false;
    if (next !== null) this.#start(thread, next);
    this.#finish(job, outcome);
    this.#dispatch();
  }

  /**
   * Abandons `thread` and starts another in its place. A thread that overran its time limit
   * (`probe`) is asked whether its event loop is free first: if not, it is in a synchronous
   * loop that outlives `terminate()`, and {@link onStuckThread}'s listeners hear of it.
   */
  #replace(thread: Thread, reason: string, probe = false): void {
    if (this.#threads[thread.index] !== thread) return; // already replaced
    if (probe) this.#probe(thread, reason);
    else thread.worker.terminate();
    thread.jobs.close();
    this.#threads[thread.index] = null;
    this.replaced++;
    log.warn("{reason}; replacing it", { reason });
    if (thread.job !== null) this.#finish(thread.job, { ok: false, reason });
    thread.job = null;
    // The job sent ahead never started: it waits for the next thread.
    if (thread.next !== null) this.#queue.unshift(thread.next);
    thread.next = null;
    if (this.#closed) return;
    const respawn = () => {
      if (this.#closed) return;
      this.#spawn(thread.index).catch((error) => {
        log.error("cannot restart thread {index}: {error}", { index: thread.index, error });
        setTimeout(respawn, this.#options.respawnDelayMs ?? 1000);
      });
    };
    respawn();
  }

  #probe(thread: Thread, reason: string): void {
    const timer = setTimeout(() => {
      thread.pong = undefined;
      thread.worker.terminate();
      const worker = this.#options.worker ? ` of worker ${this.#options.worker}` : "";
      const stuck = `thread ${thread.index}${worker} is stuck in a synchronous loop ` +
        `(${reason}): terminate() cannot stop it, only the end of its process`;
      log.error("{stuck}", { stuck });
      for (const listener of stuckListeners) listener(stuck);
    }, STUCK_PROBE_MS);
    thread.pong = () => {
      clearTimeout(timer);
      thread.pong = undefined;
      thread.worker.terminate();
    };
    thread.worker.postMessage({ op: "ping" } satisfies ToThread);
  }

  #finish(job: Job, outcome: Outcome): void {
    clearTimeout(job.timer);
    job.resolve(outcome);
  }

  /**
   * Gives idle threads a job each; then, while jobs still wait, each busy
   * thread one more, sent ahead: it waits in the thread's own queue and
   * starts the moment the running one ends, with no round trip through this
   * thread (which may be busy reporting other threads' results). Jobs sent
   * ahead go first to the threads whose running job started earliest, the
   * ones likely to free first: in index order, a run's last items would
   * wait behind threads that started late while others went idle.
   */
  #dispatch(): void {
    if (this.#queue.length === 0) {
      this.#takeBackForIdle();
      return;
    }
    let busy: Thread[] | null = null;
    for (const thread of this.#threads) {
      if (thread === null || !thread.ready) continue;
      if (thread.job !== null) {
        if (thread.next === null && !thread.tookBack) (busy ??= []).push(thread);
        continue;
      }
      const job = this.#queue.shift()!;
      this.#start(thread, job);
      this.#post(thread, job);
      if (this.#queue.length === 0) return;
    }
    if (busy === null) return;
    if (busy.length > 1) busy.sort((a, b) => a.job!.startedAt - b.job!.startedAt);
    for (const thread of busy) {
      if (this.#queue.length === 0) return;
      const job = this.#queue.shift()!;
      thread.next = job;
      this.#post(thread, job, true);
    }
  }

  /**
   * With nothing queued, each idle thread takes back a job sent ahead to a
   * busy one, where it would wait for that thread's running job to end:
   * an item sent ahead behind a long one (a 3 s item, say) starts on the
   * first thread to go idle instead of 3 s later, as do a run's last items.
   * It takes from the thread whose running job started last, the one
   * likely to free last. The thread and this one race for the job with one
   * compare-and-swap on its record's kind (see thread_ring.ts): exactly one
   * of them runs it.
   */
  #takeBackForIdle(): void {
    for (const idle of this.#threads) {
      if (idle === null || !idle.ready || idle.job !== null) continue;
      let from: Thread | null = null;
      for (const thread of this.#threads) {
        if (thread === null || thread.next === null || thread.next.aheadAt < 0) continue;
        if (from === null || thread.job!.startedAt > from.job!.startedAt) from = thread;
      }
      if (from === null) return;
      const job = from.next!;
      const at = job.aheadAt;
      job.aheadAt = -1;
      // The thread started it first (its job ended; this thread has not read the outcome yet).
      if (!from.channel.items.swapKind(at, RECORD.ahead, RECORD.takenBack)) continue;
      from.next = null;
      from.tookBack = true;
      this.takenBack++;
      this.#start(idle, job);
      this.#post(idle, job);
    }
  }

  /** `job` runs on `thread` from now: its time limit starts. */
  #start(thread: Thread, job: Job): void {
    thread.job = job;
    job.startedAt = performance.now();
    this.#startTimer(thread, job);
  }

  #startTimer(thread: Thread, job: Job): void {
    const { timeoutMs } = job.item;
    if (timeoutMs <= 0) return;
    job.timer = setTimeout(
      () => this.#replace(thread, `timeout after ${timeoutMs} ms`, true),
      timeoutMs,
    );
  }

  /** Passes `job` to `thread`; `ahead`: behind its running job, and revocable until it starts. */
  #post(thread: Thread, job: Job, ahead = false): void {
    const { item } = job;
    const { channel } = thread;
    try {
      const { id, type, attempt } = item;
      const body = serialize({ id, type, attempt, payload: job.payload, metadata: job.metadata });
      job.aheadAt = ahead ? channel.items.writeAt(RECORD.ahead, job.seq, body) : -1;
      // Too big for the ring: by message (which wakes the thread too).
      if (job.aheadAt < 0 && !channel.items.write(RECORD.value, job.seq, body)) {
        this.#postByMessage(thread, job);
      }
      // After the write: a thread that went idle may have checked its ring before the write
      // landed (it stores "idle", then reads the ring; this thread wrote the ring, then reads
      // "idle": one of the two sees the other). Woken at once: waking the idle threads only
      // after the whole turn's writes started the first of 10 later (0.70 ms against 0.43)
      // and the last no earlier (1.26 against 1.10; bench/pipeline_pool_start.ts).
      if (channel.wakeNeeded()) channel.wake();
    } catch (error) {
      if (thread.job === job) thread.job = null;
      if (thread.next === job) thread.next = null;
      this.#finish(job, { ok: false, reason: `cannot pass item to thread: ${describe(error)}` });
    }
  }

  /**
   * Sends `job` by message, its place marked in the ring first: a thread woken by the message
   * finds the marker (marked after, a thread could look, see nothing and go back to waiting).
   */
  #postByMessage(thread: Thread, job: Job): void {
    const { item } = job;
    const message: ToThread = {
      op: "run",
      seq: job.seq,
      id: item.id,
      type: item.type,
      attempt: item.attempt,
      payload: job.payload,
      metadata: job.metadata,
    };
    // At most two items wait for a thread, each under an eighth of the ring: a marker fits.
    if (!thread.channel.items.write(RECORD.byMessage, job.seq)) throw new Error("item ring full");
    try {
      thread.jobs.postMessage(message);
    } catch (error) {
      // The marker is there: the thread passes over it on this instead (and wakes on it).
      thread.jobs.postMessage({ op: "skip", seq: job.seq });
      throw error;
    }
  }
}

/** How often a pool looks for missed wake-ups (ms). */
const RECOVER_EVERY_MS = 100;

/** Wakes a thread waiting in its event loop (see the pool's `#recover`). */
const WAKE = { op: "wake" } as const;
