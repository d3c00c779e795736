/**
 * A node whose `main` returns while its timers or sockets still run is
 * said once, as a warning saying to await `ctx.signal` — a real `zedge
 * robot run` whose node sets an interval and returns; a node that returns
 * with nothing left going is not warned about.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pendingWorkNote, trackTimers } from "../../robot/pending_work.ts";
import { robotDir, robotYaml, spawnRobot, waitFor } from "./helpers.ts";

Deno.test("a main that returns with an interval still set: one warning to await ctx.signal", async () => {
  const dir = await robotDir({
    // Restarted each time its main returns (restart: always, the default).
    "early.ts": `export default function main(ctx) {
  setInterval(() => ctx.log.info("tick"), 50);
}\n`,
    "done.ts": `export default async function main() {
  await new Promise((r) => setTimeout(r, 10));
}\n`,
    "robot.yaml": robotYaml(
      "  early: { kind: node, module: ./early.ts }\n" +
        "  done: { kind: node, module: ./done.ts, restart: on-failure }\n",
      "control: ipc://CONTROL\n",
    ),
  });
  const file = join(dir, "robot.yaml");
  await Deno.writeTextFile(
    file,
    (await Deno.readTextFile(file)).replace("CONTROL", join(dir, "control.sock")),
  );
  const robot = await spawnRobot(file);
  try {
    await robot.waitFor(/early: main returned while 1 timer still ran/, 20_000);
    // It restarts (restart: always) and returns again: still one warning.
    const restarts = () => robot.stderr().match(/early finished; restarting/g)?.length ?? 0;
    await waitFor(() => restarts() >= 3, "three restarts", 20_000);
    const warnings = robot.stderr().match(/^warning: supervisor: early: main returned .*$/gm)!;
    assert.equal(warnings.length, 1, robot.stderr());
    assert.match(warnings[0], /`await` until ctx\.signal aborts/);
    await waitFor(() => robot.stderr().includes("done finished"), "done to finish");
    assert.doesNotMatch(robot.stderr(), /done: main returned/);
  } finally {
    const status = await robot.stop();
    assert.equal(status.code, 0, robot.stderr());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trackTimers counts timeouts until they fire and intervals until cleared", async () => {
  type Timers = {
    setTimeout(f: () => void, ms: number): number;
    setInterval(f: () => void, ms: number): number;
    clearTimeout(id: number): void;
    clearInterval(id: number): void;
  };
  const g = globalThis as unknown as Timers;
  const scope: Timers = {
    setTimeout: g.setTimeout,
    setInterval: g.setInterval,
    clearTimeout: g.clearTimeout,
    clearInterval: g.clearInterval,
  };
  const timers = trackTimers(scope);
  let fired!: () => void;
  const done = new Promise<void>((r) => fired = r);
  scope.setTimeout(() => fired(), 5);
  const interval = scope.setInterval(() => {}, 1000);
  assert.equal(timers.active(), 2);
  await done;
  assert.equal(timers.active(), 1);
  scope.clearInterval(interval);
  assert.equal(timers.active(), 0);
  assert.equal(pendingWorkNote(2, 1), "2 timers and 1 socket");
  assert.equal(pendingWorkNote(0, 0), null);
});
