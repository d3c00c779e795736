// `zedge fleet` against real robots: three `zedge robot run` processes on
// loopback, each with its own CURVE key pair (`zedge keys generate`) and the
// operator's key allowed, plus a fourth robot in the fleet file that nobody
// runs. Status asks all at once and shows a paused (SIGSTOP) robot as
// unreachable within the timeout while the others answer; a rolling restart
// stops when its failure budget is spent; the fleet view serves one /metrics
// with a robot label, on loopback only; a mistake in fleet.yaml is one line
// naming file, line and field.
import assert from "node:assert/strict";
import { join } from "node:path";
import { freeTcpPort, robotDir, spawnRobot } from "../robot/helpers.ts";
import { spawn, zedge, zedgeArgs } from "../tasks/processes.ts";
import { tempDir } from "../core/helpers.ts";

const ROBOTS = ["alpha", "beta", "gamma"] as const;

/** A node that runs until stopped, or, when its flag file exists, cannot start. */
const PLANNER = `export default async function main(ctx) {
  let broken = false;
  try { await Deno.stat(ctx.config.brokenFlag); broken = true; } catch { /* fine */ }
  if (broken) throw new Error("planner cannot start: calibration missing");
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;

async function makeFleet() {
  const controls = Object.fromEntries(ROBOTS.map((r) => [r, freeTcpPort()]));
  const tasks = Object.fromEntries(ROBOTS.map((r) => [r, freeTcpPort()]));
  const ghost = freeTcpPort();
  const files: Record<string, string> = { "planner.ts": PLANNER };
  for (const robot of ROBOTS) {
    files[`${robot}/robot.yaml`] = `robot: ${robot}
security:
  curve: { secretKey: ../keys/${robot}.key, operators: [../keys/operators/] }
control: tcp://127.0.0.1:${controls[robot]}
components:
  planner:
    kind: node
    module: ../planner.ts
    restart: never
    read: [../broken-${robot}]
    config: { brokenFlag: BROKEN }
  tasks:
    kind: task-server
    bind: "tcp://*:${tasks[robot]}"
    scopes: { /test: test }
    security:
      curve: { secretKey: ../keys/${robot}-tasks.key, allow: [../keys/operators/] }
`;
  }
  const fleet = await robotDir(files);
  for (const robot of ROBOTS) {
    const file = join(fleet, robot, "robot.yaml");
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(
      file,
      text.replace("BROKEN", JSON.stringify(join(fleet, `broken-${robot}`))),
    );
  }
  const keys = join(fleet, "keys");
  await Deno.mkdir(join(keys, "operators"), { recursive: true });
  for (const name of [...ROBOTS, ...ROBOTS.map((r) => `${r}-tasks`), "operator", "ghost"]) {
    const made = await zedge(["keys", "generate", join(keys, name)]);
    assert.equal(made.code, 0, made.stderr);
  }
  await Deno.copyFile(join(keys, "operator.pub"), join(keys, "operators", "operator.pub"));
  await Deno.writeTextFile(
    join(fleet, "fleet.yaml"),
    `fleet: testfleet
operator: { secretKey: keys/operator.key }
robots:
${
      ROBOTS.map((r) =>
        `  ${r}: { control: "tcp://127.0.0.1:${controls[r]}", serverKey: keys/${r}.pub }\n`
      ).join("")
    }  ghost: { control: "tcp://127.0.0.1:${ghost}", serverKey: keys/ghost.pub }
`,
  );
  return { dir: fleet, file: join(fleet, "fleet.yaml") };
}

interface StatusJson {
  robots: {
    robot: string;
    reachable: boolean;
    version: string | null;
    running: number;
    failed: number;
    lastError: string | null;
  }[];
}

async function fleetStatusJson(file: string, timeoutMs: number) {
  const started = performance.now();
  const out = await zedge([
    "fleet",
    "status",
    "-c",
    file,
    "--json",
    "--timeout",
    String(timeoutMs),
  ]);
  const tookMs = performance.now() - started;
  const json = JSON.parse(out.stdout) as StatusJson;
  return { out, json, tookMs, of: (name: string) => json.robots.find((r) => r.robot === name)! };
}

async function restartsOf(file: string, robot: string): Promise<number> {
  const out = await zedge([
    "robot",
    "status",
    join(file, "..", robot, "robot.yaml"),
    "--json",
    "--curve-secret",
    join(file, "..", "keys", "operator.key"),
  ]);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout).components[0].restarts;
}

/** A GET of / with the given Host header, over a plain TCP connection: the status line. */
async function rawGet(port: number, host: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    );
    const reply = new Uint8Array(64);
    const n = await conn.read(reply);
    return new TextDecoder().decode(reply.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

Deno.test("zedge fleet: status, rolling restart with a failure budget and the fleet view over CURVE", async () => {
  const { dir, file } = await makeFleet();
  const robots = await Promise.all(
    ROBOTS.map((r) => spawnRobot(join(dir, r, "robot.yaml"))),
  );
  const [, , gamma] = robots;
  let view: ReturnType<typeof spawn> | undefined;
  let guarded: ReturnType<typeof spawn> | undefined;
  const viewPort = freeTcpPort();
  try {
    // Every robot answers but the ghost, which nobody runs.
    const first = await fleetStatusJson(file, 2000);
    assert.equal(first.out.code, 1, "a robot is unreachable: exit code 1");
    assert.match(first.out.stderr, /1 of 4 robots unreachable/);
    assert.deepEqual(first.json.robots.map((r) => r.robot), [...ROBOTS, "ghost"]);
    for (const robot of ROBOTS) {
      assert.equal(first.of(robot).reachable, true, robot);
      assert.match(first.of(robot).version!, /^\d+\.\d+\.\d+/);
      assert.equal(first.of(robot).running, 2);
      assert.equal(first.of(robot).failed, 0);
    }
    assert.equal(first.of("ghost").reachable, false);
    assert.match(first.of("ghost").lastError!, /no reply within 2000 ms/);

    // A paused robot: its TCP connection is accepted by the kernel, nothing answers.
    const table = await (async () => {
      gamma.child.kill("SIGSTOP");
      try {
        const paused = await fleetStatusJson(file, 1500);
        assert.equal(paused.of("gamma").reachable, false);
        assert.equal(paused.of("alpha").reachable, true, "the paused robot stalls no other");
        assert.equal(paused.of("beta").reachable, true);
        // All asked at once: the two silent robots cost one timeout, not two (plus start-up).
        assert.ok(paused.tookMs < 1500 * 2 + 5000, `took ${paused.tookMs} ms`);
        return await zedge(["fleet", "status", file, "--timeout", "1500"]);
      } finally {
        gamma.child.kill("SIGCONT");
      }
    })();
    assert.match(table.stdout, /fleet testfleet · 2\/4 reachable/);
    assert.match(table.stdout, /^gamma\s+NO\s/m);
    assert.match(table.stdout, /^alpha\s+yes\s+\S+\s+2\/2\s+0\s/m);

    // beta's planner cannot start again: with no failure allowed, gamma is never tried.
    await Deno.writeTextFile(join(dir, "broken-beta"), "");
    const strict = await zedge([
      "fleet",
      "restart",
      "planner",
      "--robots",
      "alpha,beta,gamma",
      "--batch",
      "1",
      "--max-fail",
      "0",
      "-c",
      file,
    ]);
    assert.equal(strict.code, 1, strict.stderr);
    assert.match(strict.stdout, /^alpha: restarted planner: running again after [\d.]+ s$/m);
    assert.match(strict.stdout, /^beta: FAILED to restart planner: .*calibration missing/m);
    assert.match(strict.stdout, /^gamma: skipped planner: not tried/m);
    assert.match(strict.stdout, /1 restarted, 1 failed, 1 skipped/);
    assert.equal(await restartsOf(file, "alpha"), 1);
    assert.equal(await restartsOf(file, "gamma"), 0, "gamma was left alone");

    // With half of the robots allowed to fail, the restart carries on past beta.
    const lenient = await zedge([
      "fleet",
      "restart",
      "planner",
      "--robots",
      "beta,gamma",
      "--max-fail",
      "50%",
      file,
    ]);
    assert.match(lenient.stdout, /^beta: FAILED to restart planner/m);
    assert.match(lenient.stdout, /^gamma: restarted planner/m);
    assert.equal(await restartsOf(file, "gamma"), 1);

    // The failed component shows in the fleet's status.
    const after = await fleetStatusJson(file, 2000);
    assert.equal(after.of("beta").failed, 1);
    assert.match(after.of("beta").lastError!, /^planner: .*calibration missing/);

    // A scene script addressing robots by name: their task servers (bound on *) over CURVE.
    await Deno.writeTextFile(
      join(dir, "scene.yaml"),
      "greetings:\n  all at once:\n    test(remote = alpha):\n      echo: hello alpha\n" +
        "    test(remote = gamma):\n      echo: hello gamma\n",
    );
    const script = await zedge(["fleet", "run-script", join(dir, "scene.yaml"), file, "--yes"]);
    assert.equal(script.code, 0, script.stdout + script.stderr);
    assert.match(script.stdout, /hello alpha/);
    assert.match(script.stdout, /hello gamma/);
    assert.match(
      script.stdout,
      /SCRIPT FINISHED: 1 scene\(s\) run, 2 task\(s\) triggered, 2 completed/,
    );
    await Deno.writeTextFile(
      join(dir, "ghost.yaml"),
      "haunt:\n  boo:\n    test(remote = ghost):\n      echo: boo\n",
    );
    const haunted = await zedge([
      "fleet",
      "run-script",
      join(dir, "ghost.yaml"),
      file,
      "--yes",
      "--timeout",
      "1000",
    ]);
    assert.equal(haunted.code, 1);
    assert.match(
      haunted.stderr,
      /fleet\.yaml: robot ghost: no robot supervisor answers at .*no reply within 1000 ms/,
    );

    // The fleet view: one /metrics with a robot label, loopback only.
    const refused = await zedge(["fleet", "serve", file, "--listen", "0.0.0.0:0"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /loopback only/);
    const port = viewPort;
    view = spawn(
      Deno.execPath(),
      zedgeArgs("fleet", "serve", file, "--listen", `127.0.0.1:${port}`, "--timeout", "1500"),
    );
    await view.waitFor(/4 robots at http:\/\/127\.0\.0\.1:\d+\//, 30_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^zedge_fleet_robot_up\{robot="alpha"\} 1$/m);
    assert.match(metrics, /^zedge_fleet_robot_up\{robot="ghost"\} 0$/m);
    assert.match(metrics, /\{robot="beta",[^}]*component="planner"/);
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(page, /fleet testfleet · 3\/4 reachable/);
    const json = await (await fetch(`http://127.0.0.1:${port}/status.json`)).json();
    assert.equal(json.robots.length, 4);
    // Without a login, a Host that is a name is refused (DNS rebinding), as on a robot's page.
    assert.match(await rawGet(port, "evil.example"), /^HTTP\/1\.1 403/);
    assert.match(await rawGet(port, `127.0.0.1:${port}`), /^HTTP\/1\.1 200/);

    // With a login it may listen beyond loopback; nothing is served without the token.
    await Deno.writeTextFile(join(dir, "token"), "s3cret\n", { mode: 0o600 });
    const loginPort = freeTcpPort();
    guarded = spawn(
      Deno.execPath(),
      zedgeArgs(
        "fleet",
        "serve",
        file,
        "--listen",
        `0.0.0.0:${loginPort}`,
        "--token-file",
        join(dir, "token"),
      ),
    );
    await guarded.waitFor(/4 robots at http:\/\/0\.0\.0\.0:\d+\//, 30_000);
    const anonymous = await fetch(`http://127.0.0.1:${loginPort}/metrics`);
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 401);
    const withToken = await fetch(`http://127.0.0.1:${loginPort}/metrics`, {
      headers: { authorization: "Bearer s3cret" },
    });
    assert.match(await withToken.text(), /^zedge_fleet_robot_up\{robot="alpha"\} 1$/m);
  } finally {
    if (guarded !== undefined) assert.equal((await guarded.stop()).code, 0, guarded.stderr());
    if (view !== undefined) {
      assert.equal((await view.stop()).code, 0, view.stderr());
      await assert.rejects(fetch(`http://127.0.0.1:${viewPort}/`), "the view's port is closed");
    }
    for (const robot of robots) {
      const exit = await robot.stop();
      assert.equal(exit.code, 0, robot.stderr());
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zedge fleet: a mistake in fleet.yaml is one line naming file, line and field", async () => {
  const dir = await tempDir("zedge-fleet-");
  try {
    const file = join(dir, "fleet.yaml");
    await Deno.writeTextFile(
      file,
      "fleet: lab\nrobots:\n  arm-bot: { control: tcp://10.0.0.12, serverKey: arm.pub }\n",
    );
    const bad = await zedge(["fleet", "status", "-c", file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`${file}:3: robots\\.arm-bot\\.control: `));
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");

    await Deno.writeTextFile(
      file,
      "fleet: lab\nrobots:\n  arm-bot: { control: tcp://10.0.0.12:7700, serverKey: arm.pub }\n",
    );
    const noOperator = await zedge(["fleet", "status", file]);
    assert.equal(noOperator.code, 2);
    assert.match(
      noOperator.stderr,
      /fleet\.yaml:3: robots\.arm-bot: has a serverKey but .*operator/,
    );

    const schema = await zedge(["schema", "fleet"]);
    assert.equal(JSON.parse(schema.stdout).title, "zedge fleet");
    assert.deepEqual(JSON.parse(schema.stdout).required, ["fleet", "robots"]);

    const missing = await zedge(["fleet", "status", join(dir, "nope.yaml")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.yaml: no such fleet file/);

    await Deno.writeTextFile(
      file,
      "fleet: lab\nrobots:\n  arm-bot: { control: tcp://127.0.0.1:1 }\n",
    );
    const budget = await zedge(["fleet", "restart", "planner", file, "--all", "--batch", "x"]);
    assert.equal(budget.code, 2);
    assert.match(budget.stderr, /--batch must be N or P% \(got 'x'\)/);
    const which = await zedge(["fleet", "restart", "planner", file]);
    assert.equal(which.code, 2);
    assert.match(which.stderr, /which robots\? give --robots a,b or --all/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
