/**
 * Odometer: sums the distance between consecutive filtered poses and logs
 * it every 5 s — the robot's logger of how far it went.
 *
 * @example
 * ```ts
 * // robot.yaml: odometer: { kind: node, module: ./nodes/odometer.ts, subscribes: [odom.filtered] }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";

/** Sums the distance until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
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
    for await (const { value } of ctx.subscribe<{ x: number; y: number }>("odom.filtered")) {
      if (last !== null) distance += Math.hypot(value.x - last.x, value.y - last.y);
      last = value;
      poses++;
    }
  } finally {
    clearInterval(report);
  }
}
