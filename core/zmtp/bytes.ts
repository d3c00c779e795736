/**
 * Joins byte arrays into one. A single part is returned as is (no copy),
 * which is the common case for a frame that arrived in one read.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Writes `value` as an 8-byte big-endian unsigned integer (ZMTP's frame
 * sizes, CurveZMQ's nonces); exact below 2^53.
 *
 * @example
 * ```ts
 * import { putUint64 } from "./bytes.ts";
 * const out = new Uint8Array(8);
 * putUint64(out, 0, 258); // [0, 0, 0, 0, 0, 0, 1, 2]
 * ```
 */
export function putUint64(into: Uint8Array, at: number, value: number): void {
  const high = Math.floor(value / 0x100000000);
  const low = value >>> 0;
  into[at] = (high >>> 24) & 0xff;
  into[at + 1] = (high >>> 16) & 0xff;
  into[at + 2] = (high >>> 8) & 0xff;
  into[at + 3] = high & 0xff;
  into[at + 4] = low >>> 24;
  into[at + 5] = (low >>> 16) & 0xff;
  into[at + 6] = (low >>> 8) & 0xff;
  into[at + 7] = low & 0xff;
}

/**
 * Reads an 8-byte big-endian unsigned integer. Above 2^53 the result rounds,
 * but monotonically: a larger value never reads as smaller.
 *
 * @example
 * ```ts
 * import { getUint64 } from "./bytes.ts";
 * getUint64(new Uint8Array([0, 0, 0, 0, 0, 0, 1, 2]), 0); // 258
 * ```
 */
export function getUint64(bytes: Uint8Array, at: number): number {
  const high =
    ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>>
    0;
  const low = ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) |
    bytes[at + 7]) >>> 0;
  return high * 0x100000000 + low;
}
