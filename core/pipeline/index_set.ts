/**
 * A set of non-negative integers as a bitmap that grows by doubling: one bit
 * per item index, no hashing and no per-member allocation. The collector
 * remembers every item index it passed to `onResult` here (a million items
 * cost 128 KiB), where a set of id strings cost a hash and a string per item.
 *
 * @example
 * ```ts
 * import { IndexSet } from "./index_set.ts";
 * const seen = new IndexSet();
 * seen.add(5); // true
 * seen.add(5); // false
 * seen.delete(5);
 * console.log(seen.has(5)); // false
 * ```
 * @module
 */

/** Indexes from here on are not worth a bitmap that large. */
const FAR = 2 ** 28;

/**
 * Non-negative integers, one bit each.
 *
 * @example
 * ```ts
 * import { IndexSet } from "./index_set.ts";
 * const s = new IndexSet();
 * s.add(3);
 * console.log(s.has(3), s.has(4)); // true false
 * ```
 */
export class IndexSet {
  #words = new Uint32Array(64);
  /** Indexes past the bitmap's bound (a 32 MiB bitmap at most), kept one by one. */
  readonly #far = new Set<number>();

  /** True when `index` is in the set. */
  has(index: number): boolean {
    if (index >= FAR) return this.#far.has(index);
    const word = Math.floor(index / 32);
    return word < this.#words.length && (this.#words[word] & (1 << (index % 32))) !== 0;
  }

  /** Adds `index`; false when it was there already. */
  add(index: number): boolean {
    if (index >= FAR) return this.#far.size !== this.#far.add(index).size;
    const word = Math.floor(index / 32);
    if (word >= this.#words.length) this.#grow(word);
    const bit = 1 << (index % 32);
    const was = this.#words[word];
    if ((was & bit) !== 0) return false;
    this.#words[word] = was | bit;
    return true;
  }

  /** Removes `index`. */
  delete(index: number): void {
    if (index >= FAR) {
      this.#far.delete(index);
      return;
    }
    const word = Math.floor(index / 32);
    if (word < this.#words.length) this.#words[word] &= ~(1 << (index % 32));
  }

  #grow(word: number): void {
    let size = this.#words.length * 2;
    while (size <= word) size *= 2;
    const bigger = new Uint32Array(size);
    bigger.set(this.#words);
    this.#words = bigger;
  }
}
