/**
 * A component can always be stopped (issue 18): with `isolation: process`
 * (or `limits`) a busy loop, a deadlock, a leak and `Deno.exit` cost only
 * that component's host process, which the supervisor SIGKILLs; its CPU,
 * memory and port are returned, and the rest of the robot carries on.
 * Checked from /proc and by binding the port again, not only by states.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { controlRequest, type RobotStatus } from "../../robot/control.ts";
import { hostEndReasons, hostSocketDir } from "../../robot/supervision/host_process.ts";
import { loadRobotConfig } from "../../robot/config.ts";
import { Supervisor } from "../../robot/supervisor.ts";
import { Dealer } from "../../mod.ts";
import { decodeServiceReply, encodeServiceRequest } from "../../robot/dataflow/codec.ts";
import { CALL_RELAY_HOLD_MS } from "../../robot/dataflow/dataflow_spec.ts";
import { loadPipelineConfig } from "../../core/pipeline/config.ts";
import { collectorFromConfig, distributorFromConfig } from "../../core/pipeline/roles.ts";
import {
  CALM,
  componentOf,
  frameLeakRobot,
  freeTcpPort,
  loopbackPipelineEndpoints,
  robotDir,
  robotYaml,
  spawnRobot,
  startRobot,
  waitFor,
  waitForState,
} from "./helpers.ts";

/** The robot's status over its control endpoint. */
async function statusOf(control: string): Promise<RobotStatus> {
  const reply = await controlRequest(control, { op: "status" });
  assert.ok(reply.ok && "status" in reply, JSON.stringify(reply));
  return reply.status;
}

/** Each process's parent, from /proc. */
function parents(): Map<number, number> {
  const parent = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      parent.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return parent;
}

/** A process and all its descendants. */
function tree(root: number): number[] {
  const parent = parents();
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === found[i]) found.push(pid);
  }
  return found;
}

/** CPU time of a process tree, in clock ticks. */
function treeTicks(root: number): number {
  return tree(root).reduce((sum, pid) => sum + (cpuTicks(pid) ?? 0), 0);
}

/** CPU of a process tree over the next second, in clock ticks per second (100 = one core). */
async function treeTicksPerSecond(root: number): Promise<number> {
  const before = treeTicks(root);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 1000)); // a window to measure CPU over, not a wait
  return (treeTicks(root) - before) / ((performance.now() - t0) / 1000);
}

/** Host processes (running host_main.ts) under `root`; with `names`, only those components' own. */
function hostsUnder(root: number, names?: string[]): number[] {
  return tree(root).filter((pid) => {
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      return cmdline.includes("host_main.ts") &&
        (names === undefined || names.some((n) => cmdline.includes(`/${n}.sock`)));
    } catch {
      return false;
    }
  });
}

/** Host processes of this test (children running host_main.ts), by pid. */
function hostPids(names?: string[]): number[] {
  return hostsUnder(Deno.pid, names).filter((pid) => parents().get(pid) === Deno.pid);
}

/** CPU time (user + system, clock ticks) of a process, or null once it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("a busy loop, a deadlock, a leak and Deno.exit in host processes cost only their component", async () => {
  const port = await freeTcpPort();
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  spin: { kind: node, module: ./spin.ts, isolation: process, heartbeatTimeoutMs: 1000, restart: never, bind: "tcp://127.0.0.1:${port}" }
  lock: { kind: node, module: ./lock.ts, isolation: process, heartbeatTimeoutMs: 1000, restart: never }
  leak: { kind: node, module: ./leak.ts, limits: { memoryMb: 64 }, restart: never }
  quit: { kind: node, module: ./quit.ts, isolation: process, restart: never }
  calm: { kind: node, module: ./calm.ts }
`,
    ),
    "spin.ts": `export default async function main() {
  Deno.listen({ hostname: "127.0.0.1", port: ${port} });
  await new Promise((r) => setTimeout(r, 300));
  while (true) { /* a busy loop */ }
}\n`,
    "lock.ts": `export default async function main() {
  await new Promise((r) => setTimeout(r, 300));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}\n`,
    "leak.ts": `export default async function main() {
  const kept = [];
  while (true) {
    kept.push(new Array(100_000).fill(kept.length));
    await null;
  }
}\n`,
    "quit.ts": `export default async function main() {
  await new Promise((r) => setTimeout(r, 300));
  Deno.exit(3);
}\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir);
  try {
    const isolated = ["spin", "lock", "leak", "quit"];
    const started = hostPids(isolated);
    assert.ok(started.length >= 1, "the isolated components run in host processes");
    const spin = await waitForState(supervisor, "spin", "failed");
    assert.match(spin.lastError ?? "", /silent for \d+ ms/);
    const lock = await waitForState(supervisor, "lock", "failed");
    assert.match(lock.lastError ?? "", /silent for \d+ ms/);
    const leak = await waitForState(supervisor, "leak", "failed");
    assert.equal(leak.lastError, "out of memory (64 MB)");
    const quit = await waitForState(supervisor, "quit", "failed");
    assert.match(quit.lastError ?? "", /3/);
    // Everything the failed components held is back: no host runs, its port binds again.
    await waitFor(
      () => hostPids(isolated).length === 0 && started.every((pid) => cpuTicks(pid) === null),
      "every host process to be gone (reaped: no CPU time, no memory left)",
    );
    assert.ok(portFree(port), "the busy loop's port is free");
    // The supervisor carried on, and so did the component in its own process.
    const calm = componentOf(supervisor, "calm");
    assert.equal(calm.state, "running");
    assert.equal(calm.restarts, 0);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a limited component is restarted alone, with its reason, and never twice at once", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  leak: { kind: node, module: ./leak.ts, limits: { memoryMb: 48 } }
  calm: { kind: node, module: ./calm.ts, isolation: process }
`,
    ),
    "leak.ts": `export default async function main() {
  const kept = [];
  while (true) {
    kept.push(new Array(100_000).fill(kept.length));
    await null;
  }
}\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  try {
    await waitFor(() => componentOf(supervisor, "leak").restarts >= 2, "leak to restart twice");
    assert.equal(componentOf(supervisor, "leak").lastError, "out of memory (48 MB)");
    // One host for calm, at most one for leak: a replacement never runs beside its old copy.
    assert.ok(hostPids(["leak"]).length <= 1, `leak's hosts: ${hostPids(["leak"]).length}`);
    const calm = componentOf(supervisor, "calm");
    assert.equal(calm.state, "running");
    assert.equal(calm.restarts, 0);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("limits.memoryMb bounds memory outside the heap too: an ArrayBuffer leak ends its host alone", async () => {
  // Camera frames kept by mistake: 4 MB each, outside V8's heap (its bound never sees them).
  const dir = await robotDir(frameLeakRobot());
  const supervisor = await startRobot(dir);
  try {
    await waitFor(() => hostPids(["frames"]).length === 1, "frames' host process");
    const [host] = hostPids(["frames"]);
    const frames = await waitForState(supervisor, "frames", "failed");
    const resident = /^out of memory \(64 MB, (\d+) MB resident\)$/.exec(frames.lastError ?? "");
    assert.ok(resident !== null, frames.lastError ?? "no reason");
    // Ended near its bound (an idle host, 64 MB and its runtime's allowance), not at the machine's.
    assert.ok(Number(resident[1]) < 400, `killed at ${resident[1]} MB resident`);
    await waitFor(() => cpuTicks(host) === null, "its host to be reaped (its memory returned)");
    const calm = componentOf(supervisor, "calm");
    assert.deepEqual([calm.state, calm.restarts], ["running", 0]);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a busy loop in a host: the robot process answers throughout, then its tree idles", async () => {
  const port = await freeTcpPort();
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  spin: { kind: node, module: ./spin.ts, isolation: process, heartbeatTimeoutMs: 2000, restart: never, bind: "tcp://127.0.0.1:${port}" }
  calm: { kind: node, module: ./calm.ts }
`,
    ),
    "spin.ts": `export default async function main() {
  Deno.listen({ hostname: "127.0.0.1", port: ${port} });
  await new Promise((r) => setTimeout(r, 200));
  while (true) { /* a busy loop */ }
}\n`,
    "calm.ts": CALM,
  });
  const control = `ipc://${dir}/zedge/test-bot.sock`;
  const robot = await spawnRobot(join(dir, "robot.yaml"), "--control", control);
  try {
    const pid = robot.child.pid;
    // While the host spins a core, the supervisor answers at once, and says spin still runs.
    await waitFor(() => hostsUnder(pid, ["spin"]).length === 1, "spin's host process");
    const asked = performance.now();
    const during = await statusOf(control);
    assert.ok(performance.now() - asked < 1000, "status answered within a second");
    assert.ok(during.components.some((c) => c.name === "spin"));
    await robot.waitFor(/spin crashed: silent for \d+ ms/, 20_000);
    // Its host is gone: the robot's tree no longer burns a core (under 0.3 of one over a second).
    await waitFor(() => hostsUnder(pid, ["spin"]).length === 0, "spin's host to be gone");
    const ticksPerSecond = await treeTicksPerSecond(pid);
    assert.ok(
      ticksPerSecond < 30,
      `the robot's tree used ${ticksPerSecond} ticks/s after the kill`,
    );
    assert.ok(portFree(port), "the busy loop's port is free");
    const after = await statusOf(control);
    assert.equal(after.components.find((c) => c.name === "calm")?.state, "running");
    assert.equal(after.components.find((c) => c.name === "spin")?.state, "failed");
  } finally {
    const status = await robot.stop();
    assert.equal(status.code, 0, robot.stderr());
  }
});

Deno.test("a busy loop in the shared host: the host is killed, its siblings come back, the tree idles", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  spin: { kind: node, module: ./spin.ts, heartbeatTimeoutMs: 1000, restart: never }
  calm: { kind: node, module: ./calm.ts }
`,
    ),
    "spin.ts": `export default async function main() {
  await new Promise((r) => setTimeout(r, 300));
  while (true) { /* a busy loop */ }
}\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  try {
    const [shared] = hostPids();
    assert.ok(shared !== undefined, "the components run in the shared host");
    const spin = await waitForState(supervisor, "spin", "failed");
    assert.match(spin.lastError ?? "", /silent for \d+ ms/);
    // Its sibling was stopped with the host, and told why, then came back in a new one.
    const calm = await waitForState(supervisor, "calm", "running", (c) => c.restarts === 1);
    assert.match(calm.lastError ?? "", /its host process was killed: spin was silent/);
    await waitFor(() => cpuTicks(shared) === null, "the old shared host to be reaped");
    const [now] = hostPids();
    assert.ok(now !== undefined && now !== shared, "calm runs in a new shared host");
    const perSecond = await treeTicksPerSecond(now);
    assert.ok(perSecond < 30, `the new host used ${perSecond} ticks/s`);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a component stalled while a sibling in its host still loads is not killed for it", async () => {
  // Loading stalls every thread of a host on a slow robot (under qemu-user the example robot's
  // shared host was killed at each start): a running component's silence meanwhile is judged
  // with the load timeout; once its siblings run, a stall is a busy loop again.
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  stall: { kind: node, module: ./stall.ts, heartbeatTimeoutMs: 1000 }
  slow: { kind: node, module: ./slow.ts }
`,
    ),
    "stall.ts": `export default async function main(ctx) {
  await new Promise((r) => setTimeout(r, 300));
  const end = Date.now() + 2500;
  while (Date.now() < end) { /* stalled, as a loading sibling stalls it on a slow robot */ }
  await new Promise((r) => setTimeout(r, 100));
  ctx.log.info("stall over");
  while (true) { /* now a busy loop, with every sibling running */ }
}\n`,
    // Loading for 4 s: a module it imports waits at its top level.
    "slow.ts": `import "./wait.ts";\n${CALM}`,
    "wait.ts": `await new Promise((r) => setTimeout(r, 4000));\n`,
  });
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  try {
    const slow = await waitForState(supervisor, "slow", "running");
    assert.equal(slow.restarts, 0);
    // Its 2.5 s stall fell within its sibling's loading: not ended for it.
    const stall = componentOf(supervisor, "stall");
    assert.equal(stall.restarts, 0, `stall was ended: ${stall.lastError}`);
    // The busy loop after it, with nothing loading, is caught at its own timeout.
    const caught = await waitForState(supervisor, "stall", "running", (c) => c.restarts >= 1);
    assert.match(caught.lastError ?? "", /^silent for \d+ ms \(busy loop or deadlock\?\)/);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("hosts paused with SIGSTOP: killed and replaced, said to be stopped, never back after SIGCONT", async () => {
  const port = await freeTcpPort();
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  own: { kind: node, module: ./own.ts, isolation: process, heartbeatTimeoutMs: 1000, bind: "tcp://127.0.0.1:${port}" }
  shared: { kind: node, module: ./calm.ts, heartbeatTimeoutMs: 1000 }
`,
    ),
    // Holds its port while it runs: a second instance beside a stale one could not bind it.
    "own.ts": `export default async function main(ctx) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: ${port} });
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  listener.close();
}\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  const paused: number[] = [];
  try {
    await waitForState(supervisor, "own", "running");
    await waitForState(supervisor, "shared", "running");
    await waitFor(
      () => hostPids(["own"]).length === 1 && hostPids([".shared"]).length === 1,
      "own's host and the shared host",
    );
    paused.push(...hostPids(["own"]), ...hostPids([".shared"]));
    for (const pid of paused) Deno.kill(pid, "SIGSTOP");
    const own = await waitForState(supervisor, "own", "running", (c) => c.restarts === 1);
    assert.match(
      own.lastError ?? "",
      new RegExp(`^silent for \\d+ ms: its host process \\(pid ${paused[0]}\\) is stopped`),
    );
    const shared = await waitForState(supervisor, "shared", "running", (c) => c.restarts === 1);
    assert.match(
      shared.lastError ?? "",
      new RegExp(`its host process \\(pid ${paused[1]}\\) is stopped`),
    );
    // The stopped hosts were killed (reaped: no CPU time left), not left to wake up on SIGCONT
    // beside their replacements.
    await waitFor(() => paused.every((pid) => cpuTicks(pid) === null), "the stopped hosts reaped");
    assert.equal(hostPids(["own"]).length, 1, "one host of own");
    assert.ok(!portFree(port), "own's replacement holds its port");
    assert.deepEqual(
      [componentOf(supervisor, "own").restarts, componentOf(supervisor, "shared").restarts],
      [1, 1],
    );
  } finally {
    // Kills what is left through the supervisor's own handles (a stopped process dies too).
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a host paused while its component loads is killed after the heartbeat timeout, not the load timeout", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      "  slow: { kind: node, module: ./slow.ts, isolation: process, heartbeatTimeoutMs: 1000, restart: never }\n",
    ),
    // Loads for a minute: a slow robot may take that long, so only a stopped host says more.
    "slow.ts": `await new Promise((resolve) => setTimeout(resolve, 60_000));
export default () => new Promise(() => {});\n`,
  });
  const config = await loadRobotConfig(join(dir, "robot.yaml"));
  const supervisor = new Supervisor(config, {
    control: false,
    onLog: () => {},
    loadTimeoutMs: 60_000,
  });
  const started = supervisor.start();
  try {
    await waitFor(() => hostPids(["slow"]).length === 1, "slow's host");
    await waitForState(supervisor, "slow", "starting");
    const [host] = hostPids(["slow"]);
    Deno.kill(host, "SIGSTOP");
    const stoppedAt = performance.now();
    const slow = await waitForState(supervisor, "slow", "failed", () => true, 15_000);
    assert.match(slow.lastError ?? "", new RegExp(`its host process \\(pid ${host}\\) is stopped`));
    const tookMs = performance.now() - stoppedAt;
    assert.ok(tookMs < 5000, `noticed ${Math.round(tookMs)} ms after the stop`);
    await waitFor(() => cpuTicks(host) === null, "the stopped host reaped");
    await started;
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a call through the gateway while its provider's host is paused and replaced does not run late", async () => {
  const services = freeTcpPort();
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  prov: { kind: node, module: ./prov.ts, provides: [ping], isolation: process, heartbeatTimeoutMs: 1000 }
`,
      `gateway: { services: "tcp://127.0.0.1:${services}", export: { services: [ping] } }\n`,
    ),
    "prov.ts": `export default async function main(ctx) {
  ctx.provide("ping", (request) => ({ pong: request }));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
  });
  // Restarted only after longer than a relay holds a call: the call made meanwhile is
  // either dropped, or run once the provider is back, long after its caller gave up.
  const supervisor = await startRobot(dir, { backoffInitialMs: CALL_RELAY_HOLD_MS + 1500 });
  const caller = new Dealer({ linger: 0, receiveTimeout: 20_000 });
  const call = (rid: string) => caller.send(encodeServiceRequest(rid, "ping", rid));
  const reply = async () => decodeServiceReply(await caller.receive());
  try {
    caller.connect(`tcp://127.0.0.1:${services}`);
    await waitForState(supervisor, "prov", "running");
    await call("before");
    assert.equal((await reply()).rid, "before");
    await waitFor(() => hostPids(["prov"]).length === 1, "prov's host");
    Deno.kill(hostPids(["prov"])[0], "SIGSTOP");
    await waitForState(supervisor, "prov", "backoff");
    await call("while-away");
    const back = await waitForState(supervisor, "prov", "running", (c) => c.restarts === 1);
    assert.match(back.lastError ?? "", /is stopped/);
    // One provider, served in order: a call held by the gateway is answered before this one.
    await call("after");
    const answered: string[] = [];
    while (answered.at(-1) !== "after") answered.push((await reply()).rid);
    assert.deepEqual(
      answered,
      ["after"],
      "the call made while prov was away ran when it came back",
    );
  } finally {
    await caller.close();
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a host restarts after /tmp's cleaner removed the robot's empty host directory", async () => {
  // A robot name of its own: the directory is per robot name, on the whole machine.
  const robot = `vanish-${Deno.pid}`;
  const dir = await robotDir({
    "robot.yaml":
      `robot: ${robot}\ncomponents:\n  own: { kind: node, module: ./calm.ts, isolation: process }\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  try {
    await waitForState(supervisor, "own", "running");
    await waitFor(() => hostPids(["own"]).length === 1, "own's host");
    // Empty while the host runs (its socket's path is unlinked once dialled): a cleaner of
    // /tmp's old empty directories removes it.
    Deno.removeSync(hostSocketDir(robot));
    Deno.kill(hostPids(["own"])[0], "SIGKILL");
    await waitFor(() => {
      const own = componentOf(supervisor, "own");
      return own.state === "failed" || (own.state === "running" && own.restarts === 1);
    }, "own to be back, or failed");
    const own = componentOf(supervisor, "own");
    assert.equal(own.state, "running", `own: ${own.lastError}`);
    assert.match(own.lastError ?? "", /killed \(SIGKILL\)/);
    const info = Deno.statSync(hostSocketDir(robot));
    assert.equal((info.mode ?? 0) & 0o777, 0o700);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a host's end names the component with a clear lead in heap, and only that", () => {
  const mb = 2 ** 20;
  const oom = { success: false, code: 133, signal: null } as const;
  const reasons = (status: Deno.CommandStatus, heaps: Record<string, number | undefined>) =>
    Object.fromEntries(hostEndReasons(status, null, new Map(Object.entries(heaps))));
  assert.deepEqual(reasons(oom, { leak: 900 * mb, calm: 3 * mb }), {
    leak: "out of memory: it held the most heap of its host (900 MB)",
    calm: "its host process ran out of memory: leak held the most heap (900 MB)",
  });
  // The kernel's OOM killer SIGKILLs the whole host.
  assert.equal(
    reasons({ success: false, code: 137, signal: "SIGKILL" }, { a: 40 * mb, b: 500 * mb }).a,
    "its host process was killed (SIGKILL, as the kernel's out-of-memory killer does): b held the most heap (500 MB)",
  );
  // No clear lead (a leak too fast for its heartbeats), no heap, or not about memory: no name.
  assert.deepEqual(reasons(oom, { leak: 3 * mb, calm: 4 * mb }), {
    leak: "out of memory",
    calm: "out of memory",
  });
  assert.deepEqual(reasons(oom, { leak: undefined, calm: undefined }).calm, "out of memory");
  assert.equal(
    reasons({ success: false, code: 1, signal: null }, { a: 900 * mb, b: mb }).b,
    "its host process exited (code 1)",
  );
  // A host of its own says what it always said.
  assert.equal(reasons(oom, { leak: 900 * mb }).leak, "out of memory");
});

Deno.test("a leak in the shared host: sharedHost.memoryMb bounds each heap, the leaker is named, the robot lives", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  leak: { kind: node, module: ./leak.ts, restart: never }
  calm: { kind: node, module: ./calm.ts }
`,
      "sharedHost: { memoryMb: 192 }\n",
    ),
    // A leak that yields to its event loop, as one message at a time does: ~150 MB/s.
    "leak.ts": `export default function main() {
  const kept = [];
  return new Promise(() => {
    const grow = () => { kept.push(new Array(400_000).fill(kept.length + 0.5)); setTimeout(grow, 20); };
    grow();
  });
}\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir, { backoffInitialMs: 50 });
  try {
    const [shared] = hostPids();
    assert.ok(shared !== undefined, "both run in the shared host");
    assert.match(
      Deno.readTextFileSync(`/proc/${shared}/cmdline`),
      /--max-old-space-size=192/,
      "the shared host's heap is bounded",
    );
    const leak = await waitForState(supervisor, "leak", "failed");
    assert.match(
      leak.lastError ?? "",
      /^out of memory \(192 MB\): it held the most heap of its host \(\d+ MB\)$/,
    );
    const calm = await waitForState(supervisor, "calm", "running", (c) => c.restarts === 1);
    assert.match(
      calm.lastError ?? "",
      /^its host process ran out of memory \(192 MB\): leak held the most heap \(\d+ MB\)$/,
    );
    await waitFor(() => cpuTicks(shared) === null, "the old shared host to be reaped");
    const [now] = hostPids();
    assert.ok(now !== undefined && now !== shared, "calm runs in a new shared host");
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a Worker a component starts: refused in the shared host, ended with its own host", async () => {
  // A spinning Worker started by a component that then returns: terminate() would leave its
  // thread burning a core.
  const spawner = `export default async function main() {
  const url = URL.createObjectURL(new Blob(["while (true) {}"], { type: "text/javascript" }));
  new Worker(url, { type: "module" });
  await new Promise((r) => setTimeout(r, 300));
}\n`;
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  shared: { kind: node, module: ./spawner.ts, restart: never }
  npm: { kind: node, module: ./node_spawner.ts, restart: never }
  own: { kind: node, module: ./spawner.ts, isolation: process, restart: never }
  calm: { kind: node, module: ./calm.ts }
`,
    ),
    "spawner.ts": spawner,
    // As npm packages start threads.
    "node_spawner.ts": `import { Worker } from "node:worker_threads";
export default async function main() {
  new Worker("while (true) {}", { eval: true });
  await new Promise((r) => setTimeout(r, 300));
}\n`,
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir);
  try {
    const shared = await waitForState(supervisor, "shared", "failed");
    assert.match(
      shared.lastError ?? "",
      /shared runs in the robot's shared host, where a thread it starts could not be stopped .* give it isolation: process/,
    );
    const npm = await waitForState(supervisor, "npm", "failed");
    assert.match(npm.lastError ?? "", /npm runs in the robot's shared host, where a thread it/);
    await waitFor(() => componentOf(supervisor, "own").state === "stopped", "own to finish");
    // Its host ended with it, and the spinning thread with the host.
    await waitFor(() => hostPids(["own"]).length === 0, "own's host to be gone");
    const [host] = hostPids();
    assert.ok(host !== undefined, "calm's shared host runs on");
    const perSecond = await treeTicksPerSecond(host);
    assert.ok(perSecond < 30, `the shared host used ${perSecond} ticks/s`);
    assert.deepEqual([
      componentOf(supervisor, "calm").state,
      componentOf(supervisor, "calm").restarts,
    ], [
      "running",
      0,
    ]);
  } finally {
    await supervisor.shutdown();
  }
  assert.deepEqual(hostPids(), []);
});

/** A pipeline whose worker (threads: 2) runs `handlers`, and its distributor and collector here. */
async function threadedPipeline(handlers: string, task: string) {
  const dir = await robotDir({
    "pipeline.yaml": `${loopbackPipelineEndpoints()}tasks:
  ${task}: { count: 2, timeoutMs: 500, retries: 0 }
workers:
  - name: robo
    handlers: ./handlers.ts
    threads: 2
`,
    "handlers.ts": handlers,
    "robot.yaml": robotYaml(`  perception: { kind: pipeline-worker, pipeline: ./pipeline.yaml }\n`),
  });
  const config = await loadPipelineConfig(join(dir, "pipeline.yaml"));
  const distributor = await distributorFromConfig(config);
  const collector = await collectorFromConfig(config);
  await distributor.start();
  await collector.start();
  return {
    dir,
    run: distributor.run(),
    close: async () => {
      await collector.close();
      await distributor.close();
    },
  };
}

Deno.test("a pipeline thread stuck in a synchronous loop: its host is killed, its cores come back", async () => {
  const pipeline = await threadedPipeline(
    "export const spin = () => { while (true) {} };\n",
    "spin",
  );
  const supervisor = await startRobot(pipeline.dir, { backoffInitialMs: 50 });
  try {
    // Threads of its own: a host of its own by default, so its siblings never pay for them.
    const [first] = hostPids(["perception"]);
    assert.ok(first !== undefined, "the threaded worker runs in a host of its own");
    const summary = await pipeline.run;
    assert.deepEqual(summary.failed.map((f) => f.reason), [
      "timeout after 500 ms",
      "timeout after 500 ms",
    ]);
    const perception = await waitForState(
      supervisor,
      "perception",
      "running",
      (c) => c.restarts >= 1,
    );
    assert.match(
      perception.lastError ?? "",
      /^thread \d of worker robo is stuck in a synchronous loop \(timeout after 500 ms\): terminate\(\) cannot stop it/,
    );
    // Killed with its host (the spinning threads with it), not left beside a new one.
    await waitFor(() => cpuTicks(first) === null, "the stuck host to be reaped");
    const [now] = hostPids(["perception"]);
    assert.ok(now !== undefined && now !== first, "perception runs in a new host");
    const perSecond = await treeTicksPerSecond(now);
    assert.ok(perSecond < 30, `the new host used ${perSecond} ticks/s`);
  } finally {
    await supervisor.shutdown();
    await pipeline.close();
  }
  assert.deepEqual(hostPids(), []);
});

Deno.test("a pipeline thread that overran its time limit awaiting is terminated in place, no restart", async () => {
  const pipeline = await threadedPipeline(
    "export const hang = () => new Promise(() => {});\n",
    "hang",
  );
  const messages: string[] = [];
  const supervisor = await startRobot(pipeline.dir, {
    backoffInitialMs: 50,
    onLog: (_, record) => messages.push(String(record.message)),
  });
  try {
    const summary = await pipeline.run;
    assert.equal(summary.failed.length, 2);
    // Past the stuck probe's wait: its threads answered, so nothing was escalated (a stuck
    // thread is logged the moment the probe gives up, before anything restarts).
    await new Promise((r) => setTimeout(r, 750)); // the probe's window, not a condition
    assert.equal(messages.filter((m) => m.includes("replacing it")).length, 2, messages.join("\n"));
    assert.deepEqual(messages.filter((m) => m.includes("stuck")), []);
    const perception = componentOf(supervisor, "perception");
    assert.deepEqual([perception.state, perception.restarts], ["running", 0]);
  } finally {
    await supervisor.shutdown();
    await pipeline.close();
  }
});

Deno.test("a second supervisor of the same robot is refused and the first one's components carry on", async () => {
  const robot = `tok-${Deno.pid}`;
  const dir = await robotDir({
    "robot.yaml": `robot: ${robot}\ncomponents:\n  calm: { kind: node, module: ./calm.ts }\n`,
    "calm.ts": CALM,
  });
  const control = `ipc://${dir}/zedge/${robot}.sock`;
  const first = await spawnRobot(join(dir, "robot.yaml"), "--control", control);
  try {
    // The first one's host socket path is unlinked once dialled, but its link still holds it:
    // a second supervisor of this robot must not take the path (and with it the first one's
    // next host).
    const second = await startRobot(dir);
    try {
      const calm = await waitForState(second, "calm", "failed");
      assert.match(
        calm.lastError ?? "",
        new RegExp(
          `another supervisor of robot '${robot}' runs on this machine .* held by deno \\(pid`,
        ),
      );
    } finally {
      await second.shutdown();
    }
    assert.deepEqual(hostPids(), []);
    const calm = (await statusOf(control)).components.find((c) => c.name === "calm");
    assert.deepEqual([calm?.state, calm?.restarts], ["running", 0]);
  } finally {
    const status = await first.stop();
    assert.equal(status.code, 0, first.stderr());
  }
  // A stopped robot leaves no host directory behind (the refused one never made its own).
  assert.throws(() => Deno.statSync(`/tmp/zedge-${robot}-hosts`), Deno.errors.NotFound);
});
