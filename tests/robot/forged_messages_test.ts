/**
 * A component's code can post anything on the runtime's channel to the
 * supervisor (`postMessage` is its Worker's global). Before the supervisor
 * checked those messages, `{ op: "figures", figures: null }` ended the whole
 * robot with an uncaught TypeError, a malformed `log` or `failed` took the
 * shared host and every sibling down with it, and a 64 MiB message held the
 * supervisor's CPU for minutes (the host link joined each chunk to the ones
 * before). Each forgery now ends its own component only, with a reason that
 * names the field; the robot and the honest sibling run on untouched.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { controlRequest, type RobotStatus } from "../../robot/control.ts";
import {
  fitToProtocol,
  type FromComponent,
  MAX_LOG_MESSAGE_CHARS,
  MAX_REPORT_CHARS,
} from "../../robot/protocol.ts";
import { readComponentMessage } from "../../robot/supervision/component_message.ts";
import { CALM, robotDir, robotYaml, spawnRobot } from "./helpers.ts";

/** A component that posts `message` (JS source) once it runs, then waits to be stopped. */
function forger(message: string): string {
  return `export default async function main(ctx) {
  globalThis.postMessage(${message});
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;
}

/** Each forgery, and what the supervisor must say of it. */
const FORGERIES: Record<string, { message: string; reason: RegExp; isolation?: string }> = {
  // The one that ended the robot: the observatory destructured the null figures.
  "null-figures": {
    message: `{ op: "figures", figures: null }`,
    reason: /"figures" message \(figures: .*received null\)/,
  },
  // The same through the supervisor's own thread (isolation: worker) and a host of its own.
  "null-figures-worker": {
    message: `{ op: "figures", figures: null }`,
    reason: /"figures" message \(figures: .*received null\)/,
    isolation: "worker",
  },
  "null-figures-process": {
    message: `{ op: "figures", figures: null }`,
    reason: /"figures" message \(figures: .*received null\)/,
    isolation: "process",
  },
  "null-log": {
    message: `{ op: "log", record: null }`,
    reason: /"log" message \(record: .*received null\)/,
  },
  "object-error": {
    message: `{ op: "failed", error: { toString: 1 }, fatal: false }`,
    reason: /"failed" message \(error: .*expected string/,
  },
  "bare-null": { message: `null`, reason: /sent the supervisor a message \(.*received null\)/ },
  "unknown-op": { message: `{ op: "reboot" }`, reason: /"reboot" message \(no such message\)/ },
  // A host's own event, posted by the component: it would end the component with any reason.
  "host-event": {
    message: `{ op: "host-error", message: "honest did it", heard: true }`,
    reason: /"forged host-error" message \(no such message\)/,
  },
  "unasked-stop": { message: `{ op: "stopped" }`, reason: /said it stopped, unasked/ },
  // Shared memory cannot cross the host link: it used to throw in the host's main thread.
  "shared-memory": {
    message: `{ op: "log", record: new SharedArrayBuffer(8) }`,
    reason: /a message its host could not pass on \(.*could not be cloned/,
  },
  // 64 MiB of log text: the host link read it in quadratic time (minutes of the supervisor's
  // CPU); now its host refuses to pass it on, and the supervisor never holds it.
  "huge-log": {
    message: `{ op: "log", record: { time: Date.now(), level: "info", category: ["x"],
    message: "y".repeat(64 << 20), properties: {} } }`,
    reason:
      /a message its host could not pass on \(RangeError: \d+ bytes, over the link's 16777216/,
  },
  // Under the link's bound, but over the protocol's: refused by the supervisor for its size.
  "long-log": {
    message: `{ op: "log", record: { time: Date.now(), level: "info", category: ["x"],
    message: "y".repeat(1 << 20), properties: {} } }`,
    reason: /"log" message \(record\.message: Too big/,
  },
};

Deno.test("forged messages to the supervisor end only their own component", async () => {
  const names = Object.keys(FORGERIES);
  const files: Record<string, string> = { "honest.ts": CALM };
  let components = `  honest: { kind: node, module: ./honest.ts }\n`;
  for (const name of names) {
    const { message, isolation } = FORGERIES[name];
    files[`${name}.ts`] = forger(message);
    components += `  ${name}: { kind: node, module: ./${name}.ts, restart: never${
      isolation === undefined ? "" : `, isolation: ${isolation}`
    } }\n`;
  }
  const dir = await robotDir(files);
  const control = `ipc://${join(dir, "control.sock")}`;
  await Deno.writeTextFile(join(dir, "robot.yaml"), robotYaml(components));
  const robot = await spawnRobot(join(dir, "robot.yaml"), "--control", control);
  try {
    const status = async (): Promise<RobotStatus> => {
      const reply = await controlRequest(control, { op: "status" });
      assert.ok(reply.ok && "status" in reply, JSON.stringify(reply));
      return reply.status;
    };
    // Until every forger has failed (a status a poll, as an operator's `zedge robot status`).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await status();
      const pending = names.filter((name) =>
        now.components.find((c) => c.name === name)?.state !== "failed"
      );
      if (pending.length === 0) break;
      assert.ok(Date.now() < deadline, `still not failed after 30 s: ${pending.join(", ")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const final = await status();
    for (const name of names) {
      const component = final.components.find((c) => c.name === name);
      assert.match(component?.lastError ?? "", /^sent the supervisor |^said it stopped/, name);
      assert.match(component?.lastError ?? "", FORGERIES[name].reason, name);
    }
    // The honest sibling shared the forgers' host: it never went down.
    const honest = final.components.find((c) => c.name === "honest");
    assert.deepEqual([honest?.state, honest?.restarts], ["running", 0]);
  } finally {
    const ended = await robot.stop();
    // The robot ran to its stop: no forgery ended it.
    assert.equal(ended.code, 0, robot.stderr());
  }
});

Deno.test("what the honest runtime posts fits what the supervisor takes, however long", () => {
  const long = "z".repeat(MAX_REPORT_CHARS * 2);
  const honest: FromComponent[] = [
    { op: "failed", error: long, fatal: false, held: long },
    { op: "exit", reason: long },
    { op: "stuck", reason: long },
    { op: "finished", pending: long },
    { op: "checked", problems: Array.from({ length: 5000 }, () => "a problem") },
    {
      op: "log",
      record: {
        time: Date.now(),
        level: "warning",
        category: Array.from({ length: 100 }, () => long.slice(0, 10_000)),
        message: long,
        properties: { frame: new Uint8Array(1 << 20), nested: { deep: [long] } },
      },
    },
  ];
  for (const message of honest) {
    const fitted = fitToProtocol(message);
    const read = readComponentMessage(fitted);
    assert.notEqual(typeof read, "string", `${message.op}: ${String(read)}`);
  }
  const log = fitToProtocol(honest[5]) as Extract<FromComponent, { op: "log" }>;
  assert.ok(log.record.message.length <= MAX_LOG_MESSAGE_CHARS);
  assert.match(log.record.message, new RegExp(`… \\(${long.length} characters\\)$`));
  assert.deepEqual(Object.keys(log.record.properties), ["omitted"]);
  // Within the sizes, nothing is changed.
  const small: FromComponent = { op: "failed", error: "TypeError: x", fatal: true };
  assert.deepEqual(fitToProtocol(small), small);
});
