/**
 * One place that points zedge's log records (category `["zedge", ...]`) at
 * stderr for a command; each command picks the line format its users know.
 *
 * @module
 */
import { configure, getConfig, type LogLevel, type LogRecord } from "@logtape/logtape";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { renderLogMessage } from "../core/logs/record.ts";

/**
 * Formats a record as `level: area.sub: message`.
 *
 * @example
 * ```ts
 * import { formatPlainRecord } from "./logging.ts";
 * // "warning: zmtp: closing connection tcp://...: protocol error"
 * ```
 */
export function formatPlainRecord(record: LogRecord): string {
  return `${record.level}: ${record.category.slice(1).join(".")}: ${renderMessage(record)}`;
}

/**
 * The record's message with its values filled in (strings as they are,
 * errors as `Name: message`, anything else as JSON): core/logs's
 * renderLogMessage, which the PUB log sink uses too.
 *
 * @example
 * ```ts
 * import { renderMessage } from "./logging.ts";
 * ```
 */
export function renderMessage(record: LogRecord): string {
  return renderLogMessage(record.message);
}

/**
 * Sends `zedge` log records at `level` and above to stderr (stdout stays for
 * a command's own output), unless logging was configured already — then
 * that configuration stays, so an embedding program keeps control.
 *
 * @example
 * ```ts
 * import { setupLogging } from "./logging.ts";
 * await setupLogging("info");
 * ```
 */
export async function setupLogging(
  level: LogLevel,
  format: (record: LogRecord) => string = formatPlainRecord,
): Promise<void> {
  if (getConfig() !== null) return;
  await configure({
    // A record may carry a peer's or a component's text: one escaped line each.
    sinks: { stderr: (record: LogRecord) => console.error(escapeUntrusted(format(record))) },
    loggers: [
      { category: ["zedge"], sinks: ["stderr"], lowestLevel: level },
      { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
    ],
  });
}
