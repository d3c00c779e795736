/**
 * Logs over PUB: a logtape sink (and a `publish` for records formed
 * elsewhere) that publishes every record on a PUB socket as topic
 * `<robot>.<component>.<level>` and a JSON body, never waiting and never
 * queueing past the high-water mark; and the wire format's reader, which
 * `zedge logs tail` uses.
 *
 * @example
 * ```ts
 * import { createPubLogSink } from "./mod.ts";
 * const logs = await createPubLogSink({ endpoint: "tcp://127.0.0.1:0", robot: "kitchen-bot" });
 * logs.publish("planner", {
 *   time: Date.now(), level: "info", category: ["kitchen-bot", "planner"],
 *   message: "planning", properties: {},
 * });
 * await logs.close();
 * ```
 * @module
 */
export { createPubLogSink, type PubLogSink, type PubLogSinkOptions } from "./pub_sink.ts";
export {
  type FormedLogRecord,
  formLogRecord,
  isAtLeast,
  isLogLevel,
  LOG_LEVELS,
  type LogLevelName,
  type LogtapeRecord,
  type PublishedLogRecord,
  renderLogMessage,
} from "./record.ts";
export { decodeLogMessage, encodeLogMessage, LogMessageError, logTopic } from "./wire.ts";
