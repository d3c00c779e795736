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
