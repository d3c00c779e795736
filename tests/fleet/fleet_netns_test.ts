// `zedge fleet status` across real hosts: three robots, each in its own
// network namespace on one bridge (tests/fleet/netns.ts and faults.ts, from
// the fleet simulator), each bound on its
// own address at the same port with its own CURVE key. A robot cut off
// silently (packets dropped) or whose link is down shows as unreachable
// within the timeout while the others answer, and answers again once
// healed; a scene script reaches every robot's task server (bound on `*`
// in its namespace) over CURVE, and a rolling restart goes across them;
// afterwards no namespace or link of the network is left.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoPath, robotDir, waitFor } from "../robot/helpers.ts";
import { zedge, zedgeArgs } from "../tasks/processes.ts";
import { cut, down, heal } from "./faults.ts";
import { createNetwork, networkUnavailable, run } from "./netns.ts";

const CONTROL_PORT = 7700;
const decoder = new TextDecoder();

interface StatusJson {
  robots: { robot: string; reachable: boolean; running: number }[];
}

async function fleetStatus(file: string, timeoutMs: number) {
  const started = performance.now();
  const out = await zedge(["fleet", "status", file, "--json", "--timeout", String(timeoutMs)]);
  const json = JSON.parse(out.stdout) as StatusJson;
  return {
    tookMs: performance.now() - started,
    reachable: Object.fromEntries(json.robots.map((r) => [r.robot, r.reachable])),
  };
}

Deno.test("zedge fleet across network namespaces: a cut-off or downed robot is unreachable in one timeout and back once healed; run-script and restart reach every host", async () => {
  const why = await networkUnavailable();
  if (why !== undefined) throw new Error(why);
  const network = await createNetwork(3);
  const names = network.hosts.map((h) => `bot${h.index}`);
  const files: Record<string, string> = {
    "idle.ts":
      `export default async function main(ctx) { await new Promise((r) => ctx.signal.addEventListener("abort", r)); }\n`,
  };
  for (const host of network.hosts) {
    files[`bot${host.index}/robot.yaml`] = `robot: bot${host.index}
security:
  curve: { secretKey: ../keys/bot${host.index}.key, operators: [../keys/operators/] }
control: tcp://${host.address}:${CONTROL_PORT}
components:
  idle: { kind: node, module: ../idle.ts }
  tasks:
    kind: task-server
    bind: "tcp://*:7779"
    scopes: { /test: test }
    security:
      curve: { secretKey: ../keys/bot${host.index}-tasks.key, allow: [../keys/operators/] }
`;
  }
  const dir = await robotDir(files);
  const robots: { child: Deno.ChildProcess; output: () => string; read: Promise<void> }[] = [];
  try {
    const keys = join(dir, "keys");
    await Deno.mkdir(join(keys, "operators"), { recursive: true });
    for (const name of [...names, ...names.map((n) => `${n}-tasks`), "operator"]) {
      assert.equal((await zedge(["keys", "generate", join(keys, name)])).code, 0);
    }
    await Deno.copyFile(join(keys, "operator.pub"), join(keys, "operators", "operator.pub"));
    const file = join(dir, "fleet.yaml");
    await Deno.writeTextFile(
      file,
      `fleet: namespaces\noperator: { secretKey: keys/operator.key }\nrobots:\n` +
        network.hosts.map((h) =>
          `  bot${h.index}: { control: "tcp://${h.address}:${CONTROL_PORT}", serverKey: keys/bot${h.index}.pub }\n`
        ).join(""),
    );
    for (const host of network.hosts) {
      const child = network.spawn(
        host,
        [
          Deno.execPath(),
          ...zedgeArgs("robot", "run", join(dir, `bot${host.index}`, "robot.yaml")),
        ],
        { cwd: repoPath(""), env: { NO_COLOR: "1" } },
      );
      let text = "";
      const collect = (stream: ReadableStream<Uint8Array>) =>
        stream.pipeTo(new WritableStream({ write: (c) => void (text += decoder.decode(c)) }))
          .catch(() => {});
      const read = Promise.all([collect(child.stdout), collect(child.stderr)]).then(() => {});
      robots.push({ child, output: () => text, read });
    }
    for (const robot of robots) {
      await waitFor(
        () => /components running \(ready in \d+ ms\)/.test(robot.output()),
        "a robot in its namespace to be ready",
        60_000,
      );
    }

    // Each robot answers on its own address, the same port on every host.
    const all = await fleetStatus(file, 3000);
    assert.deepEqual(all.reachable, { bot0: true, bot1: true, bot2: true });

    // Silently cut off: its packets are dropped, nothing says no.
    await cut(network, network.hosts[1]);
    const silent = await fleetStatus(file, 1500);
    assert.deepEqual(silent.reachable, { bot0: true, bot1: false, bot2: true });
    assert.ok(silent.tookMs < 1500 + 5000, `took ${silent.tookMs} ms`);
    // A link down as well (the loud variant) on another robot: two silent, one timeout.
    await down(network, network.hosts[2]);
    const two = await fleetStatus(file, 1500);
    assert.deepEqual(two.reachable, { bot0: true, bot1: false, bot2: false });
    assert.ok(two.tookMs < 1500 + 5000, `took ${two.tookMs} ms`);

    // Healed: the next status sees them; nothing on the operator's side to reset.
    await heal(network, network.hosts[1]);
    await heal(network, network.hosts[2]);
    const healed = await fleetStatus(file, 3000);
    assert.deepEqual(healed.reachable, { bot0: true, bot1: true, bot2: true });

    // A scene step to every robot at once: each robot's task server, bound on * in its own
    // namespace, reached at its own address over CURVE.
    await Deno.writeTextFile(
      join(dir, "scene.yaml"),
      "roll call:\n  everyone:\n" +
        names.map((n) => `    test(remote = ${n}):\n      echo: here ${n}\n`).join(""),
    );
    const script = await zedge(["fleet", "run-script", join(dir, "scene.yaml"), file, "--yes"]);
    assert.equal(script.code, 0, script.stdout + script.stderr);
    assert.match(
      script.stdout,
      /SCRIPT FINISHED: 1 scene\(s\) run, 3 task\(s\) triggered, 3 completed/,
    );

    // A rolling restart across the hosts, two at a time.
    const restart = await zedge(["fleet", "restart", "idle", "--all", "--batch", "2", file]);
    assert.equal(restart.code, 0, restart.stdout + restart.stderr);
    assert.match(restart.stdout, /3 restarted, 0 failed, 0 skipped/);
  } finally {
    for (const robot of robots) {
      try {
        robot.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    const exits = await Promise.all(robots.map((r) => r.child.status));
    await Promise.all(robots.map((r) => r.read));
    const outputs = robots.map((r) => r.output());
    await network.remove();
    await Deno.remove(dir, { recursive: true });
    for (const [i, exit] of exits.entries()) assert.equal(exit.code, 0, outputs[i]);
    const left = await run(["ip", "-o", "link", "show"]) + await run(["ip", "netns", "list"]);
    assert.doesNotMatch(left, new RegExp(`${network.name}-`), "every link and namespace removed");
  }
});
