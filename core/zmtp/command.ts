/**
 * ZMTP commands (RFC 37 §"Commands"): READY with its metadata, ERROR,
 * SUBSCRIBE, CANCEL, PING and PONG. These functions build and parse command
 * *bodies*; {@link ./frame.ts} puts them in command frames.
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import { ZmtpError } from "./errors.ts";

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * A decoded command: the name and the bytes after it.
 *
 * @example
 * ```ts
 * import type { Command } from "./command.ts";
 * const ping: Command = { name: "PING", data: new Uint8Array([0, 0]) };
 * ```
 */
export interface Command {
  /** The command name, e.g. `READY`. */
  name: string;
  /** The command's body after the name. */
  data: Uint8Array;
}

/**
 * READY/INITIATE metadata: property name → raw value bytes. Names compare
 * case-insensitively (RFC 37), so they are stored in the case received and
 * looked up with {@link getProperty}.
 *
 * @example
 * ```ts
 * import type { Metadata } from "./command.ts";
 * const m: Metadata = new Map([["Socket-Type", new TextEncoder().encode("REQ")]]);
 * ```
 */
export type Metadata = Map<string, Uint8Array>;

/**
 * Builds a command body: name-length, name, data.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "./command.ts";
 * encodeCommand("PONG", new Uint8Array(0)); // [4, P, O, N, G]
 * ```
 */
export function encodeCommand(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = encoder.encode(name);
  const out = new Uint8Array(1 + nameBytes.length + data.length);
  out[0] = nameBytes.length;
  out.set(nameBytes, 1);
  out.set(data, 1 + nameBytes.length);
  return out;
}

/**
 * Splits a command frame's body into name and data.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "./command.ts";
 * decodeCommand(encodeCommand("PING", new Uint8Array([0, 10]))).name; // "PING"
 * ```
 */
export function decodeCommand(body: Uint8Array): Command {
  if (body.length < 1) throw new ZmtpError("bad-command", "empty command frame");
  const nameLength = body[0];
  if (nameLength === 0 || 1 + nameLength > body.length) {
    throw new ZmtpError(
      "bad-command",
      `command name length ${nameLength} does not fit a ${body.length}-byte frame`,
    );
  }
  const name = latin1.decode(body.subarray(1, 1 + nameLength));
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new ZmtpError("bad-command", `command name '${printable(name)}' is not a valid name`);
  }
  return { name, data: body.subarray(1 + nameLength) };
}

/**
 * Encodes metadata properties (RFC 37: name-length, name, 4-byte value length, value).
 *
 * @example
 * ```ts
 * import { encodeMetadata } from "./command.ts";
 * encodeMetadata({ "Socket-Type": "DEALER", Identity: "" });
 * ```
 */
export function encodeMetadata(props: Record<string, string | Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(props)) {
    const nameBytes = encoder.encode(name);
    const valueBytes = typeof value === "string" ? encoder.encode(value) : value;
    if (nameBytes.length === 0 || nameBytes.length > 255) {
      throw new RangeError(`metadata name '${name}' must be 1..255 bytes`);
    }
    const part = new Uint8Array(1 + nameBytes.length + 4 + valueBytes.length);
    part[0] = nameBytes.length;
    part.set(nameBytes, 1);
    new DataView(part.buffer).setUint32(1 + nameBytes.length, valueBytes.length);
    part.set(valueBytes, 5 + nameBytes.length);
    parts.push(part);
  }
  return concatBytes(parts);
}

/**
 * Decodes metadata properties, refusing truncated or overlong entries.
 *
 * @example
 * ```ts
 * import { decodeMetadata, encodeMetadata, getProperty } from "./command.ts";
 * const meta = decodeMetadata(encodeMetadata({ "Socket-Type": "PUB" }));
 * new TextDecoder().decode(getProperty(meta, "socket-type")); // "PUB"
 * ```
 */
export function decodeMetadata(data: Uint8Array): Metadata {
  const meta: Metadata = new Map();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.length) {
    const nameLength = data[at];
    if (nameLength === 0 || at + 1 + nameLength + 4 > data.length) {
      throw new ZmtpError("bad-command", `metadata property at byte ${at} is truncated`);
    }
    const name = latin1.decode(data.subarray(at + 1, at + 1 + nameLength));
    at += 1 + nameLength;
    const valueLength = view.getUint32(at);
    at += 4;
    if (at + valueLength > data.length) {
      throw new ZmtpError(
        "bad-command",
        `metadata property '${printable(name)}' claims ${valueLength} bytes, only ${
          data.length - at
        } left`,
      );
    }
    meta.set(name, data.subarray(at, at + valueLength));
    at += valueLength;
  }
  return meta;
}

/**
 * Looks a metadata property up case-insensitively.
 *
 * @example
 * ```ts
 * import { getProperty } from "./command.ts";
 * getProperty(new Map(), "Identity"); // undefined
 * ```
 */
export function getProperty(meta: Metadata, name: string): Uint8Array | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of meta) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * ERROR command data: a one-byte length and a reason text.
 *
 * @example
 * ```ts
 * import { encodeErrorReason } from "./command.ts";
 * encodeErrorReason("Invalid socket type");
 * ```
 */
export function encodeErrorReason(reason: string): Uint8Array {
  const bytes = encoder.encode(reason).subarray(0, 255);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/**
 * Reads an ERROR command's reason text; tolerant of a short body.
 *
 * @example
 * ```ts
 * import { decodeErrorReason, encodeErrorReason } from "./command.ts";
 * decodeErrorReason(encodeErrorReason("nope")); // "nope"
 * ```
 */
export function decodeErrorReason(data: Uint8Array): string {
  if (data.length === 0) return "";
  return new TextDecoder().decode(data.subarray(1, 1 + data[0]));
}

/**
 * PING command data: time-to-live in deciseconds and up to 16 bytes of context.
 *
 * @example
 * ```ts
 * import { encodePing } from "./command.ts";
 * encodePing(3000, new Uint8Array([1, 2])); // ttl 30 ds, context [1,2]
 * ```
 */
export function encodePing(ttlMs: number, context: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + Math.min(context.length, 16));
  const ttl = Math.min(0xffff, Math.max(0, Math.round(ttlMs / 100)));
  out[0] = ttl >> 8;
  out[1] = ttl & 0xff;
  out.set(context.subarray(0, 16), 2);
  return out;
}

/**
 * Parses PING data into its TTL (ms) and context (echoed back in PONG).
 *
 * @example
 * ```ts
 * import { decodePing, encodePing } from "./command.ts";
 * decodePing(encodePing(1000, new Uint8Array(0))).ttlMs; // 1000
 * ```
 */
export function decodePing(data: Uint8Array): { ttlMs: number; context: Uint8Array } {
  if (data.length < 2) throw new ZmtpError("bad-command", "PING command shorter than its TTL");
  if (data.length > 18) throw new ZmtpError("bad-command", "PING context longer than 16 bytes");
  return { ttlMs: ((data[0] << 8) | data[1]) * 100, context: data.subarray(2) };
}

function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\uffff]/g, "?").slice(0, 40);
}
