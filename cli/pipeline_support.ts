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
  const parts = progressParts(p);
  const all = PART_ORDER.map((key) => parts[key]).filter((part) => part !== undefined);
  if (barWidth > 0) all.unshift(bar(p, barWidth));
  return all.join(SEPARATOR);
}

/**
 * Formats a progress snapshot to fit `columns` terminal columns (one less,
 * so the cursor never wraps): the counts always, then what the run waits
 * for, the percentage, ETA, rate, failures, workers and retries as they fit,
 * and a bar in the room left.
 *
 * @example
 * ```ts
 * import { fitProgress } from "./pipeline_support.ts";
 * fitProgress({ done: 5, failed: 0, total: 10, known: 10, inFlight: 2, retries: 1, rate: 2.5, etaMs: 2000, workers: 2, elapsedMs: 2000 }, 40);
 * ```
 */
export function fitProgress(p: Progress, columns: number): string {
  const room = Math.max(1, columns - 1);
  const parts = progressParts(p);
  const texts: Partial<Record<Part, string>> = { ...parts };
  // What the run waits for matters most after the counts: short form when the long one is too long.
  if (parts.waiting !== undefined && parts.counts.length + 2 + parts.waiting.length > room) {
    const short = `waiting: ${(p.waitingFor ?? []).join(", ")}`;
    const left = room - parts.counts.length - SEPARATOR.length;
    texts.waiting = short.length <= left ? short : `${short.slice(0, Math.max(0, left - 1))}…`;
  }
  // In order of what matters most when there is little room; the bar wants 10 columns or more.
  const priority: (Part | "bar")[] = [
    "counts",
    "waiting",
    "percent",
    "eta",
    "rate",
    "bar",
    "failed",
    "workers",
    "retries",
  ];
  const MIN_BAR = 10;
  const chosen = new Set<Part | "bar">();
  let length = 0;
  for (const key of priority) {
    const width = key === "bar" ? MIN_BAR + 2 : texts[key]?.length;
    if (width === undefined) continue;
    const added = (chosen.size === 0 ? 0 : SEPARATOR.length) + width;
    if (chosen.size === 0 || length + added <= room) {
      chosen.add(key);
      length += added;
    }
  }
  // Shown in reading order, the bar first and as wide as the room left allows (up to 40).
  const line = PART_ORDER.filter((key) => chosen.has(key)).map((key) => texts[key]).join(SEPARATOR);
  const text = chosen.has("bar")
    ? `${bar(p, Math.min(40, MIN_BAR + room - length))}${SEPARATOR}${line}`
    : line;
  return text.length > room ? text.slice(0, room) : text;
}

type Part = keyof ReturnType<typeof progressParts>;

/** The order formatProgress writes the parts in. */
const PART_ORDER: Part[] = [
  "counts",
  "waiting",
  "percent",
  "rate",
  "eta",
  "retries",
  "failed",
  "workers",
];

const SEPARATOR = "  ";

function bar(p: Progress, width: number): string {
  const full = Math.round(fractionOf(p) * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

function fractionOf(p: Progress): number {
  const total = p.total ?? p.known;
  return total > 0 ? Math.min(1, (p.done + p.failed) / total) : 0;
}

/** The pieces of a progress line, keyed in the order formatProgress writes them. */
function progressParts(p: Progress) {
  const waiting = p.waitingFor ?? [];
  return {
    counts: `${p.done}/${p.total ?? `${p.known}+`} done`,
    waiting: waiting.length === 0
      ? undefined
      : `waiting for ${waiting.map((w) => w === "collector" ? "the collector" : w).join(", ")}`,
    percent: p.total === null ? undefined : `${Math.floor(fractionOf(p) * 100)}%`,
    rate: `${p.rate.toFixed(1)}/s`,
    eta: `ETA ${p.etaMs === null ? "?" : formatDuration(p.etaMs)}`,
    retries: `retries ${p.retries}`,
    failed: p.failed > 0 ? `failed ${p.failed}` : undefined,
    workers: `${p.workers} worker${p.workers === 1 ? "" : "s"}`,
  };
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
 * Shows progress: on a TTY a line redrawn in place on stderr, fitted to the
 * terminal's width at each redraw (a line that wrapped would leave its
 * first half behind at the next); otherwise one line every `everyMs`.
 *
 * @example
 * ```ts
 * import { progressReporter } from "./pipeline_support.ts";
 * const r = progressReporter({ tty: Deno.stderr.isTerminal() });
 * r.end();
 * ```
 */
export function progressReporter(
  options: {
    tty: boolean;
    everyMs?: number;
    write?: (line: string) => void;
    /** The terminal's width now (default: stderr's, else 80). */
    columns?: () => number;
  },
): { update: (p: Progress) => void; end: () => void } {
  const columns = options.columns ?? terminalColumns;
  const encoder = new TextEncoder();
  const write = options.write ?? ((s: string) => Deno.stderr.writeSync(encoder.encode(s)));
  let last = -Infinity;
  let lastLine = "";
  let drawn = false;
  return {
    update(p: Progress) {
      if (options.tty) {
        write(`\r\x1b[2K${fitProgress(p, columns())}`);
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

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80; // not a terminal after all, or not permitted to ask
  }
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
