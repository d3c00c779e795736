/**
 * Z85, the ZeroMQ Base-85 encoding (RFC 32): four bytes become five
 * printable characters that are safe in source code, JSON, YAML and a
 * shell's single quotes. CURVE keys are 32 bytes, so 40 characters.
 *
 * @example
 * ```ts
 * import { z85Decode, z85Encode } from "./z85.ts";
 * z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])); // "HelloWorld"
 * z85Decode("HelloWorld").length; // 8
 * ```
 * @module
 */

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
/** Character code → digit value, -1 for characters outside the alphabet. */
const DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGITS[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as Z85. The length must be a multiple of 4 (RFC 32 leaves
 * padding to the application).
 *
 * @example
 * ```ts
 * import { z85Encode } from "./z85.ts";
 * z85Encode(new Uint8Array(4)); // "00000"
 * ```
 */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) {
    throw new RangeError(`Z85 encodes whole 4-byte groups; got ${bytes.length} bytes`);
  }
  let out = "";
  for (let at = 0; at < bytes.length; at += 4) {
    let value = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) |
      bytes[at + 3]) >>> 0;
    let group = "";
    for (let i = 0; i < 5; i++) {
      group = ALPHABET[value % 85] + group;
      value = Math.floor(value / 85);
    }
    out += group;
  }
  return out;
}

/**
 * Decodes a Z85 string; throws a `RangeError` naming the problem for a
 * length that is not a multiple of 5, a character outside the alphabet, or
 * a group worth more than 32 bits.
 *
 * @example
 * ```ts
 * import { z85Decode } from "./z85.ts";
 * z85Decode("00000"); // Uint8Array [0, 0, 0, 0]
 * ```
 */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) {
    throw new RangeError(`Z85 text comes in 5-character groups; got ${text.length} characters`);
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let at = 0, o = 0; at < text.length; at += 5, o += 4) {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const code = text.charCodeAt(at + i);
      const digit = code < 128 ? DIGITS[code] : -1;
      if (digit < 0) {
        throw new RangeError(
          `'${text[at + i]}' at position ${at + i} is not a Z85 character`,
        );
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) {
      throw new RangeError(`Z85 group '${text.slice(at, at + 5)}' is worth more than 32 bits`);
    }
    out[o] = value >>> 24;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}
