/**
 * A hostile host opens connections to a robot's TCP control endpoint and
 * never completes a handshake (it has no operator key). Each held one of the
 * supervisor's descriptors for the 30 s handshake timeout; now at most
 * `ROLE_HANDSHAKE_LIMITS` wait at once (32 from one address), counted in
 * /proc, and an operator's status request is answered during the flood.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { controlRequest } from "../../robot/control.ts";
import { ROLE_HANDSHAKE_LIMITS } from "../../core/limits.ts";
import { CALM, freeTcpPort, robotDir, robotYaml, spawnRobot, waitFor } from "./helpers.ts";
import { silentConnections } from "../core/helpers.ts";

/** The descriptors `pid` holds now. */
function descriptors(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

Deno.test("a flood of connections that never finish a handshake holds a bounded number of the supervisor's descriptors", async () => {
  const dir = await robotDir({ "calm.ts": CALM });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  calm: { kind: node, module: ./calm.ts }\n`),
  );
  const port = freeTcpPort();
  const control = `tcp://127.0.0.1:${port}`;
  const robot = await spawnRobot(join(dir, "robot.yaml"), "--control", control);
  let flood: Awaited<ReturnType<typeof silentConnections>> | null = null;
  try {
    const pid = robot.child.pid;
    const before = descriptors(pid);
    const opened = flood = await silentConnections(port, 600);
    // All but the newest 32 were closed by the robot (the oldest first).
    const perAddress = ROLE_HANDSHAKE_LIMITS.maxHandshakesPerAddress;
    await waitFor(
      () => opened.closedByServer === 600 - perAddress,
      () => `${opened.closedByServer} of 600 closed by the robot`,
    );
    const during = descriptors(pid);
    assert.ok(
      during - before <= perAddress + 8,
      `the supervisor held ${during - before} more descriptors during the flood`,
    );
    const reply = await controlRequest(control, { op: "status" });
    assert.ok(reply.ok && "status" in reply, JSON.stringify(reply));
    assert.equal(reply.status.components[0].state, "running");
  } finally {
    flood?.close();
    const status = await robot.stop();
    assert.equal(status.code, 0, robot.stderr());
  }
});
