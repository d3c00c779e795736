/**
 * Filter: smooths the odometry (an exponential moving average of the pose)
 * and publishes it on `odom.filtered`, one message per `odom` message.
 *
 * @example
 * ```ts
 * // robot.yaml: filter: { kind: node, module: ./nodes/filter.ts, subscribes: [odom], publishes: [odom.filtered] }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";

interface Pose {
  x: number;
  y: number;
  theta: number;
}

/** Filters poses until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  const alpha = 0.3;
  let smooth: Pose | null = null;
  for await (const { value } of ctx.subscribe<Pose>("odom")) {
    smooth = smooth === null ? { ...value } : {
      x: smooth.x + alpha * (value.x - smooth.x),
      y: smooth.y + alpha * (value.y - smooth.y),
      theta: smooth.theta + alpha * (value.theta - smooth.theta),
    };
    await ctx.publish("odom.filtered", smooth);
  }
}
