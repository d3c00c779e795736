/**
 * The supervisor's check of what a component posts it. A component's
 * isolate runs the component's own code, which can post anything on the
 * runtime's channel (`postMessage` is the Worker's global): a `figures`
 * without figures, a `log` whose record is `null`, a 200 MB error text.
 * Before this check, such a message threw in the supervisor (an uncaught
 * TypeError ended the whole robot) or in the host link (every sibling in
 * the shared host went down with it). Every message is now read against
 * the protocol's shapes and sizes here, at the boundary; one that does not
 * fit ends its component as a crash, with the field that was wrong.
 *
 * The sizes bound what one message makes the supervisor hold: the honest
 * runtime stays inside them (component_runtime.ts cuts a long log record
 * down first), so only forged messages meet them.
 *
 * @example
 * ```ts
 * import { readComponentMessage } from "./component_message.ts";
 * readComponentMessage({ op: "heartbeat", heapBytes: 1024 }); // { op: "heartbeat", heapBytes: 1024 }
 * readComponentMessage({ op: "figures", figures: null }); // a string: why it is refused
 * ```
 * @module
 */
import { z } from "zod";
import { LOG_LEVELS } from "../../core/logs/record.ts";
import { isInprocMessage } from "../inproc_bridge.ts";
import {
  type FromComponent,
  LOG_PROPERTIES_BUDGET,
  MAX_CATEGORY_PARTS,
  MAX_LABEL_CHARS,
  MAX_LOG_MESSAGE_CHARS,
  MAX_PROBLEMS,
  MAX_REPORT_CHARS,
  withinBudget,
} from "../protocol.ts";

/** A count: finite and not negative. */
const count = z.number().finite().min(0);
/** A count a role may not know yet. */
const maybeCount = count.nullable();
/** Names and labels: short. */
const label = z.string().max(MAX_LABEL_CHARS);
/** Text a component reports (an error, a reason, what still ran). */
const report = z.string().max(MAX_REPORT_CHARS);
/** Counts by name (topics, final states). */
const countsByName = z.record(label, count).refine((r) => Object.keys(r).length <= 4096, {
  message: "has more than 4096 names",
});

const socketFigures = z.strictObject({
  type: label,
  endpoint: label,
  messagesSent: count,
  messagesReceived: count,
  bytesSent: count,
  bytesReceived: count,
  connections: count,
  handshakeFailures: count,
  dropped: count,
});

const taskFigures = z.strictObject({
  scope: label,
  id: count,
  handler: label,
  component: label,
  goal: label,
  state: label,
  payload: label,
  createdAt: count,
  finishedAt: count.nullable(),
});

const figures = z.strictObject({
  at: count,
  sockets: z.array(socketFigures).max(1024),
  tasks: z.strictObject({
    tasks: z.array(taskFigures).max(1024),
    running: count,
    finished: countsByName,
    started: count,
  }).optional(),
  pipeline: z.strictObject({
    role: label,
    done: maybeCount,
    failed: maybeCount,
    retried: maybeCount,
    total: maybeCount,
    inFlight: maybeCount,
    rate: maybeCount,
    etaMs: maybeCount,
    workers: maybeCount,
  }).optional(),
  topics: z.strictObject({
    published: countsByName,
    received: countsByName,
    subscriptions: z.array(label).max(4096),
  }).optional(),
});

const logRecord = z.strictObject({
  time: z.number().finite(),
  level: z.enum(LOG_LEVELS),
  category: z.array(label).max(MAX_CATEGORY_PARTS),
  message: z.string().max(MAX_LOG_MESSAGE_CHARS),
  properties: z.record(z.string(), z.unknown()).refine(
    (properties) => withinBudget(properties, LOG_PROPERTIES_BUDGET),
    { message: `hold more than about ${LOG_PROPERTIES_BUDGET} characters` },
  ),
});

const message = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("ready") }),
  z.strictObject({ op: z.literal("heartbeat"), heapBytes: count.optional() }),
  z.strictObject({ op: z.literal("figures"), figures }),
  z.strictObject({ op: z.literal("log"), record: logRecord }),
  z.strictObject({ op: z.literal("finished"), pending: report.optional() }),
  z.strictObject({
    op: z.literal("failed"),
    error: report,
    fatal: z.boolean(),
    held: report.optional(),
  }),
  z.strictObject({ op: z.literal("exit"), reason: report }),
  z.strictObject({ op: z.literal("stopped") }),
  z.strictObject({ op: z.literal("stuck"), reason: report }),
  z.strictObject({ op: z.literal("checked"), problems: z.array(report).max(MAX_PROBLEMS) }),
]);

/** The ops a component may post. */
const OPS = new Set<string>(message.options.map((option) => option.shape.op.value));

/**
 * `data` as a message of the protocol (inproc messages pass through
 * unchanged: the inproc directory checks those itself), or why it is not
 * one, naming the field.
 *
 * @example
 * ```ts
 * import { readComponentMessage } from "./component_message.ts";
 * const read = readComponentMessage({ op: "ready" });
 * if (typeof read === "string") console.log("refused:", read);
 * ```
 */
export function readComponentMessage(data: unknown): FromComponent | string {
  if (isInprocMessage(data as { op: string })) return data as FromComponent;
  const op = (data as { op?: unknown } | null)?.op;
  if (op === "unsendable") {
    const reason = String((data as { reason?: unknown }).reason).slice(0, 1000);
    return `a message its host could not pass on (${reason})`;
  }
  const what = typeof op === "string" ? `a "${op.slice(0, 64)}" message` : "a message";
  if (typeof op === "string" && !OPS.has(op)) return `${what} (no such message)`;
  const parsed = message.safeParse(data);
  if (parsed.success) return parsed.data as FromComponent;
  const issue = parsed.error.issues[0];
  const where = issue.path.length === 0 ? "" : `${issue.path.map(String).join(".")}: `;
  return `${what} (${where}${issue.message})`;
}
