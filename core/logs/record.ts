/**
 * A log record as zedge passes it around once formed: its message rendered
 * to text, its time in ms since the epoch. A component sends the supervisor
 * this shape; the PUB log sink publishes it with the robot's and the
 * component's names added.
 *
 * @module
 */

/**
 * The severities, lowest first (logtape's levels).
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from "./record.ts";
 * LOG_LEVELS.indexOf("warning"); // 3
 * ```
 */
export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

/**
 * A severity.
 *
 * @example
 * ```ts
 * import type { LogLevelName } from "./record.ts";
 * const level: LogLevelName = "warning";
 * ```
 */
export type LogLevelName = typeof LOG_LEVELS[number];

/**
 * Whether `value` is one of the {@link LOG_LEVELS}.
 *
 * @example
 * ```ts
 * import { isLogLevel } from "./record.ts";
 * isLogLevel("warn"); // false: the level is "warning"
 * ```
 */
export function isLogLevel(value: unknown): value is LogLevelName {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Whether `level` is `minimum` or more severe.
 *
 * @example
 * ```ts
 * import { isAtLeast } from "./record.ts";
 * isAtLeast("error", "warning"); // true
 * ```
 */
export function isAtLeast(level: LogLevelName, minimum: LogLevelName): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}

/**
 * A log record once formed — the shape a component hands the supervisor
 * (robot/protocol.ts's `ComponentLogRecord` is one).
 *
 * @example
 * ```ts
 * import type { FormedLogRecord } from "./record.ts";
 * const record: FormedLogRecord = {
 *   time: Date.now(), level: "info", category: ["kitchen-bot", "odometry"],
 *   message: "publishing at 50 Hz", properties: { rateHz: 50 },
 * };
 * ```
 */
export interface FormedLogRecord {
  /** Milliseconds since the Unix epoch. */
  time: number;
  /** Severity. */
  level: LogLevelName;
  /** The logger's category. */
  category: readonly string[];
  /** The message with its values filled in. */
  message: string;
  /** Structured properties. */
  properties: Record<string, unknown>;
}

/**
 * A log record as published: the formed record and where it came from. It
 * travels as the JSON body of a PUB message whose topic is
 * `<robot>.<component>.<level>`.
 *
 * @example
 * ```ts
 * import type { PublishedLogRecord } from "./record.ts";
 * const record: PublishedLogRecord = {
 *   time: 1764590400000, level: "warning", category: ["kitchen-bot", "planner"],
 *   message: "no path to the dock", properties: {}, robot: "kitchen-bot", component: "planner",
 * };
 * ```
 */
export interface PublishedLogRecord extends FormedLogRecord {
  /** The robot's name. */
  robot: string;
  /** The component's name. */
  component: string;
}

/**
 * The fields of a logtape `LogRecord` that zedge reads (any logtape record
 * is one).
 *
 * @example
 * ```ts
 * import type { LogtapeRecord } from "./record.ts";
 * const record: LogtapeRecord = {
 *   category: ["app"], level: "info", message: ["ready"], timestamp: Date.now(), properties: {},
 * };
 * ```
 */
export interface LogtapeRecord {
  /** The logger's category. */
  readonly category: readonly string[];
  /** Severity. */
  readonly level: LogLevelName;
  /** Text parts interleaved with the values filled in. */
  readonly message: readonly unknown[];
  /** Milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** Structured properties. */
  readonly properties: Record<string, unknown>;
}

/**
 * Forms a logtape record: its message rendered to text (see
 * {@link renderLogMessage}), its timestamp as `time`, its properties as they are.
 *
 * @example
 * ```ts
 * import { formLogRecord } from "./record.ts";
 * const formed = formLogRecord({
 *   category: ["app"], level: "info", message: ["at ", 3, " m/s"], rawMessage: "at {v} m/s",
 *   timestamp: Date.now(), properties: { v: 3 },
 * });
 * formed.message; // "at 3 m/s"
 * ```
 */
export function formLogRecord(record: LogtapeRecord): FormedLogRecord {
  return {
    time: record.timestamp,
    level: record.level,
    category: record.category,
    message: renderLogMessage(record.message),
    properties: record.properties,
  };
}

/**
 * A logtape message (text parts interleaved with values) as one string:
 * strings as they are, errors as `Name: message`, anything else as JSON
 * (or its `String()` when JSON cannot hold it).
 *
 * @example
 * ```ts
 * import { renderLogMessage } from "./record.ts";
 * renderLogMessage(["pose ", { x: 1 }, ""]); // 'pose {"x":1}'
 * ```
 */
export function renderLogMessage(parts: readonly unknown[]): string {
  let text = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    text += i % 2 === 0 || typeof part === "string" ? String(part) : renderValue(part);
  }
  return text;
}

function renderValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Circular structures and BigInts: their String() still says something.
    return String(value);
  }
}
