// A robot's pipeline worker, stopped by SIGTERM while it holds items, hands
// them back at once: another worker finishes them long before the
// distributor's heartbeat timeout would have noticed the robot was gone.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadPipelineConfig } from "../../core/pipeline/config.ts";
import { collectorFromConfig, distributorFromConfig } from "../../core/pipeline/roles.ts";
import { PipelineWorker } from "../../core/pipeline/worker.ts";
import { loopbackPipelineEndpoints, robotDir, robotYaml, spawnRobot, waitFor } from "./helpers.ts";

const HEARTBEAT_TIMEOUT_MS = 30_000;

Deno.test("SIGTERM: a robot's pipeline worker hands its items back at once", async () => {
  const dir = await robotDir({
    "pipeline.yaml":
      `${loopbackPipelineEndpoints()}heartbeat: { intervalMs: 500, timeoutMs: ${HEARTBEAT_TIMEOUT_MS} }
tasks:
  slow: { count: 3 }
workers:
  - name: robo
    handlers: ./slow.ts
    prefetch: 2
`,
    // On the robot every item takes a minute: it is still holding them when it stops.
    "slow.ts": "export const slow = (n) => new Promise((r) => setTimeout(() => r(n), 60_000));\n",
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  perception: { kind: pipeline-worker, pipeline: ./pipeline.yaml }\n`,
      `control: ipc://${dir}/zedge/test-bot.sock\n`,
    ),
  );
  const config = await loadPipelineConfig(join(dir, "pipeline.yaml"));
  const distributor = await distributorFromConfig(config);
  const collector = await collectorFromConfig(config);
  await distributor.start();
  await collector.start();
  const run = distributor.run();
  const robot = await spawnRobot(join(dir, "robot.yaml"));
  let helper: PipelineWorker | undefined;
  try {
    await waitFor(
      () => distributor.progress().inFlight === 3,
      "the robot's worker to hold 3 items",
    );
    const stoppedAt = performance.now();
    robot.child.kill("SIGTERM");
    assert.equal((await robot.status).code, 0, robot.stderr());
    helper = new PipelineWorker({
      distributor: config.endpoints.workers.connect,
      collector: config.endpoints.results.connect,
      handlers: { slow: (n) => n },
      heartbeatIntervalMs: 500,
    });
    await helper.start();
    const summary = await run;
    const took = performance.now() - stoppedAt;
    assert.equal(summary.done, 3);
    assert.deepEqual(summary.failed, []);
    // Handed back, not timed out: well inside the distributor's heartbeat timeout.
    assert.ok(took < HEARTBEAT_TIMEOUT_MS / 2, `finished ${Math.round(took)} ms after SIGTERM`);
  } finally {
    await robot.stop();
    await helper?.close();
    await collector.close();
    await distributor.close();
  }
});
