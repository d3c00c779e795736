/**
 * Logging of the `zedge pipeline` commands from the YAML's `logging`
 * section, as py-zmq-pipeline's logging configuration: a level for every
 * category, levels per category (and below it), and a log file that gets
 * every record logged, one per line with its time. `--log-level`, when
 * given, wins over the file's `level`.
 *
 * ```yaml
 * logging:
 *   level: info
 *   categories: { zedge.pipeline.worker: debug, zedge.zmtp: error, tiles: debug }
 *   file: ./pipeline.log
 * ```
 *
 * @example
 * ```ts
 * import { setupPipelineLogging } from "./pipeline_logging.ts";
 * await setupPipelineLogging({ logging: { level: "info", categories: { "zedge.pipeline.worker": "debug" } } });
 * ```
 * @module
 */
import { configure, getConfig, type LogLevel, type LogRecord, type Sink } from "@logtape/logtape";
import type { PipelineLogging } from "../core/pipeline/config.ts";
import { appendPrivateFile } from "../core/security/private_file.ts";
import { CliError } from "./errors.ts";
import { formatPlainRecord, renderMessage } from "./logging.ts";

/**
 * A log file's line: `2026-12-01T10:00:00.000Z warning zedge.pipeline.worker: message`.
 *
 * @example
 * ```ts
 * import { formatFileRecord } from "./pipeline_logging.ts";
 * ```
 */
export function formatFileRecord(record: LogRecord): string {
  return `${new Date(record.timestamp).toISOString()} ${record.level} ${
    record.category.join(".")
  }: ${renderMessage(record)}`;
}

/**
 * Points log records at stderr (and the file, if any) by the `logging`
 * section, unless logging was configured already (an embedding program
 * keeps control). `flagLevel` is `--log-level` when the user gave it.
 *
 * @example
 * ```ts
 * import { setupPipelineLogging } from "./pipeline_logging.ts";
 * await setupPipelineLogging({ flagLevel: "debug" });
 * ```
 */
export async function setupPipelineLogging(
  options: { flagLevel?: LogLevel; logging?: PipelineLogging },
): Promise<void> {
  if (getConfig() !== null) return;
  const logging = options.logging ?? {};
  const sinks: Record<string, Sink> = {
    stderr: (record: LogRecord) => console.error(formatPlainRecord(record)),
  };
  if (logging.file !== undefined) sinks.file = await fileSink(logging.file);
  const names = Object.keys(sinks);
  const level = options.flagLevel ?? logging.level ?? "warning";
  const categories = Object.entries(logging.categories ?? {});
  await configure({
    sinks,
    loggers: [
      { category: ["zedge"], sinks: names, lowestLevel: level },
      // A category's own level, for it and below: its own sinks, so a level lower than its
      // parent's is not filtered out on the way up.
      ...categories.map(([category, lowestLevel]) => ({
        category: category.split("."),
        sinks: names,
        parentSinks: "override" as const,
        lowestLevel,
      })),
      { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" as const },
    ],
  });
}

async function fileSink(path: string): Promise<Sink> {
  let file: Deno.FsFile;
  try {
    // Readable by its owner alone, and never written through a link or into another user's file.
    file = await appendPrivateFile(path);
  } catch (error) {
    throw new CliError(
      `logging.file: cannot open ${path}: ${error instanceof Error ? error.message : error}`,
      2,
    );
  }
  const encoder = new TextEncoder();
  return (record: LogRecord) => {
    const bytes = encoder.encode(`${formatFileRecord(record)}\n`);
    // Synchronous and whole: a record is on disk before the next, and before an exit.
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
  };
}
