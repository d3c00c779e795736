/**
 * An endpoint another program holds: the component fails at once (no
 * retries with backoff) with a line naming the endpoint and the program,
 * unless its `restart` says `always`; nothing keeps spinning, and once the
 * program lets go the component binds it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { endpointHolder, explainHeld, heldEndpoint } from "../../robot/endpoint_holder.ts";
import { PYTHON } from "../tasks/helpers.ts";
import { spawn } from "../tasks/processes.ts";
import {
  componentOf,
  freeTcpPort,
  robotDir,
  robotYaml,
  startRobot,
  waitFor,
  waitForState,
  ZEDGE,
} from "./helpers.ts";
import { tempDir } from "../core/helpers.ts";

const BINDER = `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const push = new Push();
  await push.bind(ctx.endpoints.out);
  ctx.signal.addEventListener("abort", () => push.close());
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;

/** Holds TCP ports (argv) until killed. */
const HOLDER = `
import socket, sys, time
held = []
for port in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", int(port)))
    s.listen()
    held.append(s)
print("LISTENING", flush=True)
time.sleep(600)
`;

/** CPU seconds this process used (user + system), from /proc/self/stat. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

Deno.test("an endpoint another program holds: failed at once naming it and the program, not restarted unless restart: always", async () => {
  const [port, always] = [freeTcpPort(), freeTcpPort()];
  const holder = spawn(PYTHON, ["-c", HOLDER, String(port), String(always)]);
  await holder.waitFor(/LISTENING/);
  const dir = await robotDir({
    "binder.ts": BINDER,
    "robot.yaml": robotYaml(
      `  held: { kind: node, module: ./binder.ts, bind: { out: "tcp://127.0.0.1:${port}" } }\n` +
        `  keeps: { kind: node, module: ./binder.ts, restart: always, bind: { out: "tcp://127.0.0.1:${always}" } }\n`,
    ),
  });
  // Quick retries for the one that keeps trying.
  const supervisor = await startRobot(dir, { backoffInitialMs: 50, backoffMaxMs: 100 });
  let holderGone = false;
  try {
    // At once: its first try fails it (before, retries with backoff went on for 16 s).
    const held = await waitForState(supervisor, "held", "failed", () => true, 3000);
    assert.equal(held.restarts, 0);
    const [first] = held.lastError!.split("\n");
    assert.equal(
      first.replace(/ \(at .*\)$/, ""),
      `cannot bind tcp://127.0.0.1:${port}: held by python3 (pid ${holder.child.pid})`,
    );
    assert.ok(first.endsWith(`(at ${join(dir, "binder.ts")}:4:14)`), first);

    // restart: always keeps trying, as it says.
    await waitForState(supervisor, "keeps", "backoff", (c) => c.restarts >= 2);
    assert.match(componentOf(supervisor, "keeps").lastError!, /held by python3/);
    await supervisor.stopComponent("keeps");

    // Nothing keeps running for the failed one: this process idles.
    const before = cpuSeconds();
    const at = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuSeconds() - before;
    assert.ok(used < 0.3 * (performance.now() - at) / 1000, `${used} s of CPU in 1 s`);
    assert.equal(componentOf(supervisor, "held").restarts, 0);

    // Once the program lets go, the component binds its port.
    holder.child.kill("SIGKILL");
    await holder.status;
    holderGone = true;
    await waitFor(() => endpointHolder(`tcp://127.0.0.1:${port}`) === null, "the port free");
    await supervisor.startComponent("held");
    await waitForState(supervisor, "held", "running");
    await waitFor(
      () =>
        /^this robot's host process \(pid \d+\)$/.test(
          endpointHolder(`tcp://127.0.0.1:${port}`) ?? "",
        ),
      "the robot to hold the port",
    );
  } finally {
    await supervisor.shutdown();
    if (!holderGone) {
      holder.child.kill("SIGKILL");
      await holder.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
  // Stopped: the port is free again.
  assert.equal(endpointHolder(`tcp://127.0.0.1:${port}`), null);
});

Deno.test("explainHeld keeps the component's place and stack; heldEndpoint reads zedge's EADDRINUSE", () => {
  const report = "ZmqError: cannot bind 'tcp://127.0.0.1:1': address in use (at /opt/n.ts:4:13)\n" +
    "    at main (/opt/n.ts:4:13)";
  assert.equal(
    explainHeld("tcp://127.0.0.1:1", report, () => "nginx (pid 7)"),
    "cannot bind tcp://127.0.0.1:1: held by nginx (pid 7) (at /opt/n.ts:4:13)\n    at main (/opt/n.ts:4:13)",
  );
  assert.equal(
    explainHeld("tcp://127.0.0.1:1", report, () => null).split("\n")[0],
    "cannot bind tcp://127.0.0.1:1: address in use (at /opt/n.ts:4:13)",
  );
  const inUse = Object.assign(new Error("cannot bind 'ipc:///run/x.sock': address in use"), {
    code: "EADDRINUSE",
  });
  assert.equal(heldEndpoint(inUse), "ipc:///run/x.sock");
  assert.equal(heldEndpoint(new Error("cannot bind 'tcp://a:1': address in use")), null);
});

Deno.test("endpointHolder names the program listening on an ipc:// path", async () => {
  const dir = await tempDir("zedge-held-");
  const path = join(dir, "arm.sock");
  const holder = spawn(PYTHON, [
    "-c",
    `import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen()
print("LISTENING", flush=True)
time.sleep(600)`,
    path,
  ]);
  try {
    await holder.waitFor(/LISTENING/);
    assert.equal(endpointHolder(`ipc://${path}`), `python3 (pid ${holder.child.pid})`);
    assert.equal(endpointHolder(`ipc://${join(dir, "other.sock")}`), null);
  } finally {
    holder.child.kill("SIGKILL");
    await holder.status;
    await Deno.remove(dir, { recursive: true });
  }
});
