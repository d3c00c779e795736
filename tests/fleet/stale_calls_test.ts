// A call to a peer's service during a silent partition must not run on the peer long after its
// caller gave up. The caller's node hands the call to its supervisor's link to the peer (over
// inproc, at once); that link relayed it with a send that waited without end for the peer's
// gateway to be back, so every call of the partition was held in the supervisor and ran on the
// peer in one burst when the network healed: a 12 s cut ran calls 9 s after their callers had
// timed out (1 s), and a robot told "move" during a partition would move for each of them.
// The links now give up a call they cannot hand on within CALL_RELAY_HOLD_MS.
import assert from "node:assert/strict";
import { Pull } from "../../mod.ts";
import { CALL_RELAY_HOLD_MS } from "../../robot/dataflow/dataflow_spec.ts";
import { cleanupAndCheck, createFleet } from "./fleet.ts";
import { networkUnavailable } from "./netns.ts";
import { untilReport } from "./observe.ts";
import { ROBOT_CODE, ROBOT_PORTS } from "./robot_template.ts";
import { join } from "node:path";

/** A ping the provider served: the caller's clock when sent, the provider's when served. */
interface Served {
  n: number;
  sentAt: number;
  at: number;
}

/** The pings a robot's `pose` node served, from its output. */
function served(output: string): Served[] {
  return [...output.matchAll(/^served (\{.*\})$/gm)].map((m) => JSON.parse(m[1]) as Served);
}

Deno.test({
  name: "calls to a peer made during a 12 s silent partition do not run on it after the heal",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const why = await networkUnavailable();
    if (why) throw new Error(`this test needs network namespaces: ${why}`);
    const fleet = await createFleet(2);
    // The provider says each ping it serves; the caller stamps when it sent it (one clock:
    // the namespaces share the machine's).
    const pose = ROBOT_CODE["pose.ts"].replace(
      `ctx.provide("ping", (request) => (`,
      `ctx.provide("ping", (request) => (console.log("served " + JSON.stringify({ n: request?.n, sentAt: request?.sentAt, at: Date.now() })), `,
    );
    const neighbour = ROBOT_CODE["neighbour.ts"].replace("{ n }", "{ n, sentAt: Date.now() }");
    assert.notEqual(pose, ROBOT_CODE["pose.ts"]);
    assert.notEqual(neighbour, ROBOT_CODE["neighbour.ts"]);
    await Deno.writeTextFile(join(fleet.dir, "code", "pose.ts"), pose);
    await Deno.writeTextFile(join(fleet.dir, "code", "neighbour.ts"), neighbour);
    const [caller, cutOff] = fleet.robots;
    const pull = new Pull({ receiveTimeout: 5000 });
    try {
      await fleet.start();
      pull.connect(`tcp://${caller.address}:${ROBOT_PORTS.report}`);
      await untilReport(pull, (r) => r.calls > 0, 60_000, "robot-01 to call robot-02's ping");
      await fleet.cut(cutOff);
      const cutAt = Date.now();
      // The caller's calls fail meanwhile (each after its 1 s timeout).
      await untilReport(pull, (r) => r.errors > 3, 10_000, "calls to fail during the cut");
      await new Promise((r) => setTimeout(r, 12_000 - (Date.now() - cutAt)));
      await fleet.heal(cutOff);
      const healedAt = Date.now();
      await untilReport(pull, (r) => r.lastCallAt > healedAt, 30_000, "calls after the heal");
      // One connection, served in order: once a call sent after the heal is served, every
      // call held through the cut has been handed on.
      const deadline = Date.now() + 10_000;
      while (!served(cutOff.output).some((s) => s.sentAt > healedAt) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const afterCut = served(cutOff.output).filter((s) => s.at > cutAt);
      assert.ok(afterCut.some((s) => s.sentAt > healedAt), "a call after the heal was served");
      const stale = afterCut.filter((s) => s.at - s.sentAt > CALL_RELAY_HOLD_MS + 1000);
      assert.deepEqual(
        stale.map((s) => `call ${s.n} ran ${s.at - s.sentAt} ms after it was sent`),
        [],
        "calls its caller gave up on long ago ran on the peer after the heal",
      );
    } finally {
      await pull.close();
      await cleanupAndCheck(fleet);
    }
  },
});
