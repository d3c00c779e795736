// The per-robot binary and the systemd unit. No denort can be downloaded
// here, so the binary's contents are tested as the binary would run them:
// the staged entry, from a copy holding only the files the binary embeds,
// with exactly the permission flags it bakes in (never -A).
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { TaskState } from "../../core/tasks/protocol.ts";
import { TaskClient } from "../../core/tasks/client.ts";
import { spawn, zedge } from "../tasks/processes.ts";
import { hostSocketDir } from "../../robot/supervision/host_process.ts";
import {
  frameLeakRobot,
  freeTcpPort,
  loopbackPipelineEndpoints,
  robotDir,
  robotYaml,
  stagedRobotCommand,
  ZEDGE,
} from "./helpers.ts";
import { tempDir } from "../core/helpers.ts";

async function sampleRobot() {
  const dir = await tempDir("zedge-robot-");
  // A robot imports zedge by a relative path, so its staged copy keeps pointing inside the stage.
  const zedgeFromNodes = relative(join(dir, "nodes"), fromFileUrl(ZEDGE));
  const tasks = freeTcpPort();
  const report = freeTcpPort();
  await robotDir({
    "handlers/arm.ts": `import { helper } from "../lib/helper.ts";
export const handlers = { arm: { home: () => helper("homed") } };\n`,
    "lib/helper.ts": `export const helper = (s: string) => s.toUpperCase();\n`,
    "nodes/reporter.ts": `import { Push } from "${zedgeFromNodes}";
export default async function main(ctx) {
  const push = new Push();
  await push.bind(ctx.endpoints.report);
  ctx.signal.addEventListener("abort", () => push.close());
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
    "pipeline.yaml": `${loopbackPipelineEndpoints()}tasks:
  square: { count: 4 }
workers:
  - name: cpu
    handlers: ./work.ts
    threads: 2
`,
    "work.ts": "export function square(n: number) { return n * n; }\n",
    "secret.key": "not for components",
  }, dir);
  const control = `ipc://${dir}/zedge/test-bot.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      `  tasks: { kind: task-server, bind: "tcp://127.0.0.1:${tasks}", scopes: { /arm: ./handlers/arm.ts } }
  reporter: { kind: node, module: ./nodes/reporter.ts, isolation: process, bind: { report: "tcp://127.0.0.1:${report}" } }
  worker: { kind: pipeline-worker, pipeline: ./pipeline.yaml }
`,
      `control: ${control}\n`,
    ),
  );
  return { dir, tasks, control, file: join(dir, "robot.yaml") };
}

Deno.test("robot build: the staged binary runs from its own files with exactly the baked flags", async () => {
  const robot = await sampleRobot();
  const stage = await tempDir("zedge-stage-");
  const built = await zedge(["robot", "build", robot.file, "--stage", stage, "--no-compile"]);
  assert.equal(built.code, 0, built.stderr);
  const command = built.stdout.trim().split(" ");
  assert.equal(command[0], "deno");
  assert.equal(command[1], "run");
  const flags = command.slice(2, -2);
  assert.ok(
    !flags.includes("-A") && !flags.some((f) => /^--allow-(all|ffi|sys|import)/.test(f)),
  );
  // The reporter's host process (isolation: process) is deno itself: the only program it runs.
  assert.deepEqual(flags.filter((f) => f.startsWith("--allow-run")), [
    `--allow-run=${Deno.execPath()}`,
  ]);
  // Every path the process may read is in the stage, but the control socket's directory, /proc
  // (who holds an endpoint a component could not bind) and the private directory where host
  // processes dial in.
  const reads = flags.find((f) => f.startsWith("--allow-read="))!.slice("--allow-read=".length);
  for (const path of reads.split(",")) {
    assert.ok(
      path.startsWith(stage) || path === `${robot.dir}/zedge` || path === "/proc" ||
        path === hostSocketDir("test-bot"),
      path,
    );
  }
  // The stage holds code and the import map: no YAML (embedded), no other robot file.
  const files: string[] = [];
  for await (const entry of walk(stage)) files.push(entry.slice(stage.length + 1));
  assert.ok(!files.some((f) => f.endsWith(".yaml") || f.endsWith("secret.key")), files.join("\n"));
  assert.ok(files.some((f) => f.endsWith("/lib/helper.ts")), "a module's local import is staged");
  assert.ok(files.some((f) => f.endsWith("core/pipeline/thread_worker.ts")));

  // Run it from elsewhere, as the binary would run: the robot's own directory out of reach.
  const cwd = await tempDir();
  await Deno.rename(robot.dir, `${robot.dir}.moved`);
  await Deno.mkdir(robot.dir);
  const running = spawn(Deno.execPath(), command.slice(1), "piped", {});
  const client = new TaskClient({ endpoint: `tcp://127.0.0.1:${robot.tasks}`, scope: "/arm" });
  try {
    await running.waitFor(/3 of 3 components running/, 60_000);
    const status = spawn(Deno.execPath(), [
      "run",
      "-A",
      "--config",
      command[command.indexOf("--config") + 1],
      command[command.length - 2],
      "status",
      "--json",
    ]);
    const statusExit = await status.status;
    assert.equal(statusExit.code, 0, status.stderr());
    assert.deepEqual(
      JSON.parse(status.stdout()).components.map((c: { state: string }) => c.state),
      ["running", "running", "running"],
    );
    const { id } = await client.trigger({ handler: "arm", component: "home", goal: "" });
    const done = await client.wait(id, { timeoutMs: 10_000 });
    assert.deepEqual([done.state, done.payload], [TaskState.COMPLETED, "HOMED"]);
  } finally {
    await client.close();
    const exit = await running.stop();
    // The robot's directory back first: an assertion below must not leave it moved aside.
    await Deno.remove(robot.dir, { recursive: true });
    await Deno.rename(`${robot.dir}.moved`, robot.dir);
    void cwd;
    assert.equal(exit.code, 0, running.stderr());
    assert.doesNotMatch(running.stderr(), /NotCapable|Requires .* access/, running.stderr());
  }
});

Deno.test("robot build: with the baked flags a limited component's ArrayBuffer leak ends its host alone", async () => {
  // The robot process may not read /proc under its flags: the bound works from the host's own
  // reports of its resident set.
  const dir = await robotDir(frameLeakRobot());
  const command = await stagedRobotCommand(join(dir, "robot.yaml"));
  const running = spawn(Deno.execPath(), command.slice(1), "piped", {});
  try {
    await running.waitFor(/frames crashed: out of memory \(64 MB, \d+ MB resident\)/, 60_000);
    assert.doesNotMatch(running.stderr(), /calm crashed/);
  } finally {
    const exit = await running.stop();
    assert.equal(exit.code, 0, running.stderr());
    assert.doesNotMatch(running.stderr(), /NotCapable|Requires .* access/, running.stderr());
  }
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

Deno.test("robot build: without denort it says so in one line, exits 1 and leaves no output", async () => {
  const robot = await sampleRobot();
  const out = await tempDir();
  const target = join(out, "dist", "test-bot");
  const plain = await zedge(["robot", "build", robot.file, "-o", target], "", { DENORT_BIN: "" });
  const noDenort = await zedge(["robot", "build", robot.file, "-o", target], "", {});
  for (const result of [plain, noDenort]) {
    assert.equal(result.code, 1, result.stderr);
    const errors = result.stderr.split("\n").filter((l) => l.startsWith("zedge:"));
    assert.equal(errors.length, 1, result.stderr);
  }
  assert.match(
    noDenort.stderr,
    /zedge: robot build: (deno compile could not download its denort|DENORT_BIN)/,
  );
  const full = await zedge(["robot", "build", robot.file, "-o", target], "", {
    DENORT_BIN: Deno.execPath(),
  });
  assert.equal(full.code, 1);
  assert.match(full.stderr, /zedge: robot build: DENORT_BIN=.* is a full deno, not denort/);
  assert.equal(await Deno.stat(join(out, "dist")).then(() => true, () => false), false);
});

Deno.test("robot systemd: the unit passes systemd-analyze verify, with the binary and from source", async () => {
  const robot = await sampleRobot();
  const out = await tempDir();
  const binary = join(out, "test-bot");
  await Deno.writeTextFile(binary, "#!/bin/sh\n");
  await Deno.chmod(binary, 0o755);
  const withBinary = await zedge([
    "robot",
    "systemd",
    robot.file,
    "--binary",
    binary,
    "--user",
    "root",
    "-o",
    out,
  ]);
  assert.equal(withBinary.code, 0, withBinary.stderr);
  const unit = await Deno.readTextFile(join(out, "zedge-test-bot.service"));
  for (
    const line of [
      `ExecStart=${binary} run`,
      "User=root",
      "Restart=on-failure",
      "KillSignal=SIGTERM",
      "TimeoutStopSec=5",
      "RuntimeDirectory=zedge",
      "StateDirectory=zedge",
      "UMask=0077",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "Type=notify",
      "NotifyAccess=main",
      "WatchdogSec=10",
      "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
      "CapabilityBoundingSet=",
      "SystemCallFilter=@system-service",
    ]
  ) assert.ok(unit.split("\n").includes(line), `${line} in\n${unit}`);
  // The YAML names its control socket, so the unit adds none.
  assert.ok(!unit.includes("--control"));
  // The binary is under /tmp: a private /tmp would hide it, so the unit keeps the host's and
  // the warning names the binary (not a home directory).
  assert.ok(!unit.includes("PrivateTmp"), unit);
  assert.match(
    withBinary.stderr,
    new RegExp(`warning: ${binary} is under /tmp, so the unit keeps`),
  );
  assert.doesNotMatch(withBinary.stderr, /home/);
  await verify(join(out, "zedge-test-bot.service"));

  // -o names a directory that need not exist yet.
  const units = join(out, "units", "robots");
  const source = await zedge(["robot", "systemd", "examples/robot/robot.yaml", "-o", units]);
  assert.equal(source.code, 0, source.stderr);
  const fromSource = await Deno.readTextFile(join(units, "zedge-kitchen-bot.service"));
  const exec = fromSource.split("\n").find((l) => l.startsWith("ExecStart="))!;
  // Its code is not under /tmp (the repository): the service gets a private /tmp.
  assert.ok(fromSource.split("\n").includes("PrivateTmp=yes"), fromSource);
  assert.ok(fromSource.split("\n").includes("Type=notify"), fromSource);
  assert.match(
    exec,
    new RegExp(
      `^ExecStart=${Deno.execPath()} run --no-remote --unstable-worker-options --unstable-net --allow-net=`,
    ),
  );
  assert.match(
    exec,
    / robot run \S+examples\/robot\/robot\.yaml --control ipc:\/\/\/run\/zedge\/kitchen-bot\.sock$/,
  );
  assert.ok(!exec.includes(" -A "));
  await verify(join(units, "zedge-kitchen-bot.service"));
});

async function verify(unit: string): Promise<void> {
  const result = await new Deno.Command("systemd-analyze", {
    args: ["verify", unit],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 0, stderr);
  // Warnings about this unit (not about the host's other units) count as failures too.
  const own = stderr.split("\n").filter((l) => l.includes(unit.split("/").pop()!));
  assert.deepEqual(own, []);
}
