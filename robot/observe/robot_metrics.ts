/**
 * The robot's Prometheus metrics (`GET /metrics`), from its
 * {@link RobotView}. Every name starts with `zedge_`, counters end in
 * `_total`, sizes and times carry their unit (`_bytes`, `_seconds`), and
 * every sample has a `robot` label. Counters count from their component's
 * start: a restarted component starts them at zero again, which
 * Prometheus's `rate()` and `increase()` take as a reset.
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `zedge_robot_uptime_seconds` | gauge | |
 * | `zedge_component_up` | gauge | component, kind |
 * | `zedge_component_state` | gauge | component, state (1 for the current one) |
 * | `zedge_component_restarts_total` | counter | component, kind |
 * | `zedge_component_uptime_seconds` | gauge | component |
 * | `zedge_socket_messages_sent_total`, `_received_total` | counter | component, type, endpoint |
 * | `zedge_socket_sent_bytes_total`, `zedge_socket_received_bytes_total` | counter | component, type, endpoint |
 * | `zedge_socket_connections` | gauge | component, type, endpoint |
 * | `zedge_socket_handshake_failures_total` | counter | component, type, endpoint |
 * | `zedge_socket_dropped_messages_total` | counter | component, type, endpoint |
 * | `zedge_tasks` | gauge | component, state (running) |
 * | `zedge_tasks_started_total` | counter | component |
 * | `zedge_tasks_finished_total` | counter | component, state |
 * | `zedge_pipeline_items_done_total`, `_failed_total`, `_retried_total` | counter | component, role |
 * | `zedge_pipeline_items`, `zedge_pipeline_items_in_flight`, `zedge_pipeline_workers` | gauge | component, role |
 * | `zedge_pipeline_eta_seconds` | gauge | component, role |
 * | `zedge_topic_messages_published_total` | counter | topic |
 * | `zedge_topic_messages_received_total` | counter | topic |
 * | `zedge_topic_subscribers` | gauge | topic |
 *
 * @example
 * ```ts
 * import { robotMetricsText } from "./robot_metrics.ts";
 * import type { RobotView } from "./view.ts";
 * declare const view: RobotView;
 * const body = robotMetricsText(view); // "# HELP zedge_robot_uptime_seconds …"
 * ```
 * @module
 */
import type { ComponentState } from "../control.ts";
import { formatPrometheusText, type MetricFamily, type MetricSample } from "./prometheus_text.ts";
import type { RobotView } from "./view.ts";

const STATES: readonly ComponentState[] = ["starting", "running", "backoff", "failed", "stopped"];

/**
 * The `Content-Type` header `GET /metrics` answers with.
 *
 * @example
 * ```ts
 * import { METRICS_CONTENT_TYPE } from "./robot_metrics.ts";
 * console.log(METRICS_CONTENT_TYPE); // "text/plain; version=0.0.4; charset=utf-8"
 * ```
 */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The metric families of `view` (see the module documentation for the
 * names).
 *
 * @example
 * ```ts
 * import { robotMetricFamilies } from "./robot_metrics.ts";
 * import type { RobotView } from "./view.ts";
 * declare const view: RobotView;
 * robotMetricFamilies(view).map((f) => f.name);
 * ```
 */
export function robotMetricFamilies(view: RobotView): MetricFamily[] {
  const robot = view.status.robot;
  const families: MetricFamily[] = [];
  const family = (
    name: string,
    type: MetricFamily["type"],
    help: string,
    samples: MetricSample[],
  ) => {
    families.push({
      name,
      type,
      help,
      samples: samples.map((s) => ({ labels: { robot, ...s.labels }, value: s.value })),
    });
  };
  const sample = (labels: Record<string, string>, value: number): MetricSample => ({
    labels,
    value,
  });

  const { components } = view.status;
  family("zedge_robot_uptime_seconds", "gauge", "Time since the robot's supervisor started.", [
    sample({}, view.status.uptimeMs / 1000),
  ]);
  family(
    "zedge_component_up",
    "gauge",
    "1 when the component is running, else 0.",
    components.map((c) =>
      sample({ component: c.name, kind: c.kind }, c.state === "running" ? 1 : 0)
    ),
  );
  family(
    "zedge_component_state",
    "gauge",
    "1 for the component's current state (starting, running, backoff, failed, stopped).",
    components.flatMap((c) =>
      STATES.map((state) => sample({ component: c.name, state }, c.state === state ? 1 : 0))
    ),
  );
  family(
    "zedge_component_restarts_total",
    "counter",
    "Times the supervisor started the component again since the robot started.",
    components.map((c) => sample({ component: c.name, kind: c.kind }, c.restarts)),
  );
  family(
    "zedge_component_uptime_seconds",
    "gauge",
    "Time since the component last became ready (0 when not running).",
    components.map((c) => sample({ component: c.name }, c.uptimeMs / 1000)),
  );

  const socketLabels = (s: RobotView["sockets"][number]) => ({
    component: s.component,
    type: s.type,
    endpoint: s.endpoint,
  });
  const socketFamily = (
    name: string,
    type: MetricFamily["type"],
    help: string,
    value: (s: RobotView["sockets"][number]) => number,
  ) => family(name, type, help, view.sockets.map((s) => sample(socketLabels(s), value(s))));
  socketFamily(
    "zedge_socket_messages_sent_total",
    "counter",
    "Messages the socket wrote to its peers (a PUB counts one per subscriber).",
    (s) => s.messagesSent,
  );
  socketFamily(
    "zedge_socket_messages_received_total",
    "counter",
    "Messages the socket received for its component.",
    (s) => s.messagesReceived,
  );
  socketFamily(
    "zedge_socket_sent_bytes_total",
    "counter",
    "Bytes the socket wrote to its transport (ZMTP framing included).",
    (s) => s.bytesSent,
  );
  socketFamily(
    "zedge_socket_received_bytes_total",
    "counter",
    "Bytes the socket read from its transport (ZMTP framing included).",
    (s) => s.bytesReceived,
  );
  socketFamily(
    "zedge_socket_connections",
    "gauge",
    "Peers connected to the socket now (past their handshake).",
    (s) => s.connections,
  );
  socketFamily(
    "zedge_socket_handshake_failures_total",
    "counter",
    "Connections whose ZMTP handshake failed (bad greeting, refused security, timeout).",
    (s) => s.handshakeFailures,
  );
  socketFamily(
    "zedge_socket_dropped_messages_total",
    "counter",
    "Messages dropped at the high-water mark (a PUB's subscribers that missed one).",
    (s) => s.dropped,
  );

  family(
    "zedge_tasks",
    "gauge",
    "Tasks of the task server by state now (running: initiated or accepted).",
    view.taskCounts.map((c) => sample({ component: c.server, state: "running" }, c.running)),
  );
  family(
    "zedge_tasks_started_total",
    "counter",
    "Tasks the task server started.",
    view.taskCounts.map((c) => sample({ component: c.server }, c.started)),
  );
  family(
    "zedge_tasks_finished_total",
    "counter",
    "Tasks that ended in each final state (REJECTED: refused when asked to start).",
    view.taskCounts.flatMap((c) =>
      Object.entries(c.finished).sort().map(([state, count]) =>
        sample({ component: c.server, state }, count)
      )
    ),
  );

  const pipelineFamily = (
    name: string,
    type: MetricFamily["type"],
    help: string,
    value: (p: RobotView["pipelines"][number]) => number | null,
  ) =>
    family(
      name,
      type,
      help,
      view.pipelines.flatMap((p) => {
        const v = value(p);
        return v === null ? [] : [sample({ component: p.component, role: p.role }, v)];
      }),
    );
  pipelineFamily(
    "zedge_pipeline_items_done_total",
    "counter",
    "Pipeline items done (a worker: processed; a service broker: requests answered).",
    (p) => p.done,
  );
  pipelineFamily(
    "zedge_pipeline_items_failed_total",
    "counter",
    "Pipeline items failed (a service broker: requests answered with an error).",
    (p) => p.failed,
  );
  pipelineFamily(
    "zedge_pipeline_items_retried_total",
    "counter",
    "Pipeline items handed out again (a distributor's redeliveries, a broker's retries).",
    (p) => p.retried,
  );
  pipelineFamily(
    "zedge_pipeline_items",
    "gauge",
    "All items of the distributor's run, once known.",
    (p) => p.total,
  );
  pipelineFamily(
    "zedge_pipeline_items_in_flight",
    "gauge",
    "Items at workers now.",
    (p) => p.inFlight,
  );
  pipelineFamily(
    "zedge_pipeline_workers",
    "gauge",
    "Workers registered with the distributor now.",
    (p) => p.workers,
  );
  pipelineFamily(
    "zedge_pipeline_eta_seconds",
    "gauge",
    "The distributor's estimate of the time to go.",
    (p) => p.etaMs === null ? null : p.etaMs / 1000,
  );

  family(
    "zedge_topic_messages_published_total",
    "counter",
    "Messages published on the topic by the robot's nodes.",
    view.topics.filter((t) => t.publishers.length > 0).map((t) =>
      sample({ topic: t.topic }, t.published)
    ),
  );
  family(
    "zedge_topic_messages_received_total",
    "counter",
    "Messages of the topic its subscribers received, all together.",
    view.topics.map((t) => sample({ topic: t.topic }, t.received)),
  );
  family(
    "zedge_topic_subscribers",
    "gauge",
    "Subscriptions open on the topic now.",
    view.topics.map((t) => sample({ topic: t.topic }, t.subscribers.length)),
  );
  return families;
}

/**
 * `view`'s metrics in the Prometheus text format.
 *
 * @example
 * ```ts
 * import { robotMetricsText } from "./robot_metrics.ts";
 * import type { RobotView } from "./view.ts";
 * declare const view: RobotView;
 * new Response(robotMetricsText(view));
 * ```
 */
export function robotMetricsText(view: RobotView): string {
  return formatPrometheusText(robotMetricFamilies(view));
}
