/**
 * `deno task bench dataflow`: topics and services between two node
 * components of one robot process, over each dataflow transport the robot
 * YAML can pick (inproc across Workers, ipc, tcp), in one run:
 *
 * - topic messages/s, 16 B raw values, publisher → subscriber (PUB drops
 *   what a slow subscriber cannot take, so the rate is what arrives);
 * - service round trips/s, sequential calls.
 *
 * Target: inproc ≥ 2× ipc for 16 B topic messages. The robot runs with
 * exactly its baked permission flags.
 *
 * Flags: `--seconds N` (default 3) per measurement.
 *
 * @example
 * ```sh
 * deno task bench dataflow --seconds 2
 * ```
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pull } from "../mod.ts";
import { freePort, startRobot } from "./robot.ts";

const ZEDGE = new URL("../mod.ts", import.meta.url).href;

const PUBLISHER = `export default async function main(ctx) {
  const value = new Uint8Array(16);
  while (!ctx.signal.aborted) {
    for (let i = 0; i < 256; i++) ctx.publish("flow", value);
    await new Promise((r) => setImmediate(r));
  }
}
`;

const SUBSCRIBER = `import { Push } from ${JSON.stringify(ZEDGE)};
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  let count = 0, started = 0;
  const seconds = ctx.config.seconds;
  for await (const _ of ctx.subscribe("flow")) {
    if (count++ === 1000) started = performance.now();
    if (started && performance.now() - started > seconds * 1000) break;
  }
  await out.send(String((count - 1001) / ((performance.now() - started) / 1000)));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await out.close();
}
`;

const PROVIDER = `export default async function main(ctx) {
  ctx.provide("echo", (request) => request);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
}
`;

const CALLER = `import { Push } from ${JSON.stringify(ZEDGE)};
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  await ctx.discover("echo");
  const value = new Uint8Array(16);
  for (let i = 0; i < 200; i++) await ctx.call("echo", value);
  const started = performance.now();
  let calls = 0;
  while (performance.now() - started < ctx.config.seconds * 1000) {
    await ctx.call("echo", value);
    calls++;
  }
  await out.send(String(calls / ((performance.now() - started) / 1000)));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await out.close();
}
`;

async function measure(
  transport: "inproc" | "ipc" | "tcp",
  seconds: number,
): Promise<{ topics: number; calls: number }> {
  const dir = await Deno.makeTempDir({ prefix: `zedge-bench-dataflow-${transport}-` });
  const files = {
    "pub.ts": PUBLISHER,
    "sub.ts": SUBSCRIBER,
    "provider.ts": PROVIDER,
    "caller.ts": CALLER,
  };
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  const [topicsReport, callsReport] = [freePort(), freePort()];
  const flow = transport === "inproc"
    ? ""
    : transport === "ipc"
    ? `dataflow: { transport: ipc, dir: ${dir}/flow }\n`
    : `dataflow: { transport: tcp, basePort: ${freePort()} }\n`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: bench-bot
${flow}components:
  pub: { kind: node, module: ./pub.ts, publishes: { flow: raw } }
  sub:
    kind: node
    module: ./sub.ts
    subscribes: [flow]
    bind: { report: "tcp://127.0.0.1:${topicsReport}" }
    config: { seconds: ${seconds} }
  provider: { kind: node, module: ./provider.ts, provides: [echo] }
  caller:
    kind: node
    module: ./caller.ts
    calls: [echo]
    bind: { report: "tcp://127.0.0.1:${callsReport}" }
    config: { seconds: ${seconds} }
`,
  );
  const robot = await startRobot(join(dir, "robot.yaml"), `ipc://${dir}/zedge/bench-bot.sock`);
  const read = async (port: number) => {
    const pull = new Pull({ receiveTimeout: (seconds + 60) * 1000 });
    try {
      pull.connect(`tcp://127.0.0.1:${port}`);
      const [body] = await pull.receive();
      return Number(new TextDecoder().decode(body));
    } finally {
      await pull.close();
    }
  };
  try {
    const [topics, calls] = await Promise.all([read(topicsReport), read(callsReport)]);
    return { topics, calls };
  } finally {
    robot.child.kill("SIGTERM");
    await robot.child.status;
    await robot.drained;
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { seconds: { type: "string" }, quick: { type: "boolean" } },
    strict: false,
  });
  const seconds = Number(values.seconds ?? (values.quick ? 1 : 3));
  console.log(`dataflow between two node components of one robot (16 B; ${seconds} s each)`);
  const results: Record<string, { topics: number; calls: number }> = {};
  for (const transport of ["inproc", "ipc", "tcp"] as const) {
    results[transport] = await measure(transport, seconds);
    const r = results[transport];
    console.log(
      `${transport.padEnd(7)} topics ${
        Math.round(r.topics).toLocaleString("en-US").padStart(11)
      } msg/s   ` +
        `services ${Math.round(r.calls).toLocaleString("en-US").padStart(8)} round trips/s`,
    );
  }
  const ratio = results.inproc.topics / results.ipc.topics;
  console.log(
    `inproc / ipc topics: ${ratio.toFixed(2)}×  target ≥ 2.0×  ${ratio >= 2 ? "PASS" : "FAIL"}; ` +
      `services ${(results.inproc.calls / results.ipc.calls).toFixed(2)}×`,
  );
}
