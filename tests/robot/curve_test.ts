/**
 * CURVE in the robot YAML: a task server serving with its secretKey and an
 * allow list, a node whose connect references it (its server key is the
 * task server's NAME.pub, found beside its secretKey) triggering a task
 * over CURVE with `ctx.security`; the key files in the right components'
 * read permissions; and mistakes reported with their line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseRobotConfig } from "../../robot/config.ts";
import { writeCertificatePair } from "../../mod.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot, waitFor, ZEDGE } from "./helpers.ts";

const PLANNER = `import { TaskClient } from "${ZEDGE}";
export default async function main(ctx) {
  const client = new TaskClient({ endpoint: ctx.endpoints.tasks, scope: "/test", security: ctx.security.tasks });
  const { id } = await client.trigger({ handler: "test", component: "echo", goal: "over CURVE" });
  const { payload } = await client.wait(id, { timeoutMs: 10000 });
  ctx.log.info("echo: " + payload);
  await client.close();
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;

async function curveRobot(allowPlanner: boolean) {
  const dir = await robotDir({ "planner.ts": PLANNER });
  const tasks = await writeCertificatePair(join(dir, "keys", "tasks"));
  const planner = await writeCertificatePair(join(dir, "keys", "planner"));
  const stranger = await writeCertificatePair(join(dir, "keys", "stranger"));
  await Deno.mkdir(join(dir, "keys", "operators"));
  await Deno.copyFile(
    allowPlanner ? planner.publicFile : stranger.publicFile,
    join(dir, "keys", "operators", "client.pub"),
  );
  const port = freeTcpPort();
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  tasks:
    kind: task-server
    bind: tcp://127.0.0.1:${port}
    scopes: { /test: test }
    security:
      curve: { secretKey: keys/tasks.key, allow: [keys/operators/] }
  planner:
    kind: node
    module: ./planner.ts
    connect: { tasks: tasks }
    security:
      curve: { secretKey: keys/planner.key }
`),
  );
  return { dir, tasks, planner };
}

Deno.test("robot curve: a node reaches a CURVE task server it references; permissions follow the keys", async () => {
  const { dir, tasks, planner } = await curveRobot(true);
  const logs: string[] = [];
  const supervisor = await startRobot(dir, { onLog: (_name, record) => logs.push(record.message) });
  try {
    await waitFor(
      () => logs.some((m) => m === "echo: over CURVE"),
      `the echo (logs: ${logs.join(" | ")})`,
    );
    const [server, node] = ["tasks", "planner"].map((name) =>
      supervisor.status().components.find((c) => c.name === name)!
    );
    assert.ok(server.permissions.read.includes(tasks.secretFile));
    // The allow directory is granted file by file, its *.pub only: never the directory.
    assert.ok(server.permissions.read.includes(join(dir, "keys", "operators", "client.pub")));
    assert.ok(!server.permissions.read.includes(join(dir, "keys", "operators")));
    assert.ok(!server.permissions.read.includes(planner.secretFile));
    // The node reads its own secret and the server's public certificate, never the server's secret.
    assert.ok(node.permissions.read.includes(planner.secretFile));
    assert.ok(node.permissions.read.includes(tasks.publicFile));
    assert.ok(!node.permissions.read.includes(tasks.secretFile));
  } finally {
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robot curve: a node whose key is not on the server's allow list is refused", async () => {
  const { dir } = await curveRobot(false);
  const logs: string[] = [];
  const supervisor = await startRobot(dir, {
    onLog: (name, record) => logs.push(`${name}: ${record.message}`),
  });
  try {
    await waitFor(
      () => logs.some((m) => /^tasks: refused CURVE client .* is not in the allow list/.test(m)),
      `a refusal (logs: ${logs.join(" | ")})`,
    );
    assert.ok(!logs.some((m) => m.includes("echo: over CURVE")));
  } finally {
    await supervisor.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robot curve: mistakes in security are reported with their line", () => {
  const problems = (yaml: string) => {
    try {
      parseRobotConfig(yaml, "/opt/r/robot.yaml", { checkFiles: false });
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  };
  const text = problems(robotYaml(`  tasks:
    kind: task-server
    bind: tcp://127.0.0.1:7779
    scopes: { /test: test }
    security:
      curve: { allow: [keys/operators/] }
  n:
    kind: node
    module: ./n.ts
    connect: { up: tcp://elsewhere:7000 }
    security:
      curve: { secretKey: keys/n.key }
      endpoints: { down: { curve: { serverKey: x.pub } } }
`));
  assert.match(
    text,
    /robot\.yaml:8: components\.tasks\.security: endpoint 'bind' is bound: serving CURVE needs secretKey/,
  );
  assert.match(
    text,
    /components\.n\.security: endpoint 'up' is connected with CURVE: give serverKey/,
  );
  assert.match(
    text,
    /components\.n\.security\.endpoints\.down: the component has no endpoint 'down'/,
  );
});
