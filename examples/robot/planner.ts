/**
 * The planner service: `plan({ from, to })` returns a straight grid path.
 *
 * @example
 * ```ts
 * import { plan } from "./planner.ts";
 * plan({ from: [0, 0], to: [2, 1] }); // { path: [[0, 0], [1, 1], [2, 1]] }
 * ```
 * @module
 */

/** Plans a straight path between two grid cells. */
export function plan(request: unknown): { path: [number, number][] } {
  const { from, to } = request as { from: [number, number]; to: [number, number] };
  const steps = Math.max(Math.abs(to[0] - from[0]), Math.abs(to[1] - from[1]));
  const path: [number, number][] = [];
  for (let i = 0; i <= steps; i++) {
    const t = steps === 0 ? 0 : i / steps;
    path.push([
      Math.round(from[0] + (to[0] - from[0]) * t),
      Math.round(from[1] + (to[1] - from[1]) * t),
    ]);
  }
  return { path };
}
