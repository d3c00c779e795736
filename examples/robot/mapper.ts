/**
 * The map service of the robot's service worker: `map({ x, y })` tells
 * whether that cell of the (simulated) kitchen is free.
 *
 * @example
 * ```ts
 * import { map } from "./mapper.ts";
 * map({ x: 3, y: 1 }); // { x: 3, y: 1, free: true }
 * ```
 * @module
 */

/** Whether cell (x, y) is free: the walls are the border of a 10 × 10 kitchen. */
export function map(request: unknown): { x: number; y: number; free: boolean } {
  const { x, y } = request as { x: number; y: number };
  return { x, y, free: x > 0 && y > 0 && x < 9 && y < 9 };
}
