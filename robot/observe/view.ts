/**
 * The robot as the status page, `GET /metrics` and `zedge robot top` show
 * it: the supervisor's status (what `zedge robot status --json` prints)
 * with every component's live figures gathered and turned into rates —
 * tasks, pipeline progress, topics and sockets — and the log tail's lines.
 *
 * @example
 * ```ts
 * import type { RobotView } from "./view.ts";
 * const running = (view: RobotView) => view.tasks.filter((t) => t.finishedAt === null).length;
 * ```
 * @module
 */
import type { LogLevelName } from "../protocol.ts";
import type { PipelineFigures, SocketFigures, TaskFigures } from "./figures.ts";

/**
 * One component's status, as `zedge robot status --json` prints it.
 *
 * @example
 * ```ts
 * import type { ComponentStatus } from "./view.ts";
 * const s: ComponentStatus = {
 *   name: "odometry", kind: "node", state: "running", restarts: 0, uptimeMs: 1200,
 *   lastError: null, permissions: { net: ["127.0.0.1:7801"], read: [], write: [], env: [] },
 * };
 * ```
 */
export interface ComponentStatus {
  /** Component name. */
  name: string;
  /** Component kind. */
  kind: string;
  /** starting, running, backoff, failed or stopped. */
  state: ComponentState;
  /** Restarts since the robot started. */
  restarts: number;
  /** Time since it last became ready, 0 when not running. */
  uptimeMs: number;
  /** The last error, or null. */
  lastError: string | null;
  /** What it may touch. */
  permissions: { net: string[]; read: string[]; write: string[]; env: string[] };
}

/**
 * A component's state.
 *
 * @example
 * ```ts
 * import type { ComponentState } from "./view.ts";
 * const s: ComponentState = "backoff";
 * ```
 */
export type ComponentState = "starting" | "running" | "backoff" | "failed" | "stopped";

/**
 * The whole robot's status.
 *
 * @example
 * ```ts
 * import type { RobotStatus } from "./view.ts";
 * const s: RobotStatus = { robot: "kitchen-bot", pid: 1234, uptimeMs: 5000, components: [] };
 * ```
 */
export interface RobotStatus {
  /** Robot name. */
  robot: string;
  /** The supervisor's process id. */
  pid: number;
  /** The zedge version the robot runs (what `zedge fleet status` shows). */
  version?: string;
  /** Time since the supervisor started. */
  uptimeMs: number;
  /** Every component, in file order. */
  components: ComponentStatus[];
}

/**
 * One task, with the task server it runs on.
 *
 * @example
 * ```ts
 * import type { TaskView } from "./view.ts";
 * const label = (t: TaskView) => `${t.server}${t.scope} #${t.id} ${t.state}`;
 * ```
 */
export interface TaskView extends TaskFigures {
  /** The task server component. */
  server: string;
}

/**
 * A task server's task counts.
 *
 * @example
 * ```ts
 * import type { TaskCountsView } from "./view.ts";
 * const c: TaskCountsView = { server: "tasks", started: 3, running: 1, finished: { COMPLETED: 2 } };
 * ```
 */
export interface TaskCountsView {
  /** The task server component. */
  server: string;
  /** Tasks started since it started. */
  started: number;
  /** Tasks running now. */
  running: number;
  /** Tasks that reached each final state (REJECTED: refused at INIT). */
  finished: Record<string, number>;
}

/**
 * A pipeline or service role's progress, with a rate where the role does
 * not measure one itself.
 *
 * @example
 * ```ts
 * import type { PipelineView } from "./view.ts";
 * const pct = (p: PipelineView) => p.total ? Math.round(100 * (p.done ?? 0) / p.total) : null;
 * ```
 */
export interface PipelineView extends PipelineFigures {
  /** The component. */
  component: string;
  /** Items done per second, most recent last. */
  history: number[];
}

/**
 * One topic of the robot.
 *
 * @example
 * ```ts
 * import type { TopicView } from "./view.ts";
 * const t: TopicView = {
 *   topic: "odom", publishers: ["odometry"], subscribers: ["filter"], published: 500,
 *   received: 498, rate: 100, receivedRate: 100, history: [100, 100],
 * };
 * ```
 */
export interface TopicView {
  /** The topic (another robot's as `peer/topic`). */
  topic: string;
  /** Components publishing it. */
  publishers: string[];
  /** Components with a subscription open on it now (once per open subscription). */
  subscribers: string[];
  /** Messages published on it (by running publishers, since they started). */
  published: number;
  /** Messages its subscribers received. */
  received: number;
  /** Messages published per second (received per second for another robot's topic). */
  rate: number;
  /** Messages received per second, all subscribers together. */
  receivedRate: number;
  /** `rate`, once a second, most recent last. */
  history: number[];
}

/**
 * One socket (or group of sockets) of a component, with its rates.
 *
 * @example
 * ```ts
 * import type { SocketView } from "./view.ts";
 * const total = (s: SocketView) => s.sentRate + s.receivedRate;
 * ```
 */
export interface SocketView extends SocketFigures {
  /** The component owning it. */
  component: string;
  /** Messages sent per second. */
  sentRate: number;
  /** Messages received per second. */
  receivedRate: number;
  /** Messages sent and received per second, most recent last. */
  history: number[];
}

/**
 * One line of the log tail.
 *
 * @example
 * ```ts
 * import type { LogLine } from "./view.ts";
 * const line: LogLine = { seq: 1, time: Date.now(), component: "odometry", level: "info", message: "up" };
 * ```
 */
export interface LogLine {
  /** Increasing number of the line (a client asks for lines after the last it has). */
  seq: number;
  /** When it was logged, ms since the epoch. */
  time: number;
  /** The component, or `supervisor` for the supervisor's word on state changes. */
  component: string;
  /** Its level. */
  level: LogLevelName;
  /** Its text. */
  message: string;
}

/**
 * The whole view (see the module documentation).
 *
 * @example
 * ```ts
 * import type { RobotView } from "./view.ts";
 * const names = (v: RobotView) => v.status.components.map((c) => c.name);
 * ```
 */
export interface RobotView {
  /** The supervisor's status: the same as `zedge robot status --json` and `GET /status.json`. */
  status: RobotStatus;
  /** When this view was made, ms since the epoch. */
  at: number;
  /** Running tasks first, then recent ones, of every task server. */
  tasks: TaskView[];
  /** Each task server's counts. */
  taskCounts: TaskCountsView[];
  /** Pipeline and service roles. */
  pipelines: PipelineView[];
  /** Topics, by name. */
  topics: TopicView[];
  /** Sockets, by component. */
  sockets: SocketView[];
}
