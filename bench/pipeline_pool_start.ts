/**
 * How fast a thread pool that has sat idle starts a burst of items — the
 * start of every run of a threaded worker (`deno run -A
 * --unstable-worker-options bench/pipeline_pool_start.ts [--threads=10]
 * [--rounds=15] [--idle-ms=1000]`): each round leaves the pool idle, then
 * hands it two items per thread at once (as a work frame does: one running,
 * one sent ahead) and records when each thread's first 10 ms item started,
 * after the first `run()` call. Prints per round the first, mean and last
 * thread's start, and their medians over the rounds.
 *
 * @example
 * ```sh
 * deno run -A --unstable-worker-options bench/pipeline_pool_start.ts --threads=10 --rounds=15
 * ```
 * @module
 */
import { ThreadPool } from "../core/pipeline/executor.ts";
import { wallClock } from "./pipeline_handlers.ts";

const HANDLERS = new URL("./pipeline_handlers.ts", import.meta.url).href;

/** When each thread's first item of one burst started, after the burst's first `run()` (ms). */
export interface BurstStart {
  first: number;
  mean: number;
  last: number;
}

/**
 * Hands an idle `pool` of `threads` threads two 10 ms `trace` items per
 * thread at once and resolves with when its threads' first items started.
 *
 * @example
 * ```ts
 * const pool = new ThreadPool({ module: "./bench/pipeline_handlers.ts", threads: 2 });
 * await pool.start();
 * console.log(await burstStart(pool, 2));
 * pool.close();
 * ```
 */
export async function burstStart(pool: ThreadPool, threads: number): Promise<BurstStart> {
  const handedAt = wallClock();
  const outcomes = Array.from(
    { length: 2 * threads },
    (_, n) =>
      pool.run({ id: `trace:${n}`, type: "trace", payload: { ms: 10 }, attempt: 1, timeoutMs: 0 }),
  );
  const firstByThread = new Map<number, number>();
  for (const outcome of await Promise.all(outcomes)) {
    if (!outcome.ok) throw new Error(`item failed: ${outcome.reason}`);
    const { startedAt, thread } = outcome.value as { startedAt: number; thread: number };
    firstByThread.set(thread, Math.min(firstByThread.get(thread) ?? Infinity, startedAt));
  }
  const starts = [...firstByThread.values()].map((at) => at - handedAt);
  return {
    first: Math.min(...starts),
    mean: starts.reduce((sum, at) => sum + at, 0) / starts.length,
    last: Math.max(...starts),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const value = Number(
      Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback,
    );
    if (!Number.isInteger(value) || value < 1) {
      console.error(`pipeline_pool_start: --${name} needs a positive integer`);
      Deno.exit(2);
    }
    return value;
  };
  const threads = flag("threads", 10);
  const rounds = flag("rounds", 15);
  const idleMs = flag("idle-ms", 1000);
  const pool = new ThreadPool({ module: HANDLERS, threads });
  try {
    await pool.start();
    await burstStart(pool, threads); // compiles the path once, unreported
    const results: BurstStart[] = [];
    for (let round = 1; round <= rounds; round++) {
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      const r = await burstStart(pool, threads);
      results.push(r);
      console.log(
        `round ${round}: first item started ${r.first.toFixed(2)} ms after run(), ` +
          `the mean thread's ${r.mean.toFixed(2)} ms, the last thread's ${r.last.toFixed(2)} ms`,
      );
    }
    const pick = (key: keyof BurstStart) => median(results.map((r) => r[key])).toFixed(2);
    console.log(
      `${threads} idle threads, ${2 * threads} items at once, medians of ${rounds}: first ` +
        `${pick("first")} ms, mean ${pick("mean")} ms, last ${pick("last")} ms`,
    );
  } finally {
    pool.close();
  }
}
