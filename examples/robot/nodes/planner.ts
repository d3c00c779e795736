/**
 * Planner: the `plan` service — `{ from, to }` grid cells in, a straight
 * path of cells out. A request without `to` fails (the caller gets a
 * `ServiceError` with code `handler-error`).
 *
 * @example
 * ```ts
 * // robot.yaml: planner: { kind: node, module: ./nodes/planner.ts, provides: [plan] }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";

type Cell = [number, number];

/** A straight path from `from` to `to`, one cell per step. */
export function straightPath(from: Cell, to: Cell): Cell[] {
  const steps = Math.max(Math.abs(to[0] - from[0]), Math.abs(to[1] - from[1]));
  const path: Cell[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = steps === 0 ? 0 : i / steps;
    path.push([
      Math.round(from[0] + (to[0] - from[0]) * t),
      Math.round(from[1] + (to[1] - from[1]) * t),
    ]);
  }
  return path;
}

/** Serves `plan` until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  ctx.provide("plan", (request) => {
    const { from = [0, 0], to } = request as { from?: Cell; to?: Cell };
    if (to === undefined) throw new TypeError("a plan request needs 'to'");
    return { path: straightPath(from, to) };
  });
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
}
