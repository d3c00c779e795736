/**
 * The ZTL wire format, typed: request codes, task states, the one-frame text
 * message `SCOPE;STATE;ID;PAYLOAD`, the base64 task payload
 * `HANDLER<sep>COMPONENT<sep>GOAL`, and zedge's own state-change event (JSON)
 * published on the optional PUB channel.
 *
 * Everything here is pure (strings and bytes in, typed values out) so it can be
 * tested without sockets. Decoders throw {@link ProtocolError}, which names the
 * field that was wrong; the server turns it into the reply the wire doc asks for.
 *
 * ## State-change events (zedge extension, portable)
 *
 * A task server started with an events endpoint publishes every task state
 * change as a two-frame PUB message: frame 1 is the scope (the topic, so a
 * subscriber filters with `subscribe(scope)`), frame 2 is UTF-8 JSON:
 *
 * ```json
 * {"v":1,"scope":"/test","id":7,"state":5,"name":"COMPLETED","payload":"hello","time":1763812345678.25}
 * ```
 *
 * `state` uses the ZTL numbers below, `name` is its symbolic name, `payload`
 * is the same text a STATUS reply would carry at that moment (progress, result
 * or error) and `time` is the server's wall clock in milliseconds since the
 * Unix epoch. ZTL pickles objects on its PUB channel; zedge uses JSON so that
 * Python, TypeScript and anything else can read the events.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, encodeTask, RequestCode } from "./protocol.ts";
 * const text = encodeMessage({ scope: "/test", state: RequestCode.INIT, id: -1, payload: encodeTask("test", "echo", "hi") });
 * decodeMessage(text).scope; // "/test"
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";

/**
 * Request codes a client puts into the STATE field.
 *
 * @example
 * ```ts
 * import { RequestCode } from "./protocol.ts";
 * RequestCode.STATUS; // 2
 * ```
 */
export const RequestCode = { INIT: 1, STATUS: 2, ABORT: 3 } as const;

/**
 * One of the {@link RequestCode} values.
 *
 * @example
 * ```ts
 * import type { RequestCodeValue } from "./protocol.ts";
 * const code: RequestCodeValue = 1;
 * ```
 */
export type RequestCodeValue = typeof RequestCode[keyof typeof RequestCode];

/**
 * Task states a server puts into the STATE field of a reply. Every state above
 * `ACCEPTED` is final.
 *
 * @example
 * ```ts
 * import { TaskState } from "./protocol.ts";
 * TaskState.COMPLETED; // 5
 * ```
 */
export const TaskState = {
  INITIATED: 0,
  ACCEPTED: 1,
  REJECTED: 2,
  FAILED: 3,
  ABORTED: 4,
  COMPLETED: 5,
} as const;

/**
 * One of the {@link TaskState} values.
 *
 * @example
 * ```ts
 * import { TaskState, type TaskStateValue } from "./protocol.ts";
 * const state: TaskStateValue = TaskState.FAILED;
 * ```
 */
export type TaskStateValue = typeof TaskState[keyof typeof TaskState];

/**
 * Symbolic name of one of the {@link TaskState} values.
 *
 * @example
 * ```ts
 * import type { TaskStateName } from "./protocol.ts";
 * const name: TaskStateName = "ABORTED";
 * ```
 */
export type TaskStateName = keyof typeof TaskState;

const STATE_NAMES: readonly TaskStateName[] = [
  "INITIATED",
  "ACCEPTED",
  "REJECTED",
  "FAILED",
  "ABORTED",
  "COMPLETED",
];

/**
 * The name of a task state (`5` → `"COMPLETED"`); numbers outside the ZTL
 * range (the ZTL client uses `-1` for "no reply") come back as their digits.
 *
 * @example
 * ```ts
 * import { stateName } from "./protocol.ts";
 * stateName(4); // "ABORTED"
 * ```
 */
export function stateName(state: number): string {
  return STATE_NAMES[state] ?? String(state);
}

/**
 * Whether `state` is a known ZTL task state.
 *
 * @example
 * ```ts
 * import { isTaskState } from "./protocol.ts";
 * isTaskState(3); // true
 * isTaskState(9); // false
 * ```
 */
export function isTaskState(state: number): state is TaskStateValue {
  return Number.isInteger(state) && state >= TaskState.INITIATED &&
    state <= TaskState.COMPLETED;
}

/**
 * Whether a task in `state` will not change any more (REJECTED, FAILED,
 * ABORTED, COMPLETED) — the condition ZTL's `wait` polls for.
 *
 * @example
 * ```ts
 * import { isFinalState, TaskState } from "./protocol.ts";
 * isFinalState(TaskState.ACCEPTED); // false
 * ```
 */
export function isFinalState(state: number): boolean {
  return state > TaskState.ACCEPTED;
}

/**
 * The field of a ZTL message (or task payload) a {@link ProtocolError} is about.
 *
 * @example
 * ```ts
 * import type { ProtocolField } from "./protocol.ts";
 * const field: ProtocolField = "id";
 * ```
 */
export type ProtocolField =
  | "message"
  | "scope"
  | "state"
  | "id"
  | "payload"
  | "handler"
  | "component"
  | "event";

/**
 * Bad input on the wire: names the field that was wrong. Thrown by every
 * decoder and by encoders given values the format cannot carry.
 *
 * @example
 * ```ts
 * import { decodeMessage, ProtocolError } from "./protocol.ts";
 * try {
 *   decodeMessage("no separators");
 * } catch (error) {
 *   if (error instanceof ProtocolError) console.log(error.field); // "message"
 * }
 * ```
 */
export class ProtocolError extends ZedgeError {
  /** Always `"protocol"`. */
  readonly code: string = "protocol";
  /** Which part of the input was wrong. */
  readonly field: ProtocolField;
  /** Creates an error about `field` with a message. */
  constructor(field: ProtocolField, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.field = field;
  }
}

/**
 * One ZTL message. In a request `state` is a {@link RequestCode}; in a reply it
 * is a {@link TaskState}. `id` is the task id, `-1` when there is none.
 *
 * @example
 * ```ts
 * import type { ZtlMessage } from "./protocol.ts";
 * const reply: ZtlMessage = { scope: "/test", state: 1, id: 3, payload: "running" };
 * ```
 */
export interface ZtlMessage {
  /** The task scope, e.g. `/test`. */
  scope: string;
  /** The task state or request code. */
  state: number;
  /** The task id. */
  id: number;
  /** The request or reply text. */
  payload: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

// Python's int() accepts surrounding blanks and a sign; ZTL peers may send either.
const INTEGER = /^\s*[+-]?\d+\s*$/;

function parseInteger(field: "state" | "id", text: string): number {
  const value = INTEGER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new ProtocolError(field, `field '${field}' must be an integer, got '${text}'`);
  }
  return value;
}

function assertInteger(field: "state" | "id", value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new ProtocolError(field, `field '${field}' must be an integer, got ${value}`);
  }
}

/**
 * Encodes a message as the text of its single frame. The scope may not
 * contain `;` (it would shift every field after it); the payload may.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./protocol.ts";
 * encodeMessage({ scope: "/test", state: 2, id: 7, payload: "status update" });
 * // "/test;2;7;status update"
 * ```
 */
export function encodeMessage(message: ZtlMessage): string {
  if (message.scope.includes(";")) {
    throw new ProtocolError("scope", `scope must not contain ';': '${message.scope}'`);
  }
  assertInteger("state", message.state);
  assertInteger("id", message.id);
  return `${message.scope};${message.state};${message.id};${message.payload}`;
}

/**
 * Splits `text` on `separator` at most `limit` times, like Python's
 * `str.split(sep, limit)`: the last part keeps any further separators.
 */
function splitLimited(text: string, separator: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (parts.length < limit) {
    const at = rest.indexOf(separator);
    if (at < 0) break;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + separator.length);
  }
  parts.push(rest);
  return parts;
}

/**
 * Decodes a message frame (text or raw UTF-8 bytes). Splits on `;` at most
 * three times, so the payload keeps its own `;`.
 *
 * Throws {@link ProtocolError} with field `"message"` when the frame is not
 * UTF-8 or has fewer than four fields, `"state"` / `"id"` when those are not
 * integers.
 *
 * @example
 * ```ts
 * import { decodeMessage } from "./protocol.ts";
 * decodeMessage("/test;5;3;a;b").payload; // "a;b"
 * ```
 */
export function decodeMessage(frame: string | Uint8Array): ZtlMessage {
  let text: string;
  if (typeof frame === "string") {
    text = frame;
  } else {
    try {
      text = decoder.decode(frame);
    } catch {
      throw new ProtocolError("message", "message is not valid UTF-8");
    }
  }
  const parts = splitLimited(text, ";", 3);
  if (parts.length < 4) {
    throw new ProtocolError(
      "message",
      `message must have 4 fields SCOPE;STATE;ID;PAYLOAD, got ${parts.length}`,
    );
  }
  const [scope, state, id, payload] = parts;
  return {
    scope,
    state: parseInteger("state", state),
    id: parseInteger("id", id),
    payload,
  };
}

/**
 * What a task payload names: which handler runs which component towards
 * which goal.
 *
 * @example
 * ```ts
 * import type { TaskSpec } from "./protocol.ts";
 * const spec: TaskSpec = { handler: "test", component: "echo", goal: "hi" };
 * ```
 */
export interface TaskSpec {
  /** The handler to run the task. */
  handler: string;
  /** The component the handler acts on. */
  component: string;
  /** What the component should do. */
  goal: string;
}

/**
 * Separator between handler, component and goal: `:` in ZTL 0.2.x (what zedge
 * sends by default), `¬` (U+00AC) in ZTL 0.0.x.
 *
 * @example
 * ```ts
 * import type { TaskSeparator } from "./protocol.ts";
 * const legacy: TaskSeparator = "¬";
 * ```
 */
export type TaskSeparator = ":" | "¬";

/** The separators a decoder accepts. */
const SEPARATORS: readonly TaskSeparator[] = [":", "¬"];

/**
 * Whether `value` is a separator ZTL knows.
 *
 * @example
 * ```ts
 * import { isTaskSeparator } from "./protocol.ts";
 * isTaskSeparator("¬"); // true
 * ```
 */
export function isTaskSeparator(value: string): value is TaskSeparator {
  return (SEPARATORS as readonly string[]).includes(value);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Encodes a task as ZTL's payload: base64 (standard alphabet, padded) of the
 * UTF-8 text `HANDLER<sep>COMPONENT<sep>GOAL`. The goal may contain anything,
 * the separator included; handler and component may not contain a separator.
 *
 * @example
 * ```ts
 * import { encodeTask } from "./protocol.ts";
 * encodeTask("test", "echo", "hello world"); // "dGVzdDplY2hvOmhlbGxvIHdvcmxk"
 * encodeTask("test", "echo", "hi", { separator: "¬" }); // for ZTL 0.0.x servers
 * ```
 */
export function encodeTask(
  handler: string,
  component: string,
  goal: string,
  options: { separator?: TaskSeparator } = {},
): string {
  const separator = options.separator ?? ":";
  for (const [field, value] of [["handler", handler], ["component", component]] as const) {
    if (value.length === 0) throw new ProtocolError(field, `${field} must not be empty`);
    const bad = SEPARATORS.find((s) => value.includes(s));
    if (bad !== undefined) {
      throw new ProtocolError(field, `${field} must not contain '${bad}': '${value}'`);
    }
  }
  return toBase64(encoder.encode(`${handler}${separator}${component}${separator}${goal}`));
}

/**
 * Decodes a task payload, accepting both separators: whichever of `:` and `¬`
 * comes first is the one the sender used, and the text is split on it at most
 * twice so the goal keeps any further separators.
 *
 * Throws {@link ProtocolError} (field `"payload"`) for anything that is not
 * base64 of UTF-8 text with three parts and a non-empty handler and component.
 *
 * @example
 * ```ts
 * import { decodeTask } from "./protocol.ts";
 * decodeTask("dGVzdDplY2hvOmhlbGxvIHdvcmxk"); // { handler: "test", component: "echo", goal: "hello world" }
 * ```
 */
export function decodeTask(payload: string): TaskSpec & { separator: TaskSeparator } {
  let text: string;
  try {
    text = decoder.decode(fromBase64(payload.trim()));
  } catch {
    throw new ProtocolError("payload", "task payload is not base64 of UTF-8 text");
  }
  const positions = SEPARATORS.map((s) => text.indexOf(s)).map((at) => at < 0 ? Infinity : at);
  const first = Math.min(...positions);
  if (first === Infinity) {
    throw new ProtocolError("payload", "task payload must be HANDLER:COMPONENT:GOAL");
  }
  const separator = SEPARATORS[positions.indexOf(first)];
  const parts = splitLimited(text, separator, 2);
  if (parts.length < 3) {
    throw new ProtocolError("payload", "task payload must be HANDLER:COMPONENT:GOAL");
  }
  const [handler, component, goal] = parts;
  if (handler.length === 0) throw new ProtocolError("handler", "task handler is empty");
  if (component.length === 0) throw new ProtocolError("component", "task component is empty");
  return { handler, component, goal, separator };
}

/**
 * Parses the command-line form `handler:component:goal` (split on `:` at most
 * twice, so the goal may contain `:`).
 *
 * @example
 * ```ts
 * import { parseTaskSpec } from "./protocol.ts";
 * parseTaskSpec("test:echo:a:b"); // { handler: "test", component: "echo", goal: "a:b" }
 * ```
 */
export function parseTaskSpec(text: string): TaskSpec {
  const parts = splitLimited(text, ":", 2);
  if (parts.length < 3 || parts[0] === "" || parts[1] === "") {
    throw new ProtocolError(
      "payload",
      `task must be written handler:component:goal, got '${text}'`,
    );
  }
  return { handler: parts[0], component: parts[1], goal: parts[2] };
}

/**
 * A task state change as published on the events channel (see the module
 * documentation for the JSON layout).
 *
 * @example
 * ```ts
 * import type { TaskEvent } from "./protocol.ts";
 * const event: TaskEvent = { scope: "/test", id: 1, state: 5, payload: "done", time: Date.now() };
 * ```
 */
export interface TaskEvent {
  /** The task scope. */
  scope: string;
  /** The task id. */
  id: number;
  /** The task's new state. */
  state: TaskStateValue;
  /** Progress text, result or reason. */
  payload: string;
  /** Server wall clock, milliseconds since the Unix epoch (fractional). */
  time: number;
}

/** Version of the event JSON; bumped if a field ever changes meaning. */
export const TASK_EVENT_VERSION = 1;

/**
 * Encodes an event as its two PUB frames: `[scope, json]`.
 *
 * @example
 * ```ts
 * import { encodeTaskEvent } from "./protocol.ts";
 * const [topic, body] = encodeTaskEvent({ scope: "/test", id: 1, state: 1, payload: "", time: 0 });
 * ```
 */
export function encodeTaskEvent(event: TaskEvent): [string, string] {
  const body = JSON.stringify({
    v: TASK_EVENT_VERSION,
    scope: event.scope,
    id: event.id,
    state: event.state,
    name: stateName(event.state),
    payload: event.payload,
    time: event.time,
  });
  return [event.scope, body];
}

/**
 * Decodes the two frames of an event. Throws {@link ProtocolError} (field
 * `"event"`) for anything that is not a well-formed version-1 event.
 *
 * @example
 * ```ts
 * import { decodeTaskEvent, encodeTaskEvent } from "./protocol.ts";
 * const frames = encodeTaskEvent({ scope: "/t", id: 2, state: 5, payload: "ok", time: 1 });
 * decodeTaskEvent(frames).payload; // "ok"
 * ```
 */
export function decodeTaskEvent(frames: readonly (string | Uint8Array)[]): TaskEvent {
  if (frames.length !== 2) {
    throw new ProtocolError("event", `event must have 2 frames, got ${frames.length}`);
  }
  const [topicFrame, bodyFrame] = frames;
  let topic: string;
  let body: unknown;
  try {
    topic = typeof topicFrame === "string" ? topicFrame : decoder.decode(topicFrame);
    body = JSON.parse(typeof bodyFrame === "string" ? bodyFrame : decoder.decode(bodyFrame));
  } catch {
    throw new ProtocolError("event", "event is not UTF-8 JSON");
  }
  if (typeof body !== "object" || body === null) {
    throw new ProtocolError("event", "event body must be a JSON object");
  }
  const record = body as Record<string, unknown>;
  if (record.v !== TASK_EVENT_VERSION) {
    throw new ProtocolError("event", `unsupported event version ${String(record.v)}`);
  }
  const { scope, id, state, payload, time } = record;
  if (typeof scope !== "string" || scope !== topic) {
    throw new ProtocolError("event", "event 'scope' must be a string equal to the topic");
  }
  if (typeof id !== "number" || !Number.isSafeInteger(id)) {
    throw new ProtocolError("event", "event 'id' must be an integer");
  }
  if (typeof state !== "number" || !isTaskState(state)) {
    throw new ProtocolError("event", "event 'state' must be a task state (0-5)");
  }
  if (typeof payload !== "string") {
    throw new ProtocolError("event", "event 'payload' must be a string");
  }
  if (typeof time !== "number" || !Number.isFinite(time)) {
    throw new ProtocolError("event", "event 'time' must be a number");
  }
  return { scope, id, state, payload, time };
}
