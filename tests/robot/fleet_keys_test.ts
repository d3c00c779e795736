// A fleet of two robots with keys, set up as docs/security.md "Securing a
// fleet" says (`zedge keys generate` for each robot and operator, the
// robots' public keys in each other's `peers`): kitchen-bot's node calls
// arm-bot's exported service and receives its exported topic through
// arm-bot's CURVE gateway; an unexported service is refused with a reason;
// a pyzmq client with a fleet tool's key (gateway.allow) calls through the
// gateway, one with an unknown key gets nothing and is logged with its key.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Pull } from "../../mod.ts";
import { PYTHON, pythonZmqMissing } from "../tasks/helpers.ts";
import { run, zedge } from "../tasks/processes.ts";
import { freeTcpPort, robotDir, spawnRobot, ZEDGE } from "./helpers.ts";

/** A DEALER with CURVE from pyzmq calling a service through a gateway: prints status and body. */
const PYZMQ_CALL = `
import sys, zmq
endpoint, server, public, secret, service = sys.argv[1:6]
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 3000)
s.curve_serverkey = server.encode()
s.curve_publickey = public.encode()
s.curve_secretkey = secret.encode()
s.connect(endpoint)
# rid, service, msgpack {"force": 3}
s.send_multipart([b"rid-1", service.encode(), b"\\x81\\xa5force\\x03"])
try:
    rid, status, body = s.recv_multipart()
    print(status.decode(), body.decode("latin-1"))
except zmq.Again:
    print("TIMEOUT")
s.close()
ctx.term()
`;

async function keyPair(dir: string, name: string) {
  const made = await zedge(["keys", "generate", join(dir, name)]);
  assert.equal(made.code, 0, made.stderr);
  const text = await Deno.readTextFile(join(dir, `${name}.key`));
  const field = (f: string) => text.match(new RegExp(`${f} = "(.{40})"`))![1];
  return { publicKey: field("public-key"), secretKey: field("secret-key") };
}

Deno.test("a fleet of two robots with keys works through the gateway; strangers and unexported names are refused", async () => {
  const missing = await pythonZmqMissing();
  if (missing !== undefined) throw new Error(missing);
  const [armControl, kitchenControl, topics, services, report] = [
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
  ];
  const fleet = await robotDir({
    "arm/arm.ts": `export default async function main(ctx) {
  ctx.provide("grip", (request) => ({ gripped: request.force > 0 }));
  ctx.provide("unlock_door", () => ({ unlocked: true }));
  for (let i = 0; !ctx.signal.aborted; i++) {
    await ctx.publish("joint_states", { i });
    await new Promise((r) => setTimeout(r, 20));
  }
}\n`,
    "arm/robot.yaml": `robot: arm-bot
security:
  curve: { secretKey: ../keys/arm-bot.key, operators: [../keys/operators/] }
control: tcp://127.0.0.1:${armControl}
gateway:
  topics: tcp://127.0.0.1:${topics}
  services: tcp://127.0.0.1:${services}
  export: { topics: [joint_states], services: [grip] }
  allow: [../keys/fleet-tools/]
peers:
  kitchen-bot: { control: "tcp://127.0.0.1:${kitchenControl}", serverKey: ../keys/kitchen-bot.pub }
components:
  arm: { kind: node, module: ./arm.ts, publishes: [joint_states], provides: [grip, unlock_door] }
`,
    "kitchen/planner.ts": `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  const reply = await ctx.call("arm-bot/grip", { force: 3 }, { timeoutMs: 10000, retries: 2 });
  let refused;
  try { await ctx.call("arm-bot/unlock_door", {}, { timeoutMs: 5000 }); } catch (e) { refused = e.message; }
  let first;
  for await (const m of ctx.subscribe("arm-bot/joint_states")) { first = m; break; }
  await out.send(JSON.stringify({ reply, refused, topic: first.topic }));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await out.close();
}\n`,
    "kitchen/robot.yaml": `robot: kitchen-bot
security:
  curve: { secretKey: ../keys/kitchen-bot.key, operators: [../keys/operators/] }
control: tcp://127.0.0.1:${kitchenControl}
peers:
  arm-bot: { control: "tcp://127.0.0.1:${armControl}", serverKey: ../keys/arm-bot.pub }
components:
  planner:
    kind: node
    module: ./planner.ts
    calls: [arm-bot/grip, arm-bot/unlock_door]
    subscribes: [arm-bot/joint_states]
    bind: { report: "tcp://127.0.0.1:${report}" }
`,
  });
  const keys = join(fleet, "keys");
  await Deno.mkdir(join(keys, "operators"), { recursive: true });
  await Deno.mkdir(join(keys, "fleet-tools"), { recursive: true });
  const arm = await keyPair(keys, "arm-bot");
  await keyPair(keys, "kitchen-bot");
  await keyPair(keys, "alice");
  await Deno.copyFile(join(keys, "alice.pub"), join(keys, "operators", "alice.pub"));
  const mapper = await keyPair(keys, "mapper");
  await Deno.copyFile(join(keys, "mapper.pub"), join(keys, "fleet-tools", "mapper.pub"));
  const stranger = await keyPair(keys, "stranger");

  const armBot = await spawnRobot(join(fleet, "arm", "robot.yaml"));
  const kitchenBot = await spawnRobot(join(fleet, "kitchen", "robot.yaml"));
  const pull = new Pull({ receiveTimeout: 30_000 });
  try {
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [body] = await pull.receive();
    const result = JSON.parse(new TextDecoder().decode(body));
    assert.deepEqual(result.reply, { gripped: true });
    assert.equal(result.refused, "'unlock_door' is not exported by arm-bot");
    assert.equal(result.topic, "arm-bot/joint_states");

    const call = async (who: { publicKey: string; secretKey: string }, service: string) => {
      const out = await run(PYTHON, [
        "-c",
        PYZMQ_CALL,
        `tcp://127.0.0.1:${services}`,
        arm.publicKey,
        who.publicKey,
        who.secretKey,
        service,
      ]);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout.trim();
    };
    assert.match(await call(mapper, "grip"), /^ok .*gripped/);
    assert.match(
      await call(mapper, "unlock_door"),
      /^error .*'unlock_door' is not exported by arm-bot/,
    );
    assert.equal(await call(stranger, "grip"), "TIMEOUT");
    await armBot.waitFor(
      new RegExp(
        `refused CURVE client .*${stranger.publicKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
      ),
    );
  } finally {
    await pull.close();
    const kitchenExit = await kitchenBot.stop();
    const armExit = await armBot.stop();
    assert.equal(kitchenExit.code, 0, kitchenBot.stderr());
    assert.equal(armExit.code, 0, armBot.stderr());
    await Deno.remove(fleet, { recursive: true });
  }
});
