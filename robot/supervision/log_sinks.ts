/**
 * Where the robot's log records go: a plain list of sinks, each given
 * every record a component logs and the supervisor's own word on every
 * state change (who crashed, why, what restarts). The supervisor builds the
 * list once: the observatory (the log tail of `view` and the status page),
 * the process's own log (or the caller's `onLog`), and the logs PUB socket
 * when the YAML says `logs:`.
 *
 * @example
 * ```ts
 * import { LogSinks } from "./log_sinks.ts";
 * const sinks = new LogSinks([{ component: (name, record) => console.log(name, record.message) }]);
 * sinks.stateChanged("planner", "backoff", "boom");
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ComponentState } from "../observe/view.ts";
import type { ComponentLogRecord } from "../protocol.ts";

/**
 * One place records go.
 *
 * @example
 * ```ts
 * import type { LogSink } from "./log_sinks.ts";
 * const sink: LogSink = { component: (name, record) => console.log(name, record.message) };
 * ```
 */
export interface LogSink {
  /** A record a component logged. */
  component(name: string, record: ComponentLogRecord): void;
  /** The supervisor's record of a state change (absent: the sink does not take them). */
  supervisor?(record: ComponentLogRecord): void;
}

/**
 * The robot's sinks, in order.
 *
 * @example
 * ```ts
 * import { LogSinks } from "./log_sinks.ts";
 * const sinks = new LogSinks([]);
 * sinks.add({ component: () => {} });
 * ```
 */
export class LogSinks {
  readonly #sinks: LogSink[];

  /** Starts with `sinks`. */
  constructor(sinks: LogSink[]) {
    this.#sinks = [...sinks];
  }

  /** One more sink (the logs PUB socket, once bound). */
  add(sink: LogSink): void {
    this.#sinks.push(sink);
  }

  /** A component's record, to every sink. */
  component(name: string, record: ComponentLogRecord): void {
    for (const sink of this.#sinks) sink.component(name, record);
  }

  /** A state change, as the supervisor's record, to every sink that takes them. */
  stateChanged(component: string, state: ComponentState, error: string | null): void {
    const record = stateChangeRecord(component, state, error);
    for (const sink of this.#sinks) sink.supervisor?.(record);
  }
}

/**
 * The process's own log as a sink: a component's record re-logged under
 * `["zedge", "component", name, …its category]` (the supervisor logs its
 * own words on state changes itself, so it takes none of those).
 *
 * @example
 * ```ts
 * import { LogSinks, relogSink } from "./log_sinks.ts";
 * new LogSinks([relogSink]);
 * ```
 */
export const relogSink: LogSink = {
  component(name, record) {
    getLogger(["zedge", "component", name, ...record.category]).emit({
      level: record.level,
      message: [record.message],
      rawMessage: record.message,
      timestamp: record.time,
      properties: record.properties,
    });
  },
};

/**
 * The supervisor's own record of a component's state change.
 *
 * @example
 * ```ts
 * import { stateChangeRecord } from "./log_sinks.ts";
 * stateChangeRecord("planner", "failed", "boom").message; // "planner is failed: boom"
 * ```
 */
export function stateChangeRecord(
  component: string,
  state: ComponentState,
  error: string | null,
): ComponentLogRecord {
  const level = state === "failed" ? "error" : state === "backoff" ? "warning" : "info";
  return {
    time: Date.now(),
    level,
    category: ["zedge", "robot", "supervisor"],
    message: `${component} is ${state}${error && state !== "running" ? `: ${error}` : ""}`,
    properties: { component, state, error },
  };
}
