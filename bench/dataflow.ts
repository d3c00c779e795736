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
 * Topics and services are measured apart (a robot each), so neither takes
 * the other's CPU; both warm up first (the subscriber's first 16,384
 * messages and the caller's first 200 calls are not counted); the
 * subscriber reads the clock once per 1,024 messages.
 *
 * Flags: `--seconds N` (default 3; `--quick`: 1) per measurement, `--runs N`
 * (default 3; `--quick`: 1): runs interleave the transports and each figure
 * is the median. The verdict is on the median of each run's own inproc/ipc
 * ratio: the two were measured back to back, so a change in the machine's
 * load between runs (on a shared 2-core machine one run's ratio ranged
 * 1.04–2.07× in an hour) falls on both sides of a ratio, not on one.
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
/** Messages a subscriber takes before it starts counting (a multiple of 1,024). */
const WARM_MESSAGES = 16 * 1024;
/** Calls a caller makes before it starts counting. */
const WARM_CALLS = 200;

const PUBLISHER = `export default async function main(ctx) {
  const value = new Uint8Array(16);
  while (!ctx.signal.aborted) {
    for (let i = 0; i < 256; i++) ctx.publish("flow", value);
    await new Promise((r) => setImmediate(r));
  }
}
`;

// The clock is read once per 1,024 messages (a clock read costs about as much as a small
// message does): per message it would be most of what is measured, the same for every transport.
const SUBSCRIBER = `import { Push } from ${JSON.stringify(ZEDGE)};
export default async function main(ctx) {
  const out = new Push();
  await out.bind(ctx.endpoints.report);
  let count = 0, started = 0;
  const seconds = ctx.config.seconds;
  for await (const _ of ctx.subscribe("flow")) {
    if ((++count & 1023) !== 0) continue;
    if (count === ${WARM_MESSAGES}) started = performance.now();
    else if (started && performance.now() - started > seconds * 1000) break;
  }
  await out.send(String((count - ${WARM_MESSAGES}) / ((performance.now() - started) / 1000)));
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
  for (let i = 0; i < ${WARM_CALLS}; i++) await ctx.call("echo", value);
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

type Transport = "inproc" | "ipc" | "tcp";

/**
 * One measurement in a robot of its own: topics (publisher → subscriber)
 * or services (caller → provider), never both at once, so neither takes
 * the other's CPU.
 */
async function measure(
  transport: Transport,
  kind: "topics" | "services",
  seconds: number,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: `zedge-bench-dataflow-${transport}-` });
  const files = kind === "topics"
    ? { "pub.ts": PUBLISHER, "sub.ts": SUBSCRIBER }
    : { "provider.ts": PROVIDER, "caller.ts": CALLER };
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  const report = freePort();
  const flow = transport === "inproc"
    ? ""
    : transport === "ipc"
    ? `dataflow: { transport: ipc, dir: ${dir}/flow }\n`
    : `dataflow: { transport: tcp, basePort: ${freePort()} }\n`;
  const components = kind === "topics"
    ? `  pub: { kind: node, module: ./pub.ts, publishes: { flow: raw } }
  sub:
    kind: node
    module: ./sub.ts
    subscribes: [flow]
    bind: { report: "tcp://127.0.0.1:${report}" }
    config: { seconds: ${seconds} }
`
    : `  provider: { kind: node, module: ./provider.ts, provides: [echo] }
  caller:
    kind: node
    module: ./caller.ts
    calls: [echo]
    bind: { report: "tcp://127.0.0.1:${report}" }
    config: { seconds: ${seconds} }
`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: bench-bot\n${flow}components:\n${components}`,
  );
  const robot = await startRobot(join(dir, "robot.yaml"), `ipc://${dir}/zedge/bench-bot.sock`);
  const pull = new Pull({ receiveTimeout: (seconds + 60) * 1000 });
  try {
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [body] = await pull.receive();
    return Number(new TextDecoder().decode(body));
  } finally {
    await pull.close();
    robot.child.kill("SIGTERM");
    await robot.child.status;
    await robot.drained;
    await Deno.remove(dir, { recursive: true });
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string" },
      runs: { type: "string" },
      quick: { type: "boolean" },
    },
    strict: false,
  });
  const seconds = Number(values.seconds ?? (values.quick ? 1 : 3));
  const runs = Math.max(1, Number(values.runs ?? (values.quick ? 1 : 3)));
  console.log(
    `dataflow between two node components of one robot (16 B; ${seconds} s each; ` +
      `topics and services each measured alone; median of ${runs} run${runs === 1 ? "" : "s"})`,
  );
  const transports: Transport[] = ["inproc", "ipc", "tcp"];
  const topics = new Map<Transport, number[]>(transports.map((t) => [t, []]));
  const calls = new Map<Transport, number[]>(transports.map((t) => [t, []]));
  // Runs interleave the transports, so a change in the machine's load falls on all of them;
  // within a run the topics come back to back, then the services, and every other run takes
  // the transports in reverse order, so none is always measured first.
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? transports : [...transports].reverse();
    for (const kind of ["topics", "services"] as const) {
      for (const transport of order) {
        const value = await measure(transport, kind, seconds);
        (kind === "topics" ? topics : calls).get(transport)!.push(value);
        // Each measurement starts a robot: a run takes about half a minute, so say where it is.
        console.error(
          `  run ${run + 1}/${runs}: ${transport} ${kind} ${
            Math.round(value).toLocaleString("en-US")
          } ${kind === "topics" ? "msg/s" : "round trips/s"}`,
        );
      }
    }
  }
  const result = (t: Transport) => ({
    topics: median(topics.get(t)!),
    calls: median(calls.get(t)!),
  });
  for (const transport of transports) {
    const r = result(transport);
    console.log(
      `${transport.padEnd(7)} topics ${
        Math.round(r.topics).toLocaleString("en-US").padStart(11)
      } msg/s   ` +
        `services ${Math.round(r.calls).toLocaleString("en-US").padStart(8)} round trips/s`,
    );
  }
  const pairedRatios = (figures: Map<Transport, number[]>) =>
    figures.get("inproc")!.map((value, run) => value / figures.get("ipc")![run]);
  const topicRatios = pairedRatios(topics);
  const ratio = median(topicRatios);
  const each = runs === 1
    ? ""
    : ` (runs: ${topicRatios.map((r) => `${r.toFixed(2)}×`).join(", ")})`;
  console.log(
    `inproc / ipc topics: ${ratio.toFixed(2)}×${each}  target ≥ 2.0×  ${
      ratio >= 2 ? "PASS" : "FAIL"
    }; services ${median(pairedRatios(calls)).toFixed(2)}×`,
  );
}
