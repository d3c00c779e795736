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

  /**
   * A component's record, to every sink, within the component's rate (see
   * {@link LogRate}): past it, records are dropped and counted, and the
   * next one that passes comes after a record saying how many.
   */
  component(name: string, record: ComponentLogRecord): void {
    let rate = this.#rates.get(name);
    // A backstop: a host holds its components to the rate before its link (host_main.ts), so
    // this one, twice as wide, bounds only what no host relays (`isolation: worker`).
    if (rate === undefined) {
      this.#rates.set(name, rate = new LogRate(LOG_BURST * 2, LOG_PER_SECOND * 2));
    }
    for (const passed of rate.admit(record, performance.now())) {
      for (const sink of this.#sinks) sink.component(name, passed);
    }
  }

  readonly #rates = new Map<string, LogRate>();

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

/** Records a component may log at once, above its steady rate. */
const LOG_BURST = 2000;
/** Records a second a component may log for as long as it likes. */
const LOG_PER_SECOND = 500;
/** How often, at most, a component's dropped records are counted in a note. */
const NOTE_EVERY_MS = 1000;

/**
 * One component's log rate, as a token bucket: {@link LOG_BURST} records at
 * once, refilled at {@link LOG_PER_SECOND}. A component logging in a loop
 * otherwise takes the supervisor's time record by record and, under
 * systemd, journald's own rate limit for the whole service, which then
 * drops the supervisor's word on crashes along with the flood.
 *
 * @example
 * ```ts
 * import { LogRate } from "./log_sinks.ts";
 * const rate = new LogRate();
 * rate.admit("a record", 0); // ["a record"]: passes, nothing was dropped before it
 * ```
 */
export class LogRate {
  readonly #burst: number;
  readonly #perSecond: number;
  #tokens: number;
  #at = Number.NaN;
  #dropped = 0;
  #saidAt = -Infinity;

  /** `burst` records at once, `perSecond` for as long as it likes. */
  constructor(burst = LOG_BURST, perSecond = LOG_PER_SECOND) {
    this.#burst = burst;
    this.#perSecond = perSecond;
    this.#tokens = burst;
  }

  /**
   * What of `record`, arriving at `now` (ms), goes on: nothing when it is
   * dropped; else the record, after a note of how many were dropped before
   * it (at most one note a second: a component that stays over its rate
   * gets one a second, not one before every record that passes).
   */
  admit<R>(record: R, now: number): (R | ComponentLogRecord)[] {
    if (!Number.isNaN(this.#at)) {
      this.#tokens = Math.min(
        this.#burst,
        this.#tokens + (now - this.#at) * this.#perSecond / 1000,
      );
    }
    this.#at = now;
    if (this.#tokens < 1) {
      this.#dropped++;
      return [];
    }
    this.#tokens--;
    if (this.#dropped === 0 || now - this.#saidAt < NOTE_EVERY_MS) return [record];
    const note = this.#note(this.#dropped);
    this.#dropped = 0;
    this.#saidAt = now;
    return [note, record];
  }

  /** The supervisor's word that `count` records were dropped, with this rate's own bounds. */
  #note(count: number): ComponentLogRecord {
    return {
      time: Date.now(),
      level: "warning",
      category: ["zedge", "robot", "supervisor"],
      message: `${count} log records dropped: over ${this.#burst} at once or ` +
        `${this.#perSecond} a second`,
      properties: { dropped: count },
    };
  }
}
