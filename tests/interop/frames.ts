/**
 * Frames as the interop tests compare them. The libzmq peers print a frame of
 * up to 64 KiB as hex and a longer one as its size and SHA-256, so a 10 MiB
 * frame costs a line of JSON; {@link describe} turns zedge's frames into the
 * same shape, so both sides of a case are compared with one deepStrictEqual.
 *
 * @module
 */

/**
 * A received frame as compared: hex, or size + SHA-256 above {@link HEX_LIMIT}.
 *
 * @example
 * ```ts
 * import type { FrameDescription } from "./frames.ts";
 * const small: FrameDescription = "68656c6c6f";
 * const large: FrameDescription = { size: 70000, sha256: "9dc177c2…" };
 * ```
 */
export type FrameDescription = string | { size: number; sha256: string };

/**
 * A frame as the peers take it on stdin: hex, or {@link pattern} bytes by size.
 *
 * @example
 * ```ts
 * import type { FrameSpec } from "./frames.ts";
 * const frames: FrameSpec[] = ["41", { pattern: 10 * 1024 * 1024 }];
 * ```
 */
export type FrameSpec = string | { pattern: number };

/**
 * Frames longer than this are described by size and SHA-256 (same limit as the peers).
 *
 * @example
 * ```ts
 * import { HEX_LIMIT } from "./frames.ts";
 * console.log(HEX_LIMIT); // 65536
 * ```
 */
export const HEX_LIMIT = 65536;

const encoder = new TextEncoder();
const patternFrames = new WeakSet<Uint8Array>();
const HEX_CODES = new TextEncoder().encode("0123456789abcdef");

/**
 * UTF-8 bytes of a string.
 *
 * @example
 * ```ts
 * import { utf8 } from "./frames.ts";
 * utf8("hi"); // Uint8Array [104, 105]
 * ```
 */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Lower-case hex of some bytes.
 *
 * @example
 * ```ts
 * import { toHex } from "./frames.ts";
 * toHex(new Uint8Array([1, 255])); // "01ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  // ASCII digits into one buffer, decoded once: fast even for 10 MiB frames.
  const chars = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    chars[2 * i] = HEX_CODES[bytes[i] >> 4];
    chars[2 * i + 1] = HEX_CODES[bytes[i] & 15];
  }
  return new TextDecoder().decode(chars);
}

/**
 * Bytes of a hex string; throws naming the string when it is not hex.
 *
 * @example
 * ```ts
 * import { fromHex } from "./frames.ts";
 * fromHex("01ff"); // Uint8Array [1, 255]
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`not a hex string: ${JSON.stringify(hex.slice(0, 40))}`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * `size` bytes where byte i is i % 251, the pattern both peers generate for
 * `{"pattern": size}` (251 is prime, so the pattern never lines up with 256).
 *
 * @example
 * ```ts
 * import { pattern } from "./frames.ts";
 * const tenMiB = pattern(10 * 1024 * 1024);
 * ```
 */
export function pattern(size: number): Uint8Array {
  const frame = new Uint8Array(size);
  const block = new Uint8Array(251).map((_, i) => i);
  for (let offset = 0; offset < size; offset += 251) {
    frame.set(block.subarray(0, Math.min(251, size - offset)), offset);
  }
  patternFrames.add(frame);
  return frame;
}

/**
 * How to hand a frame to a peer: `{pattern}` for frames made by
 * {@link pattern} (so 10 MiB never crosses the pipe), hex otherwise.
 *
 * @example
 * ```ts
 * import { pattern, toSpec, utf8 } from "./frames.ts";
 * toSpec(utf8("A")); // "41"
 * toSpec(pattern(300)); // { pattern: 300 }
 * ```
 */
export function toSpec(frame: Uint8Array): FrameSpec {
  return patternFrames.has(frame) ? { pattern: frame.length } : toHex(frame);
}

/**
 * Describes frames the way the peers print them.
 *
 * @example
 * ```ts
 * import { describe, utf8 } from "./frames.ts";
 * await describe([utf8("A"), new Uint8Array()]); // ["41", ""]
 * ```
 */
export async function describe(frames: Uint8Array[]): Promise<FrameDescription[]> {
  const out: FrameDescription[] = [];
  for (const frame of frames) {
    if (frame.length <= HEX_LIMIT) {
      out.push(toHex(frame));
    } else {
      const digest = await crypto.subtle.digest("SHA-256", frame as Uint8Array<ArrayBuffer>);
      out.push({ size: frame.length, sha256: toHex(new Uint8Array(digest)) });
    }
  }
  return out;
}

/**
 * Checks that a peer's JSON is a list of frame descriptions.
 *
 * @example
 * ```ts
 * import { parseDescriptions } from "./frames.ts";
 * parseDescriptions(["41", { size: 70000, sha256: "ab" }], "pyzmq recv");
 * ```
 */
export function parseDescriptions(value: unknown, where: string): FrameDescription[] {
  if (!Array.isArray(value)) throw new Error(`${where}: "frames" is not an array`);
  return value.map((frame, i) => {
    if (typeof frame === "string") return frame;
    if (
      frame !== null && typeof frame === "object" && typeof frame.size === "number" &&
      typeof frame.sha256 === "string"
    ) {
      return { size: frame.size, sha256: frame.sha256 };
    }
    throw new Error(`${where}: frame ${i} is neither hex nor {size, sha256}`);
  });
}

/**
 * A short human summary of described frames for failure messages, e.g.
 * `[3: "A", 0: "", 10485760: sha256 44f92969…]`.
 *
 * @example
 * ```ts
 * import { summarize } from "./frames.ts";
 * summarize(["41", ""]); // '[1: 41 "A", 0: ""]'
 * ```
 */
export function summarize(frames: readonly FrameDescription[] | null): string {
  if (frames === null) return "nothing";
  const parts = frames.map((frame) => {
    if (typeof frame !== "string") return `${frame.size}: sha256 ${frame.sha256.slice(0, 8)}…`;
    const size = frame.length / 2;
    if (size === 0) return `0: ""`;
    const head = frame.slice(0, 32);
    const text = new TextDecoder().decode(fromHex(head));
    const printable = /^[\x20-\x7e]*$/.test(text) ? ` ${JSON.stringify(text)}` : "";
    return `${size}: ${head}${frame.length > 32 ? "…" : ""}${printable}`;
  });
  return `[${parts.join(", ")}]`;
}
