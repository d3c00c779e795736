/**
 * Log records on the wire: a PUB message of two frames, the topic
 * `<robot>.<component>.<level>` and a UTF-8 JSON body
 * `{ time, level, category, message, properties, robot, component }`. The
 * sink encodes with this module and every reader (`zedge logs tail`)
 * decodes and checks with it; any language can read it as plain JSON.
 *
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { isLogLevel, LOG_LEVELS, type LogLevelName, type PublishedLogRecord } from "./record.ts";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Robot and component names are topic segments: no dots, no whitespace. */
const SEGMENT = /^[^.\s]+$/;

/**
 * Checks that `name` can be a segment of a log topic (non-empty, no dot,
 * no whitespace); throws a TypeError naming `what` otherwise.
 *
 * @example
 * ```ts
 * import { checkTopicSegment } from "./wire.ts";
 * checkTopicSegment("kitchen-bot", "robot"); // fine
 * ```
 */
export function checkTopicSegment(name: string, what: string): void {
  if (typeof name !== "string" || !SEGMENT.test(name)) {
    throw new TypeError(
      `a log ${what} name must be non-empty, without dots or whitespace; got ${
        JSON.stringify(name)
      }`,
    );
  }
}

/**
 * The topic a record is published under: `<robot>.<component>.<level>`, so
 * a subscriber can pick a robot (`kitchen-bot.`) or a component
 * (`kitchen-bot.planner.`) by prefix.
 *
 * @example
 * ```ts
 * import { logTopic } from "./wire.ts";
 * logTopic("kitchen-bot", "planner", "warning"); // "kitchen-bot.planner.warning"
 * ```
 */
export function logTopic(robot: string, component: string, level: LogLevelName): string {
  return `${robot}.${component}.${level}`;
}

/**
 * The two frames of a published record: its topic and its JSON body.
 * Properties JSON cannot hold are made to fit — BigInts as strings, errors
 * as `{ name, message }`, Maps as objects, Sets as arrays, byte arrays by
 * their size, functions by their name, a circular reference as
 * `"[Circular]"` — so encoding never throws.
 *
 * @example
 * ```ts
 * import { encodeLogMessage } from "./wire.ts";
 * const [topic, body] = encodeLogMessage({
 *   time: Date.now(), level: "info", category: ["kitchen-bot", "odometry"], message: "up",
 *   properties: { ticks: 10n }, robot: "kitchen-bot", component: "odometry",
 * });
 * ```
 */
export function encodeLogMessage(record: PublishedLogRecord): [string, Uint8Array] {
  const body = {
    time: record.time,
    level: record.level,
    category: record.category,
    message: record.message,
    properties: record.properties,
    robot: record.robot,
    component: record.component,
  };
  return [
    logTopic(record.robot, record.component, record.level),
    utf8Encoder.encode(stringifyLenient(body)),
  ];
}

/**
 * Thrown by {@link decodeLogMessage} for a message that is not a log
 * record; the message says what was wrong with it.
 *
 * @example
 * ```ts
 * import { decodeLogMessage, LogMessageError } from "./wire.ts";
 * try {
 *   decodeLogMessage([new Uint8Array(0)]);
 * } catch (error) {
 *   console.log(error instanceof LogMessageError); // true: one frame, not two
 * }
 * ```
 */
export class LogMessageError extends ZedgeError {
  /** Always `"log-message"`. */
  readonly code: string = "log-message";
  /** Creates the error saying what was wrong. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LogMessageError";
  }
}

/**
 * Reads and checks a received log message: two frames, a UTF-8 JSON object
 * body with every field of the right type. Throws {@link LogMessageError}
 * saying what is wrong otherwise — it came from the network.
 *
 * @example
 * ```ts
 * import { decodeLogMessage, encodeLogMessage } from "./wire.ts";
 * const [topic, body] = encodeLogMessage({
 *   time: 0, level: "info", category: [], message: "hi", properties: {}, robot: "r", component: "c",
 * });
 * decodeLogMessage([new TextEncoder().encode(topic), body]).message; // "hi"
 * ```
 */
export function decodeLogMessage(frames: readonly Uint8Array[]): PublishedLogRecord {
  if (frames.length !== 2) {
    throw new LogMessageError(`expected 2 frames (topic, JSON body), got ${frames.length}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8Decoder.decode(frames[1]));
  } catch (error) {
    throw new LogMessageError(`the body is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(body)) throw new LogMessageError("the body is not a JSON object");
  const { time, level, category, message, properties, robot, component } = body;
  if (typeof time !== "number" || !Number.isFinite(time)) {
    throw new LogMessageError("'time' is not a number of ms since the epoch");
  }
  if (!isLogLevel(level)) {
    throw new LogMessageError(`'level' is not one of ${LOG_LEVELS.join(", ")}`);
  }
  if (!Array.isArray(category) || !category.every((part) => typeof part === "string")) {
    throw new LogMessageError("'category' is not an array of strings");
  }
  if (typeof message !== "string") throw new LogMessageError("'message' is not a string");
  if (!isPlainObject(properties)) throw new LogMessageError("'properties' is not an object");
  if (typeof robot !== "string") throw new LogMessageError("'robot' is not a string");
  if (typeof component !== "string") throw new LogMessageError("'component' is not a string");
  return { time, level, category, message, properties, robot, component };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON.stringify that makes any value fit instead of throwing. */
function stringifyLenient(value: unknown): string {
  try {
    return JSON.stringify(value, fitToJson);
  } catch {
    // A cycle: walk again, replacing every value met on the current path.
    return JSON.stringify(breakCycles(value, new Set()), fitToJson);
  }
}

function fitToJson(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
  if (typeof value === "symbol") return String(value);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} of ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[ArrayBuffer of ${value.byteLength} bytes]`;
  return value;
}

function breakCycles(value: unknown, path: Set<object>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (path.has(value)) return "[Circular]";
  // Dates and the like say themselves what they are in JSON.
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const fitted = fitToJson("", value);
  if (fitted !== value) return breakCycles(fitted, path);
  path.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => breakCycles(item, path));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = breakCycles(item, path);
    return out;
  } finally {
    path.delete(value);
  }
}
