/**
 * A real robot (`zedge robot run`, with the flags its unit gives it) run
 * against a `NOTIFY_SOCKET` this test listens on with a Unix datagram socket,
 * as systemd does for a `Type=notify` service with `WatchdogSec=`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawn, zedge } from "../tasks/processes.ts";
import { PYTHON } from "../tasks/helpers.ts";
import { repoPath, robotDir, robotYaml, waitFor } from "./helpers.ts";

const WAIT_FOR_STOP =
  `export default (ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));\n`;

/** Binds a Unix datagram socket at argv[1] and prints each datagram as one JSON line. */
const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
while True:
    data = s.recv(4096)
    print(json.dumps(data.decode()), flush=True)
`;

Deno.test("systemd: READY=1 once every component runs, STATUS= counts, WATCHDOG=1 at half WatchdogSec, STOPPING=1", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      "  a: { kind: node, module: ./wait.ts }\n  b: { kind: node, module: ./wait.ts }\n",
      "control: ipc://CONTROL\n",
    ),
    "wait.ts": WAIT_FOR_STOP,
  });
  await Deno.mkdir(join(dir, "zedge"));
  const file = join(dir, "robot.yaml");
  const yaml = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, yaml.replace("CONTROL", join(dir, "zedge", "test-bot.sock")));
  const socket = join(dir, "notify.sock");
  const listener = spawn(PYTHON, ["-c", LISTENER, socket]);
  await listener.waitFor(/LISTENING/);
  const datagrams = () =>
    listener.stdout().split("\n").filter((l) => l.startsWith('"')).map((l) =>
      JSON.parse(l) as string
    );
  // Flags as the unit's: --unstable-net is what lets Deno send datagrams.
  const robot = spawn(
    Deno.execPath(),
    ["run", "-A", "--unstable-net", "--unstable-worker-options", repoPath("cli/main.ts")]
      .concat(["robot", "run", file]),
    "piped",
    { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "400000" },
  );
  try {
    await robot.waitFor(/components running \(ready in \d+ ms\)/, 60_000);
    await waitFor(() => datagrams().some((d) => d.includes("READY=1")), "READY=1", 10_000);
    const ready = datagrams().find((d) => d.includes("READY=1"))!;
    assert.match(ready, /^STATUS=2 components: 2 running$/m, ready);
    assert.match(ready, new RegExp(`^MAINPID=${robot.child.pid}$`, "m"));
    // Half of 400 ms: five within about a second, from the supervisor's event loop.
    const watchdogs = () => datagrams().filter((d) => d === "WATCHDOG=1").length;
    const readyAt = performance.now();
    await waitFor(() => watchdogs() >= 5, "five WATCHDOG=1", 10_000);
    assert.ok(performance.now() - readyAt >= 4 * 150, "not faster than every 200 ms");
    // The sending socket's name is removed once bound.
    const names = [...Deno.readDirSync(join(dir, "zedge"))].map((e) => e.name);
    assert.ok(!names.some((n) => n.endsWith(".notify")), names.join(", "));
    const status = await robot.stop();
    assert.equal(status.code, 0, robot.stderr());
    const stopping = datagrams().findIndex((d) => d.includes("STOPPING=1"));
    assert.ok(stopping > 0, datagrams().join(" | "));
    // Nothing after STOPPING=1: the watchdog timer ended with it.
    assert.deepEqual(datagrams().slice(stopping + 1), []);
    assert.equal(robot.stderr().includes("cannot notify systemd"), false, robot.stderr());
  } finally {
    await robot.stop().catch(() => {});
    listener.child.kill("SIGKILL");
    await listener.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("systemd: STATUS= follows a component that fails after READY=1", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      "  a: { kind: node, module: ./wait.ts }\n  late: { kind: node, module: ./late.ts, restart: never }\n",
      "control: ipc://CONTROL\n",
    ),
    "wait.ts": WAIT_FOR_STOP,
    "late.ts": `export default async function main(ctx) {
  await new Promise((r) => setTimeout(r, 300));
  throw new Error("gave up");
}\n`,
  });
  await Deno.mkdir(join(dir, "zedge"));
  const file = join(dir, "robot.yaml");
  const yaml = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, yaml.replace("CONTROL", join(dir, "zedge", "test-bot.sock")));
  const socket = join(dir, "notify.sock");
  const listener = spawn(PYTHON, ["-c", LISTENER, socket]);
  await listener.waitFor(/LISTENING/);
  const datagrams = () =>
    listener.stdout().split("\n").filter((l) => l.startsWith('"')).map((l) =>
      JSON.parse(l) as string
    );
  const robot = spawn(
    Deno.execPath(),
    ["run", "-A", "--unstable-net", "--unstable-worker-options", repoPath("cli/main.ts")]
      .concat(["robot", "run", file]),
    "piped",
    { NOTIFY_SOCKET: socket },
  );
  try {
    await waitFor(
      () => datagrams().includes("STATUS=2 components: 1 running, 1 failed"),
      `STATUS= with the failure (got ${datagrams().join(" | ")})`,
      20_000,
    );
    // No WATCHDOG_USEC: no watchdog pings.
    assert.ok(!datagrams().includes("WATCHDOG=1"));
    assert.equal((await robot.stop()).code, 0, robot.stderr());
  } finally {
    await robot.stop().catch(() => {});
    listener.child.kill("SIGKILL");
    await listener.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("systemd: the unit's own ExecStart (exact permission flags) notifies /run/systemd/notify", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml("  a: { kind: node, module: ./wait.ts }\n"),
    "wait.ts": WAIT_FOR_STOP,
  });
  const file = join(dir, "robot.yaml");
  const unit = await zedge(["robot", "systemd", file, "-o", "-"]);
  assert.equal(unit.code, 0, unit.stderr);
  const exec = unit.stdout.split("\n").find((l) => l.startsWith("ExecStart="))!;
  const words = exec.slice("ExecStart=".length).split(" ");
  assert.ok(words.every((w) => !w.startsWith('"')), "plain words: split on spaces");
  assert.ok(!words.includes("-A"));
  // systemd's places, in a mount namespace of their own: a fresh /run holds the notify socket
  // the test listens on and the unit's runtime directory /run/zedge.
  const script = `mount -t tmpfs tmpfs /run && mkdir -p /run/systemd /run/zedge &&
${PYTHON} -c "$LISTENER" /run/systemd/notify &
listener=$!
i=0; while [ ! -S /run/systemd/notify ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done
NOTIFY_SOCKET=/run/systemd/notify WATCHDOG_USEC=400000 "$@" &
robot=$!
trap 'kill -TERM $robot; wait $robot; echo "EXIT $?"; kill $listener; wait $listener' TERM
wait $robot`;
  const run = spawn(
    "unshare",
    [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sh",
      ...words,
    ],
    "piped",
    { LISTENER },
  );
  try {
    await run.waitFor(/"WATCHDOG=1"[\s\S]*"WATCHDOG=1"/, 60_000);
    assert.match(run.stdout(), /"READY=1\\nSTATUS=1 components: 1 running\\nMAINPID=\d+"/);
    assert.doesNotMatch(run.stderr(), /cannot notify systemd/, run.stderr());
  } finally {
    run.child.kill("SIGTERM");
    await run.status;
    await Deno.remove(dir, { recursive: true });
  }
  assert.match(run.stdout(), /"STOPPING=1\\nSTATUS=stopping"/, run.stdout() + run.stderr());
  assert.match(run.stdout(), /EXIT 0/, run.stderr());
});
