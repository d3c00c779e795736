/**
 * Typed errors of the idiomatic task client ({@link TaskClient}); the
 * ZTL-shaped {@link RemoteTask} turns them into `-1` / FAILED replies instead.
 *
 * @example
 * ```ts
 * import { TaskNetworkError, TaskRejectedError } from "./errors.ts";
 * function explain(error: unknown): string {
 *   if (error instanceof TaskRejectedError) return `rejected: ${error.reply}`;
 *   if (error instanceof TaskNetworkError) return `unreachable: ${error.message}`;
 *   return String(error);
 * }
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { stateName } from "./protocol.ts";

/**
 * Base class of every task client error.
 *
 * @example
 * ```ts
 * import { TaskClientError } from "./errors.ts";
 * const isClientError = (e: unknown) => e instanceof TaskClientError;
 * ```
 */
export class TaskClientError extends ZedgeError {
  /** Always `"task-client"`. */
  readonly code: string = "task-client";
  /** Creates a client error with a message and optional cause. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TaskClientError";
  }
}

/**
 * The server could not be reached or did not answer in time. The client has
 * already dropped its socket, so the next call starts on a fresh one.
 *
 * @example
 * ```ts
 * import { TaskNetworkError } from "./errors.ts";
 * const error = new TaskNetworkError("tcp://robot:7779", "no reply within 2000 ms");
 * error.endpoint; // "tcp://robot:7779"
 * ```
 */
export class TaskNetworkError extends TaskClientError {
  /** Always `"task-network"`. */
  override readonly code: string = "task-network";
  /** Where the client tried to reach the server. */
  readonly endpoint: string;
  /** Creates a network error for `endpoint` with the failure `reason`. */
  constructor(endpoint: string, reason: string, options?: ErrorOptions) {
    super(`${endpoint}: ${reason}`, options);
    this.name = "TaskNetworkError";
    this.endpoint = endpoint;
  }
}

/**
 * The server refused to create the task (REJECTED, or FAILED when its
 * controller threw). `reply` is the server's reason.
 *
 * @example
 * ```ts
 * import { TaskRejectedError } from "./errors.ts";
 * const error = new TaskRejectedError(2, -1, "No such handler 'x', try 'test'.");
 * error.message; // "task rejected (REJECTED): No such handler 'x', try 'test'."
 * ```
 */
export class TaskRejectedError extends TaskClientError {
  /** Always `"task-rejected"`. */
  override readonly code: string = "task-rejected";
  /** The state the server replied with. */
  readonly state: number;
  /** The id field of the server's reply. */
  readonly id: number;
  /** The server's reason. */
  readonly reply: string;
  /** Creates the error from the server's INIT reply. */
  constructor(state: number, id: number, reply: string) {
    super(`task rejected (${stateName(state)}): ${reply}`);
    this.name = "TaskRejectedError";
    this.state = state;
    this.id = id;
    this.reply = reply;
  }
}

/**
 * A wait ran out of time while the task was still going; `state` and `reply`
 * are the last ones seen.
 *
 * @example
 * ```ts
 * import { TaskWaitTimeoutError } from "./errors.ts";
 * const error = new TaskWaitTimeoutError(4, 1, "sleeping", 5000);
 * ```
 */
export class TaskWaitTimeoutError extends TaskClientError {
  /** Always `"task-wait-timeout"`. */
  override readonly code: string = "task-wait-timeout";
  /** The task that was waited for. */
  readonly id: number;
  /** The last state seen. */
  readonly state: number;
  /** The last reply text seen. */
  readonly reply: string;
  /** Creates the error for task `id` after `timeoutMs` ms of waiting. */
  constructor(id: number, state: number, reply: string, timeoutMs: number) {
    super(`task ${id} still ${stateName(state)} after ${timeoutMs} ms`);
    this.name = "TaskWaitTimeoutError";
    this.id = id;
    this.state = state;
    this.reply = reply;
  }
}
