/**
 * The Prometheus text exposition format (version 0.0.4), written out:
 * `# HELP` and `# TYPE` per family, then one `name{label="value"} number`
 * line per sample, with the format's escaping (`\\`, `"` and newlines in
 * label values; `\\` and newlines in help). Only counters and gauges: the
 * robot's figures are counts and levels sampled by the components, so
 * there is nothing to observe into histograms here.
 *
 * Why not prom-client: it loads under Deno, but adds ≈ 120 ms and ≈ 21 MB
 * of RSS to the supervisor (measured, with its @opentelemetry/api and Node
 * compatibility modules), and its metrics are live objects to `inc()` —
 * counters cannot be set — while these values arrive as samples from the
 * components' Workers. Writing the format is this module.
 *
 * @example
 * ```ts
 * import { formatPrometheusText } from "./prometheus_text.ts";
 * console.log(formatPrometheusText([{
 *   name: "zedge_component_restarts_total", help: "Restarts.", type: "counter",
 *   samples: [{ labels: { component: "odometry" }, value: 2 }],
 * }]));
 * // # HELP zedge_component_restarts_total Restarts.
 * // # TYPE zedge_component_restarts_total counter
 * // zedge_component_restarts_total{component="odometry"} 2
 * ```
 * @module
 */

/**
 * A metric family: its samples share a name, help text and type.
 *
 * @example
 * ```ts
 * import type { MetricFamily } from "./prometheus_text.ts";
 * const up: MetricFamily = { name: "zedge_component_up", help: "1 when running.", type: "gauge", samples: [] };
 * ```
 */
export interface MetricFamily {
  /** The metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`); a counter's ends in `_total`. */
  name: string;
  /** One line saying what it measures. */
  help: string;
  /** counter (only goes up, but resets when its component restarts) or gauge. */
  type: "counter" | "gauge";
  /** Its samples; a family without samples is still described. */
  samples: MetricSample[];
}

/**
 * One sample of a family.
 *
 * @example
 * ```ts
 * import type { MetricSample } from "./prometheus_text.ts";
 * const s: MetricSample = { labels: { component: "tasks", state: "COMPLETED" }, value: 12 };
 * ```
 */
export interface MetricSample {
  /** Label names (`[a-zA-Z_][a-zA-Z0-9_]*`) to values. */
  labels: Record<string, string>;
  /** The value; NaN and ±Infinity are written as the format spells them. */
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A label value as the format quotes it.
 *
 * @example
 * ```ts
 * import { escapeLabelValue } from "./prometheus_text.ts";
 * escapeLabelValue('say "hi"\n'); // 'say \\"hi\\"\\n'
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * Writes `families` in the text format; throws a TypeError for a name the
 * format does not allow (a bug, not input: the names are zedge's own).
 *
 * @example
 * ```ts
 * import { formatPrometheusText } from "./prometheus_text.ts";
 * const text = formatPrometheusText([
 *   { name: "zedge_robot_uptime_seconds", help: "Since start.", type: "gauge", samples: [{ labels: {}, value: 4.2 }] },
 * ]);
 * ```
 */
export function formatPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new TypeError(`bad metric name '${family.name}'`);
    lines.push(
      `# HELP ${family.name} ${family.help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`,
    );
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels).map(([name, value]) => {
        if (!LABEL_NAME.test(name)) throw new TypeError(`bad label name '${name}'`);
        return `${name}="${escapeLabelValue(value)}"`;
      });
      const labelText = labels.length > 0 ? `{${labels.join(",")}}` : "";
      lines.push(`${family.name}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
