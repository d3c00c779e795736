// The robot YAML's `logs: ENDPOINT`: every component's records, and the
// supervisor's word on each state change, published on one PUB socket with
// topics <robot>.<component>.<level>; `zedge logs tail` shows them.
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeLogMessage, Subscriber } from "../../mod.ts";
import { spawn, zedgeArgs } from "../tasks/processes.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot } from "./helpers.ts";

Deno.test("logs: components' records and the supervisor's reach the robot's logs endpoint", async () => {
  const port = freeTcpPort();
  const dir = await robotDir({
    "talker.ts": `export default async function main(ctx) {
  for (let i = 0; !ctx.signal.aborted; i++) {
    ctx.log.info("tick {i}", { i });
    await new Promise((r) => setTimeout(r, 20));
  }
}\n`,
    "crasher.ts": `export default function main() { throw new Error("sensor unplugged"); }\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  talker: { kind: node, module: ./talker.ts }
  crasher: { kind: node, module: ./crasher.ts, restart: never }
`,
      `logs: tcp://127.0.0.1:${port}\n`,
    ),
  );
  const supervisor = await startRobot(dir);
  const sub = new Subscriber({ receiveTimeout: 20_000 });
  const tail = spawn(
    Deno.execPath(),
    zedgeArgs("logs", "tail", `tcp://127.0.0.1:${port}`, "--component", "talker"),
  );
  try {
    sub.subscribe("test-bot.");
    sub.connect(`tcp://127.0.0.1:${port}`);
    let tick: ReturnType<typeof decodeLogMessage> | undefined;
    while (tick === undefined) {
      const record = decodeLogMessage(await sub.receive());
      if (record.component === "talker" && /^tick \d+$/.test(record.message)) tick = record;
    }
    assert.equal(tick.robot, "test-bot");
    assert.equal(tick.level, "info");
    assert.equal(typeof tick.properties.i, "number");
    // The crash, as the supervisor tells it (it happened before this subscriber came: restart it).
    await supervisor.startComponent("crasher");
    let crash: ReturnType<typeof decodeLogMessage> | undefined;
    while (crash === undefined) {
      const record = decodeLogMessage(await sub.receive());
      if (record.component === "supervisor" && record.message.startsWith("crasher is failed")) {
        crash = record;
      }
    }
    assert.equal(crash.level, "error");
    assert.match(crash.message, /sensor unplugged/);
    await tail.waitFor(/talker.*tick \d+/);
  } finally {
    await sub.close();
    await tail.stop();
    await supervisor.shutdown();
  }
});
