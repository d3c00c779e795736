/**
 * A small seeded PRNG (mulberry32) so randomised tests replay exactly from a
 * printed seed.
 *
 * @module
 */

/**
 * Seeded pseudo-random numbers.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const rng = new Random(42);
 * rng.int(10); // same value on every run with seed 42
 * ```
 */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /**
   * Splits `data` into consecutive chunks of random sizes (sometimes 1 byte,
   * sometimes large), covering it exactly.
   */
  chunks(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < data.length) {
      const mode = this.int(4);
      const size = mode === 0
        ? 1
        : mode === 1
        ? 1 + this.int(8)
        : mode === 2
        ? 1 + this.int(128)
        : 1 + this.int(data.length);
      out.push(data.subarray(at, Math.min(data.length, at + size)));
      at += size;
    }
    return out;
  }
}

/**
 * The seed for a randomised test: `ZEDGE_TEST_SEED` if set (to replay a
 * failure), otherwise fresh.
 *
 * @example
 * ```ts
 * import { testSeed } from "./random.ts";
 * const seed = testSeed();
 * console.log(`seed ${seed}`);
 * ```
 */
export function testSeed(): number {
  const fixed = Deno.env.get("ZEDGE_TEST_SEED");
  if (fixed !== undefined && fixed !== "") {
    const seed = Number(fixed);
    if (!Number.isInteger(seed) || seed < 0) {
      throw new Error(`ZEDGE_TEST_SEED must be a non-negative integer, got '${fixed}'`);
    }
    return seed >>> 0;
  }
  return (Date.now() ^ (Math.random() * 0x100000000)) >>> 0;
}
