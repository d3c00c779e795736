// Topics and services between the nodes of one robot, by name, over inproc
// across Workers: delivery in order, typed service errors, timeouts,
// retries across a provider's restart, discovery with minimumProviders, and
// the YAML's checks of names nobody offers.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigFileError } from "../../core/config/yaml_schema.ts";
import { Pull } from "../../mod.ts";
import { loadRobotConfig } from "../../robot/config.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot, ZEDGE } from "./helpers.ts";

/** A node that runs `body` (with ctx and a `report(value)` function) and then waits. */
function reporterNode(body: string): string {
  return `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  const report = (value) => out.send(JSON.stringify(value));
  ${body}
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await out.close();
}\n`;
}

async function reports(port: number, count: number): Promise<unknown[]> {
  const pull = new Pull({ receiveTimeout: 30_000 });
  pull.connect(`tcp://127.0.0.1:${port}`);
  const out: unknown[] = [];
  try {
    while (out.length < count) {
      const [body] = await pull.receive();
      out.push(JSON.parse(new TextDecoder().decode(body)));
    }
  } finally {
    await pull.close();
  }
  return out;
}

for (const transport of ["inproc", "ipc", "tcp"] as const) {
  Deno.test(`topics over ${transport}: a node's messages reach two subscribers in order, with time and source`, async () => {
    const [a, b] = [freeTcpPort(), freeTcpPort()];
    const dir = await robotDir({
      "odometry.ts": `export default async function main(ctx) {
  // Published until stopped: a subscriber that joins late still sees a long run in order.
  for (let i = 0; !ctx.signal.aborted; i++) {
    await ctx.publish("odom", { i, x: i * 0.1 });
    await ctx.publish("odom.raw", new TextEncoder().encode(String(i)));
    await new Promise((r) => setTimeout(r, 1));
  }
}\n`,
      "planner.ts": reporterNode(`
  let last = -1, gaps = 0, count = 0, first;
  for await (const m of ctx.subscribe("odom")) {
    if (m.topic !== "odom") continue;
    if (last >= 0 && m.value.i !== last + 1) gaps++;
    first ??= m;
    last = m.value.i;
    if (++count === 200) break;
  }
  await report({ count, gaps, source: first.source, fresh: Math.abs(Date.now() - first.time) < 10000, x: typeof first.value.x });`),
      "logger.ts": reporterNode(`
  const topics = new Set();
  for await (const m of ctx.subscribe("odom*")) {
    topics.add(m.topic + ":" + (m.value instanceof Uint8Array ? "bytes" : typeof m.value));
    if (topics.size === 2) break;
  }
  await report([...topics].sort());`),
    });
    await Deno.writeTextFile(
      join(dir, "robot.yaml"),
      robotYaml(
        `  odometry:
    kind: node
    module: ./odometry.ts
    publishes: { odom: msgpack, odom.raw: raw }
  planner:
    kind: node
    module: ./planner.ts
    subscribes: [odom]
    bind: { report: "tcp://127.0.0.1:${a}" }
  logger:
    kind: node
    module: ./logger.ts
    subscribes: ["odom*"]
    bind: { report: "tcp://127.0.0.1:${b}" }
`,
        transport === "inproc"
          ? ""
          : transport === "ipc"
          ? `dataflow: { transport: ipc, dir: ${dir}/flow }\n`
          : `dataflow: { transport: tcp, basePort: ${freeTcpPort()} }\n`,
      ),
    );
    const supervisor = await startRobot(dir);
    try {
      const [planner, logger] = await Promise.all([reports(a, 1), reports(b, 1)]);
      assert.deepEqual(planner[0], {
        count: 200,
        gaps: 0,
        source: "odometry",
        fresh: true,
        x: "number",
      });
      assert.deepEqual(logger[0], ["odom.raw:bytes", "odom:object"]);
      const odometry = supervisor.status().components[0].permissions;
      if (transport === "inproc") assert.deepEqual(odometry.net, []);
      if (transport === "ipc") {
        assert.deepEqual(odometry.net, [`unix:${dir}/flow/odometry-topics.sock`]);
      }
      if (transport === "tcp") assert.match(odometry.net.join(), /^127\.0\.0\.1:\d+$/);
    } finally {
      await supervisor.shutdown();
    }
  });
}

Deno.test("services: replies, typed errors, timeouts, and discovery with minimumProviders", async () => {
  const port = freeTcpPort();
  const planner = `export default async function main(ctx) {
  ctx.provide("plan", async (request, { signal }) => {
    if (request.to === "nowhere") throw new RangeError("no path to nowhere");
    if (request.slow) await new Promise((r) => setTimeout(r, 2000));
    return { path: [[0, 0], request.to], by: ctx.name };
  });
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`;
  const dir = await robotDir({
    "planner.ts": planner,
    "caller.ts": reporterNode(`
  const seen = await ctx.discover("plan", { minimumProviders: 2, timeoutMs: 20000 });
  const ok = await ctx.call("plan", { to: [3, 1] }, { timeoutMs: 5000 });
  const errors = [];
  for (const [service, request, options] of [
    ["plan", { to: "nowhere" }, {}],
    ["plan", { to: [1, 1], slow: true }, { timeoutMs: 300 }],
    ["route", {}, {}],
  ]) {
    try { await ctx.call(service, request, options); errors.push("no error"); }
    catch (e) { errors.push([e.name, e.code, e.message.split(":")[0]]); }
  }
  let short;
  try { await ctx.discover("plan", { minimumProviders: 3, timeoutMs: 300 }); }
  catch (e) { short = [e.name, e.code]; }
  // Calls under way at once keep their own deadlines: the short one gives up on time while the
  // long one still waits, and the long one is answered after it.
  const started = performance.now();
  let briefMs = Infinity;
  const [long, brief] = await Promise.allSettled([
    ctx.call("plan", { to: [2, 2], slow: true }, { timeoutMs: 10000 }),
    ctx.call("plan", { to: [1, 1], slow: true }, { timeoutMs: 300 }).finally(() => {
      briefMs = performance.now() - started;
    }),
  ]);
  const overlap = {
    long: long.status === "fulfilled" ? long.value.path : long.reason.message,
    brief: brief.status === "rejected" ? brief.reason.code : "answered",
    briefInTime: briefMs < 1500,
  };
  await report({ seen, path: ok.path, by: ok.by.startsWith("planner"), errors, short, overlap });`),
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  planner-a: { kind: node, module: ./planner.ts, provides: [plan] }
  planner-b: { kind: node, module: ./planner.ts, provides: [plan] }
  caller:
    kind: node
    module: ./caller.ts
    calls: [plan]
    bind: { report: "tcp://127.0.0.1:${port}" }
`),
  );
  const supervisor = await startRobot(dir);
  try {
    const [result] = await reports(port, 1) as [Record<string, unknown>];
    assert.deepEqual(result.seen, ["planner-a", "planner-b"]);
    assert.deepEqual(result.path, [[0, 0], [3, 1]]);
    assert.equal(result.by, true);
    assert.deepEqual(result.errors, [
      ["ServiceError", "handler-error", "RangeError"],
      ["ServiceError", "timeout", "no reply from 'plan' within 300 ms (1 attempt)"],
      ["ServiceError", "unknown-service", "caller does not call 'route'"],
    ]);
    assert.deepEqual(result.short, ["ServiceError", "timeout"]);
    assert.deepEqual(result.overlap, {
      long: [[0, 0], [2, 2]],
      brief: "timeout",
      briefInTime: true,
    });
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("services: a call retried across its provider's restart is answered", async () => {
  const port = freeTcpPort();
  const dir = await robotDir({
    // Crashes on its first request, as a provider dying mid-call would; its restart answers.
    "planner.ts": `export default async function main(ctx) {
  const marker = ctx.config.marker;
  let crashed = true;
  try { await Deno.stat(marker); } catch { crashed = false; }
  ctx.provide("plan", async () => {
    if (!crashed) {
      await Deno.writeTextFile(marker, "x");
      setTimeout(() => { throw new Error("planner died mid-call"); }, 0);
      await new Promise(() => {});
    }
    return { path: "after restart" };
  });
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
    "caller.ts": reporterNode(`
  await ctx.discover("plan");
  const started = Date.now();
  const reply = await ctx.call("plan", {}, { timeoutMs: 1500, retries: 5 });
  await report({ reply, ms: Date.now() - started });`),
  });
  const marker = join(dir, "crashed");
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  planner:
    kind: node
    module: ./planner.ts
    provides: [plan]
    read: [${marker}]
    write: [${marker}]
    config: { marker: ${JSON.stringify(marker)} }
  caller:
    kind: node
    module: ./caller.ts
    calls: [plan]
    bind: { report: "tcp://127.0.0.1:${port}" }
`),
  );
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  try {
    const [result] = await reports(port, 1) as [{ reply: unknown; ms: number }];
    assert.deepEqual(result.reply, { path: "after restart" });
    const planner = supervisor.status().components.find((c) => c.name === "planner")!;
    assert.equal(planner.restarts, 1);
    assert.match(planner.lastError ?? "", /planner died mid-call/);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("services: a stopping node gives up its calls and discoveries at once, and a caller's signal ends a call", async () => {
  const port = freeTcpPort();
  const dir = await robotDir({
    // Takes every request and never answers it.
    "mute.ts": `export default async function main(ctx) {
  ctx.provide("plan", () => new Promise(() => {}));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
    "caller.ts": `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  const report = (value) => out.send(JSON.stringify(value));
  const outcome = (e) => [e.name, e.code, e.message];
  await ctx.discover("plan");
  try { await ctx.call("plan", {}, { timeoutMs: 20000, signal: AbortSignal.timeout(100) }); }
  catch (e) { await report(outcome(e)); }
  const waiting = [
    ctx.call("plan", {}, { timeoutMs: 20000, retries: 2 }),
    ctx.discover("plan", { minimumProviders: 2, timeoutMs: 60000 }),
  ];
  await report("waiting");
  const settled = await Promise.allSettled(waiting);
  await report(settled.map((s) => s.status === "rejected" ? outcome(s.reason) : s.value));
  await out.close();
}\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  mute: { kind: node, module: ./mute.ts, provides: [plan] }
  caller:
    kind: node
    module: ./caller.ts
    calls: [plan]
    bind: { report: "tcp://127.0.0.1:${port}" }
`),
  );
  // A budget far over the call's 60 s would show a call that outlives its node's stop.
  const supervisor = await startRobot(dir, { stopTimeoutMs: 120_000 });
  const pull = new Pull({ receiveTimeout: 30_000 });
  pull.connect(`tcp://127.0.0.1:${port}`);
  const next = async () => JSON.parse(new TextDecoder().decode((await pull.receive())[0]));
  try {
    const [name, code, message] = await next();
    assert.deepEqual([name, code], ["ServiceError", "unavailable"]);
    assert.match(message, /^call to 'plan' given up: aborted \(TimeoutError/);
    assert.equal(await next(), "waiting");
    const stopping = supervisor.shutdown();
    assert.deepEqual(await next(), [
      ["ServiceError", "unavailable", "call to 'plan' given up: caller is stopping"],
      ["ServiceError", "unavailable", "discovery of 'plan' given up: caller is stopping"],
    ]);
    await stopping;
    assert.deepEqual(
      supervisor.status().components.map((c) => [c.name, c.state]),
      [["mute", "stopped"], ["caller", "stopped"]],
    );
  } finally {
    await pull.close();
    await supervisor.shutdown();
  }
});

Deno.test("the robot YAML refuses topics and services nobody offers, and unknown peers", async () => {
  const dir = await robotDir({ "n.ts": "export default () => {};\n" });
  const file = join(dir, "robot.yaml");
  await Deno.writeTextFile(
    file,
    robotYaml(`  a: { kind: node, module: ./n.ts, publishes: [odom], provides: [plan] }
  b: { kind: node, module: ./n.ts, subscribes: [odm, arm-bot/joints], calls: [plan, route] }
`),
  );
  const error = await loadRobotConfig(file).then(() => null, (e) => e);
  assert.ok(error instanceof ConfigFileError, String(error));
  assert.deepEqual(error.problems.map((p) => p.slice(file.length + 1)), [
    "4: components.b.subscribes[0]: no component publishes 'odm' (published: odom; topics an operator publishes go under operator.publishes)",
    "4: components.b.subscribes[1]: 'arm-bot/joints': 'arm-bot' is not among this robot's peers (it has none: add peers: { arm-bot: ENDPOINT })",
    "4: components.b.calls[1]: no component provides 'route' (provided: plan)",
  ]);
});
