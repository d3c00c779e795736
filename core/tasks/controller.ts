/**
 * Controllers: what a task server dispatches a scope's requests to.
 *
 * {@link TaskController} is ZTL's interface (init / status / abort, each
 * returning a state or id and a reply text), so a ZTL controller translates
 * one to one. {@link ExecutorController} is the base most controllers want:
 * implement `assign(handler, component, goal)` to return the work, and the
 * built-in {@link TaskExecutor} runs it concurrently, abortably, with bounded
 * memory of finished tasks.
 *
 * @example
 * ```ts
 * import { ExecutorController } from "./controller.ts";
 * class Greeter extends ExecutorController {
 *   assign(handler: string, component: string, goal: string) {
 *     if (handler !== "greet") throw new Error(`No such handler '${handler}', try 'greet'.`);
 *     return () => `hello ${goal} from ${component}`;
 *   }
 * }
 * const controller = new Greeter({ retentionMs: 60_000 });
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import {
  ExecutorFullError,
  TaskExecutor,
  type TaskExecutorOptions,
  type TaskStateChange,
  type TaskWork,
} from "./executor.ts";
import { decodeTask, TaskState, type TaskStateValue } from "./protocol.ts";

/**
 * A value or a promise of it: controllers may answer synchronously or not.
 *
 * @example
 * ```ts
 * import type { Awaitable } from "./controller.ts";
 * const n: Awaitable<number> = Promise.resolve(1);
 * ```
 */
export type Awaitable<T> = T | Promise<T>;

/**
 * Reply to INIT: `id > 0` accepts the task under that id, anything else
 * rejects it (and is sent back as the id).
 *
 * @example
 * ```ts
 * import type { InitReply } from "./controller.ts";
 * const rejected: InitReply = { id: -1, payload: "No such handler" };
 * ```
 */
export interface InitReply {
  /** The new task's id when > 0; otherwise the rejection code. */
  id: number;
  /** Text sent back with the reply. */
  payload: string;
}

/**
 * Reply to STATUS or ABORT: the task's state and a text.
 *
 * @example
 * ```ts
 * import type { StateReply } from "./controller.ts";
 * const reply: StateReply = { state: 5, payload: "hello" };
 * ```
 */
export interface StateReply {
  /** The task's state. */
  state: TaskStateValue;
  /** Progress text, result or reason. */
  payload: string;
}

/**
 * What a task server dispatches one scope's requests to (ZTL's
 * `TaskController`). Thrown errors become FAILED replies
 * ("Controller threw exception: …"); they never stop the server.
 *
 * @example
 * ```ts
 * import type { TaskController } from "./controller.ts";
 * import { TaskState } from "./protocol.ts";
 * const none: TaskController = {
 *   init: () => ({ id: -1, payload: "Not implemented" }),
 *   status: () => ({ state: TaskState.FAILED, payload: "Not implemented" }),
 *   abort: () => ({ state: TaskState.REJECTED, payload: "Not implemented" }),
 * };
 * ```
 */
export interface TaskController {
  /** Handles INIT: creates a task from the encoded `payload`, or rejects it. */
  init(payload: string): Awaitable<InitReply>;
  /** Handles STATUS: reports the state of task `id`. */
  status(id: number, payload: string): Awaitable<StateReply>;
  /** Handles ABORT: stops task `id` and reports its state. */
  abort(id: number, payload: string): Awaitable<StateReply>;
  /**
   * Optional feed of task state changes; a server with an events endpoint
   * publishes them. Returns the unsubscribe function.
   */
  onStateChange?(listener: (change: TaskStateChange) => void): () => void;
  /** Optional shutdown: stop running work. Called by the server on close. */
  close?(): Awaitable<void>;
}

/**
 * Thrown from `assign` to reject a task with exactly this reply text (any
 * other error rejects it too, with the error's message).
 *
 * @example
 * ```ts
 * import { TaskRejection } from "./controller.ts";
 * throw new TaskRejection("component 'arm' is busy");
 * ```
 */
export class TaskRejection extends ZedgeError {
  /** Always `"task-rejection"`. */
  readonly code: string = "task-rejection";
  /** Creates a rejection whose message is sent back to the client. */
  constructor(message: string) {
    super(message);
    this.name = "TaskRejection";
  }
}

/**
 * Options of an {@link ExecutorController}: those of its executor.
 *
 * @example
 * ```ts
 * import type { ExecutorControllerOptions } from "./controller.ts";
 * const options: ExecutorControllerOptions = { maxFinished: 100 };
 * ```
 */
export type ExecutorControllerOptions = TaskExecutorOptions;

/**
 * Controller base: decodes the task payload, asks `assign` for the work and
 * runs it on a {@link TaskExecutor}. Decoding errors and errors thrown by
 * `assign` reject the task (REJECTED, id -1, the reason as reply).
 *
 * @example
 * ```ts
 * import { ExecutorController } from "./controller.ts";
 * class Sleeper extends ExecutorController {
 *   assign(_handler: string, _component: string, goal: string) {
 *     const ms = Number(goal) * 1000;
 *     return ({ signal }: { signal: AbortSignal }) =>
 *       new Promise((resolve, reject) => {
 *         const timer = setTimeout(resolve, ms, "slept");
 *         signal.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); });
 *       });
 *   }
 * }
 * ```
 */
export abstract class ExecutorController implements TaskController {
  /** The executor running this controller's tasks. */
  protected readonly executor: TaskExecutor;

  /** Creates the controller and its executor from `options`. */
  constructor(options: ExecutorControllerOptions = {}) {
    this.executor = new TaskExecutor(options);
  }

  /**
   * Returns the work for a task, or throws to reject it. Called once per
   * INIT; validate the goal here so bad goals are REJECTED, not FAILED.
   */
  abstract assign(handler: string, component: string, goal: string): Awaitable<TaskWork>;

  /** Decodes the task, asks {@link assign} for its work and starts it; rejects bad or refused tasks. */
  async init(payload: string): Promise<InitReply> {
    let spec;
    try {
      spec = decodeTask(payload);
    } catch (error) {
      return { id: -1, payload: `Invalid task request: ${(error as Error).message}` };
    }
    let work: TaskWork;
    try {
      work = await this.assign(spec.handler, spec.component, spec.goal);
      if (typeof work !== "function") {
        throw new TypeError(`assign() returned ${typeof work}, expected a function`);
      }
    } catch (error) {
      return { id: -1, payload: error instanceof Error ? error.message : String(error) };
    }
    try {
      const id = this.executor.start(spec, work);
      const request = JSON.stringify({
        handler: spec.handler,
        component: spec.component,
        goal: spec.goal,
      });
      return { id, payload: `Initiated task '${id}' with request: ${request}` };
    } catch (error) {
      if (error instanceof ExecutorFullError) return { id: -1, payload: error.message };
      throw error;
    }
  }

  /** Reports the executor's state and payload for task `id`. */
  status(id: number, _payload: string): StateReply {
    const task = this.executor.status(id);
    if (!task) return { state: TaskState.REJECTED, payload: `Invalid ID '${id}'` };
    return { state: task.state, payload: task.payload };
  }

  /** Aborts task `id` and reports its resulting state. */
  async abort(id: number, payload: string): Promise<StateReply> {
    const task = await this.executor.abort(id, payload || "abort requested");
    if (!task) return { state: TaskState.REJECTED, payload: `Invalid ID '${id}'` };
    return { state: task.state, payload: task.payload };
  }

  onStateChange(listener: (change: TaskStateChange) => void): () => void {
    return this.executor.onStateChange(listener);
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
