/**
 * A counted set of subscription prefixes with prefix matching, as kept by
 * publishers (per subscriber) and subscribers (for their own filter).
 *
 * @module
 */
import type { FrameData } from "../zmtp/mod.ts";

const latin1 = new TextDecoder("latin1");
const utf8 = new TextEncoder();

/**
 * Counted subscription prefixes. Subscribing twice needs two unsubscribes,
 * as in libzmq.
 *
 * @example
 * ```ts
 * import { SubscriptionSet } from "./subscriptions.ts";
 * const subs = new SubscriptionSet();
 * subs.add(new TextEncoder().encode("robot/"));
 * subs.matches("robot/arm"); // true
 * subs.matches("camera"); // false
 * ```
 */
export class SubscriptionSet {
  readonly #topics = new Map<string, { bytes: Uint8Array; count: number }>();
  /** The prefixes' bytes as a plain array: matching runs per message, and a Map iterator costs. */
  readonly #prefixes: Uint8Array[] = [];
  #everything = 0;

  /** Number of distinct prefixes. */
  get size(): number {
    return this.#topics.size + (this.#everything > 0 ? 1 : 0);
  }

  /** Adds one reference to `topic`; true when the prefix is new. */
  add(topic: Uint8Array): boolean {
    if (topic.length === 0) return ++this.#everything === 1;
    const key = latin1.decode(topic);
    const entry = this.#topics.get(key);
    if (entry) {
      entry.count++;
      return false;
    }
    const bytes = topic.slice();
    this.#topics.set(key, { bytes, count: 1 });
    this.#prefixes.push(bytes);
    return true;
  }

  /** Drops one reference; true when the prefix is gone (it was there before). */
  remove(topic: Uint8Array): boolean {
    if (topic.length === 0) {
      if (this.#everything === 0) return false;
      return --this.#everything === 0;
    }
    const key = latin1.decode(topic);
    const entry = this.#topics.get(key);
    if (!entry) return false;
    if (--entry.count > 0) return false;
    this.#topics.delete(key);
    this.#prefixes.splice(this.#prefixes.indexOf(entry.bytes), 1);
    return true;
  }

  /** True when some prefix matches the start of `frame`. */
  matches(frame: FrameData): boolean {
    if (this.#everything > 0) return true;
    if (this.#topics.size === 0) return false;
    const bytes = typeof frame === "string" ? utf8.encode(frame) : frame;
    return this.matchesAt(bytes, 0, bytes.length);
  }

  /** True when some prefix matches the start of the frame `data[start..start+length)`. */
  matchesAt(data: Uint8Array, start: number, length: number): boolean {
    if (this.#everything > 0) return true;
    const prefixes = this.#prefixes;
    for (let p = 0; p < prefixes.length; p++) {
      const prefix = prefixes[p];
      if (prefix.length > length) continue;
      let i = 0;
      while (i < prefix.length && prefix[i] === data[start + i]) i++;
      if (i === prefix.length) return true;
    }
    return false;
  }

  /** Every distinct prefix (once each, whatever its count). */
  topics(): Uint8Array[] {
    const out = [...this.#topics.values()].map((entry) => entry.bytes);
    if (this.#everything > 0) out.unshift(new Uint8Array(0));
    return out;
  }
}

/**
 * Reads a 3.0-style subscription message (`0x01`/`0x00` + topic), or null when
 * the message is something else.
 *
 * @example
 * ```ts
 * import { parseSubscriptionMessage } from "./subscriptions.ts";
 * parseSubscriptionMessage([new Uint8Array([1, 97])]); // { subscribe: true, topic: [97] }
 * ```
 */
export function parseSubscriptionMessage(
  frames: Uint8Array[],
): { subscribe: boolean; topic: Uint8Array } | null {
  if (frames.length !== 1) return null;
  const frame = frames[0];
  if (frame.length === 0 || frame[0] > 1) return null;
  return { subscribe: frame[0] === 1, topic: frame.subarray(1) };
}

/**
 * Encodes a subscription prefix given as a string or bytes.
 *
 * @example
 * ```ts
 * import { topicBytes } from "./subscriptions.ts";
 * topicBytes("a").length; // 1
 * ```
 */
export function topicBytes(topic: FrameData): Uint8Array {
  return typeof topic === "string" ? utf8.encode(topic) : topic;
}
