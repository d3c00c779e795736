/**
 * The supervisor's side of the live figures: it keeps each running
 * component's latest {@link ComponentFigures}, turns their counters into
 * rates with a minute of history, gathers them into one {@link RobotView},
 * and keeps the log tail. The status page, `GET /metrics` and the control
 * channel's `view` all read it; nothing here runs unless a component
 * reports or someone asks.
 *
 * @example
 * ```ts
 * import { RobotObservatory } from "./observatory.ts";
 * const observatory = new RobotObservatory(() => ({
 *   robot: "r", pid: Deno.pid, uptimeMs: 0, components: [],
 * }));
 * observatory.figures("odometry", {
 *   at: Date.now(), sockets: [], topics: { published: { odom: 10 }, received: {}, subscriptions: [] },
 * });
 * console.log(observatory.view().topics[0].topic); // "odom"
 * ```
 * @module
 */
import { escapeUntrusted } from "../../core/logs/escape.ts";
import type { ComponentState, RobotStatus } from "../control.ts";
import { matches } from "../dataflow/node_dataflow.ts";
import type { ComponentLogRecord } from "../protocol.ts";
import type { ComponentFigures } from "./figures.ts";
import { RateSeries } from "./rate_series.ts";
import type {
  LogLine,
  PipelineView,
  RobotView,
  SocketView,
  TaskCountsView,
  TopicView,
} from "./view.ts";

/**
 * Lines the log tail keeps.
 *
 * @example
 * ```ts
 * import { LOG_TAIL_LINES } from "./observatory.ts";
 * console.log(LOG_TAIL_LINES); // 500
 * ```
 */
export const LOG_TAIL_LINES = 500;

/** What the observatory knows of one running component. */
interface ComponentRecord {
  figures: ComponentFigures;
  /** Rates of its counters, by series (`sent PUB tcp://…`, `published odom`, `done`). */
  series: Map<string, RateSeries>;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { RobotObservatory } from "./observatory.ts";
 * import type { Supervisor } from "../supervisor.ts";
 * declare const supervisor: Supervisor;
 * const observatory = new RobotObservatory(() => supervisor.status());
 * ```
 */
export class RobotObservatory {
  readonly #status: () => RobotStatus;
  readonly #components = new Map<string, ComponentRecord>();
  readonly #log: LogLine[] = [];
  #seq = 0;
  readonly #changeListeners = new Set<() => void>();
  readonly #logListeners = new Set<(line: LogLine) => void>();

  /** Reads the supervisor's status through `status` whenever a view is made. */
  constructor(status: () => RobotStatus) {
    this.#status = status;
  }

  /** The supervisor's status (what `zedge robot status --json` prints). */
  status(): RobotStatus {
    const status = this.#status();
    // A component's error is its own text: shown escaped wherever the view goes.
    for (const c of status.components) {
      if (c.lastError !== null) c.lastError = escapeUntrusted(c.lastError);
    }
    return status;
  }

  /** A component's latest sample. */
  figures(component: string, figures: ComponentFigures): void {
    let record = this.#components.get(component);
    if (record === undefined) {
      record = { figures, series: new Map() };
      this.#components.set(component, record);
    }
    record.figures = figures;
    const rate = (key: string, value: number) => {
      let series = record.series.get(key);
      if (series === undefined) record.series.set(key, series = new RateSeries());
      series.update(value, figures.at);
    };
    for (const socket of figures.sockets) {
      const key = `${socket.type} ${socket.endpoint}`;
      rate(`sent ${key}`, socket.messagesSent);
      rate(`received ${key}`, socket.messagesReceived);
      rate(`both ${key}`, socket.messagesSent + socket.messagesReceived);
    }
    for (const [topic, count] of Object.entries(figures.topics?.published ?? {})) {
      rate(`published ${topic}`, count);
    }
    for (const [topic, count] of Object.entries(figures.topics?.received ?? {})) {
      rate(`received ${topic}`, count);
    }
    if (figures.pipeline?.done != null) rate("done", figures.pipeline.done);
  }

  /**
   * A component changed state; the listeners hear of it at once. One that
   * is not running has no live sockets, topics or tasks; a pipeline role's
   * last progress stays (how far the run got) until it starts again — a
   * new Worker starts its counters and rates afresh.
   */
  stateChanged(component: string, state: ComponentState): void {
    const record = this.#components.get(component);
    if (state === "starting") this.#components.delete(component);
    else if (state !== "running" && record !== undefined) {
      const { at, pipeline } = record.figures;
      if (pipeline === undefined) this.#components.delete(component);
      else {
        record.figures = {
          at,
          sockets: [],
          pipeline: {
            ...pipeline,
            rate: 0,
            etaMs: null,
            inFlight: pipeline.inFlight === null ? null : 0,
          },
        };
      }
    }
    for (const listener of this.#changeListeners) listener();
  }

  /** A log record of `component` (or the supervisor's), for the tail. */
  log(component: string, record: Pick<ComponentLogRecord, "time" | "level" | "message">): void {
    const line: LogLine = {
      seq: ++this.#seq,
      time: record.time,
      component,
      level: record.level,
      message: escapeUntrusted(record.message),
    };
    this.#log.push(line);
    if (this.#log.length > LOG_TAIL_LINES) this.#log.shift();
    for (const listener of this.#logListeners) listener(line);
  }

  /** The tail's lines after `afterSeq` (all it keeps by default), oldest first; at most `limit`. */
  logs(afterSeq = 0, limit = LOG_TAIL_LINES): LogLine[] {
    const lines = this.#log.filter((l) => l.seq > afterSeq);
    return lines.slice(Math.max(0, lines.length - limit));
  }

  /** Calls `listener` on every component state change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Calls `listener` with every new log line; returns the unsubscribe function. */
  onLog(listener: (line: LogLine) => void): () => void {
    this.#logListeners.add(listener);
    return () => this.#logListeners.delete(listener);
  }

  /** The robot now (see {@link RobotView}). */
  view(): RobotView {
    const status = this.status();
    const tasks: RobotView["tasks"] = [];
    const taskCounts: TaskCountsView[] = [];
    const pipelines: PipelineView[] = [];
    const sockets: SocketView[] = [];
    for (const { name } of status.components) {
      const record = this.#components.get(name);
      if (record === undefined) continue;
      const { figures, series } = record;
      const rate = (key: string) => series.get(key)?.rate ?? 0;
      if (figures.tasks !== undefined) {
        for (const task of figures.tasks.tasks) tasks.push({ server: name, ...task });
        taskCounts.push({
          server: name,
          started: figures.tasks.started,
          running: figures.tasks.running,
          finished: { ...figures.tasks.finished },
        });
      }
      if (figures.pipeline !== undefined) {
        pipelines.push({
          component: name,
          ...figures.pipeline,
          rate: figures.pipeline.rate ?? (figures.pipeline.done === null ? null : rate("done")),
          history: series.get("done")?.history ?? [],
        });
      }
      for (const socket of figures.sockets) {
        const key = `${socket.type} ${socket.endpoint}`;
        sockets.push({
          component: name,
          ...socket,
          sentRate: rate(`sent ${key}`),
          receivedRate: rate(`received ${key}`),
          history: series.get(`both ${key}`)?.history ?? [],
        });
      }
    }
    tasks.sort((a, b) =>
      Number(a.finishedAt !== null) - Number(b.finishedAt !== null) ||
      (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt)
    );
    return {
      status,
      at: Date.now(),
      tasks,
      taskCounts,
      pipelines,
      topics: this.#topics(status),
      sockets,
    };
  }

  /** Every topic published or received on the robot, with its publishers' and subscribers' rates. */
  #topics(status: RobotStatus): TopicView[] {
    const topics = new Map<string, TopicView>();
    const histories = new Map<string, number[][]>();
    const topicOf = (topic: string): TopicView => {
      let view = topics.get(topic);
      if (view === undefined) {
        view = {
          topic,
          publishers: [],
          subscribers: [],
          published: 0,
          received: 0,
          rate: 0,
          receivedRate: 0,
          history: [],
        };
        topics.set(topic, view);
        histories.set(topic, []);
      }
      return view;
    };
    const order = status.components.map((c) => c.name);
    for (const name of order) {
      const record = this.#components.get(name);
      const figures = record?.figures.topics;
      if (record === undefined || figures === undefined) continue;
      for (const [topic, count] of Object.entries(figures.published)) {
        const view = topicOf(topic);
        const series = record.series.get(`published ${topic}`);
        view.publishers.push(name);
        view.published += count;
        view.rate += series?.rate ?? 0;
        histories.get(topic)!.push(series?.history ?? []);
      }
      for (const [topic, count] of Object.entries(figures.received)) {
        const view = topicOf(topic);
        view.received += count;
        view.receivedRate += record.series.get(`received ${topic}`)?.rate ?? 0;
      }
    }
    for (const name of order) {
      const subscriptions = this.#components.get(name)?.figures.topics?.subscriptions ?? [];
      for (const pattern of subscriptions) {
        for (const view of topics.values()) {
          if (matches(pattern, view.topic)) view.subscribers.push(name);
        }
      }
    }
    for (const view of topics.values()) {
      if (view.publishers.length === 0) {
        // Another robot's topic: what arrives is all that is known of it.
        view.rate = view.receivedRate;
        view.history = [];
      } else {
        view.history = sumHistories(histories.get(view.topic)!);
      }
    }
    return [...topics.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  }
}

/** Adds histories element by element, aligned at their most recent ends. */
function sumHistories(histories: number[][]): number[] {
  const length = Math.max(0, ...histories.map((h) => h.length));
  const sum = new Array<number>(length).fill(0);
  for (const history of histories) {
    const offset = length - history.length;
    history.forEach((value, i) => sum[offset + i] += value);
  }
  return sum.map((v) => Math.round(v * 10) / 10);
}
