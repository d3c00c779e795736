/**
 * The wire of the control endpoint's ops for a robot's data, shared by its
 * server (control_ops.ts, in the supervisor) and its client
 * (control_client.ts, in the CLI): the ops, the stream frames' header, the
 * lease, the shape of a topic in `topics`. Nothing here imports more than
 * types, so a short command (`zedge topic list`) loads no more than it needs.
 *
 * @example
 * ```ts
 * import { LIVE_OPS, STREAM_HEADER_BYTES } from "./control_wire.ts";
 * console.log(LIVE_OPS.length, STREAM_HEADER_BYTES); // 9 13
 * ```
 * @module
 */
import type { TopicSchema } from "../spec.ts";

/**
 * How long a stream lives without its client renewing it, ms.
 *
 * @example
 * ```ts
 * import { LEASE_MS } from "./control_wire.ts";
 * console.log(LEASE_MS); // 5000
 * ```
 */
export const LEASE_MS = 5000;

/**
 * The ops served here.
 *
 * @example
 * ```ts
 * import { LIVE_OPS } from "./control_wire.ts";
 * console.log(LIVE_OPS.includes("subscribe")); // true
 * ```
 */
export const LIVE_OPS = [
  "topics",
  "services",
  "call",
  "publish",
  "subscribe",
  "play",
  "renew",
  "ack",
  "cancel",
] as const;

/**
 * A request of one of {@link LIVE_OPS} (the fields each takes are in the
 * module documentation).
 *
 * @example
 * ```ts
 * import type { LiveRequest } from "./control_wire.ts";
 * const r: LiveRequest = { op: "call", service: "plan", request: { to: [3, 1] } };
 * ```
 */
export interface LiveRequest {
  /** The op. */
  op: typeof LIVE_OPS[number];
  /** Its fields. */
  [field: string]: unknown;
}

/**
 * The kinds of stream frames (the first byte of their header).
 *
 * @example
 * ```ts
 * import { StreamKind } from "./control_wire.ts";
 * console.log(String.fromCharCode(StreamKind.message)); // "m"
 * ```
 */
export const StreamKind = { message: 0x6d, log: 0x6c, states: 0x73 } as const;

/**
 * Bytes of a stream frame's header: kind, sequence, time.
 *
 * @example
 * ```ts
 * import { STREAM_HEADER_BYTES } from "./control_wire.ts";
 * console.log(STREAM_HEADER_BYTES); // 13
 * ```
 */
export const STREAM_HEADER_BYTES = 13;

/**
 * One topic as `zedge topic list` shows it.
 *
 * @example
 * ```ts
 * import type { TopicInfo } from "./control_wire.ts";
 * const t: TopicInfo = {
 *   topic: "odom", encoding: "msgpack", publishers: ["odometry"], subscribers: ["filter"],
 *   operator: false, rate: 100, published: 5000,
 * };
 * ```
 */
export interface TopicInfo {
  /** The topic. */
  topic: string;
  /** Its encoding. */
  encoding: string;
  /** Who publishes it (`(operator)` when an operator may). */
  publishers: string[];
  /** Components with a subscription open on it now. */
  subscribers: string[];
  /** Whether an operator may publish it. */
  operator: boolean;
  /** Messages per second now. */
  rate: number;
  /** Messages published since its publishers started. */
  published: number;
  /** The schema the YAML declares for it, if any. */
  schema?: TopicSchema;
}
