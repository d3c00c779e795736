/**
 * The pipeline benchmark's work functions: the example module's `sleep`,
 * `noop` and `spin`, plus `trace`, a 10 ms sleep that reports when it ran,
 * for bench/pipeline_profile.ts's per-item timeline.
 *
 * @example
 * ```ts
 * import { trace } from "./pipeline_handlers.ts";
 * const { startedAt, endedAt } = trace({ ms: 1 }, { thread: 0 }) as { startedAt: number; endedAt: number };
 * ```
 *
 * @module
 */
import { sleep } from "../examples/pipeline/handlers.ts";

export { noop, sleep, spin } from "../examples/pipeline/handlers.ts";

/** Wall-clock milliseconds, comparable across the processes of one machine. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Sleeps like `sleep` and returns when it started and ended, and on which thread. */
export function trace(payload: unknown, ctx: { thread: number }): unknown {
  const startedAt = wallClock();
  sleep(payload);
  return { startedAt, endedAt: wallClock(), thread: ctx.thread };
}
