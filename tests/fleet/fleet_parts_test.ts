// The parts of `zedge fleet` that need no robot: batch sizes and failure
// budgets (N or P%), where a wildcard-bound task server is reached, and the
// fleet's metrics (every sample labelled with the fleet file's robot name).
import assert from "node:assert/strict";
import { CliError } from "../../cli/errors.ts";
import { reachableEndpoint } from "../../core/transport/endpoint.ts";
import { robotCount } from "../../cli/fleet_restart.ts";
import { fleetMetricFamilies } from "../../cli/fleet_view.ts";
import type { RobotView } from "../../robot/observe/view.ts";

Deno.test("fleet: --batch rounds a percentage up (at least one), --max-fail down", () => {
  assert.equal(robotCount("25%", 10, "--batch", "up"), 3);
  assert.equal(robotCount("1%", 10, "--batch", "up"), 1);
  assert.equal(robotCount("25%", 10, "--max-fail", "down"), 2);
  assert.equal(robotCount("9%", 10, "--max-fail", "down"), 0);
  assert.equal(robotCount("4", 10, "--batch", "up"), 4);
  assert.throws(() => robotCount("x", 10, "--batch", "up"), CliError);
  assert.throws(() => robotCount("150%", 10, "--max-fail", "down"), /at most 100%/);
});

Deno.test("fleet: a task server bound on a wildcard is reached at the robot's control host", () => {
  assert.equal(reachableEndpoint("tcp://*:7779", "tcp://10.0.0.12:7700"), "tcp://10.0.0.12:7779");
  assert.equal(
    reachableEndpoint("tcp://0.0.0.0:7779", "tcp://10.0.0.12:7700"),
    "tcp://10.0.0.12:7779",
  );
  assert.equal(
    reachableEndpoint("tcp://10.0.0.99:7779", "tcp://10.0.0.12:7700"),
    "tcp://10.0.0.99:7779",
  );
  assert.equal(reachableEndpoint("ipc:///run/t.sock", "tcp://10.0.0.12:7700"), "ipc:///run/t.sock");
});

Deno.test("fleet: /metrics labels every sample with the fleet's robot name, and who is up", async () => {
  const view = {
    status: {
      robot: "name-in-its-yaml",
      pid: 1,
      uptimeMs: 1000,
      components: [{
        name: "planner",
        kind: "node",
        state: "running",
        restarts: 0,
        uptimeMs: 900,
        lastError: null,
        permissions: { net: [], read: [], write: [], env: [] },
      }],
    },
    at: Date.now(),
    tasks: [],
    taskCounts: [],
    pipelines: [],
    topics: [],
    sockets: [],
  } as RobotView;
  const families = await fleetMetricFamilies([
    { robot: "arm-bot", view },
    { robot: "dock-bot", view: null },
  ]);
  const up = families.find((f) => f.name === "zedge_fleet_robot_up")!;
  assert.deepEqual(up.samples, [
    { labels: { robot: "arm-bot" }, value: 1 },
    { labels: { robot: "dock-bot" }, value: 0 },
  ]);
  const component = families.find((f) => f.name === "zedge_component_up")!;
  assert.deepEqual(component.samples, [
    { labels: { robot: "arm-bot", component: "planner", kind: "node" }, value: 1 },
  ]);
  for (const family of families) {
    for (const sample of family.samples) assert.notEqual(sample.labels.robot, "name-in-its-yaml");
  }
});
