// Two robots: arm-bot runs as its own process with a gateway; kitchen-bot's
// node names arm-bot's topic and service as `arm-bot/…` (its YAML's peers
// say where arm-bot's control endpoint is), discovers the providers, calls
// the service and receives the topic — with net leave for arm-bot's host only.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Pull } from "../../mod.ts";
import { freeTcpPort, robotDir, spawnRobot, startRobot, ZEDGE } from "./helpers.ts";

Deno.test("a second robot process as a peer: discover, call and subscribe by robot/name", async () => {
  const [control, topics, services, report] = [
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
  ];
  const arm = await robotDir({
    "arm.ts": `export default async function main(ctx) {
  ctx.provide("grip", (request) => ({ gripped: request.force > 0, by: ctx.name }));
  ctx.provide("wave", () => ({ waved: true }));
  for (let i = 0; !ctx.signal.aborted; i++) {
    await ctx.publish("joint_states", { i, shoulder: i * 0.01 });
    await new Promise((r) => setTimeout(r, 20));
  }
}\n`,
    "robot.yaml": `robot: arm-bot
control: tcp://127.0.0.1:${control}
gateway:
  topics: "tcp://127.0.0.1:${topics}"
  services: "tcp://127.0.0.1:${services}"
  export: { topics: [joint_states], services: [grip] }
components:
  arm-a: { kind: node, module: ./arm.ts, publishes: [joint_states], provides: [grip, wave] }
  arm-b: { kind: node, module: ./arm.ts, provides: [grip, wave] }
`,
  });
  const kitchen = await robotDir({
    "planner.ts": `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  const providers = await ctx.discover("arm-bot/grip", { minimumProviders: 2, timeoutMs: 20000 });
  const reply = await ctx.call("arm-bot/grip", { force: 3 }, { timeoutMs: 5000 });
  let missing;
  try { await ctx.call("arm-bot/wave", {}, { timeoutMs: 2000 }); } catch (e) { missing = [e.code, e.message]; }
  let first;
  for await (const m of ctx.subscribe("arm-bot/joint_states")) { first = m; break; }
  await out.send(JSON.stringify({ providers, reply, missing, topic: first.topic, source: first.source, shoulder: typeof first.value.shoulder }));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await out.close();
}\n`,
    "robot.yaml": `robot: kitchen-bot
peers: { arm-bot: "tcp://127.0.0.1:${control}" }
components:
  planner:
    kind: node
    module: ./planner.ts
    subscribes: [arm-bot/joint_states]
    calls: [arm-bot/grip, arm-bot/wave]
    bind: { report: "tcp://127.0.0.1:${report}" }
`,
  });
  const armBot = await spawnRobot(join(arm, "robot.yaml"));
  const supervisor = await startRobot(kitchen);
  const pull = new Pull({ receiveTimeout: 40_000 });
  try {
    const planner = supervisor.status().components[0];
    // Its own bind only: the supervisor carries its traffic with arm-bot.
    assert.deepEqual(planner.permissions.net, [`127.0.0.1:${report}`]);
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [body] = await pull.receive();
    const result = JSON.parse(new TextDecoder().decode(body));
    assert.deepEqual(result.providers, ["arm-bot/arm-a", "arm-bot/arm-b"]);
    assert.equal(result.reply.gripped, true);
    assert.match(result.reply.by, /^arm-[ab]$/);
    // arm-bot provides wave but does not export it: refused with a reason, not a timeout.
    assert.deepEqual(result.missing, ["unknown-service", "'wave' is not exported by arm-bot"]);
    assert.equal(result.topic, "arm-bot/joint_states");
    assert.equal(result.source, "arm-bot/arm-a");
    assert.equal(result.shoulder, "number");
  } finally {
    await pull.close();
    await supervisor.shutdown();
    const exit = await armBot.stop();
    assert.equal(exit.code, 0, armBot.stderr());
  }
});
