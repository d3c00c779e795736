// A peer robot that vanishes behind a silent partition (cut off, then its power gone: no FIN,
// no reset ever arrives) left its connections to this robot's gateway open for as long as TCP
// retransmits into the void (about 15 minutes): the gateway kept encrypting and queueing every
// exported message for it, up to the high-water mark (1000 camera frames are a gigabyte), and its
// status listed the dead robot as connected. The gateway's sockets now heartbeat as the peer
// links do: a peer silent for 3 s is let go.
import assert from "node:assert/strict";
import { Pull } from "../../mod.ts";
import { cleanupAndCheck, createFleet } from "./fleet.ts";
import { networkUnavailable } from "./netns.ts";
import { until, untilReport } from "./observe.ts";
import { ROBOT_PORTS } from "./robot_template.ts";

Deno.test({
  name: "a gateway lets go of a peer robot that vanished behind a silent partition",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const why = await networkUnavailable();
    if (why) throw new Error(`this test needs network namespaces: ${why}`);
    const fleet = await createFleet(2);
    // robot-02 follows robot-01's topic and calls its service through robot-01's gateway.
    const [gateway, vanishing] = fleet.robots;
    const pull = new Pull({ receiveTimeout: 5000 });
    /** robot-01's gateway connections from robot-02 (topics and services). */
    const fromVanishing = async () => {
      const out = await fleet.network.exec(gateway.host, [
        "ss",
        "-Htn",
        "state",
        "established",
        `( sport = :${ROBOT_PORTS.topics} or sport = :${ROBOT_PORTS.services} )`,
        "dst",
        vanishing.address,
      ]);
      return out.split("\n").filter((line) => line.trim() !== "").length;
    };
    try {
      await fleet.start();
      pull.connect(`tcp://${vanishing.address}:${ROBOT_PORTS.report}`);
      await untilReport(pull, (r) => r.poses > 0 && r.calls > 0, 60_000, "robot-02 to follow");
      assert.equal(await fromVanishing(), 2, "robot-02 holds a topics and a services connection");
      await pull.close();
      // Cut off, then gone: nothing of robot-02 reaches robot-01 again.
      await fleet.cut(vanishing);
      await fleet.kill(vanishing);
      const goneAt = Date.now();
      await until(async () => (await fromVanishing()) === 0, 20_000, "the gateway to let go");
      const tookMs = Date.now() - goneAt;
      assert.ok(tookMs < 10_000, `let go ${tookMs} ms after robot-02 vanished`);
    } finally {
      await pull.close();
      await cleanupAndCheck(fleet);
    }
  },
});
