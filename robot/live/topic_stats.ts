/**
 * `zedge topic hz` and `zedge topic bw`, computed as `ros2 topic hz` and
 * `ros2 topic bw` compute them, and printed in their format, so a
 * robotics engineer reads them without thinking:
 *
 * - hz: the intervals between the last `window` messages (10,000 by
 *   default); the rate is one over their mean, with their min, max and
 *   standard deviation (population), once a second while messages come.
 *   Times are when the supervisor received each message.
 * - bw: the sizes of the last `window` messages (100 by default) over the
 *   time from the oldest to now; mean, min and max size; units B, KB, MB
 *   (powers of 1000, as ros2's).
 *
 * Pure: the caller feeds arrival times and sizes and asks when it likes.
 *
 * @example
 * ```ts
 * import { formatHz, HzMeter } from "./topic_stats.ts";
 * const hz = new HzMeter();
 * for (let i = 0; i <= 50; i++) hz.add(i * 20);
 * console.log(formatHz(hz.take()!));
 * // average rate: 50.000
 * //	min: 0.020s max: 0.020s std dev: 0.00000s window: 50
 * ```
 * @module
 */

/**
 * `ros2 topic hz`'s default window, in messages.
 *
 * @example
 * ```ts
 * import { DEFAULT_HZ_WINDOW } from "./topic_stats.ts";
 * console.log(DEFAULT_HZ_WINDOW); // 10000
 * ```
 */
export const DEFAULT_HZ_WINDOW = 10_000;

/**
 * `ros2 topic bw`'s default window, in messages.
 *
 * @example
 * ```ts
 * import { DEFAULT_BW_WINDOW } from "./topic_stats.ts";
 * console.log(DEFAULT_BW_WINDOW); // 100
 * ```
 */
export const DEFAULT_BW_WINDOW = 100;

/**
 * One `topic hz` report.
 *
 * @example
 * ```ts
 * import type { HzReport } from "./topic_stats.ts";
 * const r: HzReport = { rate: 49.998, min: 0.019, max: 0.021, stdDev: 0.0004, window: 51 };
 * ```
 */
export interface HzReport {
  /** Messages per second: one over the mean interval. */
  rate: number;
  /** Shortest interval, seconds. */
  min: number;
  /** Longest interval, seconds. */
  max: number;
  /** Standard deviation of the intervals, seconds. */
  stdDev: number;
  /** Intervals in the window. */
  window: number;
}

/**
 * The intervals between messages, over a window (see the module documentation).
 *
 * @example
 * ```ts
 * import { HzMeter } from "./topic_stats.ts";
 * const hz = new HzMeter(100);
 * hz.add(0); hz.add(10);
 * console.log(hz.take()?.rate); // 100
 * ```
 */
export class HzMeter {
  readonly #window: number;
  /** Intervals in ms, a ring of `window`. */
  readonly #intervals: Float64Array;
  #count = 0;
  #next = 0;
  #last: number | null = null;
  #fresh = false;

  /** Keeps the last `window` intervals. */
  constructor(window = DEFAULT_HZ_WINDOW) {
    if (!Number.isInteger(window) || window <= 0) throw new RangeError("window must be > 0");
    this.#window = window;
    this.#intervals = new Float64Array(window);
  }

  /** A message arrived at `timeMs`; a time before the last one starts over (a clock reset). */
  add(timeMs: number): void {
    if (this.#last !== null && timeMs < this.#last) {
      this.#count = 0;
      this.#next = 0;
      this.#last = timeMs;
      return;
    }
    if (this.#last !== null) {
      this.#intervals[this.#next] = timeMs - this.#last;
      this.#next = (this.#next + 1) % this.#window;
      this.#count = Math.min(this.#count + 1, this.#window);
      this.#fresh = true;
    }
    this.#last = timeMs;
  }

  /** The report over the window, or null when no message came since the last one. */
  take(): HzReport | null {
    if (!this.#fresh || this.#count === 0) return null;
    this.#fresh = false;
    const n = this.#count;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = this.#intervals[i];
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (this.#intervals[i] - mean) ** 2;
    return {
      rate: mean > 0 ? 1000 / mean : 0,
      min: min / 1000,
      max: max / 1000,
      stdDev: Math.sqrt(squares / n) / 1000,
      window: n,
    };
  }
}

/**
 * A report as `ros2 topic hz` prints it (two lines, the second tab-indented).
 *
 * @example
 * ```ts
 * import { formatHz } from "./topic_stats.ts";
 * formatHz({ rate: 49.998, min: 0.019, max: 0.021, stdDev: 0.00043, window: 51 });
 * // "average rate: 49.998\n\tmin: 0.019s max: 0.021s std dev: 0.00043s window: 51"
 * ```
 */
export function formatHz(report: HzReport): string {
  return `average rate: ${report.rate.toFixed(3)}\n\tmin: ${report.min.toFixed(3)}s max: ${
    report.max.toFixed(3)
  }s std dev: ${report.stdDev.toFixed(5)}s window: ${report.window}`;
}

/**
 * One `topic bw` report.
 *
 * @example
 * ```ts
 * import type { BwReport } from "./topic_stats.ts";
 * const r: BwReport = { bytesPerSecond: 102400, messages: 100, mean: 1024, min: 1024, max: 1024 };
 * ```
 */
export interface BwReport {
  /** Bytes per second over the window. */
  bytesPerSecond: number;
  /** Messages in the window. */
  messages: number;
  /** Mean message size, bytes. */
  mean: number;
  /** Smallest message, bytes. */
  min: number;
  /** Largest message, bytes. */
  max: number;
}

/**
 * The sizes of the last messages, over a window (see the module documentation).
 *
 * @example
 * ```ts
 * import { BwMeter } from "./topic_stats.ts";
 * const bw = new BwMeter();
 * bw.add(0, 1000); bw.add(500, 1000);
 * console.log(bw.take(1000)?.bytesPerSecond); // 2000
 * ```
 */
export class BwMeter {
  readonly #window: number;
  readonly #times: number[] = [];
  readonly #sizes: number[] = [];

  /** Keeps the last `window` messages. */
  constructor(window = DEFAULT_BW_WINDOW) {
    if (!Number.isInteger(window) || window <= 0) throw new RangeError("window must be > 0");
    this.#window = window;
  }

  /** A message of `bytes` arrived at `timeMs`. */
  add(timeMs: number, bytes: number): void {
    this.#times.push(timeMs);
    this.#sizes.push(bytes);
    if (this.#times.length > this.#window) {
      this.#times.shift();
      this.#sizes.shift();
    }
  }

  /** The report at `nowMs`, or null with fewer than two messages. */
  take(nowMs: number): BwReport | null {
    const n = this.#times.length;
    if (n < 2) return null;
    const span = nowMs - this.#times[0];
    if (span <= 0) return null;
    const total = this.#sizes.reduce((a, b) => a + b, 0);
    return {
      bytesPerSecond: total / (span / 1000),
      messages: n,
      mean: total / n,
      min: Math.min(...this.#sizes),
      max: Math.max(...this.#sizes),
    };
  }
}

/**
 * A report as `ros2 topic bw` prints it: every figure in the unit of the
 * rate (B, KB or MB).
 *
 * @example
 * ```ts
 * import { formatBw } from "./topic_stats.ts";
 * formatBw({ bytesPerSecond: 102400, messages: 100, mean: 1024, min: 1024, max: 1024 });
 * // "102.40 KB/s from 100 messages\n\tMessage size mean: 1.02 KB min: 1.02 KB max: 1.02 KB"
 * ```
 */
export function formatBw(report: BwReport): string {
  const unit = report.bytesPerSecond < 1000
    ? (n: number) => `${n.toFixed(0)} B`
    : report.bytesPerSecond < 1_000_000
    ? (n: number) => `${(n / 1000).toFixed(2)} KB`
    : (n: number) => `${(n / 1_000_000).toFixed(2)} MB`;
  return `${unit(report.bytesPerSecond)}/s from ${report.messages} messages\n\tMessage size mean: ${
    unit(report.mean)
  } min: ${unit(report.min)} max: ${unit(report.max)}`;
}
