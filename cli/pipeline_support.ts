/**
 * Helpers for `zedge pipeline`: the distributor's progress display (a bar
 * on a TTY, periodic log lines otherwise), the summary printout, logging
 * set-up and waiting for SIGINT/SIGTERM.
 *
 * @example
 * ```ts
 * import { progressReporter } from "./pipeline_support.ts";
 * const report = progressReporter({ tty: false, everyMs: 5000 });
 * report.update({ done: 1, failed: 0, total: 2, known: 2, inFlight: 1, retries: 0, rate: 1, etaMs: 1000, workers: 1, elapsedMs: 1000 });
 * report.end();
 * ```
 * @module
 */
import type { PipelineSummary, Progress } from "../core/pipeline/mod.ts";

/**
 * Formats a progress snapshot as one line (no colours, no control codes).
 *
 * @example
 * ```ts
 * import { formatProgress } from "./pipeline_support.ts";
 * formatProgress({ done: 5, failed: 0, total: 10, known: 10, inFlight: 2, retries: 1, rate: 2.5, etaMs: 2000, workers: 2, elapsedMs: 2000 }, 20);
 * ```
 */
export function formatProgress(p: Progress, barWidth = 0): string {
  const total = p.total ?? p.known;
  const settled = p.done + p.failed;
  const fraction = total > 0 ? Math.min(1, settled / total) : 0;
  const parts: string[] = [];
  if (barWidth > 0) {
    const full = Math.round(fraction * barWidth);
    parts.push(`[${"#".repeat(full)}${".".repeat(barWidth - full)}]`);
  }
  parts.push(`${p.done}/${p.total ?? `${p.known}+`} done`);
  if (p.total !== null) parts.push(`${Math.floor(fraction * 100)}%`);
  parts.push(`${p.rate.toFixed(1)}/s`);
  parts.push(`ETA ${p.etaMs === null ? "?" : formatDuration(p.etaMs)}`);
  parts.push(`retries ${p.retries}`);
  if (p.failed > 0) parts.push(`failed ${p.failed}`);
  parts.push(`${p.workers} worker${p.workers === 1 ? "" : "s"}`);
  return parts.join("  ");
}

/**
 * `1.2 s`, `3 m 05 s`, `1 h 02 m`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./pipeline_support.ts";
 * formatDuration(65_000); // "1 m 05 s"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} m`;
}

/**
 * Shows progress: on a TTY a bar redrawn in place on stderr, otherwise one
 * line every `everyMs`.
 *
 * @example
 * ```ts
 * import { progressReporter } from "./pipeline_support.ts";
 * const r = progressReporter({ tty: Deno.stderr.isTerminal() });
 * r.end();
 * ```
 */
export function progressReporter(
  options: { tty: boolean; everyMs?: number; write?: (line: string) => void },
): { update: (p: Progress) => void; end: () => void } {
  const encoder = new TextEncoder();
  const write = options.write ?? ((s: string) => Deno.stderr.writeSync(encoder.encode(s)));
  let last = -Infinity;
  let lastLine = "";
  let drawn = false;
  return {
    update(p: Progress) {
      if (options.tty) {
        write(`\r\x1b[2K${formatProgress(p, 30)}`);
        drawn = true;
        return;
      }
      const now = performance.now();
      if (now - last < (options.everyMs ?? 5000) && p.total !== p.done + p.failed) return;
      const line = formatProgress(p);
      if (line === lastLine) return;
      last = now;
      lastLine = line;
      write(`pipeline: ${line}\n`);
    },
    end() {
      if (options.tty && drawn) write("\n");
    },
  };
}

/**
 * The end-of-run report, one fact per line.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./pipeline_support.ts";
 * console.log(formatSummary({ total: 1, done: 1, failed: [], skipped: [], retries: 0, resumed: 0, elapsedMs: 5 }));
 * ```
 */
export function formatSummary(s: PipelineSummary): string {
  const lines = [
    `pipeline finished: ${s.done}/${s.total} done, ${s.failed.length} failed, ${s.retries} retries` +
    `${s.resumed > 0 ? `, ${s.resumed} already done in the journal` : ""} in ${
      formatDuration(s.elapsedMs)
    }`,
  ];
  for (const f of s.failed) {
    lines.push(`  failed ${f.id} (${f.type}) after ${f.attempts} attempts: ${f.reason}`);
  }
  for (const k of s.skipped) lines.push(`  skipped task type ${k.type}: ${k.reason}`);
  return lines.join("\n");
}
