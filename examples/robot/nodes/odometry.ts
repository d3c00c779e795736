/**
 * Odometry: publishes the robot's pose on topic `odom` at `config.rateHz`
 * (100 Hz) — `{ x, y, theta }`, msgpack — and the same poses as JSON on its
 * own `raw` PUB endpoint for tools outside the robot. The pose is simulated:
 * the base drives a circle at `config.speed` m/s.
 *
 * @example
 * ```ts
 * // robot.yaml: odometry: { kind: node, module: ./nodes/odometry.ts, publishes: [odom] }
 * ```
 * @module
 */
import type { NodeContext } from "../../../robot/mod.ts";
import { Publisher } from "../../../mod.ts";

/** Publishes poses until the robot stops this component. */
export default async function main(ctx: NodeContext): Promise<void> {
  const { rateHz = 100, speed = 0.5 } = (ctx.config ?? {}) as { rateHz?: number; speed?: number };
  const raw = new Publisher({ sendHighWaterMark: 100 });
  await raw.bind(ctx.endpoints.raw);
  ctx.log.info("publishing odom at {rateHz} Hz (and as JSON on {endpoint})", {
    rateHz,
    endpoint: ctx.endpoints.raw,
  });
  const period = 1000 / rateHz;
  const pose = { x: 0, y: 0, theta: 0 };
  const timer = setInterval(() => {
    const dt = period / 1000;
    pose.theta += 0.2 * dt;
    pose.x += speed * Math.cos(pose.theta) * dt;
    pose.y += speed * Math.sin(pose.theta) * dt;
    // A subscriber over its high-water mark misses poses: stale odometry is worthless anyway.
    ctx.publish("odom", pose).catch(() => {});
    raw.send(["odom", JSON.stringify({ ...pose, time: Date.now() })]).catch(() => {});
  }, period);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
  clearInterval(timer);
  await raw.close();
}
