/**
 * How a distributor resumes a run: which item ids an earlier run already
 * got ACKed (from the optional SQLite journal, so they are skipped, not
 * re-issued), recording new ACKs there, and ACKs that arrive for ids the
 * sources have not yielded yet (a result from before a restart, or from a
 * redelivery) so those items count as done the moment they appear.
 *
 * @example
 * ```ts
 * import { RunJournal } from "./resume.ts";
 * const journal = new RunJournal(undefined); // no file: nothing survives a restart
 * journal.ackedEarly("tiles:7");
 * journal.takeEarlyAck("tiles:7"); // true: done as soon as it is generated
 * journal.close();
 * ```
 * @module
 */
import { Journal } from "./journal.ts";

/**
 * Early ACKs kept at most. Honestly they are what was in flight when an
 * earlier distributor stopped; a peer that forges ACKs for items never
 * generated could otherwise grow the set without bound (one id string per
 * item named). One dropped costs only a redo of its item once generated,
 * which the collector recognises as a duplicate.
 */
export const MAX_EARLY_ACKS = 1 << 18;

/**
 * The distributor's record of done ids, with or without a journal file.
 *
 * @example
 * ```ts
 * import { RunJournal } from "./resume.ts";
 * const journal = new RunJournal("/tmp/tiles.db");
 * if (!journal.wasDone("tiles:0")) journal.record([{ id: "tiles:0", type: "tiles" }]);
 * journal.close();
 * ```
 */
export class RunJournal {
  readonly #journal: Journal | null;
  readonly #earlyAcks = new Set<string>();

  /** Opens the journal at `path`; without one, nothing is remembered across runs. */
  constructor(path: string | undefined) {
    this.#journal = path === undefined ? null : new Journal({ path });
  }

  /** Loads the done ids into memory (one query instead of one per item); returns how many. */
  preload(): number {
    return this.#journal?.doneIds().size ?? 0;
  }

  /** True when done ids are kept in a file (across runs). */
  get remembers(): boolean {
    return this.#journal !== null;
  }

  /** True while some ACK waits for an item not generated yet. */
  get hasEarlyAcks(): boolean {
    return this.#earlyAcks.size > 0;
  }

  /** True when an earlier run already got `id` ACKed. */
  wasDone(id: string): boolean {
    return this.#journal?.isDone(id) ?? false;
  }

  /**
   * An ACK for an id not generated yet: remembered, unless an earlier run
   * had it; false (and forgotten) once {@link MAX_EARLY_ACKS} are kept.
   */
  ackedEarly(id: string): boolean {
    if (this.#earlyAcks.size >= MAX_EARLY_ACKS) return false;
    if (!this.wasDone(id)) this.#earlyAcks.add(id);
    return true;
  }

  /** True (once) when `id`, just generated, was ACKed before it existed. */
  takeEarlyAck(id: string): boolean {
    return this.#earlyAcks.delete(id);
  }

  /** Records ACKed items so a restarted run skips them. */
  record(items: readonly { id: string; type: string }[]): void {
    this.#journal?.markDone(items);
  }

  /** Closes the journal file. */
  close(): void {
    this.#journal?.close();
  }
}
