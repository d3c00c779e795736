import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigFileError } from "../../core/config/yaml_schema.ts";
import {
  connectableEndpoint,
  defaultControlEndpoint,
  loadRobotConfig,
  parseRobotConfig,
  type PipelineRoleSpec,
  ZEDGE_SOURCE,
} from "../../robot/config.ts";
import { robotJsonSchema } from "../../robot/schema.ts";
import { robotDir, ZEDGE } from "./helpers.ts";

const NODE =
  `export default async function main(ctx) { await new Promise((r) => ctx.signal.addEventListener("abort", r)); }\n`;
const PIPELINE = `endpoints:
  workers: tcp://127.0.0.1:7910
  acks: tcp://127.0.0.1:7911
  results: tcp://127.0.0.1:7912
journal: ./state/tiles.db
tasks:
  tiles: { count: 3 }
workers:
  - name: cpu
    handlers: ./work.ts
    threads: 2
  - name: io
    handlers: ./work.ts
collector:
  journal: ./state/collector.db
`;

async function fixture(yaml: string): Promise<string> {
  return await robotDir({
    "robot.yaml": yaml,
    "nodes/a.ts": NODE,
    "nodes/b.ts": `import { Publisher } from "${ZEDGE}";\nimport "./helper.ts";\n${NODE}`,
    "nodes/helper.ts": "export const helper = 1;\n",
    "handlers.ts": "export const handlers = { arm: { home: () => 'homed' } };\n",
    "pipeline.yaml": PIPELINE,
    "work.ts": "export function tiles(n) { return n; }\n",
  });
}

Deno.test("robot YAML: references resolve, defaults apply, permissions follow the endpoints", async () => {
  const dir = await fixture(`robot: kitchen-bot
control: ipc:///tmp/zedge-test-kitchen.sock
components:
  tasks:
    kind: task-server
    bind: tcp://*:7779
    events: tcp://*:7780
    scopes: { /robot: ./handlers.ts, /test: test }
  odometry:
    kind: node
    module: ./nodes/a.ts
    bind: { odom: tcp://127.0.0.1:7801, raw: "ipc:///tmp/zedge-test-raw.sock" }
  planner:
    kind: node
    module: ./nodes/b.ts
    connect: { odom: odometry.odom, tasks: tasks, events: tasks.events, far: "tcp://10.0.0.12:7700" }
    read: [/etc/kitchen-bot/map.yaml]
    write: [./maps]
    env: [ROS_DOMAIN_ID]
    restart: on-failure
  perception:
    kind: pipeline-worker
    pipeline: ./pipeline.yaml
    name: cpu
  collector:
    kind: pipeline-collector
    pipeline: ./pipeline.yaml
`);
  const robot = await loadRobotConfig(join(dir, "robot.yaml"));
  assert.equal(robot.robot, "kitchen-bot");
  assert.equal(robot.control, "ipc:///tmp/zedge-test-kitchen.sock");
  assert.equal(robot.controlIsDefault, false);
  assert.deepEqual(robot.components.map((c) => c.name), [
    "tasks",
    "odometry",
    "planner",
    "perception",
    "collector",
  ]);
  const [tasks, odometry, planner, perception, collector] = robot.components;
  assert.equal(tasks.restart, "always");
  assert.equal(planner.restart, "on-failure");
  assert.deepEqual(tasks.binds, { bind: "tcp://*:7779", events: "tcp://*:7780" });
  assert.deepEqual(planner.connects, {
    odom: "tcp://127.0.0.1:7801",
    tasks: "tcp://127.0.0.1:7779",
    events: "tcp://127.0.0.1:7780",
    far: "tcp://10.0.0.12:7700",
  });
  assert.deepEqual(tasks.permissions.net, ["0.0.0.0:7779", "0.0.0.0:7780"]);
  assert.deepEqual(odometry.permissions.net, ["127.0.0.1:7801", "unix:/tmp/zedge-test-raw.sock"]);
  assert.deepEqual(odometry.permissions.write, ["/tmp/zedge-test-raw.sock"]);
  assert.deepEqual(planner.permissions.net, [
    "10.0.0.12:7700",
    "127.0.0.1:7779",
    "127.0.0.1:7780",
    "127.0.0.1:7801",
  ]);
  // What it declared, and no code: its modules load as its Worker's own graph.
  assert.deepEqual(planner.permissions.read, ["/etc/kitchen-bot/map.yaml"]);
  assert.ok(!planner.permissions.read.some((p) => ZEDGE_SOURCE.includes(p)));
  assert.deepEqual(planner.permissions.write, [join(dir, "maps")]);
  assert.deepEqual(planner.permissions.env, ["ROS_DOMAIN_ID"]);
  // A node reads its ipc socket, not its own module.
  assert.deepEqual(odometry.permissions.read, ["/tmp/zedge-test-raw.sock"]);
  const worker = perception as PipelineRoleSpec;
  assert.equal(worker.entry, "cpu");
  assert.deepEqual(worker.connects, {
    workers: "tcp://127.0.0.1:7910",
    results: "tcp://127.0.0.1:7912",
  });
  assert.ok(worker.permissions.read.includes(join(dir, "work.ts")));
  // Threads: the component starts Web Workers from zedge's thread module, so it reads zedge's code.
  assert.ok(worker.permissions.read.some((p) => p.endsWith("/core")));
  assert.deepEqual(collector.binds, { results: "tcp://127.0.0.1:7912" });
  const journal = join(dir, "state/collector.db");
  assert.deepEqual(collector.permissions.write, [
    journal,
    `${journal}-journal`,
    `${journal}-shm`,
    `${journal}-wal`,
  ]);
  assert.deepEqual(robot.pipelineFiles, [join(dir, "pipeline.yaml")]);
});

Deno.test("robot YAML: every problem at once, each with its file and line", async () => {
  const dir = await fixture(`robot: bad bot
components:
  tasks:
    kind: task-server
    bind: tcp://*:7779
    scopes: { /a: ./missing-handlers.ts }
    restart: sometimes
  twin:
    kind: task-server
    bind: tcp://127.0.0.1:7779
    scopes: { /b: test }
  odometry:
    kind: node
    modul: ./nodes/a.ts
  planner:
    kind: node
    module: ./nodes/nope.ts
    connect: { odom: odometry.odm, x: nobody, y: tasks.events, z: "tcp://host:99999" }
  perception:
    kind: pipeline-worker
    pipeline: ./pipeline.yaml
  vision:
    kind: pipeline-worker
    pipeline: ./pipeline.yaml
    name: gpu
  mystery:
    kind: pipline-worker
`);
  const file = join(dir, "robot.yaml");
  const error = await loadRobotConfig(file).then(() => null, (e) => e);
  assert.ok(error instanceof ConfigFileError, String(error));
  const problems = (error as ConfigFileError).problems;
  const expect = [
    [1, "robot: must be a name"],
    [7, "components.tasks.restart: must be one of: always, on-failure, never"],
    [12, "components.odometry.module: is required"],
    [14, "components.odometry.modul: unknown field (did you mean 'module'?)"],
    [18, "components.planner.connect.z: invalid endpoint 'tcp://host:99999'"],
    [27, "components.mystery.kind: 'pipline-worker' is not one of: task-server, node,"],
  ] as const;
  for (const [line, text] of expect) {
    assert.ok(
      problems.some((p) => p.startsWith(`${file}:${line}: ${text}`)),
      `expected ${file}:${line}: ${text} in\n${problems.join("\n")}`,
    );
  }
  // Schema problems stop there; fix them, and the references, clashes and files are checked.
  const fixed = (await Deno.readTextFile(file))
    .replace("bad bot", "bad-bot").replace("sometimes", "never").replace("modul:", "module:")
    .replace("pipline-worker", "node\n    module: ./nodes/a.ts").replace("host:99999", "host:9999");
  await Deno.writeTextFile(file, fixed);
  const second = await loadRobotConfig(file).then(() => null, (e) => e);
  assert.ok(second instanceof ConfigFileError, String(second));
  const more = (second as ConfigFileError).problems;
  const expect2 = [
    [6, "components.tasks.scopes[\"/a\"]: module './missing-handlers.ts' does not exist"],
    [
      10,
      "components.twin.bind: tcp://127.0.0.1:7779 is also bound by component 'tasks' (tcp://*:7779)",
    ],
    [17, "components.planner.module: module './nodes/nope.ts' does not exist"],
    [
      18,
      "components.planner.connect.odom: 'odometry.odm': component 'odometry' binds no endpoint 'odm' (it binds: nothing)",
    ],
    [18, "components.planner.connect.x: 'nobody': there is no component 'nobody'"],
    [
      18,
      "components.planner.connect.y: 'tasks.events': component 'tasks' binds no endpoint 'events' (it binds: bind)",
    ],
    [
      21,
      "components.perception.pipeline: the pipeline file has several 'workers' entries: say which with name: (cpu, io)",
    ],
    [
      25,
      "components.vision.name: no 'workers' entry named 'gpu' in the pipeline file (it has: cpu, io)",
    ],
  ] as const;
  for (const [line, text] of expect2) {
    assert.ok(
      more.some((p) => p.startsWith(`${file}:${line}: ${text}`)),
      `expected ${file}:${line}: ${text} in\n${more.join("\n")}`,
    );
  }
  // In line order.
  const lines = more.map((p) => Number(/:(\d+):/.exec(p)![1]));
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
});

Deno.test("robot YAML: a broken pipeline file's own problems come through with its lines", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYamlFor("./pipeline.yaml"),
    "pipeline.yaml": "endpoints:\n  workers: tcp://127.0.0.1:1\ntasks:\n  t: { count: -1 }\n",
  });
  const error = await loadRobotConfig(join(dir, "robot.yaml")).then(() => null, (e) => e);
  assert.ok(error instanceof ConfigFileError);
  const text = error.message;
  assert.match(
    text,
    new RegExp(
      `robot.yaml:5: components.d.pipeline: .*pipeline.yaml:1: endpoints.acks: is required`,
    ),
  );
  assert.match(text, /pipeline.yaml:4: tasks.t.count: must be ≥ 0/);
});

function robotYamlFor(pipeline: string): string {
  return `robot: r
components:
  d:
    kind: pipeline-distributor
    pipeline: ${pipeline}
`;
}

Deno.test("robot YAML: the control endpoint defaults to XDG_RUNTIME_DIR, else /tmp, and clashes are refused", () => {
  assert.equal(
    defaultControlEndpoint(
      "kitchen-bot",
      (n) => n === "XDG_RUNTIME_DIR" ? "/run/user/1000" : undefined,
    ),
    "ipc:///run/user/1000/zedge/kitchen-bot.sock",
  );
  assert.equal(
    defaultControlEndpoint("kitchen-bot", () => undefined),
    "ipc:///tmp/zedge-kitchen-bot.sock",
  );
  const yaml = `robot: r
control: tcp://127.0.0.1:7700
components:
  n:
    kind: node
    module: ./n.ts
    bind: { a: "tcp://*:7700" }
`;
  assert.throws(
    () => parseRobotConfig(yaml, "/opt/r/robot.yaml", { checkFiles: false }),
    /robot.yaml:7: components.n.bind.a: tcp:\/\/\*:7700 is also bound by the supervisor's control endpoint/,
  );
  assert.equal(connectableEndpoint("tcp://[::]:5"), "tcp://[::1]:5");
  assert.equal(connectableEndpoint("tcp://*:0"), undefined);
});

Deno.test("robot YAML: a reference to a random-port bind is refused, and the JSON Schema names every kind", () => {
  const yaml = `robot: r
components:
  a: { kind: node, module: ./a.ts, bind: "tcp://127.0.0.1:0" }
  b: { kind: node, module: ./b.ts, connect: { x: a } }
`;
  assert.throws(
    () => parseRobotConfig(yaml, "/opt/r/robot.yaml", { checkFiles: false }),
    /robot.yaml:4: components.b.connect.x: 'a': tcp:\/\/127.0.0.1:0 is a random port/,
  );
  const schema = JSON.stringify(robotJsonSchema());
  for (const kind of ["task-server", "node", "pipeline-worker", "service-broker"]) {
    assert.ok(schema.includes(`"${kind}"`), kind);
  }
});

Deno.test("module graphs follow what runs: type-only imports are not read permissions", async () => {
  const { localImports } = await import("../../robot/module_graph.ts");
  assert.deepEqual(
    localImports(
      `import type { A } from "./a.ts";\nexport type { B } from "./b.ts";\n` +
        `import { type C, d } from "./c.ts";\nimport "./e.ts";\nexport * from "./f.ts";\n` +
        `import{g}from"./g.ts";\n/* import { h } from "./h.ts"; */\nconst w = new URL("./w_worker.ts", import.meta.url);\n` +
        `await import("./i.ts");\nimport { zod } from "npm:zod";`,
    ),
    ["./c.ts", "./e.ts", "./f.ts", "./g.ts", "./i.ts", "./w_worker.ts"],
  );
});
