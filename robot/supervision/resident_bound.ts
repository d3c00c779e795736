/**
 * A bound on a host process's resident memory. `--max-old-space-size`
 * bounds a V8 heap only: ArrayBuffers (camera frames, point clouds, encoded
 * messages) live outside it, and a robot binary's hosts take no V8 flags at
 * all (a compiled binary's flags are baked; what follows it on the command
 * line is the program's). The kernel counts every page: the host's main
 * thread (zedge's code, never a component's) reports its process's resident
 * set every {@link RESIDENT_REPORT_MS} (`Deno.memoryUsage().rss`: no /proc,
 * which a robot's narrowed permissions cannot read), and the supervisor ends
 * the host when it passes its bound — as systemd's MemoryMax would, but per
 * component and with the reason said.
 *
 * @example
 * ```ts
 * import { ResidentBound } from "./resident_bound.ts";
 * const bound = new ResidentBound(64, 1);
 * bound.over(40 * 2 ** 20); // null: the first report is the idle host, the bound's base
 * bound.over(400 * 2 ** 20); // 400: over 40 + 64 + 64 MB
 * ```
 * @module
 */

/** How often a bounded host reports its resident set, in ms: a leak of 150 MB/s overshoots ~15 MB. */
export const RESIDENT_REPORT_MS = 100;

/**
 * What a Worker's own runtime holds beside its component's data (its isolate, zedge's modules:
 * 15–40 MB measured), allowed per component on top of `memoryMb`, so that a heap leak still meets
 * V8's exact bound first where there is one.
 */
export const WORKER_RUNTIME_MB = 64;

/**
 * The bound of one host: what it held at its first report (an idle runtime, dialled in, before
 * any component's Worker), plus `memoryMb` and {@link WORKER_RUNTIME_MB} per isolate (each
 * component's Worker and each of its pool threads: V8 bounds each heap to `memoryMb`).
 *
 * @example
 * ```ts
 * import { ResidentBound } from "./resident_bound.ts";
 * const bound = new ResidentBound(256, 3);
 * ```
 */
export class ResidentBound {
  readonly #budgetMb: number;
  #limitBytes: number | null = null;

  /** For a host of `isolates` Workers, each allowed `memoryMb`. */
  constructor(memoryMb: number, isolates: number) {
    this.#budgetMb = (memoryMb + WORKER_RUNTIME_MB) * isolates;
  }

  /** The resident MB reported, when `bytes` passes the bound; else null. */
  over(bytes: number): number | null {
    if (this.#limitBytes === null) {
      this.#limitBytes = bytes + this.#budgetMb * 2 ** 20;
      return null;
    }
    return bytes > this.#limitBytes ? Math.round(bytes / 2 ** 20) : null;
  }
}
