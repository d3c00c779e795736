/**
 * Foxglove's WebSocket protocol (subprotocol `foxglove.websocket.v1`,
 * foxglove/ws-protocol's docs/spec.md) as the server side needs it, with
 * no I/O: what a client may send, read and checked ({@link parseClientMessage}),
 * and the frames a server sends. JSON messages are objects with an `op`;
 * binary ones start with an opcode byte, integers little-endian.
 *
 * zedge implements it rather than running npm `@foxglove/ws-protocol`'s
 * server because that server's logging (the `debug` package) lists the
 * whole process environment when it loads, which a robot's supervisor is
 * not allowed to read; its client is what the tests talk to.
 *
 * @example
 * ```ts
 * import { encodeMessageData, parseClientMessage } from "./protocol.ts";
 * parseClientMessage('{"op":"subscribe","subscriptions":[{"id":1,"channelId":3}]}');
 * // { op: "subscribe", subscriptions: [{ id: 1, channelId: 3 }] }
 * encodeMessageData(1, 5n, new Uint8Array([123, 125])).length; // 15
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";

/**
 * The subprotocol this server speaks.
 *
 * @example
 * ```ts
 * import { SUBPROTOCOL } from "./protocol.ts";
 * new WebSocket("ws://127.0.0.1:8765", [SUBPROTOCOL]).close();
 * ```
 */
export const SUBPROTOCOL = "foxglove.websocket.v1";

/**
 * Status levels of a `status` message.
 *
 * @example
 * ```ts
 * import { StatusLevel } from "./protocol.ts";
 * console.log(StatusLevel.WARNING); // 1
 * ```
 */
export const StatusLevel = { INFO: 0, WARNING: 1, ERROR: 2 } as const;

/**
 * A channel the server advertises.
 *
 * @example
 * ```ts
 * import type { ServerChannel } from "./protocol.ts";
 * const c: ServerChannel = {
 *   id: 1, topic: "odom", encoding: "json", schemaName: "odom", schema: "{}", schemaEncoding: "jsonschema",
 * };
 * ```
 */
export interface ServerChannel {
  /** The channel's id. */
  id: number;
  /** Its topic. */
  topic: string;
  /** The messages' encoding. */
  encoding: string;
  /** The schema's name. */
  schemaName: string;
  /** The schema. */
  schema: string;
  /** The schema's encoding. */
  schemaEncoding?: string;
}

/**
 * A service the server advertises (`request` and `response` as the
 * protocol's service definitions; the older `requestSchema` and
 * `responseSchema` too, for older clients).
 *
 * @example
 * ```ts
 * import type { ServerService } from "./protocol.ts";
 * const d = { encoding: "json", schemaName: "plan.Request", schemaEncoding: "jsonschema", schema: "{}" };
 * const s: ServerService = {
 *   id: 1, name: "plan", type: "plan", request: d, response: d, requestSchema: "{}", responseSchema: "{}",
 * };
 * ```
 */
export interface ServerService {
  /** The service's id. */
  id: number;
  /** Its name. */
  name: string;
  /** Its type. */
  type: string;
  /** How requests are encoded and what they look like. */
  request: { encoding: string; schemaName: string; schemaEncoding: string; schema: string };
  /** How replies are encoded and what they look like. */
  response: { encoding: string; schemaName: string; schemaEncoding: string; schema: string };
  /** The request's schema (older clients). */
  requestSchema: string;
  /** The reply's schema (older clients). */
  responseSchema: string;
}

/**
 * A channel a client advertises (to publish on it).
 *
 * @example
 * ```ts
 * import type { ClientChannel } from "./protocol.ts";
 * const c: ClientChannel = { id: 1, topic: "goal", encoding: "json", schemaName: "goal" };
 * ```
 */
export interface ClientChannel {
  /** The client's id for it. */
  id: number;
  /** Its topic. */
  topic: string;
  /** The messages' encoding. */
  encoding: string;
  /** The schema's name. */
  schemaName: string;
}

/**
 * What a client may send, as read by {@link parseClientMessage}.
 *
 * @example
 * ```ts
 * import type { ClientMessage } from "./protocol.ts";
 * const m: ClientMessage = { op: "unsubscribe", subscriptionIds: [1] };
 * ```
 */
export type ClientMessage =
  | { op: "subscribe"; subscriptions: { id: number; channelId: number }[] }
  | { op: "unsubscribe"; subscriptionIds: number[] }
  | { op: "advertise"; channels: ClientChannel[] }
  | { op: "unadvertise"; channelIds: number[] }
  | { op: "messageData"; channelId: number; data: Uint8Array }
  | {
    op: "serviceCallRequest";
    serviceId: number;
    callId: number;
    encoding: string;
    data: Uint8Array;
  }
  | { op: "unsupported"; name: string };

/**
 * A client message that does not follow the protocol.
 *
 * @example
 * ```ts
 * import { FoxgloveProtocolError } from "./protocol.ts";
 * const e = new FoxgloveProtocolError("'subscriptions' must be a list");
 * ```
 */
export class FoxgloveProtocolError extends ZedgeError {
  /** Always `"foxglove-protocol"`. */
  readonly code: string = "foxglove-protocol";
  /** Creates the error, saying what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "FoxgloveProtocolError";
  }
}

/** Operations of the protocol this server does not offer (answered with a status). */
const UNSUPPORTED = new Set([
  "getParameters",
  "setParameters",
  "subscribeParameterUpdates",
  "unsubscribeParameterUpdates",
  "subscribeConnectionGraph",
  "unsubscribeConnectionGraph",
  "fetchAsset",
]);

const fromUtf8 = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextEncoder();

/**
 * Reads one message from a client (a text frame, or a binary one), checking
 * every field; throws {@link FoxgloveProtocolError} saying what is wrong.
 *
 * @example
 * ```ts
 * import { parseClientMessage } from "./protocol.ts";
 * parseClientMessage(new Uint8Array([1, 7, 0, 0, 0, 123, 125])); // { op: "messageData", channelId: 7, data: … }
 * ```
 */
export function parseClientMessage(data: string | Uint8Array): ClientMessage {
  return typeof data === "string" ? parseJson(data) : parseBinary(data);
}

function parseJson(source: string): ClientMessage {
  let message: unknown;
  try {
    message = JSON.parse(source);
  } catch {
    throw new FoxgloveProtocolError("a text message must be JSON");
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new FoxgloveProtocolError("a text message must be a JSON object");
  }
  const m = message as Record<string, unknown>;
  switch (m.op) {
    case "subscribe":
      return {
        op: "subscribe",
        subscriptions: list(m.subscriptions, "subscriptions").map((s) => ({
          id: uint32(field(s, "id"), "subscription id"),
          channelId: uint32(field(s, "channelId"), "channelId"),
        })),
      };
    case "unsubscribe":
      return {
        op: "unsubscribe",
        subscriptionIds: list(m.subscriptionIds, "subscriptionIds").map((id) =>
          uint32(id, "subscription id")
        ),
      };
    case "advertise":
      return {
        op: "advertise",
        channels: list(m.channels, "channels").map((c) => ({
          id: uint32(field(c, "id"), "channel id"),
          topic: text(field(c, "topic"), "topic"),
          encoding: text(field(c, "encoding"), "encoding"),
          schemaName: text(field(c, "schemaName") ?? "", "schemaName"),
        })),
      };
    case "unadvertise":
      return {
        op: "unadvertise",
        channelIds: list(m.channelIds, "channelIds").map((id) => uint32(id, "channel id")),
      };
    default:
      if (typeof m.op === "string" && UNSUPPORTED.has(m.op)) {
        return { op: "unsupported", name: m.op };
      }
      throw new FoxgloveProtocolError(`unknown op ${JSON.stringify(m.op)}`);
  }
}

function parseBinary(bytes: Uint8Array): ClientMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (length: number, what: string) => {
    if (bytes.length < length) throw new FoxgloveProtocolError(`${what} is cut short`);
  };
  need(1, "a binary message");
  switch (bytes[0]) {
    case 1: // Client Message Data
      need(5, "a message data frame");
      return { op: "messageData", channelId: view.getUint32(1, true), data: bytes.subarray(5) };
    case 2: { // Service Call Request
      need(13, "a service call request");
      const length = view.getUint32(9, true);
      need(13 + length, "a service call request's encoding");
      let encoding: string;
      try {
        encoding = fromUtf8.decode(bytes.subarray(13, 13 + length));
      } catch {
        throw new FoxgloveProtocolError("a service call request's encoding is not UTF-8");
      }
      return {
        op: "serviceCallRequest",
        serviceId: view.getUint32(1, true),
        callId: view.getUint32(5, true),
        encoding,
        data: bytes.subarray(13 + length),
      };
    }
    default:
      throw new FoxgloveProtocolError(`unknown binary opcode ${bytes[0]}`);
  }
}

function list(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new FoxgloveProtocolError(`'${name}' must be a list`);
  return value;
}

function field(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null) {
    throw new FoxgloveProtocolError(`expected an object with '${name}'`);
  }
  return (value as Record<string, unknown>)[name];
}

function uint32(value: unknown, name: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffff_ffff) {
    throw new FoxgloveProtocolError(`${name} must be an integer from 0 to 2^32-1`);
  }
  return value as number;
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string") throw new FoxgloveProtocolError(`${name} must be a string`);
  return value;
}

/**
 * A Message Data frame (opcode 1): the subscription, the time in
 * nanoseconds, the payload.
 *
 * @example
 * ```ts
 * import { encodeMessageData } from "./protocol.ts";
 * encodeMessageData(3, 1_700_000_000_000_000_000n, new TextEncoder().encode("{}"));
 * ```
 */
export function encodeMessageData(
  subscriptionId: number,
  timestampNs: bigint,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(13 + payload.length);
  const view = new DataView(frame.buffer);
  frame[0] = 1;
  view.setUint32(1, subscriptionId, true);
  view.setBigUint64(5, timestampNs, true);
  frame.set(payload, 13);
  return frame;
}

/**
 * A Service Call Response frame (opcode 3).
 *
 * @example
 * ```ts
 * import { encodeServiceCallResponse } from "./protocol.ts";
 * encodeServiceCallResponse(1, 7, "json", new TextEncoder().encode("{}"));
 * ```
 */
export function encodeServiceCallResponse(
  serviceId: number,
  callId: number,
  encoding: string,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const name = utf8.encode(encoding);
  const frame = new Uint8Array(13 + name.length + payload.length);
  const view = new DataView(frame.buffer);
  frame[0] = 3;
  view.setUint32(1, serviceId, true);
  view.setUint32(5, callId, true);
  view.setUint32(9, name.length, true);
  frame.set(name, 13);
  frame.set(payload, 13 + name.length);
  return frame;
}
