// The supervisor over real Web Workers: restarts with backoff, crash loops,
// every way a component can end, restart policies, modules that cannot load,
// and acting on one component over the control channel.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ComponentState } from "../../robot/control.ts";
import { controlRequest } from "../../robot/control.ts";
import {
  CALM,
  componentOf,
  robotDir,
  robotYaml,
  startRobot,
  waitFor,
  waitForState,
} from "./helpers.ts";

interface Change {
  name: string;
  state: ComponentState;
  at: number;
}

function recorder() {
  const changes: Change[] = [];
  return {
    changes,
    onStateChange: (name: string, state: ComponentState) =>
      changes.push({ name, state, at: performance.now() }),
  };
}

Deno.test("a crash restarts with doubling backoff, a crash loop becomes failed, the others carry on", async () => {
  const dir = await robotDir({
    "crasher.ts": `export default async function main() {
  await new Promise((r) => setTimeout(r, 20));
  throw new Error("wheel encoder lost");
}\n`,
    "calm.ts": CALM,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  crasher: { kind: node, module: ./crasher.ts }
  calm: { kind: node, module: ./calm.ts }
`),
  );
  const { changes, onStateChange } = recorder();
  const supervisor = await startRobot(dir, {
    onStateChange,
    backoffInitialMs: 100,
    backoffMaxMs: 1000,
    maxCrashes: 3,
  });
  try {
    const failed = await waitForState(supervisor, "crasher", "failed");
    assert.equal(failed.restarts, 3);
    assert.match(failed.lastError!, /Error: wheel encoder lost/);
    // Each restart waited at least its backoff, which doubled: 100, 200, 400 ms.
    const mine = changes.filter((c) => c.name === "crasher");
    const waits: number[] = [];
    mine.forEach((c, i) => {
      if (c.state === "starting" && mine[i - 1]?.state === "backoff") {
        waits.push(c.at - mine[i - 1].at);
      }
    });
    assert.equal(waits.length, 3, JSON.stringify(mine));
    [100, 200, 400].forEach((least, i) => assert.ok(waits[i] >= least - 5, `${waits}`));
    const calm = componentOf(supervisor, "calm");
    assert.equal(calm.state, "running");
    assert.equal(calm.restarts, 0);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("the default backoff waits half a second before the first restart", async () => {
  const dir = await robotDir({
    "once.ts": `export default function main() { throw new Error("cannot start"); }\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  once: { kind: node, module: ./once.ts, restart: on-failure }\n`),
  );
  const { changes, onStateChange } = recorder();
  const supervisor = await startRobot(dir, { onStateChange });
  try {
    await waitFor(() => changes.filter((c) => c.state === "starting").length >= 2, "a restart");
    const backoff = changes.find((c) => c.state === "backoff")!;
    const restart = changes.filter((c) => c.state === "starting")[1];
    assert.ok(restart.at - backoff.at >= 495, `${restart.at - backoff.at} ms`);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("every way a component can end is a crash: throw, rejection, unhandled rejection, self.close, Deno.exit", async () => {
  const modules: Record<string, string> = {
    "sync-throw.ts": `export default function main() { throw new TypeError("bad pose"); }\n`,
    "rejects.ts":
      `export default async function main() { throw new RangeError("out of range"); }\n`,
    "unhandled.ts":
      `export default async function main() { Promise.reject(new Error("lost promise")); await new Promise(() => {}); }\n`,
    "closes.ts":
      `export default function main() { setTimeout(() => self.close(), 10); return new Promise(() => {}); }\n`,
    "exits.ts":
      `export default function main() { setTimeout(() => Deno.exit(3), 10); return new Promise(() => {}); }\n`,
    "uncaught.ts":
      `export default function main() { setTimeout(() => { throw new Error("timer blew up"); }, 10); return new Promise(() => {}); }\n`,
  };
  const dir = await robotDir(modules);
  const names = Object.keys(modules).map((m) => m.replace(".ts", ""));
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(
      names.map((n) => `  ${n}: { kind: node, module: ./${n}.ts, restart: never }\n`).join(""),
    ),
  );
  const supervisor = await startRobot(dir);
  try {
    const expected: Record<string, RegExp> = {
      "sync-throw": /TypeError: bad pose/,
      rejects: /RangeError: out of range/,
      unhandled: /lost promise/,
      closes: /self\.close\(\)/,
      exits: /Deno\.exit\(3\)/,
      uncaught: /timer blew up/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const c = await waitForState(supervisor, name, "failed");
      assert.match(c.lastError ?? "", pattern, `${name}: ${c.lastError}`);
      assert.equal(c.restarts, 0, name);
    }
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("restart policies: always restarts a node that finished, on-failure leaves it stopped", async () => {
  const dir = await robotDir({
    "done.ts":
      `export default async function main() { await new Promise((r) => setTimeout(r, 10)); }\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  again: { kind: node, module: ./done.ts }
  once: { kind: node, module: ./done.ts, restart: on-failure }
`),
  );
  const supervisor = await startRobot(dir, { backoffInitialMs: 20 });
  try {
    await waitFor(() => componentOf(supervisor, "again").restarts >= 2, "'again' to restart twice");
    const once = await waitForState(supervisor, "once", "stopped");
    assert.equal(once.restarts, 0);
    assert.equal(once.lastError, null);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("a module that cannot load fails at once, never restarted, naming the file and line", async () => {
  const dir = await robotDir({
    "no-default.ts": `export function main() {}\n`,
    "syntax.ts": `export default function main() {\n  const x = ;\n}\n`,
    "no-handlers.ts": `export const nothing = 1;\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  nodefault: { kind: node, module: ./no-default.ts }
  syntax: { kind: node, module: ./syntax.ts }
  tasks: { kind: task-server, bind: "tcp://127.0.0.1:0", scopes: { /x: ./no-handlers.ts } }
`),
  );
  const supervisor = await startRobot(dir);
  try {
    const a = await waitForState(supervisor, "nodefault", "failed");
    assert.match(
      a.lastError!,
      /no-default\.ts: a node module must `export default async function main\(ctx\)`/,
    );
    const b = await waitForState(supervisor, "syntax", "failed");
    assert.match(b.lastError!, /syntax\.ts:2:\d+/);
    const c = await waitForState(supervisor, "tasks", "failed");
    assert.match(
      c.lastError!,
      /no-handlers\.ts: exports neither 'handlers' nor a default handler map/,
    );
    for (const s of [a, b, c]) assert.equal(s.restarts, 0);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("restart, stop and start act on one component over the control channel", async () => {
  const dir = await robotDir({ "calm.ts": CALM });
  const control = `ipc://${dir}/control/test-bot.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  a: { kind: node, module: ./calm.ts }\n  b: { kind: node, module: ./calm.ts }\n`),
  );
  const supervisor = await startRobot(dir, { control: true, config: { control } });
  try {
    const status = await controlRequest(control, { op: "status" });
    assert.ok(status.ok && "status" in status);
    assert.equal(status.status.robot, "test-bot");
    assert.equal(status.status.pid, Deno.pid);
    assert.deepEqual(
      status.status.components.map((c) => [c.name, c.kind, c.state]),
      [["a", "node", "running"], ["b", "node", "running"]],
    );
    assert.deepEqual(Object.keys(status.status.components[0]).sort(), [
      "kind",
      "lastError",
      "name",
      "permissions",
      "restarts",
      "state",
      "uptimeMs",
    ]);
    assert.deepEqual((await controlRequest(control, { op: "stop", name: "a" })).ok, true);
    assert.equal(componentOf(supervisor, "a").state, "stopped");
    assert.equal(componentOf(supervisor, "b").state, "running");
    await controlRequest(control, { op: "start", name: "a" });
    await waitForState(supervisor, "a", "running");
    await controlRequest(control, { op: "restart", name: "b" });
    assert.equal((await waitForState(supervisor, "b", "running")).restarts, 1);
    const unknown = await controlRequest(control, { op: "restart", name: "zz" });
    assert.deepEqual(unknown, { ok: false, error: "no component 'zz' (components: a, b)" });
    // The socket is the owner's and its group's only.
    assert.equal((await Deno.stat(`${dir}/control/test-bot.sock`)).mode! & 0o777, 0o660);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("a heartbeat timeout shorter than a second is met: the component beats four times per timeout", async () => {
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  quick: { kind: node, module: ./calm.ts, heartbeatTimeoutMs: 300 }
`,
    ),
    "calm.ts": CALM,
  });
  const supervisor = await startRobot(dir);
  try {
    await waitForState(supervisor, "quick", "running");
    // Six timeouts long: one beat a second would have been "silent for 300 ms" five times.
    await new Promise((r) => setTimeout(r, 1800)); // a window to watch, not a wait
    const quick = componentOf(supervisor, "quick");
    assert.deepEqual([quick.state, quick.restarts, quick.lastError], ["running", 0, null]);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("a component whose modules await at their top level starts once they have run", async () => {
  // `const model = await loadModel()` at a module's top level: its exports exist only after,
  // and the component starts then, in every isolation.
  const dir = await robotDir({
    "setup.ts": `export let ready = false;
await new Promise((r) => setTimeout(r, 300));
ready = true;\n`,
    "awaiting.ts": `import { ready } from "./setup.ts";
const config = await Promise.resolve({ ready });
export default async function main(ctx) {
  if (!config.ready) throw new Error("started before its modules ran");
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}\n`,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  shared: { kind: node, module: ./awaiting.ts }
  own: { kind: node, module: ./awaiting.ts, isolation: process }
  worker: { kind: node, module: ./awaiting.ts, isolation: worker }
`),
  );
  const supervisor = await startRobot(dir);
  try {
    for (const name of ["shared", "own", "worker"]) {
      const status = await waitForState(supervisor, name, "running");
      assert.equal(status.restarts, 0, `${name}: ${status.lastError}`);
      assert.equal(status.lastError, null, name);
    }
  } finally {
    await supervisor.shutdown();
  }
});
