/**
 * Odometer: subscribes to the odometry node's poses and sums the distance
 * travelled, logging it every 5 s.
 *
 * @example
 * ```ts
 * // robot.yaml: odometer: { kind: node, module: ./nodes/odometer.ts, connect: { odom: odometry.odom } }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";
import { Subscriber } from "../../../mod.ts";

/** Sums the distance between consecutive poses until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  const sub = new Subscriber();
  sub.subscribe("odom");
  sub.connect(ctx.endpoints.odom);
  ctx.signal.addEventListener("abort", () => sub.close(), { once: true });
  let distance = 0;
  let poses = 0;
  let last: { x: number; y: number } | null = null;
  const report = setInterval(() => {
    ctx.log.info("travelled {distance} m ({poses} poses)", {
      distance: Number(distance.toFixed(3)),
      poses,
    });
  }, 5000);
  try {
    for await (const [, body] of sub) {
      const pose = JSON.parse(new TextDecoder().decode(body)) as { x: number; y: number };
      if (last !== null) distance += Math.hypot(pose.x - last.x, pose.y - last.y);
      last = pose;
      poses++;
    }
  } finally {
    clearInterval(report);
  }
}
