/**
 * Task clients, two flavours over one implementation:
 *
 * - {@link TaskClient}: idiomatic async TypeScript. Throws typed errors
 *   ({@link TaskNetworkError}, {@link TaskRejectedError},
 *   {@link TaskWaitTimeoutError}, {@link ProtocolError}).
 * - {@link RemoteTask}: ZTL's `RemoteTask`, method for method. Never throws
 *   for network errors: `trigger` gives `[-1, reason]`, `status` and `wait`
 *   give `[FAILED, reason]`, `abort` gives `[-1, reason]`.
 *
 * Both use ZTL's defaults (2 s send/receive timeouts, reconnect after any
 * error). Given the server's events endpoint, `wait` is woken by the pushed
 * state change instead of polling every 100 ms; it keeps a slow safety poll,
 * and polls at ZTL's pace whenever the events channel is not connected.
 *
 * @example
 * ```ts
 * import { TaskClient } from "./client.ts";
 * const client = new TaskClient({ endpoint: "tcp://127.0.0.1:7779", scope: "/test" });
 * try {
 *   const { id } = await client.trigger({ handler: "test", component: "echo", goal: "hi" });
 *   const { state, payload } = await client.wait(id, { timeoutMs: 5000 });
 * } finally {
 *   await client.close();
 * }
 * ```
 * @module
 */
import { TaskNetworkError, TaskRejectedError, TaskWaitTimeoutError } from "./errors.ts";
import { TaskEventListener } from "./event_listener.ts";
import {
  decodeMessage,
  encodeMessage,
  encodeTask,
  isFinalState,
  isTaskState,
  ProtocolError,
  RequestCode,
  type RequestCodeValue,
  type TaskSeparator,
  type TaskSpec,
  TaskState,
  type TaskStateValue,
  type ZtlMessage,
} from "./protocol.ts";
import { formatTcpEndpoint } from "../transport/endpoint.ts";
import { RequestChannel } from "./request_channel.ts";
import type { SecurityOptions } from "../sockets/mod.ts";

/**
 * Options of a {@link TaskClient}: where the server is, which scope to use.
 * Give either `endpoint` or `host` and `port`.
 *
 * @example
 * ```ts
 * import type { TaskClientOptions } from "./client.ts";
 * const options: TaskClientOptions = { host: "robot", port: 7779, scope: "/arm", events: "tcp://robot:7780" };
 * ```
 */
export interface TaskClientOptions {
  /** Server endpoint, e.g. `tcp://robot:7779`; alternative to `host` and `port`. */
  endpoint?: string;
  /** Server host name, used with `port`. */
  host?: string;
  /** Server port, used with `host`. */
  port?: number;
  /** Task scope on the server, e.g. `/arm`. */
  scope: string;
  /** Send/receive timeout per request, ms. Default 2000 (ZTL). */
  timeoutMs?: number;
  /** The server's events endpoint; enables push-based `wait`. */
  events?: string;
  /** Polling period of `wait` without events, ms. Default 100 (ZTL). */
  pollIntervalMs?: number;
  /** Safety polling period of `wait` while events are connected, ms. Default 1000. */
  eventPollIntervalMs?: number;
  /** Task separator to send; default ":" (ZTL 0.2.x), "¬" for 0.0.x servers. */
  separator?: TaskSeparator;
  /**
   * CURVE or PLAIN for the requests and the events channel, e.g.
   * `{ curveServerKey }` for a server started with a CURVE secret key.
   */
  security?: SecurityOptions;
}

/**
 * A task's state and the server's text (progress, result or reason).
 *
 * @example
 * ```ts
 * import type { TaskStatus } from "./client.ts";
 * const done: TaskStatus = { state: 5, payload: "hello" };
 * ```
 */
export interface TaskStatus {
  /** The task's state. */
  state: TaskStateValue;
  /** Progress text, result or reason from the server. */
  payload: string;
}

/**
 * A task the server accepted.
 *
 * @example
 * ```ts
 * import type { TriggeredTask } from "./client.ts";
 * const t: TriggeredTask = { id: 4, payload: "Initiated task '4' with request: …" };
 * ```
 */
export interface TriggeredTask {
  /** The id the server gave the task. */
  id: number;
  /** The server's reply text. */
  payload: string;
}

/**
 * Options of {@link TaskClient.wait}.
 *
 * @example
 * ```ts
 * import type { WaitOptions } from "./client.ts";
 * const options: WaitOptions = { timeoutMs: 10_000, payload: "waiting poll" };
 * ```
 */
export interface WaitOptions {
  /** Give up after this many ms; 0 or less (default) waits forever. */
  timeoutMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Payload of the STATUS polls (ZTL: "waiting poll"). */
  payload?: string;
  /**
   * Called while the task runs, with each status whose text differs from
   * the one before: the handler's progress text, as STATUS replies and
   * pushed events carry it.
   */
  onProgress?: (status: TaskStatus) => void;
}

function resolveEndpoint(options: TaskClientOptions): string {
  if (options.endpoint) return options.endpoint;
  if (options.host !== undefined && options.port !== undefined) {
    return formatTcpEndpoint(options.host, options.port);
  }
  throw new TypeError("task client needs 'endpoint' or 'host' and 'port'");
}

/**
 * Idiomatic task client (see the module documentation).
 *
 * @example
 * ```ts
 * import { TaskClient } from "./client.ts";
 * const client = new TaskClient({ host: "localhost", port: 7779, scope: "/test" });
 * const status = await client.run({ handler: "test", component: "sleep", goal: "1" }, { timeoutMs: 5000 });
 * await client.close();
 * ```
 */
export class TaskClient {
  /** The server endpoint this client talks to. */
  readonly endpoint: string;
  /** The task scope used on the server. */
  readonly scope: string;
  readonly #channel: RequestChannel;
  readonly #events: TaskEventListener | undefined;
  readonly #pollMs: number;
  readonly #eventPollMs: number;
  readonly #separator: TaskSeparator;
  readonly #timeoutMs: number;
  /** Whether the events channel was connected before the first trigger (awaited once). */
  #eventsReady: Promise<boolean> | null = null;

  /** Creates a client for `options`; throws if the scope or endpoint is invalid. */
  constructor(options: TaskClientOptions) {
    if (options.scope.includes(";")) {
      throw new ProtocolError("scope", `scope must not contain ';': '${options.scope}'`);
    }
    this.endpoint = resolveEndpoint(options);
    this.scope = options.scope;
    this.#pollMs = options.pollIntervalMs ?? 100;
    this.#eventPollMs = options.eventPollIntervalMs ?? 1000;
    this.#separator = options.separator ?? ":";
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#channel = new RequestChannel({
      endpoint: this.endpoint,
      timeoutMs: options.timeoutMs,
      security: options.security,
    });
    this.#events = options.events
      ? new TaskEventListener({
        endpoint: options.events,
        scope: this.scope,
        security: options.security,
      })
      : undefined;
  }

  /** Whether the events channel is connected (false when none was given). */
  get eventsConnected(): boolean {
    return this.#events?.connected ?? false;
  }

  /** Sends one request and decodes the reply. */
  async request(state: RequestCodeValue, id: number, payload: string): Promise<ZtlMessage> {
    const text = encodeMessage({ scope: this.scope, state, id, payload });
    const reply = decodeMessage(await this.#channel.request(text));
    return reply;
  }

  /**
   * Asks the server to start a task. `task` is a spec (encoded with this
   * client's separator) or an already encoded payload. Throws
   * {@link TaskRejectedError} if the server refuses it. With an events
   * endpoint, the first trigger waits (up to the request timeout) for the
   * events channel to connect: a task's first progress texts are pushed at
   * once, before a subscription still in flight would hear them.
   */
  async trigger(task: TaskSpec | string): Promise<TriggeredTask> {
    const payload = typeof task === "string"
      ? task
      : encodeTask(task.handler, task.component, task.goal, { separator: this.#separator });
    if (this.#events !== undefined) {
      await (this.#eventsReady ??= this.#events.ready(this.#timeoutMs));
    }
    const reply = await this.request(RequestCode.INIT, -1, payload);
    if (reply.id <= 0 || reply.state !== TaskState.ACCEPTED) {
      throw new TaskRejectedError(reply.state, reply.id, reply.payload);
    }
    return { id: reply.id, payload: reply.payload };
  }

  #toStatus(reply: ZtlMessage): TaskStatus {
    if (!isTaskState(reply.state)) {
      throw new ProtocolError("state", `reply state ${reply.state} is not a task state`);
    }
    return { state: reply.state, payload: reply.payload };
  }

  /** The task's current state (REJECTED with "Invalid ID" for an unknown id). */
  async status(id: number, payload = "status update"): Promise<TaskStatus> {
    return this.#toStatus(await this.request(RequestCode.STATUS, id, payload));
  }

  /** Asks the server to abort the task; returns the state after the attempt. */
  async abort(id: number, payload = "abort command"): Promise<TaskStatus> {
    return this.#toStatus(await this.request(RequestCode.ABORT, id, payload));
  }

  /**
   * Resolves with the task's final state (REJECTED, FAILED, ABORTED or
   * COMPLETED). Throws {@link TaskWaitTimeoutError} when `timeoutMs` passes
   * first; network errors propagate as {@link TaskNetworkError}.
   */
  async wait(id: number, options: WaitOptions = {}): Promise<TaskStatus> {
    const timeoutMs = options.timeoutMs ?? 0;
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    const signal = options.signal;
    let pushed: TaskStatus | undefined;
    let wake = () => {};
    let lastText: string | undefined;
    const progress = (status: TaskStatus) => {
      if (options.onProgress === undefined || status.payload === lastText) return;
      lastText = status.payload;
      options.onProgress(status);
    };
    const off = this.#events?.on(id, (event) => {
      if (isFinalState(event.state)) {
        pushed = { state: event.state, payload: event.payload };
        wake();
      } else if (isTaskState(event.state)) {
        progress({ state: event.state, payload: event.payload });
      }
    });
    try {
      while (true) {
        signal?.throwIfAborted();
        if (pushed) return pushed;
        const last = await this.status(id, options.payload ?? "waiting poll");
        if (pushed) return pushed;
        if (isFinalState(last.state)) return last;
        progress(last);
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new TaskWaitTimeoutError(id, last.state, last.payload, timeoutMs);
        const interval = this.#events?.connected ? this.#eventPollMs : this.#pollMs;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            wake = () => {};
            resolve();
          };
          const timer = setTimeout(done, Math.min(interval, remaining));
          signal?.addEventListener("abort", done, { once: true });
          wake = done;
        });
      }
    } finally {
      off?.();
    }
  }

  /**
   * Triggers a task and waits for it. If the wait times out the task is
   * aborted (unless `abortOnTimeout` is false) before the
   * {@link TaskWaitTimeoutError} is thrown.
   */
  async run(
    task: TaskSpec | string,
    options: WaitOptions & { abortOnTimeout?: boolean } = {},
  ): Promise<TaskStatus & { id: number }> {
    const { id } = await this.trigger(task);
    try {
      return { id, ...(await this.wait(id, options)) };
    } catch (error) {
      if (error instanceof TaskWaitTimeoutError && options.abortOnTimeout !== false) {
        await this.abort(id).catch(() => {});
      }
      throw error;
    }
  }

  /** Closes the request socket and the events channel. */
  async close(): Promise<void> {
    this.#channel.close();
    await this.#events?.close();
  }
}

/**
 * Options of a {@link RemoteTask} (ZTL's constructor arguments, named).
 *
 * @example
 * ```ts
 * import type { RemoteTaskOptions } from "./client.ts";
 * const options: RemoteTaskOptions = { host: "localhost", port: 7779, scope: "/test", timeout: 2000 };
 * ```
 */
export interface RemoteTaskOptions {
  /** Server host name. */
  host: string;
  /** Server port. */
  port: number;
  /** Task scope on the server. */
  scope: string;
  /** Send/receive timeout in ms, as in ZTL. Default 2000. */
  timeout?: number;
  /** The server's events endpoint, for push-based `wait`. */
  events?: string;
  /** Task separator to send; default ":" (ZTL 0.2.x). */
  separator?: TaskSeparator;
  /** CURVE or PLAIN, as {@link TaskClientOptions.security}. */
  security?: SecurityOptions;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * ZTL's `RemoteTask`: same methods, same defaults, same "never throw" error
 * convention; results are `[id, reply]` / `[state, reply]` tuples like the
 * Python tuples.
 *
 * @example
 * ```ts
 * import { RemoteTask } from "./client.ts";
 * import { encodeTask } from "./protocol.ts";
 * const task = new RemoteTask({ host: "localhost", port: 7779, scope: "/test" });
 * const [id, reply] = await task.trigger(encodeTask("test", "echo", "hi"));
 * if (id > 0) {
 *   const [state, result] = await task.wait(id);
 * }
 * await task.close();
 * ```
 */
export class RemoteTask {
  readonly #client: TaskClient;

  /** Creates a ZTL-style remote task client for `options`. */
  constructor(options: RemoteTaskOptions) {
    this.#client = new TaskClient({
      host: options.host,
      port: options.port,
      scope: options.scope,
      timeoutMs: options.timeout,
      events: options.events,
      separator: options.separator,
      security: options.security,
    });
  }

  /** `tcp://host:port`. */
  get address(): string {
    return this.#client.endpoint;
  }

  /** `[id, reply]`; id is -1 (or the server's ticket) when not accepted. */
  async trigger(payload: string): Promise<[number, string]> {
    try {
      const reply = await this.#client.request(RequestCode.INIT, -1, payload);
      return [reply.id, reply.payload];
    } catch (error) {
      return [-1, reasonOf(error)];
    }
  }

  /** `[state, reply]`; state is -1 on network errors. */
  async abort(id: number, payload = "abort command"): Promise<[number, string]> {
    try {
      const reply = await this.#client.request(RequestCode.ABORT, id, payload);
      return [reply.state, reply.payload];
    } catch (error) {
      return [-1, reasonOf(error)];
    }
  }

  /** `[state, reply]`; state is FAILED on network errors. */
  async status(id: number, payload = "status update"): Promise<[number, string]> {
    try {
      const reply = await this.#client.request(RequestCode.STATUS, id, payload);
      return [reply.state, reply.payload];
    } catch (error) {
      return [TaskState.FAILED, reasonOf(error)];
    }
  }

  /**
   * Waits until the task is final or `timeout` seconds pass (0 or less:
   * forever), like ZTL; returns the last `[state, reply]`.
   */
  async wait(id: number, payload = "waiting poll", timeout = 5.0): Promise<[number, string]> {
    try {
      const status = await this.#client.wait(id, { payload, timeoutMs: timeout * 1000 });
      return [status.state, status.payload];
    } catch (error) {
      if (error instanceof TaskWaitTimeoutError) return [error.state, error.reply];
      if (error instanceof TaskNetworkError || error instanceof ProtocolError) {
        return [TaskState.FAILED, reasonOf(error)];
      }
      throw error;
    }
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
