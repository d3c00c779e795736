/**
 * `deno task bench robot`: the robot runtime as an operator meets it, run
 * with exactly the robot process's permission flags (never -A):
 *
 * - cold start of the example robot: process start to every component
 *   ready (target < 300 ms), and the supervisor's own share of it;
 * - SIGTERM to process exit (target < 200 ms);
 * - idle RSS of the example robot (target < 120 MB);
 * - messages/s between two node components over tcp and over ipc (16 B,
 *   PUSH → PULL), with the same socket pair in one process for scale.
 *
 * Flags: `--runs N` (default 5) cold starts and stops; `--messages N`
 * (default 200000) per transport.
 *
 * @example
 * ```sh
 * deno task bench robot --runs 3
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Pull, Push } from "../mod.ts";
import { loadRobotConfig } from "../robot/config.ts";
import { robotCodeFiles, robotProcessFlags } from "../robot/process_permissions.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "cli/main.ts");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function line(label: string, values: number[], unit: string, target?: number): string {
  const fmt = (v: number) => v.toFixed(0);
  const verdict = target === undefined ? "" : median(values) < target ? "  PASS" : "  FAIL";
  return `${label.padEnd(44)} median ${fmt(median(values)).padStart(6)} ${unit}  (min ${
    fmt(Math.min(...values))
  }, max ${fmt(Math.max(...values))}, ${values.length} runs)${
    target === undefined ? "" : `  target < ${target} ${unit}`
  }${verdict}`;
}

/**
 * A robot process started with its own baked flags; resolves once every component is up.
 *
 * @example
 * ```ts
 * import { startRobot } from "./robot.ts";
 * const robot = await startRobot("examples/robot/robot.yaml", "ipc:///tmp/zedge-bench.sock");
 * robot.child.kill("SIGTERM");
 * ```
 */
export async function startRobot(file: string, control: string, v8Flags: string[] = []) {
  const config = await loadRobotConfig(file, { control });
  const flags = robotProcessFlags(config, { mode: "source" }, [], await robotCodeFiles(config));
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-remote",
      ...(v8Flags.length > 0 ? [`--v8-flags=${v8Flags.join(",")}`] : []),
      ...flags,
      MAIN,
      "robot",
      "run",
      file,
      "--control",
      control,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let supervisorMs = NaN;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`robot exited before it was ready:\n${text}`);
    text += value;
    const ready = /components running \(ready in (\d+) ms\)/.exec(text);
    if (ready) {
      supervisorMs = Number(ready[1]);
      break;
    }
  }
  const readyMs = performance.now() - started;
  // Keep draining stderr so the robot never blocks on a full pipe.
  const drained = (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return;
    }
  })();
  return { child, readyMs, supervisorMs, drained };
}

/** RSS of a process and all its descendants (host processes included), in MB. */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch {
      // Gone meanwhile.
    }
  }
  let total = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const at = todo.pop()!;
    try {
      const status = Deno.readTextFileSync(`/proc/${at}/status`);
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      // Gone meanwhile.
    }
    todo.push(...(children.get(at) ?? []));
  }
  return total;
}

/**
 * The example robot with `isolation` as the robot's default, written beside the shipped file so
 * its modules resolve alike.
 */
async function exampleWith(isolation: "process" | "worker"): Promise<string> {
  const shipped = await Deno.readTextFile(join(ROOT, "examples/robot/robot.yaml"));
  const file = join(ROOT, `examples/robot/.bench-${isolation}.yaml`);
  await Deno.writeTextFile(file, shipped.replace(/^robot: .*$/m, `$&\nisolation: ${isolation}`));
  return file;
}

async function lifecycle(
  runs: number,
  file: string,
  label: string,
  v8Flags: string[] = [],
): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "zedge-bench-robot-" });
  const control = `ipc://${dir}/zedge/kitchen-bot.sock`;
  const ready: number[] = [];
  const supervisor: number[] = [];
  const stop: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < runs; run++) {
    const robot = await startRobot(file, control, v8Flags);
    ready.push(robot.readyMs);
    supervisor.push(robot.supervisorMs);
    if (run === 0) {
      // Idle: let start-up garbage be collected before sampling.
      await new Promise((r) => setTimeout(r, 3000));
      rss.push(treeRssMb(robot.child.pid));
    }
    const killed = performance.now();
    robot.child.kill("SIGTERM");
    const status = await robot.child.status;
    stop.push(performance.now() - killed);
    await robot.drained;
    if (status.code !== 0) throw new Error(`robot exited ${status.code} on SIGTERM`);
  }
  await Deno.remove(dir, { recursive: true });
  return [
    `${label}:`,
    line("cold start: process start → all components ready", ready, "ms", 300),
    line("  of which the supervisor (config → all ready)", supervisor, "ms"),
    line("SIGTERM → process exit", stop, "ms", 200),
    line("idle RSS of the process tree (8 components)", rss, "MB", 120),
  ];
}

const NODE_SENDER = (zedge: string) =>
  `import { Push } from ${JSON.stringify(zedge)};
export default async function main(ctx) {
  const push = new Push({ sendHighWaterMark: 10000 });
  await push.bind(ctx.endpoints.out);
  const payload = new Uint8Array(16);
  for (let i = 0; i < ctx.config.messages && !ctx.signal.aborted; i++) await push.send(payload);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await push.close();
}
`;

const NODE_RECEIVER = (zedge: string) =>
  `import { Pull, Push } from ${JSON.stringify(zedge)};
export default async function main(ctx) {
  const pull = new Pull({ receiveHighWaterMark: 10000 });
  pull.connect(ctx.endpoints.in);
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  await pull.receive();
  const started = performance.now();
  for (let i = 1; i < ctx.config.messages; i++) await pull.receive();
  await report.send(String(ctx.config.messages / ((performance.now() - started) / 1000)));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await Promise.all([pull.close(), report.close()]);
}
`;

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function nodeToNode(endpoint: string, messages: number): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "zedge-bench-nodes-" });
  const zedge = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(join(dir, "sender.ts"), NODE_SENDER(zedge));
  await Deno.writeTextFile(join(dir, "receiver.ts"), NODE_RECEIVER(zedge));
  const report = `tcp://127.0.0.1:${freePort()}`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: bench-bot
components:
  sender: { kind: node, module: ./sender.ts, bind: { out: "${endpoint}" }, config: { messages: ${messages} } }
  receiver:
    kind: node
    module: ./receiver.ts
    connect: { in: sender.out }
    bind: { report: "${report}" }
    config: { messages: ${messages} }
`,
  );
  const robot = await startRobot(join(dir, "robot.yaml"), `ipc://${dir}/zedge/bench-bot.sock`);
  const pull = new Pull({ receiveTimeout: 120_000 });
  try {
    pull.connect(report);
    const [rate] = await pull.receive();
    return Number(new TextDecoder().decode(rate));
  } finally {
    await pull.close();
    robot.child.kill("SIGTERM");
    await robot.child.status;
    await robot.drained;
    await Deno.remove(dir, { recursive: true });
  }
}

async function inProcess(endpoint: string, messages: number): Promise<number> {
  const push = new Push({ sendHighWaterMark: 10000 });
  const pull = new Pull({ receiveHighWaterMark: 10000 });
  await push.bind(endpoint);
  pull.connect(push.lastEndpoint!);
  const payload = new Uint8Array(16);
  const sending = (async () => {
    for (let i = 0; i < messages; i++) await push.send(payload);
  })();
  await pull.receive();
  const started = performance.now();
  for (let i = 1; i < messages; i++) await pull.receive();
  const rate = messages / ((performance.now() - started) / 1000);
  await sending;
  await Promise.all([push.close(), pull.close()]);
  return rate;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { runs: { type: "string" }, messages: { type: "string" }, quick: { type: "boolean" } },
    strict: false,
  });
  const runs = Number(values.runs ?? (values.quick ? 3 : 5));
  const messages = Number(values.messages ?? (values.quick ? 50_000 : 200_000));
  console.log(`robot runtime (example robot: 8 components; ${Deno.build.target})`);
  const shipped = join(ROOT, "examples/robot/robot.yaml");
  const label = "as shipped: one shared host process (isolation: host)";
  for (const text of await lifecycle(runs, shipped, label)) console.log(text);
  // A smaller young generation per isolate (V8's default semi-space grows to 8 MB or more).
  const semi = ["--max-semi-space-size=1"];
  for (
    const text of await lifecycle(
      runs,
      shipped,
      `the same, the robot process with --v8-flags=${semi}`,
      semi,
    )
  ) {
    console.log(text);
  }
  for (
    const [isolation, title] of [
      ["worker", "main's design: Workers in the robot process (isolation: worker)"],
      ["process", "a host process per component (isolation: process)"],
    ] as const
  ) {
    const file = await exampleWith(isolation);
    try {
      for (const text of await lifecycle(runs, file, title)) console.log(text);
    } finally {
      await Deno.remove(file);
    }
  }
  const tmp = await Deno.makeTempDir({ prefix: "zedge-bench-ipc-" });
  for (
    const [name, endpoint] of [
      ["tcp", `tcp://127.0.0.1:${freePort()}`],
      ["ipc", `ipc://${tmp}/nodes.sock`],
      ["inproc", "inproc://bench/nodes"],
    ]
  ) {
    const between = await nodeToNode(endpoint, messages);
    const local = await inProcess(
      name === "tcp"
        ? "tcp://127.0.0.1:0"
        : name === "ipc"
        ? `ipc://${tmp}/local.sock`
        : "inproc://bench/local",
      messages,
    );
    console.log(
      `node → node over ${name}, 16 B: ${Math.round(between).toLocaleString("en-US")} msg/s ` +
        `(one process, same sockets: ${Math.round(local).toLocaleString("en-US")} msg/s; ` +
        `${(between / local).toFixed(2)}×)`,
    );
  }
  await Deno.remove(tmp, { recursive: true });
}
