/**
 * CPU-profiles the calling process itself through `node:inspector` (Deno
 * has no --cpu-prof): start, run the work, stop and get a V8 profile that
 * bench/zmq_profile.ts's {@link functionCosts} and {@link renderProfile}
 * read. Used by the pipeline profile, whose roles run in-process.
 *
 * @example
 * ```ts
 * import { startProfiling } from "./self_profile.ts";
 * const stop = await startProfiling();
 * // ... the work ...
 * const profile = await stop();
 * console.log(profile.nodes.length);
 * ```
 *
 * @module
 */
import { Session } from "node:inspector";
import type { CpuProfile } from "./zmq_profile.ts";

/**
 * Starts sampling this process every `intervalUs` microseconds; resolves
 * with the function that stops and returns the profile.
 *
 * @example
 * ```ts
 * const stop = await startProfiling(200);
 * const profile = await stop();
 * ```
 */
export async function startProfiling(intervalUs = 200): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(
        method,
        params,
        (error: Error | null, result?: object) =>
          error ? reject(error) : resolve((result ?? {}) as Record<string, unknown>),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: intervalUs });
  await post("Profiler.start");
  return async () => {
    const { profile } = await post("Profiler.stop");
    session.disconnect();
    return profile as unknown as CpuProfile;
  };
}
