/**
 * What `zedge robot top` draws: one screen of the robot's view —
 * components, tasks, pipelines, topics with a small rate plot, the busiest
 * sockets and the latest log lines — cut to the terminal's width (every
 * line) and height (the log gives way first, then the sockets).
 *
 * @example
 * ```ts
 * import { formatTop } from "./robot_top_format.ts";
 * import type { RobotView } from "../robot/observe/view.ts";
 * declare const view: RobotView;
 * console.log(formatTop(view, [], { width: 100, endpoint: "ipc:///tmp/zedge-r.sock" }).join("\n"));
 * ```
 * @module
 */
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { LogLine, RobotView } from "../robot/observe/view.ts";
import { formatComponentTable, formatTable, formatUptime } from "./robot_common.ts";

/**
 * How the screen is laid out.
 *
 * @example
 * ```ts
 * import type { TopLayout } from "./robot_top_format.ts";
 * const layout: TopLayout = { width: 80, height: 24, endpoint: "tcp://10.0.0.12:7700" };
 * ```
 */
export interface TopLayout {
  /** Columns: no line is longer. */
  width: number;
  /** Rows, when known: the screen is cut to fit. */
  height?: number;
  /** The control endpoint, for the header. */
  endpoint: string;
  /** Why the last refresh failed, shown under the header (the view is then the last one had). */
  problem?: string;
  /** Refreshing until q: the header says how to quit. */
  interactive?: boolean;
}

/** Busiest sockets listed (by messages per second). */
const SOCKET_ROWS = 8;
/** Finished tasks listed after the running ones. */
const RECENT_TASKS = 5;
/** Samples in a topic's plot (one a second). */
const PLOT_SAMPLES = 20;
const BARS = "▁▂▃▄▅▆▇█";

/**
 * A number per second, short: `0.4`, `12`, `1.3k`, `27k`.
 *
 * @example
 * ```ts
 * import { formatRate } from "./robot_top_format.ts";
 * formatRate(1234); // "1.2k"
 * ```
 */
export function formatRate(n: number | null): string {
  if (n === null) return "-";
  if (n >= 10_000) return `${(n / 1000).toFixed(0)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  if (n >= 10) return n.toFixed(0);
  return n.toFixed(1);
}

/**
 * Values as a row of block characters, the highest full (an empty row of
 * `▁` for nothing but zeros).
 *
 * @example
 * ```ts
 * import { sparkline } from "./robot_top_format.ts";
 * sparkline([0, 50, 100]); // "▁▅█"
 * ```
 */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) =>
    BARS[max === 0 ? 0 : Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))]
  ).join("");
}

/**
 * `line` cut to `width` columns (an ellipsis marks the cut).
 *
 * @example
 * ```ts
 * import { fitWidth } from "./robot_top_format.ts";
 * fitWidth("odometry crashed: TypeError", 12); // "odometry cr…"
 * ```
 */
export function fitWidth(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

function firstLine(text: string | null): string {
  return text === null ? "-" : text.split("\n")[0];
}

function componentLines(view: RobotView): string[] {
  return formatComponentTable(view.status.components).split("\n");
}

function taskLines(view: RobotView): string[] {
  const counts = view.taskCounts.map((c) => {
    const finished = Object.entries(c.finished).sort().map(([s, n]) => `${n} ${s.toLowerCase()}`);
    return `${c.server}: ${[`${c.running} running`, ...finished].join(", ")}`;
  });
  const running = view.tasks.filter((t) => t.finishedAt === null);
  const recent = view.tasks.filter((t) => t.finishedAt !== null).slice(0, RECENT_TASKS);
  const lines = [`TASKS  ${counts.join(" · ") || "no task server"}`];
  if (running.length + recent.length === 0) return lines;
  const rows = [["STATE", "TASK", "HANDLER", "GOAL", "TIME", "PROGRESS OR RESULT"]];
  for (const t of [...running, ...recent]) {
    rows.push([
      t.state,
      `${t.server}${t.scope} #${t.id}`,
      `${t.handler}:${t.component}`,
      t.goal,
      formatUptime((t.finishedAt ?? view.at) - t.createdAt),
      firstLine(t.payload),
    ]);
  }
  return [...lines, ...formatTable(rows).split("\n")];
}

function pipelineLines(view: RobotView): string[] {
  if (view.pipelines.length === 0) return [];
  const rows = [["PIPELINE", "ROLE", "DONE", "FAILED", "RETRIED", "RATE", "ETA"]];
  const count = (n: number | null) => n === null ? "-" : String(n);
  for (const p of view.pipelines) {
    rows.push([
      p.component,
      p.role,
      p.total === null ? count(p.done) : `${count(p.done)}/${p.total}`,
      count(p.failed),
      count(p.retried),
      p.rate === null ? "-" : `${formatRate(p.rate)}/s`,
      p.etaMs === null ? "-" : formatUptime(p.etaMs),
    ]);
  }
  return formatTable(rows).split("\n");
}

function topicLines(view: RobotView): string[] {
  if (view.topics.length === 0) return [];
  const rows = [["TOPIC", "MSG/S", "LAST 20 S", "PUBLISHERS", "SUBSCRIBERS"]];
  for (const t of view.topics) {
    rows.push([
      t.topic,
      formatRate(t.rate),
      sparkline(t.history.slice(-PLOT_SAMPLES)).padStart(PLOT_SAMPLES, " "),
      t.publishers.join(",") || "-",
      t.subscribers.join(",") || "-",
    ]);
  }
  return formatTable(rows).split("\n");
}

function socketLines(view: RobotView, rows: number): string[] {
  if (view.sockets.length === 0 || rows <= 1) return [];
  const busiest = [...view.sockets]
    .sort((a, b) => b.sentRate + b.receivedRate - (a.sentRate + a.receivedRate))
    .slice(0, rows - 1);
  const table = [["COMPONENT", "PEERS", "OUT/S", "IN/S", "DROPS", "HS FAIL", "SOCKET"]];
  for (const s of busiest) {
    table.push([
      s.component,
      String(s.connections),
      formatRate(s.sentRate),
      formatRate(s.receivedRate),
      String(s.dropped),
      String(s.handshakeFailures),
      `${s.type} ${s.endpoint || "-"}`,
    ]);
  }
  return formatTable(table).split("\n");
}

function logLines(logs: readonly LogLine[], rows: number): string[] {
  if (rows <= 1) return [];
  const shown = logs.slice(-(rows - 1)).map((l) =>
    `${new Date(l.time).toTimeString().slice(0, 8)} ${l.level} ${l.component}: ${
      firstLine(l.message)
    }`
  );
  return ["LOG", ...shown];
}

/**
 * The screen's lines (see the module documentation).
 *
 * @example
 * ```ts
 * import { formatTop } from "./robot_top_format.ts";
 * import type { RobotView } from "../robot/observe/view.ts";
 * declare const view: RobotView;
 * formatTop(view, [], { width: 80, height: 24, endpoint: "ipc:///run/zedge/kitchen-bot.sock" });
 * ```
 */
export function formatTop(
  view: RobotView,
  logs: readonly LogLine[],
  layout: TopLayout,
): string[] {
  const { status } = view;
  const running = status.components.filter((c) => c.state === "running").length;
  const time = new Date(view.at).toTimeString().slice(0, 8);
  const header = [
    `${status.robot} · pid ${status.pid} · up ${formatUptime(status.uptimeMs)} · ` +
    `${running} of ${status.components.length} running · ${time} · control ${layout.endpoint}` +
    (layout.interactive ? " · q quits" : ""),
  ];
  if (layout.problem !== undefined) header.push(`! ${layout.problem}`);
  const sections = [componentLines(view), taskLines(view), pipelineLines(view), topicLines(view)]
    .filter((s) => s.length > 0);
  const fixed = [header, ...sections];
  const used = fixed.reduce((n, s) => n + s.length + 1, 0); // a blank line after each
  const left = layout.height === undefined ? Infinity : layout.height - used;
  const sockets = socketLines(view, Math.min(SOCKET_ROWS + 1, Math.max(0, left - 5)));
  const forLog = layout.height === undefined
    ? 11
    : left - (sockets.length > 0 ? sockets.length + 1 : 0);
  const log = logLines(logs, forLog);
  const lines = [...fixed, sockets, log].filter((s) => s.length > 0)
    .flatMap((section, i, all) => i < all.length - 1 ? [...section, ""] : section);
  const cut = layout.height === undefined ? lines : lines.slice(0, layout.height);
  // Everything on screen came from the robot (names, errors, log lines): escaped, then fitted.
  return cut.map((line) => fitWidth(escapeUntrusted(line), layout.width));
}
