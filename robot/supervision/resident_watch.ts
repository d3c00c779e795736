/**
 * A bound on a host process's resident memory, watched from outside it.
 * `--max-old-space-size` bounds a V8 heap only: ArrayBuffers (camera
 * frames, point clouds, encoded messages) live outside it, and a robot
 * binary's hosts cannot take V8 flags at all (a compiled binary's flags are
 * baked; what follows it on the command line is the program's). The kernel
 * counts every page, so the supervisor reads the host's resident set and
 * ends the host when it passes its budget — as systemd's MemoryMax would,
 * but per component and with the reason said.
 *
 * @example
 * ```ts
 * import { ResidentWatch } from "./resident_watch.ts";
 * const watch = new ResidentWatch(Deno.pid, 512, (mb) => console.log(`over: ${mb} MB`));
 * watch.stop();
 * ```
 * @module
 */

/** How often the resident set is read, in ms: a leak of 150 MB/s overshoots by ~15 MB. */
export const RESIDENT_CHECK_MS = 100;

/**
 * A process's resident set in bytes (from /proc), or null once it is gone.
 *
 * @example
 * ```ts
 * import { residentBytes } from "./resident_watch.ts";
 * console.log(residentBytes(Deno.pid));
 * ```
 */
export function residentBytes(pid: number): number | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return kb === null ? null : Number(kb[1]) * 1024;
  } catch {
    return null;
  }
}

/**
 * Calls `over` once, with the resident MB it saw, when process `pid` holds
 * more than `limitMb` MB; stops by itself then, or when the process is gone.
 *
 * @example
 * ```ts
 * import { ResidentWatch } from "./resident_watch.ts";
 * const watch = new ResidentWatch(Deno.pid, 4096, () => {});
 * watch.stop();
 * ```
 */
export class ResidentWatch {
  readonly #timer: ReturnType<typeof setInterval>;

  /** Starts watching. */
  constructor(pid: number, limitMb: number, over: (residentMb: number) => void) {
    this.#timer = setInterval(() => {
      const bytes = residentBytes(pid);
      if (bytes === null) return this.stop();
      if (bytes <= limitMb * 2 ** 20) return;
      this.stop();
      over(Math.round(bytes / 2 ** 20));
    }, RESIDENT_CHECK_MS);
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
