// inproc:// between the components of one robot: a PUSH in one Worker, a
// PULL in another, no network permission, messages in order; the link
// survives the binder's restart.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Pull } from "../../mod.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot, waitForState, ZEDGE } from "./helpers.ts";

Deno.test("inproc connects two components' Workers, in order, with no permission", async () => {
  const report = freeTcpPort();
  const dir = await robotDir({
    "sender.ts": `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const push = new Push();
  await push.bind(ctx.endpoints.out);
  for (let i = 0; i < 20000; i++) await push.send(String(i));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await push.close();
}\n`,
    "receiver.ts": `import { Pull, Push } from "${ZEDGE}";
export default async function main(ctx) {
  const pull = new Pull();
  pull.connect(ctx.endpoints.in);
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  let expected = 0;
  let outOfOrder = 0;
  for (let i = 0; i < 20000; i++) {
    const [frame] = await pull.receive();
    if (Number(new TextDecoder().decode(frame)) !== expected++) outOfOrder++;
  }
  await report.send(JSON.stringify({ received: expected, outOfOrder }));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await Promise.all([pull.close(), report.close()]);
}\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  sender: { kind: node, module: ./sender.ts, bind: { out: "inproc://test/sender" } }
  receiver:
    kind: node
    module: ./receiver.ts
    connect: { in: sender.out }
    bind: { report: "tcp://127.0.0.1:${report}" }
`),
  );
  const supervisor = await startRobot(dir);
  const pull = new Pull({ receiveTimeout: 30_000 });
  try {
    const sender = await waitForState(supervisor, "sender", "running");
    assert.deepEqual(sender.permissions.net, []);
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [body] = await pull.receive();
    assert.deepEqual(JSON.parse(new TextDecoder().decode(body)), {
      received: 20000,
      outOfOrder: 0,
    });
  } finally {
    await pull.close();
    await supervisor.shutdown();
  }
});
