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
 * Bits per page of the indexes past {@link FAR}, kept by page: a run of
 * them costs a bit each, as below FAR. One by one in a Set they cost about
 * 65 bytes each, and a few bytes of wire (a run in a results frame) named a
 * million; past 2^24 members the Set threw, and the collector stopped.
 */
const PAGE_BITS = 1024;

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
  /** Indexes past the bitmap's bound (a 32 MiB bitmap at most), by page of {@link PAGE_BITS}. */
  readonly #far = new Map<number, Uint32Array>();

  /** True when `index` is in the set. */
  has(index: number): boolean {
    if (index >= FAR) {
      const page = this.#far.get(Math.floor(index / PAGE_BITS));
      return page !== undefined && (page[(index % PAGE_BITS) >>> 5] & (1 << (index % 32))) !== 0;
    }
    const word = Math.floor(index / 32);
    return word < this.#words.length && (this.#words[word] & (1 << (index % 32))) !== 0;
  }

  /** Adds `index`; false when it was there already. */
  add(index: number): boolean {
    if (index >= FAR) return this.#addFar(index);
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
      const page = this.#far.get(Math.floor(index / PAGE_BITS));
      if (page !== undefined) page[(index % PAGE_BITS) >>> 5] &= ~(1 << (index % 32));
      return;
    }
    const word = Math.floor(index / 32);
    if (word < this.#words.length) this.#words[word] &= ~(1 << (index % 32));
  }

  #addFar(index: number): boolean {
    const number = Math.floor(index / PAGE_BITS);
    let page = this.#far.get(number);
    if (page === undefined) this.#far.set(number, page = new Uint32Array(PAGE_BITS / 32));
    const word = (index % PAGE_BITS) >>> 5;
    const bit = 1 << (index % 32);
    if ((page[word] & bit) !== 0) return false;
    page[word] |= bit;
    return true;
  }

  #grow(word: number): void {
    let size = this.#words.length * 2;
    while (size <= word) size *= 2;
    const bigger = new Uint32Array(size);
    bigger.set(this.#words);
    this.#words = bigger;
  }
}
