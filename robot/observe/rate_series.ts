/**
 * A counter's rate per second between successive samples, with a short
 * history of rates for the status page's plots.
 *
 * @example
 * ```ts
 * import { RateSeries } from "./rate_series.ts";
 * const series = new RateSeries();
 * series.update(0, 1000);
 * series.update(50, 2000);
 * console.log(series.rate, series.history); // 50 [50]
 * ```
 * @module
 */

/**
 * Rates kept per series: a minute of samples at one a second.
 *
 * @example
 * ```ts
 * import { RATE_HISTORY } from "./rate_series.ts";
 * console.log(RATE_HISTORY); // 60
 * ```
 */
export const RATE_HISTORY = 60;

/**
 * See the module documentation. A counter that went down started again
 * (its component restarted): its new value is then what was counted since.
 *
 * @example
 * ```ts
 * import { RateSeries } from "./rate_series.ts";
 * const s = new RateSeries();
 * s.update(100, 0);
 * s.update(20, 1000); // restarted: 20 since
 * console.log(s.rate); // 20
 * ```
 */
export class RateSeries {
  #value: number | null = null;
  #at = 0;
  #rate = 0;
  readonly #history: number[] = [];

  /** Records the counter's `value` sampled at `at` (ms). */
  update(value: number, at: number): void {
    if (this.#value !== null && at > this.#at) {
      const delta = value >= this.#value ? value - this.#value : value;
      this.#rate = delta / ((at - this.#at) / 1000);
      this.#history.push(Math.round(this.#rate * 10) / 10);
      if (this.#history.length > RATE_HISTORY) this.#history.shift();
    }
    this.#value = value;
    this.#at = at;
  }

  /** Per second, over the last interval (0 before two samples). */
  get rate(): number {
    return this.#rate;
  }

  /** The latest rates, oldest first (rounded to 0.1). */
  get history(): number[] {
    return [...this.#history];
  }
}
