/**
 * What `zedge topic`, `zedge service` and `zedge robot record|play` share:
 * the robot's topics and services asked over its control endpoint, the
 * live client for streams, and values printed as JSON safely — text from
 * a robot goes through the one escaping helper before a terminal sees it.
 * (YAML in and out is in live_values.ts, loaded only by the commands that
 * need it: the YAML parser is a good part of a short command's start-up.)
 *
 * @example
 * ```ts
 * import { jsonLine } from "./live_common.ts";
 * jsonLine({ x: 1 }); // '{"x":1}'
 * ```
 * @module
 */
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { TopicInfo } from "../robot/live/control_wire.ts";
import { LiveClient } from "../robot/live/control_client.ts";
import { CliError } from "./errors.ts";
import { askRobot, type RobotTarget } from "./robot_target.ts";

/**
 * The robot's topics (`topics` over the control endpoint).
 *
 * @example
 * ```ts
 * import { robotTopics } from "./live_common.ts";
 * const topics = await robotTopics({ endpoint: "ipc:///tmp/zedge-kitchen-bot.sock", timeoutMs: 3000 });
 * ```
 */
export async function robotTopics(target: RobotTarget): Promise<TopicInfo[]> {
  const reply = await askRobot(target, { op: "topics" }) as { topics?: TopicInfo[] };
  if (!Array.isArray(reply.topics)) throw new CliError("the supervisor sent no topics");
  return reply.topics;
}

/**
 * `topic` among the robot's topics, or a {@link CliError} naming them.
 *
 * @example
 * ```ts
 * import { requireTopic } from "./live_common.ts";
 * requireTopic([], "odom"); // throws: no topic 'odom' …
 * ```
 */
export function requireTopic(topics: readonly TopicInfo[], topic: string): TopicInfo {
  const found = topics.find((t) => t.topic === topic);
  if (found !== undefined) return found;
  throw new CliError(
    `no topic '${escapeUntrusted(topic)}' on this robot (topics: ${
      escapeUntrusted(topics.map((t) => t.topic).join(", ")) || "none"
    })`,
  );
}

/**
 * A live client for the robot `target` names (its CURVE settings included).
 *
 * @example
 * ```ts
 * import { liveClient } from "./live_common.ts";
 * const client = liveClient({ endpoint: "ipc:///tmp/zedge-kitchen-bot.sock", timeoutMs: 3000 });
 * await client.close();
 * ```
 */
export function liveClient(target: RobotTarget): LiveClient {
  return new LiveClient(target.endpoint, { timeoutMs: target.timeoutMs, curve: target.curve });
}

/** What JSON.stringify leaves as it is but a terminal or a reader's eye would act on. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A value as one line of JSON, with the characters JSON leaves raw but a
 * terminal would act on (C1 controls, bidi overrides) written as `\uXXXX`
 * escapes: still valid JSON, and safe to print.
 *
 * @example
 * ```ts
 * import { jsonLine } from "./live_common.ts";
 * jsonLine({ name: "a\u202eb" }); // '{"name":"a\\u202eb"}'
 * ```
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A byte count as people read it: `512 B`, `3.2 KB`, `1.5 MB`, `2.10 GB`
 * (powers of 1000, as the rates beside them).
 *
 * @example
 * ```ts
 * import { formatBytes } from "./live_common.ts";
 * formatBytes(1_500_000); // "1.5 MB"
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} KB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/**
 * Splits a comma-separated list flag (`--topics a,b`), dropping blanks.
 *
 * @example
 * ```ts
 * import { listFlag } from "./live_common.ts";
 * listFlag("odom, scan,"); // ["odom", "scan"]
 * ```
 */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(",").map((t) => t.trim()).filter((t) => t !== "");
}
