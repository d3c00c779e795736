/**
 * A FIFO queue with O(1) push and shift, used for per-peer message queues:
 * a ring buffer whose capacity, a power of two, doubles when full (a store
 * of more than 4,096 slots is dropped once the queue is empty). A push or
 * shift allocates nothing in the steady state, where an array with a
 * moving head and now-and-then compaction reallocated its store every
 * thousand messages (and growing it again went through the generic push).
 *
 * @example
 * ```ts
 * import { Deque } from "./deque.ts";
 * const q = new Deque<number>();
 * q.push(1); q.push(2);
 * q.shift(); // 1
 * q.length; // 1
 * ```
 */
export class Deque<T> {
  /** Slots; its length is a power of two, and `#mask` is that length minus one. */
  #items: (T | undefined)[] = EMPTY;
  #mask = -1;
  #head = 0;
  #length = 0;

  /** Number of queued items. */
  get length(): number {
    return this.#length;
  }

  /** Appends an item at the tail. */
  push(item: T): void {
    if (this.#length > this.#mask) {
      this.#resize(this.#mask < 0 ? MIN_CAPACITY : (this.#mask + 1) * 2);
    }
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the head item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    const head = this.#head;
    const item = items[head];
    items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    // A burst's large store is given back once the queue is empty; a
    // smaller one stays for the next burst (a peer's queue fills and
    // drains every turn: shrinking and growing it each time cost more than
    // the rest of the queue).
    if (--this.#length === 0 && this.#mask >= KEEP_CAPACITY) this.clear();
    return item;
  }

  /** The head item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Drops every item. */
  clear(): void {
    this.#items = EMPTY;
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
  }

  #resize(capacity: number): void {
    // Filled by push, so the store stays a packed array (no holes to check).
    const items: (T | undefined)[] = [];
    for (let i = 0; i < this.#length; i++) items.push(this.#items[(this.#head + i) & this.#mask]);
    while (items.length < capacity) items.push(undefined);
    this.#items = items;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}

/** Slots of a queue's first store: most peers' queues hold a few messages at a time. */
const MIN_CAPACITY = 8;
/** Most slots a store keeps once its queue is empty (8 × 4,096 = 32 KiB): larger ones are dropped. */
const KEEP_CAPACITY = 4096;
// Shared by every empty queue (never written: the first push allocates a store).
const EMPTY: never[] = [];
