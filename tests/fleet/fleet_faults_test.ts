// Ten robots in network namespaces (tests/fleet/fleet.ts) doing work across hosts under faults:
// the fleet pipeline's distributor and collector run on robot-01, every robot runs a worker;
// robot-06 is killed (SIGKILL) mid-run, robot-03 is cut off silently for 10 s and healed,
// robot-04 runs 100 ms behind — every item is collected exactly once. Robot-02 follows
// robot-03's topic and calls its service through robot-03's gateway: both recover after the
// partition heals. Afterwards no namespace, link or process of the fleet is left.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Pull } from "../../mod.ts";
import { cleanupAndCheck, createFleet } from "./fleet.ts";
import { networkUnavailable } from "./netns.ts";
import { ROBOT_PORTS } from "./robot_template.ts";
import { drain, lines, until, untilReport } from "./observe.ts";

const ROBOTS = 10;
const ITEMS = 600;

Deno.test({
  name:
    "a pipeline across 10 robots collects every item once through kill, cut and slow; gateways recover after the cut heals",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const why = await networkUnavailable();
    if (why) throw new Error(`this test needs network namespaces: ${why}`);
    const fleet = await createFleet(ROBOTS, { pipelineItems: ITEMS });
    const collected = join(fleet.dir, "collected.jsonl");
    const [hub, follower, cutOff, slowed, killed] = [0, 1, 2, 3, 5].map((i) => fleet.robots[i]);
    const pull = new Pull({ receiveTimeout: 5000 });
    try {
      await fleet.start();
      // The follower sees its neighbour's topic and service before any fault.
      pull.connect(`tcp://${follower.address}:${ROBOT_PORTS.report}`);
      await untilReport(
        pull,
        (r) => r.poses > 0 && r.calls > 0,
        60_000,
        "robot-02 to see robot-03",
      );

      assert.equal(await fleet.slow(slowed, 100), "relay"); // this kernel has no netem
      const env = { FLEET_COLLECTED: collected };
      const distributor = fleet.spawnZedge(hub, [
        "pipeline",
        "distributor",
        "-c",
        fleet.pipelineFile,
      ], env);
      const collector = fleet.spawnZedge(
        hub,
        ["pipeline", "collector", "-c", fleet.pipelineFile],
        env,
      );
      const roles = [drain(distributor), drain(collector)];

      await until(async () => (await lines(collected)).length >= 60, 60_000, "60 items collected");
      await fleet.kill(killed);
      await fleet.cut(cutOff);
      const cutAt = Date.now();
      // Cut off for 10 s: the others carry on meanwhile.
      const during = (await lines(collected)).length;
      await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - cutAt)));
      assert.ok(
        (await lines(collected)).length > during,
        "items are collected while robot-03 is cut off",
      );
      await fleet.heal(cutOff);
      const healedAt = Date.now();

      // Topic and service through robot-03's gateway recover after the heal.
      const recovered = await untilReport(
        pull,
        (r) => r.lastPoseAt > healedAt && r.lastCallAt > healedAt,
        30_000,
        "robot-02 to see robot-03's topic and service again after the heal",
      );
      console.log(
        `gateway recovery after heal: ${
          Math.max(recovered.lastPoseAt, recovered.lastCallAt) - healedAt
        } ms`,
      );

      await until(
        async () => (await lines(collected)).some((l) => l.finished),
        90_000,
        "the pipeline to finish",
      );
      const all = await lines(collected);
      const ids = all.filter((l) => l.id !== undefined).map((l) => l.id as string);
      assert.equal(ids.length, ITEMS, "every item collected");
      assert.equal(new Set(ids).size, ITEMS, "each item exactly once");
      assert.equal(all.find((l) => l.finished)!.failed, 0);
      const [distributorExit, collectorExit] = await Promise.all(roles);
      assert.equal(collectorExit.code, 0, collectorExit.output);
      assert.equal(distributorExit.code, 0, distributorExit.output);
    } finally {
      await pull.close();
      await cleanupAndCheck(fleet);
    }
  },
});
