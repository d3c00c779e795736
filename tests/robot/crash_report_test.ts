/**
 * A component's crash names its own `file:line:column` and carries its own
 * stack, zedge's frames trimmed: in the log, `robot status` and the status
 * page — a real `zedge robot run` with a component that throws in a timer.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { crashReport, isOwnFrame } from "../../robot/crash_report.ts";
import { zedge } from "../tasks/processes.ts";
import { robotDir, robotYaml, spawnRobot, waitFor } from "./helpers.ts";

const BOOM = `// A node that reads a missing config in a timer.
function portOf(config: { port: number } | null): number {
  return config!.port;
}

export default function main() {
  setTimeout(() => portOf(null), 20);
  return new Promise(() => {});
}
`;

Deno.test("a crash names the component's file:line:column and its own stack in the log, robot status and the status page", async () => {
  const dir = await robotDir({
    "boom.ts": BOOM,
    "robot.yaml": robotYaml(
      "  boom: { kind: node, module: ./boom.ts, restart: never }\n",
      `control: ipc://${"CONTROL"}\nstatus: 127.0.0.1:0\n`,
    ),
  });
  const file = join(dir, "robot.yaml");
  await Deno.writeTextFile(
    file,
    (await Deno.readTextFile(file)).replace("CONTROL", join(dir, "control.sock")),
  );
  const boom = join(dir, "boom.ts");
  const where = `${boom}:3:18`;
  const robot = await spawnRobot(file);
  try {
    const [, address] = await robot.waitFor(/status page at http:\/\/([\d.:]+)\//);
    // The log: the crash line with where, then the component's frames only.
    await robot.waitFor(/boom crashed: TypeError/, 20_000);
    // Each frame is a record of its own: wait for the last one (the caller, line 7), not the first.
    const caller = new RegExp(`${boom.replaceAll(".", "\\.")}:7:\\d+\\)?$`, "m");
    await waitFor(
      () => robot.stderr().includes(`at portOf (${where})`) && caller.test(robot.stderr()),
      "the stack in the log",
    )
      .catch((error) => {
        throw new Error(`${error.message}:\n${robot.stderr()}`);
      });
    const log = robot.stderr();
    assert.ok(
      log.includes(`TypeError: Cannot read properties of null (reading 'port') (at ${where})`),
      log,
    );
    assert.match(log, caller);
    // Deno does not print it again with its own frames.
    assert.doesNotMatch(log, /Uncaught/, log);
    assert.doesNotMatch(log, /ext:|\/robot\/component_runtime\.ts|timers\.mjs/, log);
    // One frame a line, each its own record: nothing escaped into one long line.
    assert.match(log, new RegExp(`^error: supervisor: boom {3}at portOf \\(`, "m"), log);
    assert.ok(!log.includes("\\n    at"), log);

    const status = await zedge(["robot", "status", file]);
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stdout.includes(`(at ${where})`), status.stdout);
    const json = JSON.parse((await zedge(["robot", "status", file, "--json"])).stdout);
    const lastError: string = json.components[0].lastError;
    assert.equal(lastError.split("\n")[1], `    at portOf (${where})`, lastError);

    // The status page's data: escaped (a newline as \\n), its first line what and where; the
    // page shows that line and keeps the stack in its title.
    const served = await (await fetch(`http://${address}/status.json`)).json();
    assert.equal(served.components[0].lastError, lastError.replaceAll("\n", "\\n"));
    const page = await (await fetch(`http://${address}/`)).text();
    assert.ok(page.includes('c.lastError.split("\\\\n")[0]'), "the page cuts at the escape");
  } finally {
    await robot.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("crashReport: zedge's and Deno's frames are trimmed, a thrown string keeps its event's place", () => {
  const error = new TypeError("bad pose");
  error.stack = [
    "TypeError: bad pose",
    "    at pose (file:///opt/bot/nav.ts:12:9)",
    `    at run (${new URL("../../robot/kinds/node.ts", import.meta.url).href}:40:3)`,
    "    at Object.cb (ext:deno_node/internal/timers.mjs:4:1174)",
    "    at file:///opt/bot/nav.ts:20:1",
    "    at x (file:///root/.cache/deno/npm/registry.npmjs.org/zod/4.1.12/index.js:1:1)",
  ].join("\n");
  assert.equal(
    crashReport(error),
    "TypeError: bad pose (at /opt/bot/nav.ts:12:9)\n    at pose (/opt/bot/nav.ts:12:9)\n" +
      "    at /opt/bot/nav.ts:20:1",
  );
  assert.equal(
    crashReport("oops", { url: "file:///opt/bot/n.ts", line: 2, column: 5 }),
    "oops (at /opt/bot/n.ts:2:5)",
  );
  assert.equal(crashReport(new Error("nowhere")).split("\n")[0].startsWith("Error: nowhere"), true);
  assert.equal(isOwnFrame(new URL("../../core/mod.ts", import.meta.url).href), false);
  assert.equal(isOwnFrame(new URL("./x.ts", import.meta.url).href), true, "tests are not zedge's");
});
