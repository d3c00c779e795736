/**
 * How a {@link SocketManager} turns values into frames and back: JSON,
 * msgpack, raw bytes, or an `{ encode, decode }` of your own.
 *
 * @module
 */
import { decodeMsgpack, encodeMsgpack } from "../msgpack.ts";

/**
 * Turns a value into one frame and a frame back into a value. `decode` may
 * throw for bytes it cannot read; the manager reports that as a
 * `SocketDecodeError` naming the socket.
 *
 * @example
 * ```ts
 * import type { Serializer } from "./serializers.ts";
 * const text: Serializer = {
 *   encode: (value) => String(value),
 *   decode: (bytes) => new TextDecoder().decode(bytes),
 * };
 * ```
 */
export interface Serializer {
  /** The frame for `value` (a string is sent as UTF-8). */
  encode(value: unknown): Uint8Array | string;
  /** The value a frame carries. */
  decode(bytes: Uint8Array): unknown;
}

/**
 * The built-in serializers by name.
 *
 * @example
 * ```ts
 * import type { SerializerName } from "./serializers.ts";
 * const name: SerializerName = "msgpack";
 * ```
 */
export type SerializerName = "json" | "msgpack" | "raw";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 JSON, readable by any language (`recv_json` in pyzmq).
 *
 * @example
 * ```ts
 * import { JSON_SERIALIZER } from "./serializers.ts";
 * JSON_SERIALIZER.decode(new TextEncoder().encode('{"a":1}')); // { a: 1 }
 * ```
 */
export const JSON_SERIALIZER: Serializer = {
  encode(value: unknown): string {
    const text = JSON.stringify(value);
    // JSON.stringify gives undefined for undefined, functions and symbols: no frame to send.
    if (text === undefined) throw new TypeError(`${typeof value} cannot be encoded as JSON`);
    return text;
  },
  decode(bytes: Uint8Array): unknown {
    return JSON.parse(utf8.decode(bytes));
  },
};

/**
 * msgpack: compact and binary-safe (typed arrays travel as bytes).
 *
 * @example
 * ```ts
 * import { MSGPACK_SERIALIZER } from "./serializers.ts";
 * const frame = MSGPACK_SERIALIZER.encode({ x: 1.5 }) as Uint8Array;
 * MSGPACK_SERIALIZER.decode(frame); // { x: 1.5 }
 * ```
 */
export const MSGPACK_SERIALIZER: Serializer = {
  encode: (value: unknown): Uint8Array => encodeMsgpack(value),
  decode: (bytes: Uint8Array): unknown => decodeMsgpack(bytes),
};

/**
 * Frames as they are: send bytes or a string, receive the bytes.
 *
 * @example
 * ```ts
 * import { RAW_SERIALIZER } from "./serializers.ts";
 * RAW_SERIALIZER.encode("as is"); // "as is"
 * ```
 */
export const RAW_SERIALIZER: Serializer = {
  encode(value: unknown): Uint8Array | string {
    if (value instanceof Uint8Array || typeof value === "string") return value;
    throw new TypeError(
      `the raw serializer sends bytes or strings, not ${describeType(value)}`,
    );
  },
  decode: (bytes: Uint8Array): Uint8Array => bytes,
};

const BY_NAME: Record<SerializerName, Serializer> = {
  json: JSON_SERIALIZER,
  msgpack: MSGPACK_SERIALIZER,
  raw: RAW_SERIALIZER,
};

/**
 * The serializer a manager option names, checked: a built-in name or an
 * object with `encode` and `decode` functions.
 *
 * @example
 * ```ts
 * import { resolveSerializer } from "./serializers.ts";
 * resolveSerializer("json").encode([1, 2]); // "[1,2]"
 * ```
 */
export function resolveSerializer(spec: SerializerName | Serializer): Serializer {
  if (typeof spec === "string") {
    if (Object.hasOwn(BY_NAME, spec)) return BY_NAME[spec];
    throw new TypeError(
      `unknown serializer '${spec}' (expected ${
        Object.keys(BY_NAME).join(", ")
      } or { encode, decode })`,
    );
  }
  if (
    spec === null || typeof spec !== "object" || typeof spec.encode !== "function" ||
    typeof spec.decode !== "function"
  ) {
    throw new TypeError("a serializer is 'json', 'msgpack', 'raw' or an object { encode, decode }");
  }
  return spec;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
