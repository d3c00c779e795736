/**
 * Topic values as JSON, for everything that shows or keeps a robot's data
 * outside it: Foxglove's `json` channels, MCAP recordings, `zedge topic
 * echo --json` and the status page. A msgpack value may hold what JSON
 * cannot: bytes become base64 text, a bigint a number (or its digits past
 * 2^53), a Date its ISO text, a Map an object, `undefined` and non-finite
 * numbers null. A raw topic's bytes become `{ "data": "<base64>" }`, which
 * {@link fromJsonValue} turns back into bytes when the value is played into
 * a raw topic again.
 *
 * @example
 * ```ts
 * import { toJsonValue } from "./json_value.ts";
 * toJsonValue({ image: new Uint8Array([1, 2, 3]), seq: 7n }); // { image: "AQID", seq: 7 }
 * ```
 * @module
 */
import type { TopicEncoding } from "../dataflow/codec.ts";

/**
 * A value JSON can carry.
 *
 * @example
 * ```ts
 * import type { JsonValue } from "./json_value.ts";
 * const v: JsonValue = { x: 1, tags: ["a"], ok: true, none: null };
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | {
  [key: string]: JsonValue;
};

/** Nesting deeper than this is cut (a value from a component is not trusted to be sane). */
const MAX_DEPTH = 64;

/**
 * `value` (as decoded from a topic) as JSON (see the module documentation).
 * A raw topic's bytes are wrapped as `{ data }`.
 *
 * @example
 * ```ts
 * import { toJsonValue } from "./json_value.ts";
 * toJsonValue(new Uint8Array([255]), "raw"); // { data: "/w==" }
 * ```
 */
export function toJsonValue(value: unknown, encoding: TopicEncoding = "msgpack"): JsonValue {
  if (encoding === "raw" && value instanceof Uint8Array) return { data: value.toBase64() };
  return convert(value, 0);
}

function convert(value: unknown, depth: number): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    case "object":
      break;
    default:
      return null;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return "…";
  if (value instanceof Uint8Array) return value.toBase64();
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).toBase64();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => convert(item, depth + 1));
  const out: Record<string, JsonValue> = {};
  const entries = value instanceof Map ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) out[String(key)] = convert(item, depth + 1);
  return out;
}

/**
 * The text of `value` as JSON, as {@link toJsonValue} makes it.
 *
 * @example
 * ```ts
 * import { jsonText } from "./json_value.ts";
 * jsonText({ x: 1.5 }); // '{"x":1.5}'
 * ```
 */
export function jsonText(value: unknown, encoding: TopicEncoding = "msgpack"): string {
  // A JSON topic's value is JSON already: no conversion needed.
  return JSON.stringify(encoding === "json" ? value : toJsonValue(value, encoding));
}

/**
 * A JSON value made ready for a topic of `encoding`: `{ data: base64 }` (or
 * a string) becomes bytes for a raw topic; other topics take it as it is.
 * Throws a TypeError naming the topic when a raw topic gets anything else.
 *
 * @example
 * ```ts
 * import { fromJsonValue } from "./json_value.ts";
 * fromJsonValue({ data: "AQID" }, "raw", "image"); // Uint8Array [1, 2, 3]
 * ```
 */
export function fromJsonValue(value: unknown, encoding: TopicEncoding, topic: string): unknown {
  if (encoding !== "raw") return value;
  if (typeof value === "string") return new TextEncoder().encode(value);
  const data = (value as { data?: unknown } | null)?.data;
  if (typeof data === "string") {
    try {
      return Uint8Array.fromBase64(data);
    } catch {
      throw new TypeError(`'${topic}' is a raw topic: its 'data' must be base64`);
    }
  }
  throw new TypeError(`'${topic}' is a raw topic: give its bytes as { "data": "<base64>" }`);
}
