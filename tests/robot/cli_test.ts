// `zedge robot …` as a user runs it: check and permissions output (errors
// included), a robot run as a process with status over its control socket,
// SIGTERM with a task running (a Python ZTL client sees ABORTED, the process
// exits 0 within 2 s), a busy loop detected and replaced, a second supervisor
// refused, and no remote code imported.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Subscriber } from "../../mod.ts";
import { PYTHON, pythonZmqMissing, resultOf } from "../tasks/helpers.ts";
import { spawn, zedge, zedgeArgs } from "../tasks/processes.ts";
import {
  CALM,
  freeTcpPort,
  repoPath,
  robotDir,
  robotYaml,
  spawnRobot,
  waitFor,
  ZEDGE,
} from "./helpers.ts";

Deno.test("robot check: ok for the example robot, every problem with file:line otherwise", async () => {
  const ok = await zedge(["robot", "check", "examples/robot/robot.yaml"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /examples\/robot\/robot\.yaml: ok: robot kitchen-bot, 8 components: tasks \(task-server\), odometry \(node\), filter \(node\)/,
  );

  const dir = await robotDir({
    "robot.yaml": robotYaml(`  a: { kind: node, module: ./a.ts, bind: "tcp://127.0.0.1:7999" }
  b: { kind: node, module: ./missing.ts, bind: "tcp://*:7999" }
  c: { kind: node, module: ./a.ts, connect: { x: nowhere.y } }
`),
    "a.ts": CALM,
  });
  const bad = await zedge(["robot", "check", join(dir, "robot.yaml")]);
  assert.equal(bad.code, 2);
  const lines = bad.stderr.trim().split("\n");
  assert.equal(lines.length, 3, bad.stderr);
  assert.match(
    lines[0],
    /^zedge: .*robot\.yaml:4: components\.b\.module: module '\.\/missing\.ts' does not exist/,
  );
  assert.match(
    lines[1],
    /robot\.yaml:4: components\.b\.bind: tcp:\/\/\*:7999 is also bound by component 'a'/,
  );
  assert.match(
    lines[2],
    /robot\.yaml:5: components\.c\.connect\.x: 'nowhere\.y': there is no component 'nowhere'/,
  );
  assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");

  // Module exports are checked by loading each module with its component's permissions.
  const exports = await robotDir({
    "robot.yaml": robotYaml(`  a: { kind: node, module: ./a.ts }
  nosy: { kind: node, module: ./nosy.ts }
`),
    "a.ts": "export const notMain = 1;\n",
    "nosy.ts": `const host = Deno.readTextFileSync("/etc/hostname");\nexport default () => host;\n`,
  });
  const checked = await zedge(["robot", "check", "-c", join(exports, "robot.yaml")]);
  assert.equal(checked.code, 1);
  assert.match(
    checked.stderr,
    /robot\.yaml:3: components\.a: .*a\.ts: a node module must `export default async function main\(ctx\)`/,
  );
  assert.match(
    checked.stderr,
    /robot\.yaml:4: components\.nosy: cannot load its modules: NotCapable: Requires read access to "\/etc\/hostname" \(not granted to this component: add it to its read: in the robot YAML\) \(at .*nosy\.ts:1:\d+\)/,
  );
  // Deno's own hint (run again with --allow-read) is wrong inside a robot.
  assert.doesNotMatch(checked.stderr, /--allow-read/);
});

Deno.test("robot permissions: per component and as deno run flags, as text and JSON", async () => {
  const text = await zedge(["robot", "permissions", "examples/robot/robot.yaml"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /^tasks \(task-server\)\n {2}net {4}127\.0\.0\.1:7779, 127\.0\.0\.1:7780$/m,
  );
  assert.match(
    text.stdout,
    /^ {2}as flags: deno run --allow-net=127\.0\.0\.1:7821$/m,
  );
  assert.match(text.stdout, /deno run --unstable-worker-options --unstable-net --allow-net=/);
  const json = await zedge(["robot", "permissions", "examples/robot/robot.yaml", "--json"]);
  const report = JSON.parse(json.stdout);
  assert.equal(report.robot, "kitchen-bot");
  const mapper = report.components.find((c: { name: string }) => c.name === "mapper");
  assert.deepEqual(mapper.permissions.net, ["127.0.0.1:7821"]);
  assert.deepEqual(mapper.permissions.env, []);
  // Its code needs no read permission (it is its Worker's own graph); the process reads it.
  assert.deepEqual(mapper.flags, ["--allow-net=127.0.0.1:7821"]);
  assert.ok(report.process.permissions.read.includes(repoPath("examples/robot/mapper.ts")));
  // Topics and services between the nodes go over inproc: no network at all.
  const filter = report.components.find((c: { name: string }) => c.name === "filter");
  assert.deepEqual(filter.permissions.net, []);
  assert.ok(!report.process.flags.includes("-A"));
  // It may run one program: deno itself, for the components' host process.
  assert.deepEqual(
    report.process.flags.filter((f: string) => f.startsWith("--allow-run")),
    [`--allow-run=${Deno.execPath()}`],
  );
});

/** A robot with a task server (test handler) on free ports and a calm node. */
async function taskRobot() {
  const port = freeTcpPort();
  const events = freeTcpPort();
  const dir = await robotDir({ "calm.ts": CALM });
  const control = `ipc://${dir}/zedge/test-bot.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  tasks:
    kind: task-server
    bind: tcp://127.0.0.1:${port}
    events: tcp://127.0.0.1:${events}
    scopes: { /test: test }
  calm: { kind: node, module: ./calm.ts }
`,
      `control: ${control}\n`,
    ),
  );
  return { dir, port, events, control, file: join(dir, "robot.yaml") };
}

Deno.test("robot run: status over the control socket, then SIGTERM aborts a Python ZTL client's task and exits 0 within 2 s", async () => {
  const missing = await pythonZmqMissing();
  if (missing) throw new Error(missing);
  const robot = await taskRobot();
  const running = await spawnRobot(robot.file);
  const sub = new Subscriber({ receiveTimeout: 10_000 });
  try {
    const status = await zedge(["robot", "status", "-c", robot.file]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^robot test-bot · pid \d+ · up .* · control ipc:\/\//);
    assert.match(status.stdout, /^tasks\s+task-server\s+running\s+\S+( \S+)?\s+0\s+-$/m);
    assert.match(status.stdout, /^calm\s+node\s+running/m);
    const json = JSON.parse(
      (await zedge(["robot", "status", "--control", robot.control, "--json"])).stdout,
    );
    assert.deepEqual(Object.keys(json).sort(), [
      "components",
      "pid",
      "robot",
      "uptimeMs",
      "version",
    ]);
    assert.deepEqual(
      json.components[0].permissions.net,
      [
        `127.0.0.1:${robot.events}`,
        `127.0.0.1:${robot.port}`,
      ].sort(),
    );

    // A real ZTL peer completes a task, then waits on a long one.
    const echo = await new Deno.Command(PYTHON, {
      args: [
        repoPath("tests/peers/python/ztl_client.py"),
        "run",
        "127.0.0.1",
        `${robot.port}`,
        "/test",
        "test:echo:hello robot",
      ],
      stdout: "piped",
    }).output();
    assert.equal(resultOf(new TextDecoder().decode(echo.stdout)).reply, "hello robot");

    sub.subscribe("/test");
    sub.connect(`tcp://127.0.0.1:${robot.events}`);
    const client = spawn(PYTHON, [
      repoPath("tests/peers/python/ztl_client.py"),
      "run",
      "127.0.0.1",
      `${robot.port}`,
      "/test",
      "test:sleep:30",
      "-t",
      "25",
    ]);
    await client.waitFor(/Initialised task with ID '(\d+)'/);
    const killedAt = performance.now();
    running.child.kill("SIGTERM");
    const exit = await running.status;
    const took = performance.now() - killedAt;
    assert.equal(exit.code, 0, running.stderr());
    assert.ok(took < 2000, `exited ${Math.round(took)} ms after SIGTERM`);
    const clientExit = await client.status;
    assert.equal(clientExit.code, 1);
    assert.match(client.stdout(), /finished in state 'ABORTED' while waiting/);
    // The events channel said so too.
    let aborted = false;
    while (!aborted) {
      const [, body] = await sub.receive();
      aborted = JSON.parse(new TextDecoder().decode(body)).name === "ABORTED";
    }
    assert.match(running.stderr(), /SIGTERM: stopping robot test-bot/);
  } finally {
    await sub.close();
    await running.stop();
  }
});

Deno.test("robot run: a second supervisor of the same robot is refused", async () => {
  const robot = await taskRobot();
  const first = await spawnRobot(robot.file);
  try {
    const second = await zedge(["robot", "run", robot.file]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /robot test-bot is already running \(pid \d+, control at ipc:/);
    const status = await zedge(["robot", "status", "--control", robot.control, "--json"]);
    assert.equal(JSON.parse(status.stdout).components.length, 2, "the first one still runs");
  } finally {
    await first.stop();
  }
});

Deno.test("robot run: a component stuck in a busy loop is detected and replaced", async () => {
  const dir = await robotDir({
    // Busy on its first start only: the marker file says it already ran once.
    "spin.ts": `export default async function main(ctx) {
  try { await Deno.stat(ctx.config.marker); } catch {
    await Deno.writeTextFile(ctx.config.marker, "spun");
    for (;;) {}
  }
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
  });
  const marker = join(dir, "marker");
  const control = `ipc://${dir}/zedge/test-bot.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  spin:
    kind: node
    module: ./spin.ts
    heartbeatTimeoutMs: 1500
    read: [${marker}]
    write: [${marker}]
    config: { marker: ${JSON.stringify(marker)} }
`,
      `control: ${control}\n`,
    ),
  );
  const robot = spawn(Deno.execPath(), [
    "run",
    "-A",
    "--unstable-worker-options",
    repoPath("cli/main.ts"),
    "robot",
    "run",
    join(dir, "robot.yaml"),
  ]);
  try {
    await robot.waitFor(
      /spin crashed: silent for \d+ ms \(busy loop or deadlock\?\): terminated and replaced/,
      30_000,
    );
    let spin: { state: string; restarts: number; lastError: string } | undefined;
    await waitForAsync(async () => {
      const status = await zedge(["robot", "status", "--control", control, "--json"]);
      if (status.code !== 0) return false;
      spin = JSON.parse(status.stdout).components[0];
      return spin!.state === "running" && spin!.restarts === 1;
    }, "the replacement to run");
    assert.match(spin!.lastError, /silent for/);
  } finally {
    const exit = await robot.stop();
    assert.equal(exit.code, 0, robot.stderr());
  }
});

async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  while (!done) {
    done = await condition();
    if (!done && Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

Deno.test("robot run: a component cannot import remote code, even from a robot started with -A", async () => {
  let fetched = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    fetched++;
    return new Response("export default () => 'remote';", {
      headers: { "content-type": "application/typescript" },
    });
  });
  const report = freeTcpPort();
  const dir = await robotDir({
    "importer.ts": `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const push = new Push();
  await push.bind(ctx.endpoints.report);
  let outcome;
  try { await import(ctx.config.url); outcome = "imported"; } catch (error) { outcome = error.message; }
  await push.send(outcome);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await push.close();
}\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  importer:
    kind: node
    module: ./importer.ts
    bind: { report: "tcp://127.0.0.1:${report}" }
    config: { url: "http://127.0.0.1:${server.addr.port}/evil.ts" }
`,
      `control: ipc://${dir}/zedge/test-bot.sock\n`,
    ),
  );
  const robot = await spawnRobot(join(dir, "robot.yaml"));
  const { Pull } = await import("../../mod.ts");
  const pull = new Pull({ receiveTimeout: 20_000 });
  try {
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [outcome] = await pull.receive();
    assert.match(new TextDecoder().decode(outcome), /Requires import access/);
    assert.equal(fetched, 0);
  } finally {
    await pull.close();
    await robot.stop();
    await server.shutdown();
  }
});

Deno.test("robot status: a robot that is not running is one clear line", async () => {
  const robot = await taskRobot();
  const status = await zedge(["robot", "status", "-c", robot.file]);
  assert.equal(status.code, 1);
  assert.match(
    status.stderr,
    /^zedge: no robot supervisor answers at ipc:\/\/.*test-bot\.sock: .* does not exist \(is the robot running\?\)\n$/,
  );
  await waitFor(() => true, "nothing");
});

Deno.test("robot run: a supervisor paused (SIGSTOP) and resumed does not blame its components for the silence", async () => {
  const dir = await robotDir({
    "calm.ts": `export default async function main(ctx) {
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      "  calm: { kind: node, module: ./calm.ts, heartbeatTimeoutMs: 1000 }\n",
      `control: ipc://${dir}/zedge/test-bot.sock\n`,
    ),
  );
  const robot = await spawnRobot(join(dir, "robot.yaml"));
  const status = async () => {
    const reply = await zedge(["robot", "status", "-c", join(dir, "robot.yaml"), "--json"]);
    assert.equal(reply.code, 0, reply.stderr);
    return JSON.parse(reply.stdout).components[0];
  };
  try {
    robot.child.kill("SIGSTOP");
    // The pause is the stimulus: three heartbeat timeouts long.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    robot.child.kill("SIGCONT");
    // Watch for two more timeouts after the resume: the component stays up, never replaced.
    const resumed = performance.now();
    while (performance.now() - resumed < 2000) {
      const calm = await status();
      assert.deepEqual([calm.state, calm.restarts], ["running", 0], JSON.stringify(calm));
    }
    assert.doesNotMatch(robot.stderr(), /silent for/);
  } finally {
    await robot.stop();
  }
});

Deno.test("robot check: a module that never finishes loading is said to be, every 10 s", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(`  spin: { kind: node, module: ./spin.ts }\n`),
    "spin.ts":
      "while (true) { /* a loop at the top level */ }\nexport default async function main() {}\n",
  });
  const check = spawn(Deno.execPath(), zedgeArgs("robot", "check", join(dir, "robot.yaml")));
  try {
    await check.waitFor(/components\.spin: still loading its modules after 1\d s…/, 40_000);
  } finally {
    const status = await check.stop();
    assert.notEqual(status.code, 0);
  }
});
