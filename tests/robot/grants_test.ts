// The trust rules (robot/grants.ts, robot/robot_security.ts), each as an
// attack first: what a component may touch never comes from its modules'
// text; an allow directory never hands out another component's secret key;
// a peer gives a node no net; and protected mode refuses what would serve
// the LAN unauthenticated.
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeCertificatePair } from "../../mod.ts";
import { parseRobotConfig } from "../../robot/config.ts";
import { zedge } from "../tasks/processes.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot, waitForState } from "./helpers.ts";

function problems(yaml: string): string {
  try {
    parseRobotConfig(yaml, "/opt/r/robot.yaml", { checkFiles: false });
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}

Deno.test("a decoy import string grants nothing, and the node cannot read what it names", async () => {
  const dir = await robotDir({
    "decoy.ts": `const decoy = "import '/etc/'";
// import "/etc/hostname";
export default async function main(ctx) {
  let outcome;
  try { await Deno.readTextFile("/etc/hostname"); outcome = "read"; } catch (error) { outcome = error.name; }
  ctx.log.info("outcome: " + outcome);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml("  decoy: { kind: node, module: ./decoy.ts }\n"),
  );
  const logs: string[] = [];
  const supervisor = await startRobot(dir, { onLog: (_c, r) => logs.push(r.message) });
  try {
    const decoy = await waitForState(supervisor, "decoy", "running");
    assert.deepEqual(
      decoy.permissions.read,
      [],
      "no read permission at all: not for /etc/, not for code",
    );
    await waitForState(
      supervisor,
      "decoy",
      "running",
      () => logs.some((l) => l.startsWith("outcome:")),
    );
    assert.ok(logs.includes("outcome: NotCapable"), logs.join(" | "));
    // Nor does the robot process get it: its read comes from Deno's own module graph.
    const report = await zedge(["robot", "permissions", join(dir, "robot.yaml"), "--json"]);
    assert.equal(report.code, 0, report.stderr);
    const process = JSON.parse(report.stdout).process.permissions.read as string[];
    assert.ok(
      !process.some((p) => p === "/etc" || p === "/etc/" || p.startsWith("/etc/")),
      process.join(","),
    );
    assert.ok(process.includes(join(dir, "decoy.ts")));
  } finally {
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an allow directory grants its *.pub files only, never another component's secret key", async () => {
  const dir = await robotDir({});
  const keys = join(dir, "keys");
  const tasks = await writeCertificatePair(join(keys, "tasks"));
  // Everything in one directory, as a hurried set-up would have it.
  const planner = await writeCertificatePair(join(keys, "planner"));
  const yaml = `robot: r
components:
  tasks:
    kind: task-server
    bind: tcp://127.0.0.1:${freeTcpPort()}
    scopes: { /test: test }
    security: { curve: { secretKey: keys/tasks.key, allow: [keys/] } }
  planner:
    kind: node
    module: ./n.ts
    connect: { tasks: tasks }
    security: { curve: { secretKey: keys/planner.key } }
`;
  const robot = parseRobotConfig(yaml, join(dir, "robot.yaml"), { checkFiles: false });
  const [server, node] = robot.components;
  assert.deepEqual(
    server.permissions.read,
    [tasks.secretFile, planner.publicFile, tasks.publicFile].sort(),
  );
  assert.ok(!server.permissions.read.includes(planner.secretFile));
  assert.ok(!server.permissions.read.includes(keys));
  // The component reads its allow list file by file.
  const curve = server.curve.bind;
  assert.ok(curve.role === "server");
  assert.deepEqual(curve.allow, [planner.publicFile, tasks.publicFile]);
  assert.deepEqual(node.permissions.read, [planner.secretFile, tasks.publicFile].sort());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an allow directory with no public key lets nobody in", async () => {
  const dir = await robotDir({});
  await writeCertificatePair(join(dir, "keys", "tasks"));
  await Deno.mkdir(join(dir, "empty"));
  const robot = parseRobotConfig(
    robotYaml(`  tasks:
    kind: task-server
    bind: tcp://127.0.0.1:${freeTcpPort()}
    scopes: { /test: test }
    security: { curve: { secretKey: keys/tasks.key, allow: [empty/] } }
`),
    join(dir, "robot.yaml"),
    { checkFiles: false },
  );
  const curve = robot.components[0].curve.bind;
  assert.ok(curve.role === "server");
  assert.deepEqual(curve.allow, [], "an empty list (nobody), not null (any client)");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("protected mode: unauthenticated control, gateway, status page and peers beyond loopback are refused", () => {
  const text = problems(`robot: kitchen-bot
control: tcp://*:7700
status: 0.0.0.0:7800
gateway: { topics: tcp://*:7701, services: tcp://10.0.0.5:7702 }
peers: { arm-bot: tcp://10.0.0.12:7700 }
components:
  n: { kind: node, module: ./n.ts }
`);
  assert.match(
    text,
    /robot\.yaml:2: control: tcp:\/\/\*:7700 is beyond loopback with no authentication: add security: \{ curve: \{ secretKey: keys\/kitchen-bot\.key/,
  );
  assert.match(
    text,
    /robot\.yaml:3: status: the status page at 0\.0\.0\.0:7800 is beyond loopback with no login/,
  );
  assert.match(text, /gateway\.topics: tcp:\/\/\*:7701 is beyond loopback/);
  assert.match(text, /gateway\.services: tcp:\/\/10\.0\.0\.5:7702 is beyond loopback/);
  assert.match(
    text,
    /peers\.arm-bot: tcp:\/\/10\.0\.0\.12:7700 is beyond loopback: name the peer's key/,
  );
  // Loopback, a key, a login, or insecure: true each make it acceptable.
  assert.equal(
    problems(`robot: r
control: tcp://127.0.0.1:7700
status: 127.0.0.1:7800
gateway: { topics: tcp://127.0.0.1:7701 }
peers: { arm-bot: tcp://127.0.0.1:7710 }
components:
  n: { kind: node, module: ./n.ts }
`),
    "",
  );
  assert.equal(
    problems(`robot: r
insecure: true
control: tcp://*:7700
status: 0.0.0.0:7800
components:
  n: { kind: node, module: ./n.ts }
`),
    "",
  );
  assert.equal(
    problems(`robot: r
security: { curve: { secretKey: keys/r.key } }
control: tcp://*:7700
status: { listen: 0.0.0.0:7800, users: status-users }
gateway: { topics: tcp://*:7701 }
peers: { arm-bot: { control: tcp://10.0.0.12:7700, serverKey: keys/arm-bot.pub } }
components:
  n: { kind: node, module: ./n.ts }
`),
    "",
  );
});

Deno.test("protected mode: a tcp dataflow or log publisher beyond loopback is refused", async () => {
  // Neither has authentication: on 0.0.0.0 any host of the LAN would read every topic and call
  // every service (unlock_door included, whatever gateway.export says), or read the log.
  const nodes = `components:
  door: { kind: node, module: ./n.ts, provides: [unlock_door], publishes: [odom] }
  nav: { kind: node, module: ./n.ts, calls: [unlock_door], subscribes: [odom] }
`;
  const text = problems(`robot: kitchen-bot
dataflow: { transport: tcp, host: 0.0.0.0, basePort: 7900 }
logs: tcp://*:7790
${nodes}`);
  assert.match(
    text,
    /robot\.yaml:2: dataflow\.host: tcp:\/\/0\.0\.0\.0:79\d\d puts the robot's topics and services beyond loopback with no authentication.*gateway\.export.*\(or insecure: true\)/,
  );
  assert.match(
    text,
    /robot\.yaml:3: logs: tcp:\/\/\*:7790 publishes the robot's log records beyond loopback with no authentication/,
  );
  // Loopback (the default host), ipc, or insecure: true each make it acceptable.
  assert.equal(
    problems(`robot: r\ndataflow: { transport: tcp }\nlogs: tcp://127.0.0.1:7790\n${nodes}`),
    "",
  );
  assert.equal(
    problems(`robot: r\ndataflow: { transport: ipc }\nlogs: ipc:///tmp/r-logs.sock\n${nodes}`),
    "",
  );
  assert.equal(
    problems(`robot: r
insecure: true
dataflow: { transport: tcp, host: 0.0.0.0 }
logs: tcp://*:7790
${nodes}`),
    "",
  );

  const dir = await robotDir({
    "n.ts":
      "export default (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r));\n",
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: test-bot
control: ipc://${dir}/c.sock
dataflow: { transport: tcp, host: 0.0.0.0, basePort: ${freeTcpPort()} }
${nodes}`,
  );
  for (const command of ["check", "run"]) {
    const out = await zedge(["robot", command, join(dir, "robot.yaml")]);
    assert.equal(out.code, 2, `${command}: ${out.stderr}`);
    assert.match(out.stderr, /robot\.yaml:3: dataflow\.host: tcp:\/\/0\.0\.0\.0:\d+ puts/);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("protected mode: robot check and robot run refuse, naming the key to add", async () => {
  const dir = await robotDir({
    "n.ts":
      "export default (ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r));\n",
    "robot.yaml": robotYaml(
      "  n: { kind: node, module: ./n.ts }\n",
      `control: tcp://*:${freeTcpPort()}\n`,
    ),
  });
  for (const command of ["check", "run"]) {
    const out = await zedge(["robot", command, join(dir, "robot.yaml")]);
    assert.equal(out.code, 2, `${command}: ${out.stderr}`);
    assert.match(
      out.stderr,
      /robot\.yaml:2: control: .* add security: \{ curve: \{ secretKey: keys\/test-bot\.key/,
    );
    assert.doesNotMatch(out.stderr, /\n\s+at /, "no stack trace");
  }
  await Deno.remove(dir, { recursive: true });
});
