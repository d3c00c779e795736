/**
 * The messages between the supervisor and a component's Web Worker
 * (structured-clone data over `postMessage`). One module, so both sides
 * agree on every field.
 *
 * @example
 * ```ts
 * import type { ToComponent } from "./protocol.ts";
 * const stop: ToComponent = { op: "stop" };
 * ```
 * @module
 */
import type { FormedLogRecord, LogLevelName } from "../core/logs/record.ts";
import type { ComponentSpec } from "./spec.ts";
import type { ComponentFigures } from "./observe/figures.ts";
import type { InprocFromComponent, InprocToComponent } from "./inproc_bridge.ts";

/**
 * How often a component tells the supervisor it is alive, in ms.
 *
 * @example
 * ```ts
 * import { HEARTBEAT_INTERVAL_MS } from "./protocol.ts";
 * console.log(HEARTBEAT_INTERVAL_MS); // 1000
 * ```
 */
export const HEARTBEAT_INTERVAL_MS = 1000;

export type { LogLevelName };

/**
 * The longest log message a component hands the supervisor, in characters:
 * the runtime cuts a longer one (see {@link clipText}), and the supervisor
 * refuses a longer one (only a forged record is).
 *
 * @example
 * ```ts
 * import { MAX_LOG_MESSAGE_CHARS } from "./protocol.ts";
 * console.log(MAX_LOG_MESSAGE_CHARS); // 65536
 * ```
 */
export const MAX_LOG_MESSAGE_CHARS = 64 * 1024;

/**
 * About how much a log record's properties may hold ({@link withinBudget}'s
 * measure): the runtime replaces larger ones with a note that they were
 * left out.
 *
 * @example
 * ```ts
 * import { LOG_PROPERTIES_BUDGET } from "./protocol.ts";
 * console.log(LOG_PROPERTIES_BUDGET); // 65536
 * ```
 */
export const LOG_PROPERTIES_BUDGET = 64 * 1024;

/**
 * The longest text of a report (an error with its stack, a reason, what
 * still ran, a problem `check` found), in characters.
 *
 * @example
 * ```ts
 * import { MAX_REPORT_CHARS } from "./protocol.ts";
 * console.log(MAX_REPORT_CHARS); // 262144
 * ```
 */
export const MAX_REPORT_CHARS = 256 * 1024;

/**
 * `text` cut to at most `max` characters, saying how long it was.
 *
 * @example
 * ```ts
 * import { clipText } from "./protocol.ts";
 * clipText("abcdefghijklmnopqrstuvwxyz0123456789", 30); // "abcdefghijklm… (36 characters)"
 * ```
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `… (${text.length} characters)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/**
 * Whether `value` holds about `budget` characters or fewer: each string's
 * and key's length, 8 per other value. Walked without recursion and
 * stopped once over, so a deep or huge value costs no more than the budget.
 *
 * @example
 * ```ts
 * import { withinBudget } from "./protocol.ts";
 * withinBudget({ pose: { x: 1, y: 2 } }, 100); // true
 * withinBudget({ blob: "x".repeat(1000) }, 100); // false
 * ```
 */
export function withinBudget(value: unknown, budget: number): boolean {
  const pending: unknown[] = [value];
  let used = 0;
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "string") used += next.length;
    else if (ArrayBuffer.isView(next)) used += next.byteLength;
    else if (next instanceof ArrayBuffer) used += next.byteLength;
    else if (typeof next === "object" && next !== null) {
      used += 8;
      if (Array.isArray(next)) {
        for (let i = 0; i < next.length && used <= budget; i++, used++) pending.push(next[i]);
      } else if (next instanceof Map || next instanceof Set) {
        for (const entry of next) {
          pending.push(entry);
          if (++used > budget) return false;
        }
      } else {
        for (const key in next) {
          used += key.length;
          if (used > budget) return false;
          pending.push((next as Record<string, unknown>)[key]);
        }
      }
    } else used += 8;
    if (used > budget) return false;
  }
  return true;
}

/**
 * Supervisor → component.
 * - `start`: load the modules, start, answer `ready` (or `failed`).
 * - `check`: load the modules and check their exports only, answer `checked`.
 * - `stop`: fire the component's signal, stop, answer `stopped`.
 *
 * @example
 * ```ts
 * import type { ToComponent } from "./protocol.ts";
 * const m: ToComponent = { op: "stop" };
 * ```
 */
export type ToComponent =
  | { op: "start"; spec: ComponentSpec; logLevel: LogLevelName }
  | { op: "check"; spec: ComponentSpec }
  | { op: "stop" }
  | InprocToComponent;

/**
 * Component → supervisor.
 * - `ready`: started (sockets bound, `main` called).
 * - `heartbeat`: alive; sent every {@link HEARTBEAT_INTERVAL_MS} (a quarter of a
 *   shorter `heartbeatTimeoutMs`), with the
 *   bytes its Worker's heap holds (`heapBytes`): when a shared host runs
 *   out of memory, the supervisor names the component that held the most.
 * - `figures`: its live figures (sockets, tasks, progress, topics), sent
 *   with each heartbeat once it runs.
 * - `log`: a log record, for the supervisor's output.
 * - `finished`: a node's `main` resolved, or a role ended on its own;
 *   `pending` says what still ran then (timers, sockets: see pending_work.ts).
 * - `failed`: it crashed; `fatal` when retrying cannot help (a module that
 *   does not load or does not export what its kind needs, an endpoint another
 *   program holds — `held` names it — unless its `restart` says `always`).
 * - `exit`: it called `self.close()` or `Deno.exit()`.
 * - `stopped`: it stopped after `stop`.
 * - `stuck`: a thread of its own (a pipeline pool's) is in a synchronous loop
 *   that `terminate()` cannot end; it has stopped what it could (its items
 *   handed back), and only killing its host takes the thread's core back.
 * - `checked`: the answer to `check`, with every problem found.
 *
 * @example
 * ```ts
 * import type { FromComponent } from "./protocol.ts";
 * const m: FromComponent = { op: "failed", error: "TypeError: x is undefined", fatal: false };
 * ```
 */
export type FromComponent =
  | { op: "ready" }
  | { op: "heartbeat"; heapBytes?: number }
  | { op: "figures"; figures: ComponentFigures }
  | { op: "log"; record: ComponentLogRecord }
  | { op: "finished"; pending?: string }
  | { op: "failed"; error: string; fatal: boolean; held?: string }
  | { op: "exit"; reason: string }
  | { op: "stopped" }
  | { op: "stuck"; reason: string }
  | { op: "checked"; problems: string[] }
  | InprocFromComponent;

/**
 * A log record as it crosses from a component to the supervisor: the
 * record as `core/logs` forms it (what the logs PUB socket publishes too).
 *
 * @example
 * ```ts
 * import type { ComponentLogRecord } from "./protocol.ts";
 * const r: ComponentLogRecord = {
 *   time: Date.now(), level: "info", category: ["kitchen-bot", "odometry"],
 *   message: "publishing at 50 Hz", properties: {},
 * };
 * ```
 */
export type ComponentLogRecord = FormedLogRecord;

/**
 * `message` inside the sizes the supervisor takes (see
 * robot/supervision/component_message.ts): long texts cut, a log record's
 * oversized properties replaced by a note. What the runtime posts goes
 * through here, so an honest component is never refused for what it
 * logged or how long its error was.
 *
 * @example
 * ```ts
 * import { fitToProtocol, MAX_REPORT_CHARS } from "./protocol.ts";
 * const m = fitToProtocol({ op: "exit", reason: "x".repeat(MAX_REPORT_CHARS + 1) });
 * console.log(m.op === "exit" && m.reason.length <= MAX_REPORT_CHARS); // true
 * ```
 */
export function fitToProtocol(message: FromComponent): FromComponent {
  const report = (text: string) => clipText(text, MAX_REPORT_CHARS);
  switch (message.op) {
    case "failed":
      return {
        ...message,
        error: report(message.error),
        ...(message.held === undefined ? {} : { held: report(message.held) }),
      };
    case "exit":
    case "stuck":
      return { ...message, reason: report(message.reason) };
    case "finished":
      return message.pending === undefined
        ? message
        : { ...message, pending: report(message.pending) };
    case "checked":
      return { ...message, problems: message.problems.slice(0, MAX_PROBLEMS).map(report) };
    case "log": {
      const record = message.record;
      return {
        ...message,
        record: {
          ...record,
          category: record.category.slice(0, MAX_CATEGORY_PARTS).map((part) =>
            clipText(part, MAX_LABEL_CHARS)
          ),
          message: clipText(record.message, MAX_LOG_MESSAGE_CHARS),
          properties: withinBudget(record.properties, LOG_PROPERTIES_BUDGET)
            ? record.properties
            : { omitted: `properties of more than ${LOG_PROPERTIES_BUDGET} characters` },
        },
      };
    }
    default:
      return message;
  }
}

/** The most problems a `checked` carries. */
export const MAX_PROBLEMS = 1000;
/** The most parts of a log category. */
export const MAX_CATEGORY_PARTS = 64;
/** The longest name or label in a message (a category part, a socket type, a task's handler). */
export const MAX_LABEL_CHARS = 4096;
