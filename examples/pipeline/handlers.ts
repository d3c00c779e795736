/**
 * Example work functions, one per task type. Every worker (and every thread
 * of a threaded worker) imports this module and calls the function named
 * after the item's task type.
 *
 * @example
 * ```ts
 * import { render } from "./handlers.ts";
 * render({ x: 1, y: 2 }, { id: "render:0", type: "render", attempt: 1, metadata: undefined, thread: 0 });
 * ```
 * @module
 */
import type { HandlerContext } from "../../core/pipeline/handlers.ts";

/** Renders one map tile: CPU-bound work proportional to the tile size. */
export function render(payload: unknown, ctx: HandlerContext): unknown {
  const tile = payload as { x: number; y: number };
  const size = (ctx.metadata as { tileSize?: number } | undefined)?.tileSize ?? 64;
  let checksum = 0;
  for (let i = 0; i < size * size * 50; i++) checksum = (checksum * 31 + i + tile.x * tile.y) | 0;
  return { tile, checksum, thread: ctx.thread };
}

/** Uploads a rendered tile (simulated network latency of 5 ms). */
export async function upload(payload: unknown): Promise<unknown> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return { uploaded: payload };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Sleeps `payload.ms` (default 10) ms, blocking the thread like Python's
 * `time.sleep` in the seed's benchmark. `Atomics.wait` is used because a
 * 10 ms `setTimeout` overshoots by about 1 ms on Linux (12 % at 10 ms).
 */
export function sleep(payload: unknown): unknown {
  const ms = (payload as { ms?: number } | null)?.ms ?? 10;
  Atomics.wait(sleeper, 0, 0, ms);
  return null;
}

/** Burns CPU for about `payload.ms` (default 20) ms: CPU-bound benchmark work. */
export function spin(payload: unknown): unknown {
  const ms = (payload as { ms?: number } | null)?.ms ?? 20;
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) n++;
  return n;
}

/** Does nothing: measures the pipeline's own overhead. */
export function noop(): unknown {
  return null;
}
