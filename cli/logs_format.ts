/**
 * How `zedge logs tail` prints a record: one line, optionally coloured.
 * On a terminal the time is local `HH:MM:SS.mmm` and a multi-line message
 * keeps its lines (indented); otherwise the time is ISO 8601 (UTC) and a
 * line break is written `\n`, so every record is exactly one line. Control
 * characters from the network are always escaped: a publisher cannot move
 * the cursor or recolour the terminal.
 *
 * @module
 */
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { LogLevelName, PublishedLogRecord } from "../core/logs/mod.ts";

/**
 * How to lay a line out.
 *
 * @example
 * ```ts
 * import type { LineStyle } from "./logs_format.ts";
 * const style: LineStyle = { color: false, terminal: false };
 * ```
 */
export interface LineStyle {
  /** Use ANSI colours. */
  color: boolean;
  /** Laid out for a person at a terminal (local time, real line breaks). */
  terminal: boolean;
}

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
const CYAN = "\x1b[36m";
const LEVEL_COLORS: Record<LogLevelName, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[90m",
  info: "\x1b[32m",
  warning: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[1;31m",
};
/** The longest level name, "warning": levels line up in a column. */
const LEVEL_WIDTH = 7;

/**
 * One record as a line (without the line break).
 *
 * @example
 * ```ts
 * import { formatLogLine } from "./logs_format.ts";
 * formatLogLine({
 *   time: 0, level: "warning", category: ["kitchen-bot", "planner"], message: "no path",
 *   properties: {}, robot: "kitchen-bot", component: "planner",
 * }, { color: false, terminal: false });
 * // "1970-01-01T00:00:00.000Z warning kitchen-bot.planner: no path"
 * ```
 */
export function formatLogLine(record: PublishedLogRecord, style: LineStyle): string {
  const paint = (code: string, text: string) => style.color ? `${code}${text}${RESET}` : text;
  const time = style.terminal ? localClock(record.time) : isoTime(record.time);
  const source = `${escapeUntrusted(record.robot)}.${escapeUntrusted(record.component)}`;
  const category = isOwnCategory(record)
    ? ""
    : ` ${paint(DIM, escapeUntrusted(record.category.join(".")))}`;
  const message = style.terminal
    ? escapeUntrusted(record.message, { newline: "\n  " })
    : escapeUntrusted(record.message);
  return `${paint(DIM, time)} ${
    paint(LEVEL_COLORS[record.level], record.level.padEnd(LEVEL_WIDTH))
  } ${paint(CYAN, source)}${category}: ${message}`;
}

/**
 * Whether colour is wanted: `always` and `never` say so; `auto` means on a
 * terminal unless NO_COLOR is set to something (https://no-color.org).
 *
 * @example
 * ```ts
 * import { wantsColor } from "./logs_format.ts";
 * wantsColor("auto", true, undefined); // true
 * wantsColor("auto", true, "1"); // false
 * ```
 */
export function wantsColor(
  mode: "auto" | "always" | "never",
  terminal: boolean,
  noColor: string | undefined,
): boolean {
  if (mode !== "auto") return mode === "always";
  return terminal && (noColor === undefined || noColor === "");
}

/** A component's own logger is named [robot, component]: no need to print it again. */
function isOwnCategory(record: PublishedLogRecord): boolean {
  const { category } = record;
  return category.length === 0 ||
    (category.length === 2 && category[0] === record.robot && category[1] === record.component);
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

function localClock(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return String(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${
    String(date.getMilliseconds()).padStart(3, "0")
  }`;
}
