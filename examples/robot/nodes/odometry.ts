/**
 * Odometry: publishes the robot's pose at `config.rateHz` (50 Hz) on its
 * `odom` endpoint, as two frames: the topic `odom` and JSON
 * `{ x, y, theta, time }`. The pose is simulated: the base drives a circle
 * at `config.speed` m/s.
 *
 * @example
 * ```ts
 * // robot.yaml: odometry: { kind: node, module: ./nodes/odometry.ts, bind: { odom: tcp://127.0.0.1:7801 } }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";
import { Publisher } from "../../../mod.ts";

/** Publishes poses until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  const { rateHz = 50, speed = 0.5 } = (ctx.config ?? {}) as { rateHz?: number; speed?: number };
  const pub = new Publisher({ sendHighWaterMark: 100 });
  await pub.bind(ctx.endpoints.odom);
  ctx.log.info("publishing odometry at {rateHz} Hz on {endpoint}", {
    rateHz,
    endpoint: ctx.endpoints.odom,
  });
  const period = 1000 / rateHz;
  const pose = { x: 0, y: 0, theta: 0 };
  const timer = setInterval(() => {
    const dt = period / 1000;
    pose.theta += 0.2 * dt;
    pose.x += speed * Math.cos(pose.theta) * dt;
    pose.y += speed * Math.sin(pose.theta) * dt;
    // A subscriber over its high-water mark misses poses: stale odometry is worthless anyway.
    pub.send(["odom", JSON.stringify({ ...pose, time: Date.now() })]).catch(() => {});
  }, period);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
  clearInterval(timer);
  await pub.close();
}
