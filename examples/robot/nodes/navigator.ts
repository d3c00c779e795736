/**
 * Navigator: every 2 s picks a goal and asks the `plan` service for a path
 * to it, logging the answer (or why there was none).
 *
 * @example
 * ```ts
 * // robot.yaml: navigator: { kind: node, module: ./nodes/navigator.ts, calls: [plan] }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";
import { abortableDelay } from "../../../mod.ts";

/** Navigates until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  const [planner] = await ctx.discover("plan", { timeoutMs: 10_000 });
  ctx.log.info("planning with {planner}", { planner });
  for (let goal = 1; !ctx.signal.aborted; goal++) {
    try {
      const { path } = await ctx.call<{ path: number[][] }>(
        "plan",
        { from: [0, 0], to: [goal % 7, goal % 3] },
        { timeoutMs: 1000, retries: 2 },
      );
      ctx.log.info("path to goal {goal}: {steps} steps", { goal, steps: path.length });
    } catch (error) {
      ctx.log.warn("no path to goal {goal}: {error}", { goal, error: String(error) });
    }
    await abortableDelay(2000, ctx.signal).catch(() => {/* stopping */});
  }
}
