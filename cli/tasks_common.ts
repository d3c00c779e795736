/**
 * Helpers shared by the remote-task commands (`task-server`, `task-client`,
 * `remote-task`, `run-script`, `demo`): flag parsers that reject bad values
 * with a one-line message, ZTL-style log output, shutdown signals, loading a
 * handlers module and the client flow that prints ZTL's client lines.
 *
 * @example
 * ```ts
 * import { parsePortFlag } from "./tasks_common.ts";
 * parsePortFlag("7779"); // 7779
 * ```
 * @module
 */
import { getLogger, type LogLevel, type LogRecord } from "@logtape/logtape";
import { InvalidArgumentError } from "commander";
import { TaskClient, type TaskClientOptions } from "../core/tasks/client.ts";
import { TaskNetworkError, TaskRejectedError, TaskWaitTimeoutError } from "../core/tasks/errors.ts";
import { type HandlerMap, validateHandlerMap } from "../core/tasks/handlers.ts";
import {
  encodeTask,
  isTaskSeparator,
  parseTaskSpec,
  ProtocolError,
  stateName,
  type TaskSeparator,
  type TaskSpec,
  TaskState,
} from "../core/tasks/protocol.ts";
import { parsePort } from "../core/tasks/port.ts";
import { formatTcpEndpoint } from "../core/transport/endpoint.ts";
import type { SecurityOptions } from "../core/sockets/mod.ts";
import { importModule, moduleLoadReason } from "../core/module_import.ts";
import { CliError } from "./errors.ts";
import { renderMessage, setupLogging } from "./logging.ts";
import { shutdownSignal } from "./shutdown.ts";

/**
 * Commander parser for a TCP port flag (0 allowed when `allowZero`).
 *
 * @example
 * ```ts
 * import { parsePortFlag } from "./tasks_common.ts";
 * parsePortFlag("0", true); // 0
 * ```
 */
export function parsePortFlag(value: string, allowZero = false): number {
  const port = parsePort(value, allowZero ? 0 : 1);
  if (port === undefined) {
    throw new InvalidArgumentError(`must be an integer from ${allowZero ? 0 : 1} to 65535.`);
  }
  return port;
}

/**
 * Commander parser for a number of seconds (negative allowed: ZTL reads
 * "0 or less" as "forever").
 *
 * @example
 * ```ts
 * import { parseSecondsFlag } from "./tasks_common.ts";
 * parseSecondsFlag("2.5"); // 2.5
 * ```
 */
export function parseSecondsFlag(value: string): number {
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds)) {
    throw new InvalidArgumentError("must be a number of seconds.");
  }
  return seconds;
}

/**
 * Commander parser for a positive number of milliseconds.
 *
 * @example
 * ```ts
 * import { parseMillisFlag } from "./tasks_common.ts";
 * parseMillisFlag("500"); // 500
 * ```
 */
export function parseMillisFlag(value: string): number {
  const ms = Number(value);
  if (value.trim() === "" || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError("must be a positive number of milliseconds.");
  }
  return ms;
}

/**
 * Commander parser for a positive integer.
 *
 * @example
 * ```ts
 * import { parseCountFlag } from "./tasks_common.ts";
 * parseCountFlag("100"); // 100
 * ```
 */
export function parseCountFlag(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError("must be a positive integer.");
  }
  return Number(value);
}

/**
 * Commander parser for `--max-message-size`: a positive number of bytes, or
 * -1 for no limit (give it as `--max-message-size=-1`).
 *
 * @example
 * ```ts
 * import { parseByteLimitFlag } from "./tasks_common.ts";
 * parseByteLimitFlag("1048576"); // 1048576
 * ```
 */
export function parseByteLimitFlag(value: string): number {
  const trimmed = value.trim();
  if (trimmed === "-1") return -1;
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed)) || Number(trimmed) < 1) {
    throw new InvalidArgumentError("must be a positive number of bytes (or -1 for no limit).");
  }
  return Number(trimmed);
}

/**
 * Commander parser for `--separator`: ":" (ZTL 0.2.x) or "¬" (0.0.x; also
 * accepted as the word "legacy").
 *
 * @example
 * ```ts
 * import { parseSeparatorFlag } from "./tasks_common.ts";
 * parseSeparatorFlag("legacy"); // "¬"
 * ```
 */
export function parseSeparatorFlag(value: string): TaskSeparator {
  const separator = value === "legacy" ? "¬" : value;
  if (!isTaskSeparator(separator)) {
    throw new InvalidArgumentError("must be ':' or '¬' (or 'legacy').");
  }
  return separator;
}

/**
 * Turns `--events` into an endpoint: a bare port means `tcp://HOST:PORT`
 * (`*` on a server), anything with `://` is taken as is.
 *
 * @example
 * ```ts
 * import { eventsEndpoint } from "./tasks_common.ts";
 * eventsEndpoint("7780", "*"); // "tcp://*:7780"
 * ```
 */
export function eventsEndpoint(value: string, host: string): string {
  if (/^(tcp|ipc|inproc):\/\//.test(value)) return value;
  const port = parsePort(value, host === "*" ? 0 : 1);
  if (port === undefined) {
    throw new CliError(
      `--events must be a port or an endpoint such as tcp://host:port, got '${value}'`,
      2,
    );
  }
  return host === "*" ? `tcp://*:${port}` : formatTcpEndpoint(host, port);
}

function levelName(level: LogLevel): string {
  return level === "warning" ? "WARNING" : level.toUpperCase();
}

/**
 * Formats a log record like Python's default logging, as ZTL prints it:
 * `INFO:remote-task:Task Server listening at 'tcp://*:7779'`.
 *
 * @example
 * ```ts
 * import { formatZtlRecord } from "./tasks_common.ts";
 * ```
 */
export function formatZtlRecord(record: LogRecord): string {
  const [, area, ...rest] = record.category;
  const name = area === "tasks" ? "remote-task" : [area, ...rest].filter(Boolean).join(".");
  return `${levelName(record.level)}:${name}:${renderMessage(record)}`;
}

/**
 * Sends zedge's log records to stderr in ZTL's format, at `level` and above,
 * unless logging was configured already (then that configuration stays).
 *
 * @example
 * ```ts
 * import { setupTaskLogging } from "./tasks_common.ts";
 * await setupTaskLogging("info");
 * ```
 */
export async function setupTaskLogging(level: LogLevel): Promise<void> {
  await setupLogging(level, formatZtlRecord);
}

/**
 * Imports a handlers module (path relative to the working directory, or a
 * URL) and returns its handler map: the `handlers` export, else the default
 * export. Every problem is a one-line {@link CliError}.
 *
 * @example
 * ```ts
 * import { loadHandlersModule } from "./tasks_common.ts";
 * const handlers = await loadHandlersModule("examples/tasks/my_handlers.ts");
 * ```
 */
export async function loadHandlersModule(specifier: string): Promise<HandlerMap> {
  let url: string;
  try {
    url = /^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)
      ? new URL(specifier).href
      : new URL(specifier, `file://${Deno.cwd()}/`).href;
  } catch {
    throw new CliError(`--handlers: '${specifier}' is not a path or URL`, 2);
  }
  let module: Record<string, unknown>;
  try {
    module = await importModule(url);
  } catch (error) {
    throw new CliError(`--handlers: cannot load '${specifier}': ${moduleLoadReason(error)}`);
  }
  const exported = module.handlers ?? module.default;
  if (exported === undefined) {
    throw new CliError(
      `--handlers: '${specifier}' exports neither 'handlers' nor a default handler map`,
    );
  }
  try {
    return validateHandlerMap(exported, specifier);
  } catch (error) {
    throw new CliError(`--handlers: ${(error as Error).message}`);
  }
}

/**
 * What the client flow needs: where, which scope, which task and how long to
 * wait.
 *
 * @example
 * ```ts
 * import type { ClientRun } from "./tasks_common.ts";
 * const run: ClientRun = { host: "localhost", port: 7779, scope: "/test", task: "test:echo:hi", timeoutSeconds: 5 };
 * ```
 */
export interface ClientRun {
  host: string;
  port: number;
  /** The server's endpoint (tcp or ipc), instead of `host` and `port`. */
  endpoint?: string;
  scope: string;
  /** `handler:component:goal` as typed by the user. */
  task: string;
  /** Wait this long; 0 or less waits forever (ZTL). */
  timeoutSeconds: number;
  events?: string;
  separator?: TaskSeparator;
  requestTimeoutMs?: number;
  /** CURVE (or PLAIN) for the client's sockets. */
  security?: SecurityOptions;
  write?: (line: string) => void;
  /** Exit as ZTL 0.2.3 does (see {@link outcomeExitCode}). */
  ztlExitCodes?: boolean;
}

/**
 * The exit code of a task command that ran to its end without completing
 * its task (rejected, failed, aborted, timed out, server unreachable):
 * zedge's 1, so a script can tell; with `--ztl-exit-codes` ZTL 0.2.3's 0,
 * since its commands report the outcome only in their output.
 *
 * @example
 * ```ts
 * import { outcomeExitCode } from "./tasks_common.ts";
 * outcomeExitCode(true); // 0
 * ```
 */
export function outcomeExitCode(ztlExitCodes: boolean | undefined): number {
  return ztlExitCodes ? 0 : 1;
}

/**
 * The `--ztl-exit-codes` flag of the task commands.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { ZTL_EXIT_CODES_FLAG } from "./tasks_common.ts";
 * new Command("x").option(...ZTL_EXIT_CODES_FLAG);
 * ```
 */
export const ZTL_EXIT_CODES_FLAG = [
  "--ztl-exit-codes",
  "exit as ZTL 0.2.3 does: 0 once the command ran, whatever became of the task " +
  "(default: non-zero when it did not complete)",
] as const;

/** How a timeout flag's seconds read in the client's lines. */
function limitText(seconds: number): string {
  return seconds > 0 ? `for ${seconds}s` : "with no time limit";
}

/**
 * Triggers a task and follows it, printing ZTL's client lines; aborts the
 * task when the wait times out or on Ctrl-C. An abort the server could not
 * carry out is reported as ZTL reports it (`Could not abort…`) and the
 * client keeps waiting for the task's final state. Resolves when the task
 * COMPLETED; throws a one-line {@link CliError} otherwise (its exit code
 * from {@link outcomeExitCode}).
 *
 * @example
 * ```ts
 * import { runClientTask } from "./tasks_common.ts";
 * await runClientTask({ host: "localhost", port: 7779, scope: "/test", task: "test:echo:hi", timeoutSeconds: 5 });
 * ```
 */
export async function runClientTask(run: ClientRun): Promise<void> {
  const write = run.write ?? ((line: string) => console.log(line));
  const logger = getLogger(["zedge", "tasks", "client"]);
  let spec: TaskSpec;
  try {
    spec = parseTaskSpec(run.task);
  } catch (error) {
    // ZTL's client returns -1 from main for a task without handler, component and goal.
    throw new CliError((error as Error).message, run.ztlExitCodes ? 255 : 2);
  }
  let request: string;
  try {
    request = encodeTask(spec.handler, spec.component, spec.goal, { separator: run.separator });
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  const options: TaskClientOptions = {
    endpoint: run.endpoint,
    host: run.host,
    port: run.port,
    scope: run.scope,
    events: run.events,
    separator: run.separator,
    timeoutMs: run.requestTimeoutMs,
    security: run.security,
  };
  write(
    `Connecting to ${
      run.endpoint === undefined ? `host '${run.host}:${run.port}'` : `'${run.endpoint}'`
    } at scope '${run.scope}'...`,
  );
  let client: TaskClient;
  try {
    client = new TaskClient(options);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  logger.info("Remote task interface initialised at '{endpoint}'.", { endpoint: client.endpoint });
  const stop = shutdownSignal();
  const interrupted = new AbortController();
  stop.promise.then(() => interrupted.abort());
  const outcome = run.ztlExitCodes ? 0 : 1;
  const finished = (id: number, state: number, how: string, payload: string) => {
    write(`Task with ID '${id}' finished in state '${stateName(state)}' ${how}. ${payload}.`);
    if (state !== TaskState.COMPLETED) {
      throw new CliError(`task ${id} ended in state ${stateName(state)}`, outcome);
    }
  };
  try {
    write(`Triggering task with request '${request}'...`);
    let id: number;
    try {
      const triggered = await client.trigger(request);
      id = triggered.id;
      write(
        `Initialised task with ID '${id}' ${
          limitText(run.timeoutSeconds)
        }. Reply is '${triggered.payload}'.`,
      );
    } catch (error) {
      if (error instanceof TaskRejectedError) {
        write(`Task '${error.id}' could not be triggered: '${error.reply}'.`);
        throw new CliError(
          `task rejected by ${client.endpoint} (${stateName(error.state)})`,
          outcome,
        );
      }
      throw error;
    }
    try {
      const status = await client.wait(id, {
        timeoutMs: run.timeoutSeconds * 1000,
        signal: interrupted.signal,
        // On stderr, as a log line: stdout stays line for line ZTL's. A ZTL server's
        // running tasks may answer 'None' (no progress to tell).
        onProgress: ({ payload }) => {
          if (payload !== "" && payload !== "None") {
            logger.info("Task with ID '{id}' is running: '{payload}'.", { id, payload });
          }
        },
      });
      finished(id, status.state, "while waiting", `Result is '${status.payload}'`);
      return;
    } catch (error) {
      const timedOut = error instanceof TaskWaitTimeoutError;
      if (!timedOut && !interrupted.signal.aborted) throw error;
      write(
        timedOut
          ? `Task with ID '${id}' did not finish within ${run.timeoutSeconds}s, aborting...`
          : `Interrupted, aborting task with ID '${id}'...`,
      );
    }
    const aborted = await client.abort(id);
    const timedOutText = `task ${id} did not finish within ${run.timeoutSeconds}s`;
    if (aborted.state === TaskState.ABORTED) {
      write(
        `Task with ID '${id}' is in state 'ABORTED' after abort. Reply is '${aborted.payload}'.`,
      );
      throw interrupted.signal.aborted
        ? new CliError(`interrupted; task ${id} aborted`, 130)
        : new CliError(timedOutText, outcome);
    }
    if (aborted.state > TaskState.ACCEPTED) {
      finished(id, aborted.state, "before the abort", `Reply is '${aborted.payload}'`);
      return;
    }
    write(
      `Could not abort Task with ID '${id}', waiting for completion. Reply is '${aborted.payload}'.`,
    );
    if (interrupted.signal.aborted) throw new CliError(`interrupted; task ${id} still runs`, 130);
    let final;
    try {
      final = await client.wait(id, { signal: interrupted.signal });
    } catch (error) {
      if (interrupted.signal.aborted) {
        throw new CliError(`interrupted; task ${id} still runs`, 130);
      }
      throw error;
    }
    finished(id, final.state, "after unsuccessful abort signal", `Reply is '${final.payload}'`);
  } catch (error) {
    if (error instanceof TaskNetworkError) {
      throw new CliError(`cannot reach task server: ${error.message}`, outcome);
    }
    if (error instanceof ProtocolError) {
      throw new CliError(`bad reply from ${client.endpoint}: ${error.message}`);
    }
    throw error;
  } finally {
    stop.cancel();
    await client.close();
  }
}
