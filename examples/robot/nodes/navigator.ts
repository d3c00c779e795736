/**
 * Navigator: every 2 s picks a goal and asks the `plan` service for a path
 * to it, logging the answer (or why there was none). A goal an operator
 * publishes on `goal` (`{ "to": [3, 1] }`: `zedge topic pub goal …`, or
 * Foxglove's Publish panel) is planned at once.
 *
 * @example
 * ```ts
 * // robot.yaml: navigator: { kind: node, module: ./nodes/navigator.ts, calls: [plan], subscribes: [goal] }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";
import { abortableDelay } from "../../../core/tasks/mod.ts";

type Cell = [number, number];

/** Asks `plan` for a path to `to` and logs what came of it. */
async function navigate(ctx: NodeContext, goal: string, to: Cell): Promise<void> {
  try {
    const { path } = await ctx.call<{ path: Cell[] }>(
      "plan",
      { from: [0, 0], to },
      { timeoutMs: 1000, retries: 2 },
    );
    ctx.log.info("path to goal {goal}: {steps} steps", { goal, steps: path.length });
  } catch (error) {
    ctx.log.warn("no path to goal {goal}: {error}", { goal, error: String(error) });
  }
}

/** Plans the operator's goals as they come. */
async function operatorGoals(ctx: NodeContext): Promise<void> {
  for await (const { value } of ctx.subscribe<{ to?: unknown }>("goal")) {
    const to = value?.to;
    if (!Array.isArray(to) || to.length !== 2 || !to.every((n) => typeof n === "number")) {
      ctx.log.warn("ignored a goal without to: [x, y]");
      continue;
    }
    await navigate(ctx, `[${to.join(", ")}] from the operator`, to as Cell);
  }
}

/** Navigates until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  const [planner] = await ctx.discover("plan", { timeoutMs: 10_000 });
  ctx.log.info("planning with {planner}", { planner });
  const fromOperator = operatorGoals(ctx);
  for (let goal = 1; !ctx.signal.aborted; goal++) {
    await navigate(ctx, String(goal), [goal % 7, goal % 3]);
    await abortableDelay(2000, ctx.signal).catch(() => {/* stopping */});
  }
  await fromOperator;
}
