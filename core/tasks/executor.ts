/**
 * Runs tasks concurrently as async functions, each with its own AbortSignal,
 * and remembers their state for a bounded time and count.
 *
 * Lifecycle: INITIATED when started, ACCEPTED as soon as the work begins,
 * then COMPLETED (the work resolved; its value becomes the result text),
 * FAILED (it threw; the error message is the payload) or ABORTED (an abort was
 * requested and the work then threw — `signal.throwIfAborted()` or any
 * abortable API does that). Work that ignores the signal and resolves anyway
 * is reported COMPLETED, because that is what happened.
 *
 * @example
 * ```ts
 * import { TaskExecutor } from "./executor.ts";
 * const executor = new TaskExecutor({ retentionMs: 60_000, maxFinished: 100 });
 * const id = executor.start({ handler: "h", component: "c", goal: "g" }, async ({ goal }) => goal);
 * console.log(executor.status(id)?.state);
 * await executor.close();
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { getLogger } from "@logtape/logtape";
import {
  isFinalState,
  stateName,
  type TaskSpec,
  TaskState,
  type TaskStateValue,
} from "./protocol.ts";

/**
 * What a running task sees: its id and spec, the AbortSignal that fires on
 * `abort`, and a way to publish progress text (what STATUS replies carry).
 *
 * @example
 * ```ts
 * import type { TaskContext } from "./executor.ts";
 * async function work({ goal, signal, progress }: TaskContext) {
 *   progress(`working on ${goal}`);
 *   signal.throwIfAborted();
 *   return "done";
 * }
 * ```
 */
export interface TaskContext extends TaskSpec {
  /** The task's id. */
  readonly id: number;
  /** Aborted when the task should stop (an abort was requested). */
  readonly signal: AbortSignal;
  /** Publishes `text` as the task's progress payload. */
  progress(text: string): void;
}

/**
 * The work of one task. Its resolved value becomes the result text (strings
 * as they are, `undefined` as "", anything else as JSON).
 *
 * @example
 * ```ts
 * import type { TaskWork } from "./executor.ts";
 * const work: TaskWork = ({ goal }) => goal.toUpperCase();
 * ```
 */
export type TaskWork = (context: TaskContext) => unknown;

/**
 * A point-in-time copy of a task's state.
 *
 * @example
 * ```ts
 * import type { TaskSnapshot } from "./executor.ts";
 * function show(t: TaskSnapshot) { return `${t.id}: ${t.state} ${t.payload}`; }
 * ```
 */
export interface TaskSnapshot {
  /** The task's id. */
  readonly id: number;
  /** What the task was asked to do. */
  readonly spec: TaskSpec;
  /** The task's current state. */
  readonly state: TaskStateValue;
  /** Progress text while running, result when COMPLETED, reason otherwise. */
  readonly payload: string;
  /** When the task was created, ms since the Unix epoch. */
  readonly createdAt: number;
  /** When the task finished, ms since the Unix epoch; unset while it runs. */
  readonly finishedAt?: number;
}

/**
 * A state change, as handed to {@link TaskExecutor.onStateChange} listeners.
 *
 * @example
 * ```ts
 * import type { TaskStateChange } from "./executor.ts";
 * const log = (c: TaskStateChange) => console.log(c.id, c.state, c.payload);
 * ```
 */
export interface TaskStateChange {
  /** The task's id. */
  readonly id: number;
  /** The task's new state. */
  readonly state: TaskStateValue;
  /** The task's payload at that state. */
  readonly payload: string;
}

/**
 * Options of a {@link TaskExecutor}; all optional.
 *
 * @example
 * ```ts
 * import type { TaskExecutorOptions } from "./executor.ts";
 * const options: TaskExecutorOptions = { retentionMs: 5 * 60_000, maxFinished: 500 };
 * ```
 */
export interface TaskExecutorOptions {
  /** How long a finished task stays queryable, in ms. Default 10 minutes. */
  retentionMs?: number;
  /** How many finished tasks are kept at most (oldest go first). Default 1000. */
  maxFinished?: number;
  /** How many tasks may run at once; more are REJECTED. Default 10000. */
  maxRunning?: number;
  /** How long `abort` waits for the work to stop before replying, in ms. Default 1000. */
  abortWaitMs?: number;
  /** Logger category suffix, so several executors can be told apart. */
  name?: string;
}

/**
 * Thrown by {@link TaskExecutor.start} when no more tasks may run.
 *
 * @example
 * ```ts
 * import { ExecutorFullError } from "./executor.ts";
 * const error = new ExecutorFullError(10);
 * ```
 */
export class ExecutorFullError extends ZedgeError {
  /** Always `"executor-full"`. */
  readonly code: string = "executor-full";
  /** Creates the error for an executor limited to `limit` running tasks. */
  constructor(limit: number) {
    super(`too many running tasks (limit ${limit})`);
    this.name = "ExecutorFullError";
  }
}

interface TaskRecord {
  id: number;
  spec: TaskSpec;
  state: TaskStateValue;
  payload: string;
  createdAt: number;
  finishedAt?: number;
  controller: AbortController;
  settled: Promise<void>;
  abortRequested: boolean;
}

function checkNonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) || value === Infinity) || value < 0) {
    throw new RangeError(`option '${name}' must be a non-negative number, got ${value}`);
  }
  return value;
}

/**
 * Turns a work's resolved value into the text a reply carries.
 *
 * @example
 * ```ts
 * import { formatResult } from "./executor.ts";
 * formatResult({ x: 1 }); // '{"x":1}'
 * ```
 */
export function formatResult(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs tasks concurrently and tracks their state. See the module
 * documentation for the lifecycle.
 *
 * @example
 * ```ts
 * import { TaskExecutor } from "./executor.ts";
 * const executor = new TaskExecutor();
 * const off = executor.onStateChange((change) => console.log(change));
 * const id = executor.start({ handler: "t", component: "wait", goal: "" }, ({ signal }) =>
 *   new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))));
 * await executor.abort(id); // ABORTED
 * off();
 * await executor.close();
 * ```
 */
export class TaskExecutor {
  readonly #tasks = new Map<number, TaskRecord>();
  /** Finished ids in the order they finished (Map keeps insertion order). */
  readonly #finished = new Map<number, number>();
  readonly #listeners = new Set<(change: TaskStateChange) => void>();
  readonly #retentionMs: number;
  readonly #maxFinished: number;
  readonly #maxRunning: number;
  readonly #abortWaitMs: number;
  readonly #logger;
  #nextId = 1;
  #running = 0;
  #closed = false;

  /** Creates an executor; validates the limits in `options`. */
  constructor(options: TaskExecutorOptions = {}) {
    this.#retentionMs = checkNonNegative("retentionMs", options.retentionMs ?? 10 * 60_000);
    this.#maxFinished = checkNonNegative("maxFinished", options.maxFinished ?? 1000);
    this.#maxRunning = checkNonNegative("maxRunning", options.maxRunning ?? 10_000);
    this.#abortWaitMs = checkNonNegative("abortWaitMs", options.abortWaitMs ?? 1000);
    this.#logger = getLogger([
      "zedge",
      "tasks",
      "executor",
      ...(options.name ? [options.name] : []),
    ]);
  }

  /** Number of tasks currently remembered (running and finished). */
  get size(): number {
    this.#prune();
    return this.#tasks.size;
  }

  /** Number of tasks not yet in a final state. */
  get running(): number {
    return this.#running;
  }

  /**
   * Subscribes to every state change; returns the unsubscribe function.
   * Listener errors are logged, never propagated into the task.
   */
  onStateChange(listener: (change: TaskStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Creates a task (INITIATED), starts its work on the next microtask
   * (ACCEPTED) and returns its id. Throws {@link ExecutorFullError} when
   * `maxRunning` tasks are already running, or an Error after `close()`.
   */
  start(spec: TaskSpec, work: TaskWork): number {
    if (this.#closed) throw new Error("executor is closed");
    this.#prune();
    if (this.#running >= this.#maxRunning) throw new ExecutorFullError(this.#maxRunning);
    const id = this.#nextId++;
    let markSettled!: () => void;
    const record: TaskRecord = {
      id,
      spec: { handler: spec.handler, component: spec.component, goal: spec.goal },
      state: TaskState.INITIATED,
      payload: `Task '${id}' initiated`,
      createdAt: Date.now(),
      controller: new AbortController(),
      settled: new Promise<void>((resolve) => markSettled = resolve),
      abortRequested: false,
    };
    this.#tasks.set(id, record);
    this.#running++;
    this.#emit(record);
    queueMicrotask(() => this.#run(record, work).finally(markSettled));
    return id;
  }

  async #run(record: TaskRecord, work: TaskWork): Promise<void> {
    if (record.state !== TaskState.INITIATED) return; // aborted before it started
    this.#transition(record, TaskState.ACCEPTED, `Task '${record.id}' running`);
    const context: TaskContext = {
      id: record.id,
      ...record.spec,
      signal: record.controller.signal,
      progress: (text: string) => {
        const payload = String(text);
        if (record.state !== TaskState.ACCEPTED || payload === record.payload) return;
        record.payload = payload;
        // Listeners hear each new progress text (the events channel pushes it to waiting clients).
        this.#emit(record);
      },
    };
    try {
      const result = await work(context);
      this.#transition(record, TaskState.COMPLETED, formatResult(result));
    } catch (error) {
      if (record.abortRequested) {
        this.#transition(record, TaskState.ABORTED, `Task '${record.id}' aborted`);
      } else {
        this.#logger.debug("Task {id} failed: {error}", { id: record.id, error: errorText(error) });
        this.#transition(record, TaskState.FAILED, errorText(error));
      }
    }
  }

  #transition(record: TaskRecord, state: TaskStateValue, payload: string): void {
    if (isFinalState(record.state)) return;
    record.state = state;
    record.payload = payload;
    if (isFinalState(state)) {
      record.finishedAt = Date.now();
      this.#running--;
      this.#finished.set(record.id, record.finishedAt);
    }
    this.#emit(record);
  }

  #emit(record: TaskRecord): void {
    const change: TaskStateChange = { id: record.id, state: record.state, payload: record.payload };
    this.#logger.debug("Task {id} is {state}", { id: record.id, state: stateName(record.state) });
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger.warn("State listener threw: {error}", { error: errorText(error) });
      }
    }
  }

  #snapshot(record: TaskRecord): TaskSnapshot {
    return {
      id: record.id,
      spec: { ...record.spec },
      state: record.state,
      payload: record.payload,
      createdAt: record.createdAt,
      ...(record.finishedAt !== undefined ? { finishedAt: record.finishedAt } : {}),
    };
  }

  /** Drops finished tasks beyond the retention time or count. */
  #prune(): void {
    const expiry = Date.now() - this.#retentionMs;
    for (const [id, finishedAt] of this.#finished) {
      if (this.#finished.size <= this.#maxFinished && finishedAt > expiry) break;
      this.#finished.delete(id);
      this.#tasks.delete(id);
    }
  }

  /** The task's current state, or undefined for an unknown (or forgotten) id. */
  status(id: number): TaskSnapshot | undefined {
    this.#prune();
    const record = this.#tasks.get(id);
    return record ? this.#snapshot(record) : undefined;
  }

  /**
   * Requests an abort: fires the task's AbortSignal and waits up to
   * `abortWaitMs` for the work to stop, then returns the state at that moment
   * (ABORTED if it stopped; still ACCEPTED if the work ignores the signal).
   * A task already final is returned unchanged; an unknown id gives undefined.
   */
  async abort(id: number, reason = "abort requested"): Promise<TaskSnapshot | undefined> {
    this.#prune();
    const record = this.#tasks.get(id);
    if (!record) return undefined;
    if (isFinalState(record.state)) return this.#snapshot(record);
    record.abortRequested = true;
    if (record.state === TaskState.INITIATED) {
      this.#transition(record, TaskState.ABORTED, `Task '${id}' aborted before it started`);
      return this.#snapshot(record);
    }
    record.controller.abort(new DOMException(reason, "AbortError"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      record.settled,
      new Promise<void>((resolve) => timer = setTimeout(resolve, this.#abortWaitMs)),
    ]);
    clearTimeout(timer);
    if (record.state === TaskState.ACCEPTED) {
      return {
        ...this.#snapshot(record),
        payload: `Abort requested; task '${id}' has not stopped yet`,
      };
    }
    return this.#snapshot(record);
  }

  /**
   * Aborts every running task, waits (up to `abortWaitMs`) for them to stop,
   * and refuses new ones. A task whose work ignores its signal is reported
   * ABORTED anyway: its executor is gone, so no result will ever be
   * reported for it. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const running = [...this.#tasks.values()].filter((r) => !isFinalState(r.state));
    await Promise.all(running.map((r) => this.abort(r.id, "executor closed")));
    for (const record of running) {
      this.#transition(
        record,
        TaskState.ABORTED,
        `Task '${record.id}' aborted (shutting down; its work did not stop in time)`,
      );
    }
    this.#listeners.clear();
  }
}
