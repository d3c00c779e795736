/**
 * The scheduler's unsettled items of one task type, as columns: a sliding
 * window over typed arrays (state, attempt, deadline) and two plain arrays
 * (holder, payload), all by item index. Items are made in index order and
 * mostly settle in it, so the window stays about read-ahead plus in-flight
 * sized, and an item costs a few stores into arrays that live as long as
 * the run — not an object per item that outlives a young-generation
 * collection (at a million items a second those copies were a fifth of the
 * distributor's CPU).
 *
 * @example
 * ```ts
 * import { ItemColumns, QUEUED } from "./item_columns.ts";
 * const items = new ItemColumns<string>();
 * items.add(0, { x: 0 }, undefined);
 * items.add(1, { x: 1 }, undefined);
 * items.release(0);
 * console.log(items.stateOf(0), items.stateOf(1) === QUEUED); // 0 true
 * ```
 * @module
 */

/** Not held: never made, resumed, or settled (done or failed for good). */
export const NONE = 0;
/** Waiting to be handed out. */
export const QUEUED = 1;
/** At a worker. */
export const INFLIGHT = 2;
/** Reported done by its worker, waiting for the collector's ACK. */
export const FINISHED = 3;
/** Waiting out a retry delay. */
export const BACKOFF = 4;

/**
 * Unsettled items of one task type by index (see the module documentation).
 * `H` is whoever holds items in flight.
 *
 * @example
 * ```ts
 * import { INFLIGHT, ItemColumns } from "./item_columns.ts";
 * const items = new ItemColumns<string>();
 * items.add(5, null, "tile-5");
 * const at = items.slotOf(5);
 * items.state[at] = INFLIGHT;
 * items.holder[at] = "worker-1";
 * console.log(items.ownIdOf(5)); // "tile-5"
 * ```
 */
export class ItemColumns<H> {
  /** Item state by slot (see {@link slotOf}); {@link NONE} = not held. */
  state: Uint8Array;
  /** Deliveries so far by slot. */
  attempt: Uint32Array;
  /** By slot: when it overruns (in flight) or its ACK is late (finished); 0 = never. */
  deadline: Float64Array;
  /** By slot: who holds it while in flight. */
  holder: (H | null)[];
  /** By slot: what the source yielded. */
  payload: unknown[];
  /** By slot: the id a source made itself (`idOf`), if any. */
  #ownIds: (string | undefined)[];
  #mask: number;
  /** Lowest index that may be held. */
  #base = 0;
  /** Slot of `#base`. */
  #baseSlot = 0;
  /** One past the highest index added. */
  #end = 0;
  #size = 0;

  /** Starts with room for `capacity` (a power of two) items; grows as needed. */
  constructor(capacity = 1024) {
    this.#mask = capacity - 1;
    this.state = new Uint8Array(capacity);
    this.attempt = new Uint32Array(capacity);
    this.deadline = new Float64Array(capacity);
    this.holder = new Array(capacity).fill(null);
    this.payload = new Array(capacity).fill(undefined);
    this.#ownIds = new Array(capacity).fill(undefined);
  }

  /** Items held. */
  get size(): number {
    return this.#size;
  }

  /** Lowest index that may be held (scans start here). */
  get low(): number {
    return this.#base;
  }

  /** One past the highest index added (scans end here). */
  get high(): number {
    return this.#end;
  }

  /** The slot of `index` in the columns; only for `low ≤ index < high`. */
  slotOf(index: number): number {
    return (this.#baseSlot + (index - this.#base)) & this.#mask;
  }

  /** The state of `index`: {@link NONE} unless it is held. */
  stateOf(index: number): number {
    if (index < this.#base || index >= this.#end) return NONE;
    return this.state[(this.#baseSlot + (index - this.#base)) & this.#mask];
  }

  /** The id `index`'s source made itself, if it is held and has one. */
  ownIdOf(index: number): string | undefined {
    if (index < this.#base || index >= this.#end) return undefined;
    return this.#ownIds[this.slotOf(index)];
  }

  /** Adds item `index`, queued; it must be above every index added before. */
  add(index: number, payload: unknown, ownId: string | undefined): void {
    if (index < this.#end) throw new RangeError(`index ${index} added out of order`);
    if (this.#size === 0) {
      // Nothing held: the window starts over at this index.
      this.#base = index;
      this.#end = index;
    }
    // Indexes skipped (items resumed as done, duplicates) hold nothing.
    while (index + 1 - this.#base > this.#mask + 1) this.#grow();
    const at = this.slotOf(index);
    for (let skipped = this.#end; skipped < index; skipped++) this.state[this.slotOf(skipped)] = 0;
    this.#end = index + 1;
    this.state[at] = QUEUED;
    this.attempt[at] = 0;
    this.deadline[at] = 0;
    this.holder[at] = null;
    this.payload[at] = payload;
    this.#ownIds[at] = ownId;
    this.#size++;
  }

  /** `index` is settled: it leaves the window, which slides past the settled front. */
  release(index: number): void {
    if (this.stateOf(index) === NONE) return;
    const at = this.slotOf(index);
    this.state[at] = NONE;
    this.holder[at] = null;
    this.payload[at] = undefined;
    this.#ownIds[at] = undefined;
    this.#size--;
    if (index !== this.#base) return;
    const state = this.state;
    const mask = this.#mask;
    let base = this.#base;
    let slot = this.#baseSlot;
    while (base < this.#end && state[slot] === NONE) {
      base++;
      slot = (slot + 1) & mask;
    }
    this.#base = base;
    this.#baseSlot = slot;
  }

  #grow(): void {
    const capacity = (this.#mask + 1) * 2;
    const state = new Uint8Array(capacity);
    const attempt = new Uint32Array(capacity);
    const deadline = new Float64Array(capacity);
    const holder = new Array<H | null>(capacity).fill(null);
    const payload = new Array<unknown>(capacity).fill(undefined);
    const ownIds = new Array<string | undefined>(capacity).fill(undefined);
    for (let index = this.#base, to = 0; index < this.#end; index++, to++) {
      const from = this.slotOf(index);
      state[to] = this.state[from];
      attempt[to] = this.attempt[from];
      deadline[to] = this.deadline[from];
      holder[to] = this.holder[from];
      payload[to] = this.payload[from];
      ownIds[to] = this.#ownIds[from];
    }
    this.state = state;
    this.attempt = attempt;
    this.deadline = deadline;
    this.holder = holder;
    this.payload = payload;
    this.#ownIds = ownIds;
    this.#mask = capacity - 1;
    this.#baseSlot = 0;
  }
}
