/**
 * The messages of the robot's own channels, the same in the live view and
 * in recordings: a log record as a `foxglove.Log` (Foxglove's Log panel
 * reads it), and the components' states with their JSON Schema.
 *
 * @example
 * ```ts
 * import { foxgloveLog } from "./messages.ts";
 * foxgloveLog({ seq: 1, time: 1_700_000_000_250, component: "planner", level: "info", message: "up" });
 * // { timestamp: { sec: 1700000000, nsec: 250000000 }, level: 2, message: "up", name: "planner", file: "", line: 0 }
 * ```
 * @module
 */
import type { LogLine } from "../observe/view.ts";

/**
 * The JSON Schema of a states message (`{ components: [...] }`).
 *
 * @example
 * ```ts
 * import { STATES_SCHEMA } from "./messages.ts";
 * console.log(STATES_SCHEMA.title); // "zedge.ComponentStates"
 * ```
 */
export const STATES_SCHEMA = {
  title: "zedge.ComponentStates",
  type: "object",
  properties: {
    components: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: { type: "string" },
          kind: { type: "string" },
          state: { type: "string", enum: ["starting", "running", "backoff", "failed", "stopped"] },
          restarts: { type: "integer" },
          lastError: { type: ["string", "null"] },
        },
      },
    },
  },
};

/** foxglove.LogLevel of each zedge level. */
const LOG_LEVELS: Record<string, number> = {
  trace: 1,
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  fatal: 5,
};

/**
 * A log line as a `foxglove.Log`.
 *
 * @example
 * ```ts
 * import { foxgloveLog } from "./messages.ts";
 * foxgloveLog({ seq: 1, time: Date.now(), component: "odometry", level: "warning", message: "slow" }).level; // 3
 * ```
 */
export function foxgloveLog(line: LogLine): Record<string, unknown> {
  const sec = Math.floor(line.time / 1000);
  return {
    timestamp: { sec, nsec: Math.round((line.time - sec * 1000) * 1e6) },
    level: LOG_LEVELS[line.level] ?? 0,
    message: line.message,
    name: line.component,
    file: "",
    line: 0,
  };
}

/**
 * ms since the epoch as the nanoseconds Foxglove and MCAP count in.
 *
 * @example
 * ```ts
 * import { nanoseconds } from "./messages.ts";
 * nanoseconds(1.5); // 1500000n
 * ```
 */
export function nanoseconds(ms: number): bigint {
  // ms × 10⁶ is past 2^53 for any date: whole ms and their fraction go separately.
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}
