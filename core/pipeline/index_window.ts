/**
 * Values keyed by a growing integer index, as a sliding window over an
 * array: the scheduler's unsettled items of one task type, which are made in
 * index order and mostly settle in it. A lookup is an array read, where a
 * `Map` hashed every index and rehashed as items came and went.
 *
 * @example
 * ```ts
 * import { IndexWindow } from "./index_window.ts";
 * const w = new IndexWindow<{ index: number }>();
 * w.add({ index: 0 });
 * w.add({ index: 1 });
 * w.delete(0);
 * console.log(w.get(0), w.get(1)); // undefined { index: 1 }
 * ```
 * @module
 */

/**
 * A window of values by index (see the module documentation).
 *
 * @example
 * ```ts
 * import { IndexWindow } from "./index_window.ts";
 * const w = new IndexWindow<{ index: number; name: string }>();
 * w.add({ index: 4, name: "four" });
 * console.log(w.get(4)?.name); // "four"
 * ```
 */
export class IndexWindow<T extends { readonly index: number }> {
  #slots: (T | undefined)[] = [];
  /** Index of `#slots[#head]`. */
  #base = 0;
  #head = 0;
  #size = 0;

  /** Values held. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value`; its index must be above every index added before. */
  add(value: T): void {
    if (this.#head === this.#slots.length) {
      this.#slots.length = 0;
      this.#head = 0;
      this.#base = value.index;
    }
    const end = this.#base + this.#slots.length - this.#head;
    if (value.index < end) throw new RangeError(`index ${value.index} added out of order`);
    // Indexes skipped (items resumed as done, duplicates) hold nothing.
    for (let i = end; i < value.index; i++) this.#slots.push(undefined);
    this.#slots.push(value);
    this.#size++;
  }

  /** The value at `index`, if held. */
  get(index: number): T | undefined {
    const at = index - this.#base + this.#head;
    return at >= this.#head && at < this.#slots.length ? this.#slots[at] : undefined;
  }

  /** Removes the value at `index`; the window slides past the settled front. */
  delete(index: number): void {
    const slots = this.#slots;
    const at = index - this.#base + this.#head;
    if (at < this.#head || at >= slots.length || slots[at] === undefined) return;
    slots[at] = undefined;
    this.#size--;
    let head = this.#head;
    while (head < slots.length && slots[head] === undefined) head++;
    this.#base += head - this.#head;
    this.#head = head;
    if (head > 1024 && head * 2 > slots.length) {
      this.#slots = slots.slice(head);
      this.#head = 0;
    }
  }
}
