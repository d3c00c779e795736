/**
 * Progress of a distributor's run: the {@link Progress} snapshot progress
 * bars and logs show, and the rate over the last few seconds it is built
 * with. The rate counts running time only: a run that waits for something
 * it needs (metadata, the collector, workers) starts its rate afresh once
 * it runs again, so a run that waited a minute for its workers does not
 * show a rate diluted by that minute.
 *
 * @example
 * ```ts
 * import { ProgressMeter } from "./progress.ts";
 * const meter = new ProgressMeter();
 * meter.sample(0);
 * const p = meter.snapshot({ done: 0, failed: 0, total: 10, known: 10, inFlight: 2, retries: 0, workers: 1, resumed: 0 });
 * console.log(p.etaMs); // null until items get done
 * ```
 * @module
 */

/**
 * A snapshot of a run, for progress bars and logs.
 *
 * @example
 * ```ts
 * import type { Progress } from "./distributor.ts";
 * const show = (p: Progress) => console.log(`${p.done}/${p.total ?? "?"}`);
 * ```
 */
export interface Progress {
  /** Items done (ACKed), including ones resumed from the journal. */
  done: number;
  /** Items failed for good. */
  failed: number;
  /** All items, once every runnable source is exhausted; otherwise `null`. */
  total: number | null;
  /** Items known so far. */
  known: number;
  /** Items currently at workers. */
  inFlight: number;
  /** Redeliveries so far. */
  retries: number;
  /** Done items per second over the last few seconds. */
  rate: number;
  /** Estimated ms to go, when `total` is known and the rate is not zero. */
  etaMs: number | null;
  /** Workers currently registered. */
  workers: number;
  /** ms since the run started. */
  elapsedMs: number;
  /**
   * What the run is waiting for before it can hand out items, when it is:
   * the metadata, a collector, or (more) workers. Empty or absent while it
   * runs.
   */
  waitingFor?: ("metadata" | "collector" | "workers")[];
}

/**
 * The counts a snapshot is made from.
 *
 * @example
 * ```ts
 * import type { RunCounts } from "./progress.ts";
 * const c: RunCounts = { done: 3, failed: 0, total: null, known: 5, inFlight: 2, retries: 0, workers: 1, resumed: 0 };
 * ```
 */
export type RunCounts = Omit<Progress, "rate" | "etaMs" | "elapsedMs"> & {
  /** Items found done in the journal (not part of this run's rate). */
  resumed: number;
};

/** How far back the rate looks. */
const RATE_WINDOW_MS = 5000;

/**
 * Keeps recent (time, done) samples and turns counts into a {@link Progress}.
 *
 * @example
 * ```ts
 * import { ProgressMeter } from "./progress.ts";
 * const meter = new ProgressMeter();
 * meter.sample(42); // call on every progress report
 * ```
 */
export class ProgressMeter {
  /** (time, done) samples taken since the run last waited. */
  readonly #window: { at: number; done: number }[] = [];
  readonly #clock: () => number;
  #startedAt: number;
  /** Since when the run has been running (its start, or the end of its last wait)… */
  #runningSince: number;
  /** …and how many items were done then (undefined: those resumed from the journal). */
  #doneThen: number | undefined = undefined;

  /** `clock` gives the time in ms (default `performance.now`; tests pass their own). */
  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
    this.#startedAt = clock();
    this.#runningSince = this.#startedAt;
  }

  /** The run starts now (elapsed time and the early rate count from here). */
  start(): void {
    this.#startedAt = this.#clock();
    this.#runningSince = this.#startedAt;
    this.#doneThen = undefined;
    this.#window.length = 0;
  }

  /** When the run started (`performance.now()`). */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** Records the done count now, forgetting samples older than the window. */
  sample(done: number): void {
    const now = this.#clock();
    this.#window.push({ at: now, done });
    while (this.#window.length > 1 && now - this.#window[0].at > RATE_WINDOW_MS) {
      this.#window.shift();
    }
  }

  /**
   * A snapshot of `counts`, with the rate, ETA and elapsed time added. A
   * snapshot whose `waitingFor` is not empty restarts the rate: the time
   * until the next snapshot that runs is not part of it.
   */
  snapshot(counts: RunCounts): Progress {
    const now = this.#clock();
    if ((counts.waitingFor?.length ?? 0) > 0) {
      this.#window.length = 0;
      this.#runningSince = now;
      this.#doneThen = counts.done;
    }
    let rate = 0;
    const first = this.#window[0];
    if (first !== undefined && now - first.at >= 1000) {
      rate = (counts.done - first.done) / ((now - first.at) / 1000);
    } else if (now > this.#runningSince) {
      // Too early for a window: the average since the run (last) started running.
      rate = (counts.done - (this.#doneThen ?? counts.resumed)) /
        ((now - this.#runningSince) / 1000);
    }
    const settled = counts.done + counts.failed;
    return {
      done: counts.done,
      failed: counts.failed,
      total: counts.total,
      known: counts.known,
      inFlight: counts.inFlight,
      retries: counts.retries,
      rate,
      etaMs: counts.total !== null && rate > 0 ? ((counts.total - settled) / rate) * 1000 : null,
      workers: counts.workers,
      elapsedMs: now - this.#startedAt,
      ...(counts.waitingFor === undefined ? {} : { waitingFor: counts.waitingFor }),
    };
  }
}
