/**
 * The wire form of the dataflow between components (and robots): one module
 * for both directions, so publisher and subscriber, caller and provider
 * agree on every frame.
 *
 * - A topic message is three frames: the topic (UTF-8, so SUB prefix
 *   filters work on it), a header — one byte of version (1), one of
 *   encoding (0 msgpack, 1 JSON, 2 raw), the time as a little-endian
 *   float64 (ms since the epoch), then the source in UTF-8 — and the value in its
 *   topic's encoding: msgpack (default), JSON, or raw bytes. The header is
 *   fixed-layout rather than msgpack because it is on every message.
 * - A service request is `[rid, service, request]` (request in msgpack);
 *   a reply is `[rid, "ok", value]` or `[rid, "error", { code, message }]`.
 *
 * @example
 * ```ts
 * import { decodeTopicMessage, encodeTopicMessage } from "./codec.ts";
 * const frames = encodeTopicMessage("odom", { x: 1 }, "odometry", "msgpack");
 * console.log(decodeTopicMessage(frames).value); // { x: 1 }
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";
import type { PackedMessage } from "../../core/sockets/inbox.ts";
import { decodeMsgpack, encodeMsgpack } from "../../core/msgpack.ts";

/**
 * How a topic's values are encoded.
 *
 * @example
 * ```ts
 * import { TOPIC_ENCODINGS } from "./codec.ts";
 * console.log(TOPIC_ENCODINGS); // ["msgpack", "json", "raw"]
 * ```
 */
export const TOPIC_ENCODINGS = ["msgpack", "json", "raw"] as const;

/**
 * A topic encoding.
 *
 * @example
 * ```ts
 * import type { TopicEncoding } from "./codec.ts";
 * const e: TopicEncoding = "json";
 * ```
 */
export type TopicEncoding = typeof TOPIC_ENCODINGS[number];

/**
 * One message on a topic, as a subscriber sees it.
 *
 * @example
 * ```ts
 * import type { TopicMessage } from "./codec.ts";
 * const m: TopicMessage = { topic: "odom", value: { x: 0 }, time: Date.now(), source: "odometry" };
 * ```
 */
export interface TopicMessage<T = unknown> {
  /** The topic it was published on. */
  topic: string;
  /** The value (a Uint8Array for raw topics). */
  value: T;
  /** When it was published, in ms since the epoch (the publisher's clock). */
  time: number;
  /** Who published it: the component's name (`robot/component` from another robot). */
  source: string;
}

/**
 * A dataflow frame that cannot be read.
 *
 * @example
 * ```ts
 * import { DataflowCodecError } from "./codec.ts";
 * const e = new DataflowCodecError("a topic message has 3 frames, got 1");
 * ```
 */
export class DataflowCodecError extends ZedgeError {
  /** Always `"dataflow-codec"`. */
  readonly code: string = "dataflow-codec";
  /** Creates the error, saying what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "DataflowCodecError";
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function encodeValue(value: unknown, encoding: TopicEncoding): Uint8Array {
  switch (encoding) {
    case "msgpack":
      return encodeMsgpack(value);
    case "json":
      return utf8.encode(JSON.stringify(value));
    case "raw":
      if (value instanceof Uint8Array) return value;
      if (typeof value === "string") return utf8.encode(value);
      throw new TypeError("a raw topic's values must be Uint8Array or string");
  }
}

function decodeValue(bytes: Uint8Array, encoding: TopicEncoding): unknown {
  switch (encoding) {
    case "msgpack":
      return decodeMsgpack(bytes);
    case "json":
      return JSON.parse(fromUtf8.decode(bytes));
    case "raw":
      return bytes;
  }
}

/**
 * The frames of one topic message.
 *
 * @example
 * ```ts
 * import { encodeTopicMessage } from "./codec.ts";
 * encodeTopicMessage("image", new Uint8Array([1, 2]), "camera", "raw").length; // 3
 * ```
 */
export function encodeTopicMessage(
  topic: string,
  value: unknown,
  source: string,
  encoding: TopicEncoding,
  time: number = Date.now(),
): Uint8Array[] {
  return [
    cachedUtf8(topic),
    headerAt(headerTemplate(source, encoding), time),
    encodeValue(value, encoding),
  ];
}

/**
 * The header for `template` at `time`: the last one made when both are the
 * same (the clock has millisecond steps: a busy publisher's messages share
 * a header for a thousand or more), else a new one. A header is never
 * written once made, so sharing it is safe.
 */
let lastHeader: Uint8Array = new Uint8Array(0);
let lastHeaderTemplate: Uint8Array | null = null;
let lastHeaderTime = NaN;
function headerAt(template: Uint8Array, time: number): Uint8Array {
  if (time === lastHeaderTime && template === lastHeaderTemplate) return lastHeader;
  const header = headerFrom(template);
  timeScratch[0] = time;
  for (let i = 0; i < 8; i++) header[2 + i] = timeBytes[i];
  lastHeader = header;
  lastHeaderTemplate = template;
  lastHeaderTime = time;
  return header;
}

/**
 * Headers are cut from a shared slab: a small Uint8Array with an
 * ArrayBuffer of its own costs about ten times a view of a bigger one (an
 * allocation each), and there is one header per message. Only the send
 * reads a header (every transport copies its bytes), so a slab pinned by a
 * header kept longer is small.
 */
const SLAB_BYTES = 4096;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;
function headerFrom(template: Uint8Array): Uint8Array {
  const length = template.length;
  if (slabUsed + length > slab.length) {
    slab = new Uint8Array(Math.max(SLAB_BYTES, length));
    slabUsed = 0;
  }
  const header = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  header.set(template);
  return header;
}

/** A publisher's headers differ only in their time: the rest is made once per source and encoding. */
const templates = new Map<string, Uint8Array>();
let lastTemplate: { source: string; encoding: string; template: Uint8Array } = {
  source: "",
  encoding: "",
  template: new Uint8Array(0),
};
function headerTemplate(source: string, encoding: TopicEncoding): Uint8Array {
  // A publisher's messages mostly repeat the last one's source and encoding: no key built then.
  if (lastTemplate.source === source && lastTemplate.encoding === encoding) {
    return lastTemplate.template;
  }
  const key = `${encoding}:${source}`;
  let template = templates.get(key);
  if (template === undefined) {
    const from = utf8.encode(source);
    template = new Uint8Array(HEADER_BYTES + from.length);
    template[0] = HEADER_VERSION;
    template[1] = TOPIC_ENCODINGS.indexOf(encoding);
    template.set(from, HEADER_BYTES);
    if (templates.size < 1024) templates.set(key, template);
  }
  lastTemplate = { source, encoding, template };
  return template;
}

/** The time goes through one float64 (little-endian on every platform zedge runs on: x86, arm). */
const timeScratch = new Float64Array(1);
const timeBytes = new Uint8Array(timeScratch.buffer);

/**
 * Decodes UTF-8 names that mostly repeat from message to message (topics,
 * sources): the last bytes decoded are remembered, and bytes equal to them
 * give the same string without decoding.
 *
 * @example
 * ```ts
 * import { RepeatedText } from "./codec.ts";
 * const names = new RepeatedText();
 * names.decode(new TextEncoder().encode("odom")); // "odom"
 * ```
 */
export class RepeatedText {
  #bytes = new Uint8Array(0);
  #text = "";
  /** The text of `bytes` (UTF-8; throws on invalid UTF-8). */
  decode(bytes: Uint8Array): string {
    return this.decodeAt(bytes, 0, bytes.length);
  }

  /** The text of `data[start..start+length)` (UTF-8; throws on invalid UTF-8). */
  decodeAt(data: Uint8Array, start: number, length: number): string {
    const last = this.#bytes;
    if (length === last.length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (data[start + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#text;
    }
    const bytes = data.subarray(start, start + length);
    this.#text = fromUtf8.decode(bytes);
    this.#bytes = bytes.slice();
    return this.#text;
  }
}
const lastTopic = new RepeatedText();
const lastSource = new RepeatedText();
const lastService = new RepeatedText();
const lastStatus = new RepeatedText();

/** A reply's status frames: the same two on every reply, so made once (only ever copied out). */
const OK = utf8.encode("ok");
const ERROR = utf8.encode("error");

const HEADER_VERSION = 1;
/** Version, encoding, float64 time; the source follows. */
const HEADER_BYTES = 10;

/** Topic and source names repeat on every message: encode each once (a few hundred at most). */
const utf8Cache = new Map<string, Uint8Array>();
function cachedUtf8(text: string): Uint8Array {
  let bytes = utf8Cache.get(text);
  if (bytes === undefined) {
    bytes = utf8.encode(text);
    if (utf8Cache.size < 1024) utf8Cache.set(text, bytes);
  }
  return bytes;
}

/**
 * Reads a topic message; throws {@link DataflowCodecError} for a malformed
 * one. A receiver that knows who sent it (by the link it came in on) passes
 * that as `source`: the header's own source is then not read at all.
 *
 * @example
 * ```ts
 * import { decodeTopicMessage, encodeTopicMessage } from "./codec.ts";
 * decodeTopicMessage(encodeTopicMessage("t", 1, "me", "json")).source; // "me"
 * decodeTopicMessage(encodeTopicMessage("t", 1, "spy", "json"), "me").source; // "me"
 * ```
 */
export function decodeTopicMessage(frames: Uint8Array[], source?: string): TopicMessage {
  if (frames.length !== 3) {
    throw new DataflowCodecError(`a topic message has 3 frames, got ${frames.length}`);
  }
  const topic = frames[0];
  const header = frames[1];
  return decodeParts(topic, 0, topic.length, header, 0, header.length, frames[2], source);
}

/**
 * {@link decodeTopicMessage} for a message read in place (a SUB's
 * `tryReceiveInto`): a message that came in a batch is read where it lies,
 * with one view made (its value), not one per frame.
 *
 * @example
 * ```ts
 * import { decodePackedTopicMessage, encodeTopicMessage } from "./codec.ts";
 * import { PackedMessage } from "../../core/sockets/inbox.ts";
 * const message = new PackedMessage();
 * message.frames = encodeTopicMessage("t", 1, "me", "json");
 * message.frameCount = 3;
 * decodePackedTopicMessage(message).topic; // "t"
 * ```
 */
export function decodePackedTopicMessage(message: PackedMessage, source?: string): TopicMessage {
  if (message.frames !== null) return decodeTopicMessage(message.frames, source);
  if (message.frameCount !== 3) {
    throw new DataflowCodecError(`a topic message has 3 frames, got ${message.frameCount}`);
  }
  const { data, sizes, sizesAt, at } = message;
  const topicLength = sizes[sizesAt];
  const headerLength = sizes[sizesAt + 1];
  const valueAt = at + topicLength + headerLength;
  const value = new Uint8Array(message.buffer, message.byteOffset + valueAt, sizes[sizesAt + 2]);
  return decodeParts(data, at, topicLength, data, at + topicLength, headerLength, value, source);
}

/** A topic message from its topic (`topicData[topicAt..]`), its header (`headerData[headerAt..]`) and its value. */
function decodeParts(
  topicData: Uint8Array,
  topicAt: number,
  topicLength: number,
  headerData: Uint8Array,
  headerAt: number,
  headerLength: number,
  value: Uint8Array,
  source: string | undefined,
): TopicMessage {
  try {
    const encoding = TOPIC_ENCODINGS[headerData[headerAt + 1]];
    if (
      headerLength < HEADER_BYTES || headerData[headerAt] !== HEADER_VERSION ||
      encoding === undefined
    ) {
      throw new Error("bad header");
    }
    // Byte by byte: no view of the header made per message.
    for (let i = 0; i < 8; i++) timeBytes[i] = headerData[headerAt + 2 + i];
    const time = timeScratch[0];
    // Topic and source repeat from message to message: decoding them is most of a small message.
    return {
      topic: lastTopic.decodeAt(topicData, topicAt, topicLength),
      value: decodeValue(value, encoding),
      time,
      source: source ??
        lastSource.decodeAt(headerData, headerAt + HEADER_BYTES, headerLength - HEADER_BYTES),
    };
  } catch (error) {
    throw new DataflowCodecError(`unreadable topic message: ${(error as Error).message}`);
  }
}

/**
 * A topic message's header (its second frame) with `source` as its source:
 * the same bytes when it already says so, a new header otherwise (time and
 * encoding kept). How a receiver that knows the link a message came in on
 * states who sent it, whatever the sender wrote.
 *
 * @example
 * ```ts
 * import { decodeTopicMessage, encodeTopicMessage, withSource } from "./codec.ts";
 * const frames = encodeTopicMessage("odom", 1, "spy", "json");
 * frames[1] = withSource(frames[1], "odometry");
 * decodeTopicMessage(frames).source; // "odometry"
 * ```
 */
export function withSource(header: Uint8Array, source: string): Uint8Array {
  const from = cachedUtf8(source);
  const said = header.subarray(HEADER_BYTES);
  if (said.length === from.length && said.every((b, i) => b === from[i])) return header;
  const restamped = new Uint8Array(HEADER_BYTES + from.length);
  restamped.set(header.subarray(0, HEADER_BYTES));
  restamped.set(from, HEADER_BYTES);
  return restamped;
}

/**
 * The encoding a topic message's header (its second frame) names, or
 * undefined for a header that names none.
 *
 * @example
 * ```ts
 * import { encodeTopicMessage, topicEncodingOf } from "./codec.ts";
 * topicEncodingOf(encodeTopicMessage("t", 1, "me", "json")[1]); // "json"
 * ```
 */
export function topicEncodingOf(header: Uint8Array): TopicEncoding | undefined {
  return header.length >= HEADER_BYTES && header[0] === HEADER_VERSION
    ? TOPIC_ENCODINGS[header[1]]
    : undefined;
}

/**
 * The frames of a service request.
 *
 * @example
 * ```ts
 * import { encodeServiceRequest } from "./codec.ts";
 * encodeServiceRequest("r1", "plan", { to: [1, 2] }).length; // 3
 * ```
 */
export function encodeServiceRequest(rid: string, service: string, request: unknown): Uint8Array[] {
  return [utf8.encode(rid), cachedUtf8(service), encodeMsgpack(request)];
}

/**
 * Reads a service request.
 *
 * @example
 * ```ts
 * import { decodeServiceRequest, encodeServiceRequest } from "./codec.ts";
 * decodeServiceRequest(encodeServiceRequest("r1", "plan", 1)).service; // "plan"
 * ```
 */
export function decodeServiceRequest(
  frames: Uint8Array[],
): { rid: string; service: string; request: unknown } {
  if (frames.length !== 3) {
    throw new DataflowCodecError(`a service request has 3 frames, got ${frames.length}`);
  }
  try {
    return {
      rid: fromUtf8.decode(frames[0]),
      service: lastService.decode(frames[1]),
      request: decodeMsgpack(frames[2]),
    };
  } catch (error) {
    throw new DataflowCodecError(`unreadable service request: ${(error as Error).message}`);
  }
}

/**
 * A service reply.
 *
 * @example
 * ```ts
 * import type { ServiceReply } from "./codec.ts";
 * const r: ServiceReply = { rid: "r1", ok: false, error: { code: "handler-error", message: "no path" } };
 * ```
 */
export type ServiceReply =
  | { rid: string; ok: true; value: unknown }
  | { rid: string; ok: false; error: { code: string; message: string } };

/**
 * The frames of a service reply.
 *
 * @example
 * ```ts
 * import { encodeServiceReply } from "./codec.ts";
 * encodeServiceReply({ rid: "r1", ok: true, value: { path: [] } }).length; // 3
 * ```
 */
export function encodeServiceReply(reply: ServiceReply): Uint8Array[] {
  return reply.ok
    ? [utf8.encode(reply.rid), OK, encodeMsgpack(reply.value)]
    : [utf8.encode(reply.rid), ERROR, encodeMsgpack(reply.error)];
}

/**
 * Reads a service reply.
 *
 * @example
 * ```ts
 * import { decodeServiceReply, encodeServiceReply } from "./codec.ts";
 * decodeServiceReply(encodeServiceReply({ rid: "a", ok: true, value: 2 })); // { rid: "a", ok: true, value: 2 }
 * ```
 */
export function decodeServiceReply(frames: Uint8Array[]): ServiceReply {
  if (frames.length !== 3) {
    throw new DataflowCodecError(`a service reply has 3 frames, got ${frames.length}`);
  }
  try {
    const rid = fromUtf8.decode(frames[0]);
    const status = lastStatus.decode(frames[1]);
    const body = decodeMsgpack(frames[2]);
    if (status === "ok") return { rid, ok: true, value: body };
    if (status !== "error") throw new Error(`status '${status}'`);
    const { code, message } = body as { code?: unknown; message?: unknown };
    if (typeof code !== "string" || typeof message !== "string") throw new Error("bad error body");
    return { rid, ok: false, error: { code, message } };
  } catch (error) {
    throw new DataflowCodecError(`unreadable service reply: ${(error as Error).message}`);
  }
}
