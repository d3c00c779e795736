/**
 * `ctx.config` is `{}` when the robot YAML gives a node no `config:`, the
 * YAML's value otherwise — as a real node's Worker sees it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseRobotConfig } from "../../robot/config.ts";
import { componentOf, robotDir, robotYaml, startRobot, waitForState } from "./helpers.ts";

Deno.test("ctx.config is {} without config:, the YAML's value with it", async () => {
  const parsed = parseRobotConfig(
    robotYaml(
      "  a: { kind: node, module: ./a.ts }\n  b: { kind: node, module: ./a.ts, config: { rate: 5 } }\n",
    ),
    "/opt/r/robot.yaml",
    { checkFiles: false },
  );
  assert.deepEqual(parsed.components.map((c) => (c as { config: unknown }).config), [{}, {
    rate: 5,
  }]);
  // The node fails unless it reads `rate` straight off ctx.config (no null check).
  const dir = await robotDir({
    "a.ts": `export default async function main(ctx) {
  const rate = ctx.config.rate ?? 10;
  if (rate !== (ctx.name === "a" ? 10 : 5)) throw new Error("rate " + rate);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
    "robot.yaml": robotYaml(
      "  a: { kind: node, module: ./a.ts, restart: never }\n" +
        "  b: { kind: node, module: ./a.ts, restart: never, config: { rate: 5 } }\n",
    ),
  });
  const supervisor = await startRobot(dir);
  try {
    for (const name of ["a", "b"]) await waitForState(supervisor, name, "running");
  } finally {
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  // Stopped by the shutdown, not failed by its check (restart: never would keep the failure).
  for (const name of ["a", "b"]) {
    const c = componentOf(supervisor, name);
    assert.deepEqual([c.state, c.lastError], ["stopped", null], name);
  }
});
