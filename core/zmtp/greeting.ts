/**
 * The 64-byte ZMTP greeting (RFC 23 §"The greeting", RFC 37): signature,
 * version, security mechanism and the as-server flag.
 *
 * @module
 */
import { ZmtpError } from "./errors.ts";

/** Length of a ZMTP 3.x greeting in bytes. */
export const GREETING_LENGTH = 64;

/** The ZMTP version zedge speaks. A 3.0 peer is accepted and spoken to in 3.0 terms. */
export const ZMTP_VERSION = { major: 3, minor: 1 } as const;

/**
 * What a peer said in its greeting.
 *
 * @example
 * ```ts
 * import type { Greeting } from "./greeting.ts";
 * const g: Greeting = { major: 3, minor: 1, mechanism: "NULL", asServer: false };
 * ```
 */
export interface Greeting {
  /** ZMTP major version. */
  major: number;
  /** ZMTP minor version. */
  minor: number;
  /** Security mechanism name, e.g. `NULL`. */
  mechanism: string;
  /** The as-server flag. */
  asServer: boolean;
}

/**
 * Encodes our greeting.
 *
 * @example
 * ```ts
 * import { encodeGreeting } from "./greeting.ts";
 * const bytes = encodeGreeting("NULL", false); // 64 bytes, starts with 0xFF
 * ```
 */
export function encodeGreeting(mechanism = "NULL", asServer = false): Uint8Array {
  const out = new Uint8Array(GREETING_LENGTH);
  out[0] = 0xff;
  out[9] = 0x7f;
  out[10] = ZMTP_VERSION.major;
  out[11] = ZMTP_VERSION.minor;
  const name = new TextEncoder().encode(mechanism);
  if (name.length > 20) throw new RangeError(`mechanism name '${mechanism}' exceeds 20 bytes`);
  out.set(name, 12);
  out[32] = asServer ? 1 : 0;
  return out;
}

/**
 * Validates the first bytes of a peer's greeting as soon as they arrive, so a
 * non-ZMTP peer (an HTTP client, a port scanner) is refused after one byte
 * instead of after a stall. `bytes` may be shorter than 64.
 *
 * @example
 * ```ts
 * import { checkGreetingPrefix } from "./greeting.ts";
 * checkGreetingPrefix(new Uint8Array([0xff])); // ok, waits for more
 * ```
 */
export function checkGreetingPrefix(bytes: Uint8Array): void {
  if (bytes.length >= 1 && bytes[0] !== 0xff) {
    throw new ZmtpError(
      "bad-signature",
      `greeting signature starts with 0x${hex(bytes[0])}, expected 0xFF`,
    );
  }
  if (bytes.length >= 10 && (bytes[9] & 0x01) !== 1) {
    throw new ZmtpError(
      "bad-signature",
      `greeting signature byte 10 is 0x${hex(bytes[9])}, expected its low bit set`,
    );
  }
  if (bytes.length >= 11 && bytes[10] < 3) {
    throw new ZmtpError(
      "unsupported-version",
      `peer speaks ZMTP ${bytes[10]}.x; zedge needs 3.0 or later`,
    );
  }
}

/**
 * Parses a complete 64-byte greeting.
 *
 * @example
 * ```ts
 * import { encodeGreeting, parseGreeting } from "./greeting.ts";
 * parseGreeting(encodeGreeting()).mechanism; // "NULL"
 * ```
 */
export function parseGreeting(bytes: Uint8Array): Greeting {
  if (bytes.length < GREETING_LENGTH) {
    throw new ZmtpError("protocol", `greeting is ${bytes.length} bytes, expected 64`);
  }
  checkGreetingPrefix(bytes);
  let end = 12;
  while (end < 32 && bytes[end] !== 0) end++;
  for (let i = end; i < 32; i++) {
    if (bytes[i] !== 0) {
      throw new ZmtpError("unsupported-mechanism", "greeting mechanism field is not NUL-padded");
    }
  }
  const mechanism = String.fromCharCode(...bytes.subarray(12, end));
  if (!/^[A-Z0-9_-]*$/.test(mechanism)) {
    throw new ZmtpError(
      "unsupported-mechanism",
      `greeting mechanism '${mechanism}' has invalid characters`,
    );
  }
  return { major: bytes[10], minor: bytes[11], mechanism, asServer: bytes[32] === 1 };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0").toUpperCase();
}
