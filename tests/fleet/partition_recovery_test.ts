// A finding of the fleet simulator that one machine hid: across a silent partition (packets
// dropped, no reset) a robot's link to its peer's gateway stayed on a dead TCP connection and
// came back only at TCP's next retransmission — 3.6 s after a 10 s cut healed, 6.7 s after a
// 20 s one, growing with the cut. The peer links now heartbeat (a dead connection is closed in
// 3 s) and give up a connect that hangs on the silent network after 2 s
// (`connectTimeout`), so the topic and the service come back about a second after the heal
// whatever the cut's length. Without the fix this test sees about 10 s after a 15 s cut.
import assert from "node:assert/strict";
import { Pull } from "../../mod.ts";
import { cleanupAndCheck, createFleet } from "./fleet.ts";
import { networkUnavailable } from "./netns.ts";
import { untilReport } from "./observe.ts";
import { ROBOT_PORTS } from "./robot_template.ts";

Deno.test({
  name:
    "a peer's topic and service come back soon after a 15 s silent partition heals, not at TCP's next retransmission",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const why = await networkUnavailable();
    if (why) throw new Error(`this test needs network namespaces: ${why}`);
    const fleet = await createFleet(3);
    const [, follower, cutOff] = fleet.robots;
    const pull = new Pull({ receiveTimeout: 5000 });
    try {
      await fleet.start();
      pull.connect(`tcp://${follower.address}:${ROBOT_PORTS.report}`);
      await untilReport(
        pull,
        (r) => r.poses > 0 && r.calls > 0,
        60_000,
        "robot-02 to follow robot-03",
      );
      await fleet.cut(cutOff);
      const cutAt = Date.now();
      // The follower notices: its calls fail while robot-03 is cut off.
      const during = await untilReport(
        pull,
        (r) => r.lastError !== "" && r.errors > 0,
        10_000,
        "calls to fail during the cut",
      );
      assert.match(during.lastError, /robot-03\/ping/);
      await new Promise((r) => setTimeout(r, 15_000 - (Date.now() - cutAt)));
      await fleet.heal(cutOff);
      const healedAt = Date.now();
      const back = await untilReport(
        pull,
        (r) => r.lastPoseAt > healedAt && r.lastCallAt > healedAt,
        30_000,
        "robot-03's topic and service after the heal",
      );
      const recoveryMs = Math.max(back.lastPoseAt, back.lastCallAt) - healedAt;
      assert.ok(recoveryMs < 5000, `back ${recoveryMs} ms after the heal (TCP's backoff: ~10 s)`);
    } finally {
      await pull.close();
      await cleanupAndCheck(fleet);
    }
  },
});
