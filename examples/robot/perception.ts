/**
 * Perception work for the robot's pipeline worker: one function per task
 * type. `detect` pretends to find obstacles in camera frame `payload`.
 *
 * @example
 * ```ts
 * import { detect } from "./perception.ts";
 * detect(3); // { frame: 3, obstacles: 1 }
 * ```
 * @module
 */

/** Finds obstacles in one frame (simulated: CPU work, then a count). */
export function detect(payload: unknown): { frame: number; obstacles: number } {
  const frame = Number(payload);
  let hash = frame;
  for (let i = 0; i < 200_000; i++) hash = (hash * 31 + i) | 0;
  return { frame, obstacles: Math.abs(hash) % 4 };
}
