/**
 * zedge as another Deno project's dependency: a consumer project in a temp
 * directory beside a link to this checkout imports `@zedge/zedge`,
 * `@zedge/zedge/robot` and each layer's entry (`/sockets`, `/tasks`,
 * `/pipeline`, `/manager`, `/security`) — through `"links": ["../zedge"]` in its own
 * deno.json, and as a member of a parent workspace — and runs: a PUSH/PULL
 * round trip over TCP, a task on a task server, and a robot whose node
 * module lives in the consumer's directory. `deno publish --dry-run` is
 * clean: no warning, a license, and no tests, benchmarks or peers in the
 * package.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../core/helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

const CONSUMER_MAIN = `
import { Pull, Push, TaskClient, TaskServer, TestController, VERSION } from "@zedge/zedge";
import { parseRobotConfig, Supervisor } from "@zedge/zedge/robot";

const pull = new Pull();
await pull.bind("tcp://127.0.0.1:0");
const push = new Push();
push.connect(pull.lastEndpoint!);
await push.send("ping from the consumer");
const [frame] = await pull.receive();
console.log("push/pull:", new TextDecoder().decode(frame));
push.close();
pull.close();

const server = new TaskServer({ endpoint: "tcp://127.0.0.1:0" });
server.register("/test", new TestController());
await server.start();
const client = new TaskClient({ endpoint: server.endpoint!, scope: "/test" });
const { id } = await client.trigger({ handler: "test", component: "echo", goal: "hello" });
const done = await client.wait(id, { timeoutMs: 10_000 });
console.log("task:", done.state, done.payload);
await client.close();
await server.close();

const config = parseRobotConfig(
  "robot: consumer-bot\\ncomponents:\\n  greeter: { kind: node, module: ./greeter.ts }\\n",
  new URL("./robot.yaml", import.meta.url).pathname,
);
const greeted = Promise.withResolvers<string>();
const supervisor = new Supervisor(config, {
  control: false,
  onLog: (component, record) => greeted.resolve(\`\${component}: \${JSON.stringify(record.message)}\`),
});
await supervisor.start();
console.log("robot:", await greeted.promise);
await supervisor.shutdown();
console.log("zedge", VERSION);
`;

const GREETER = `
import type { NodeContext } from "@zedge/zedge/robot";
export default async function main(ctx: NodeContext): Promise<void> {
  ctx.log.info("hello from the consumer's node");
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;

async function run(cwd: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A directory holding `zedge` (a link to this checkout) and `app`, the consumer. */
async function consumerLayout(appConfig: object, rootConfig?: object): Promise<string> {
  const dir = await tempDir("zedge-consumer-");
  await Deno.symlink(ROOT, join(dir, "zedge"));
  await Deno.mkdir(join(dir, "app"));
  await Deno.writeTextFile(join(dir, "app", "deno.json"), JSON.stringify(appConfig, null, 2));
  await Deno.writeTextFile(join(dir, "app", "main.ts"), CONSUMER_MAIN);
  await Deno.writeTextFile(join(dir, "app", "greeter.ts"), GREETER);
  if (rootConfig !== undefined) {
    await Deno.writeTextFile(join(dir, "deno.json"), JSON.stringify(rootConfig, null, 2));
  }
  return dir;
}

function assertConsumerRan(result: { code: number; stdout: string; stderr: string }) {
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /push\/pull: ping from the consumer/);
  assert.match(result.stdout, /task: 5 hello/); // COMPLETED, the test controller's echo
  assert.match(result.stdout, /robot: greeter: "hello from the consumer's node"/);
  assert.match(result.stdout, /zedge \d+\.\d+\.\d+/);
}

Deno.test("packaging: a consumer beside zedge links it and imports @zedge/zedge and @zedge/zedge/robot", async () => {
  const dir = await consumerLayout({ links: ["../zedge"] });
  try {
    const app = join(dir, "app");
    assertConsumerRan(await run(app, ["run", "-A", "--unstable-worker-options", "main.ts"]));
    // The CLI is an export too: a consumer's task can run zedge's commands.
    const cli = await run(app, ["run", "-A", "jsr:@zedge/zedge/cli", "version"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^zedge \d+\.\d+\.\d+/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packaging: a consumer and zedge as members of one workspace", async () => {
  const dir = await consumerLayout({}, { workspace: ["./zedge", "./app"] });
  try {
    assertConsumerRan(
      await run(join(dir, "app"), ["run", "-A", "--unstable-worker-options", "main.ts"]),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A consumer of each layer's entry, and of the root names that moved (deprecated aliases). */
const LAYERS_MAIN = `
import { Pull, Push, ZedgeError as LayerZedgeError, ZmqError } from "@zedge/zedge/sockets";
import { TaskServer, TestController } from "@zedge/zedge/tasks";
import { CodecError, decodeMessage, encodeMessage, type HandlerContext, Journal } from "@zedge/zedge/pipeline";
import { SocketManager } from "@zedge/zedge/manager";
import { generateKeyPair } from "@zedge/zedge/security";
import { parseRobotConfig, ZedgeError as RobotZedgeError } from "@zedge/zedge/robot";
import * as root from "@zedge/zedge";
import { encodePipelineMessage, type PipelineHandlerContext, PipelineJournal, ZedgeError } from "@zedge/zedge";

// A moved name is the same value at the root (for one release) and in its layer.
console.log("same values:", [
  root.Push === Push, root.TaskServer === TaskServer, PipelineJournal === Journal,
  encodePipelineMessage === encodeMessage, root.SocketManager === SocketManager,
  root.generateKeyPair === generateKeyPair, LayerZedgeError === ZedgeError,
  RobotZedgeError === ZedgeError,
].join(" "));
const context: PipelineHandlerContext | null = null as HandlerContext | null;

const pull = new Pull();
await pull.bind("tcp://127.0.0.1:0");
const push = new Push();
push.connect(pull.lastEndpoint!);
await push.send("layers");
console.log("sockets:", new TextDecoder().decode((await pull.receive())[0]));
push.close();
pull.close();

const server = new TaskServer({ endpoint: "tcp://127.0.0.1:0" });
server.register("/test", new TestController());
await server.start();
console.log("tasks:", server.endpoint!.startsWith("tcp://"));
await server.close();

console.log("pipeline:", decodeMessage(encodeMessage({ kind: "heartbeat" })).kind, context);
const manager = new SocketManager();
console.log("manager:", manager.create("jobs", "pull").type);
await manager.closeAll();
console.log("security:", (await generateKeyPair()).publicKey.length);
console.log("robot:", parseRobotConfig(
  "robot: layered\\ncomponents:\\n  greeter: { kind: node, module: ./greeter.ts }\\n",
  new URL("./robot.yaml", import.meta.url).pathname,
).robot);

for (const error of [new ZmqError("EAGAIN", "timed out"), (() => {
  try { decodeMessage(new Uint8Array([0xc1])); } catch (e) { return e; }
})()]) {
  console.log("error:", error instanceof ZedgeError, (error as ZedgeError).code, error instanceof CodecError);
}
`;

Deno.test("packaging: a consumer imports each layer's entry, and the root's moved names still work", async () => {
  const dir = await consumerLayout({ links: ["../zedge"] });
  try {
    const app = join(dir, "app");
    await Deno.writeTextFile(join(app, "layers.ts"), LAYERS_MAIN);
    const check = await run(app, ["check", "layers.ts"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const result = await run(app, ["run", "-A", "layers.ts"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(
      result.stdout,
      [
        "same values: true true true true true true true true",
        "sockets: layers",
        "tasks: true",
        "pipeline: heartbeat null",
        "manager: PULL",
        "security: 40",
        "robot: layered",
        "error: true EAGAIN false",
        "error: true pipeline-codec true",
        "",
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packaging: deno publish --dry-run is clean and leaves tests, benchmarks and peers out", async () => {
  const result = await run(ROOT, ["publish", "--dry-run", "--allow-dirty"]);
  const output = result.stdout + result.stderr;
  assert.equal(result.code, 0, output);
  assert.doesNotMatch(output, /warning/i);
  const files = [...output.matchAll(/file:\/\/\S+/g)].map((m) =>
    m[0].slice(`file://${ROOT}/`.length)
  );
  assert.ok(files.includes("LICENSE"), output);
  assert.ok(files.includes("mod.ts") && files.includes("robot/mod.ts"), output);
  for (const left of ["tests/", "bench/", ".ci/"]) {
    assert.deepEqual(files.filter((f) => f.startsWith(left)), [], `${left} is published`);
  }
});
