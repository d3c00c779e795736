/**
 * `deno task bench live`: what looking at a robot's data costs the robot,
 * with the robot run with exactly its baked permission flags (never -A):
 *
 * - node → node topic throughput, one subscriber counting what arrives,
 *   alone, with a Foxglove client (npm @foxglove/ws-protocol's
 *   FoxgloveClient) subscribed to every channel, with `zedge robot record`
 *   running, and with both — one robot run each, the same windows, as
 *   ratios to "alone": at a robot's rates (a steady 1 kHz of 1 KiB poses:
 *   target ≥ 0.98× with both, i.e. nothing lost) and at saturation (a
 *   publisher flooding a small pose as fast as it can: target ≥ 0.8× with
 *   both, which needs cores to spare for the supervisor and the recorder);
 * - a cold `zedge topic list` (a new process each time), named by
 *   `--control` and by the YAML, beside a bare `deno eval` and `zedge
 *   version` (target < 300 ms);
 * - `zedge robot record` of a 100 Hz, 1 KiB topic for `--minutes` (default
 *   10): the recorder's and the robot's RSS every minute, and the growth
 *   from the first minute to the last (target: flat, < 10 MB).
 *
 * Flags: `--seconds N` per throughput window (default 3), `--runs N` cold
 * starts (default 10), `--minutes N` of recording (default 10; `--quick`:
 * 1, and 1 s windows, 5 runs).
 *
 * @example
 * ```sh
 * deno task bench live --quick
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import protocol from "@foxglove/ws-protocol";
import { Request } from "../mod.ts";
import { freePort, startRobot } from "./robot.ts";

const { FoxgloveClient } = protocol;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "cli/main.ts");
const ZEDGE = new URL("../mod.ts", import.meta.url).href;

const FLOODER = `export default async function main(ctx) {
  const pose = { seq: 0, x: 1.5, y: -0.25, theta: 0.7853981633974483 };
  while (!ctx.signal.aborted) {
    for (let i = 0; i < 256; i++) {
      pose.seq++;
      ctx.publish("pose", pose);
    }
    await new Promise((r) => setImmediate(r));
  }
}
`;

/** A steady 1 kHz of 1 KiB poses (a lidar's rate, a camera's size): 10 every 10 ms. */
const STEADY = `export default async function main(ctx) {
  const pose = { seq: 0, data: "x".repeat(1000) };
  const timer = setInterval(() => {
    for (let i = 0; i < 10; i++) {
      pose.seq++;
      ctx.publish("pose", pose).catch(() => {});
    }
  }, 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;

/** Counts what arrives for as long as it is asked, and answers the rate. */
const COUNTER = `import { Reply } from ${JSON.stringify(ZEDGE)};
export default async function main(ctx) {
  const rep = new Reply();
  await rep.bind(ctx.endpoints.report);
  ctx.signal.addEventListener("abort", () => rep.close());
  let count = 0;
  (async () => { for await (const _ of ctx.subscribe("pose")) count++; })();
  for await (const [seconds] of rep) {
    const start = count, started = performance.now();
    await new Promise((r) => setTimeout(r, Number(new TextDecoder().decode(seconds)) * 1000));
    await rep.send(String((count - start) / ((performance.now() - started) / 1000)));
  }
}
`;

const BLOB = `export default async function main(ctx) {
  const value = { seq: 0, data: "x".repeat(1000) };
  const timer = setInterval(() => { value.seq++; ctx.publish("blob", value).catch(() => {}); }, 10);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  clearInterval(timer);
}
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** `zedge …` as a process with the output piped; resolves once `ready` shows on stderr. */
function zedgeProcess(args: string[], ready: RegExp) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const collect = async (stream: ReadableStream<Uint8Array>, into: (t: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) into(text);
  };
  const done = Promise.all([
    collect(child.stdout, (t) => out += t),
    collect(child.stderr, (t) => err += t),
  ]);
  const started = (async () => {
    while (!ready.test(err)) {
      if (await Promise.race([child.status.then(() => true), delay(20).then(() => false)])) {
        throw new Error(`zedge ${args.join(" ")} exited:\n${err}`);
      }
    }
  })();
  return { child, started, done, out: () => out, err: () => err };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A Foxglove client subscribed to every channel it is told of; counts messages. */
function foxgloveWatcher(address: string) {
  const client = new FoxgloveClient({
    ws: new WebSocket(`ws://${address}`, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]),
  });
  let messages = 0;
  const subscribed = new Set<number>();
  client.on("advertise", (channels) => {
    for (const channel of channels) {
      if (subscribed.has(channel.id)) continue;
      subscribed.add(channel.id);
      client.subscribe(channel.id);
    }
  });
  client.on("message", () => messages++);
  return {
    get messages() {
      return messages;
    },
    get channels() {
      return subscribed.size;
    },
    close: () => client.close(),
  };
}

async function throughput(seconds: number, load: "flood" | "steady"): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zedge-bench-live-" });
  await Deno.writeTextFile(join(dir, "flood.ts"), load === "flood" ? FLOODER : STEADY);
  await Deno.writeTextFile(join(dir, "count.ts"), COUNTER);
  const report = `tcp://127.0.0.1:${freePort()}`;
  const foxglove = `127.0.0.1:${freePort()}`;
  const control = `ipc://${dir}/zedge/bench-live.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: bench-live
foxglove: ${foxglove}
components:
  flood: { kind: node, module: ./flood.ts, publishes: [pose] }
  count: { kind: node, module: ./count.ts, subscribes: [pose], bind: { report: "${report}" } }
`,
  );
  const robot = await startRobot(join(dir, "robot.yaml"), control);
  const req = new Request({ receiveTimeout: (seconds + 30) * 1000 });
  req.connect(report);
  const measure = async () => {
    await req.send(String(seconds));
    const [rate] = await req.receive();
    return Number(new TextDecoder().decode(rate));
  };
  try {
    await measure(); // warm-up
    const rows: [string, number, string][] = [];
    rows.push(["alone", await measure(), ""]);

    const watcher = foxgloveWatcher(foxglove);
    // The log, the states, and pose once its first message showed its shape; then messages flowing.
    while (watcher.channels < 3 || watcher.messages < 100) await delay(20);
    let before = watcher.messages;
    let rate = await measure();
    rows.push([
      "+ Foxglove client on every channel",
      rate,
      `client got ${fmt((watcher.messages - before) / seconds)} msg/s`,
    ]);

    watcher.close();
    const recordFile = join(dir, "run.mcap");
    const recorder = zedgeProcess(
      ["robot", "record", "--control", control, "-o", recordFile],
      /receiving/,
    );
    await recorder.started;
    rate = await measure();
    rows.push(["+ zedge robot record", rate, ""]);

    const both = foxgloveWatcher(foxglove);
    while (both.channels < 3 || both.messages < 100) await delay(20);
    before = both.messages;
    rate = await measure();
    rows.push([
      "+ Foxglove client and zedge robot record",
      rate,
      `client got ${fmt((both.messages - before) / seconds)} msg/s`,
    ]);
    both.close();
    recorder.child.kill("SIGINT");
    await recorder.child.status;
    await recorder.done;
    const recorded = /wrote .*: (\d+) messages in ([\d.]+) s/.exec(recorder.out());

    const alone = rows[0][1];
    console.log(
      load === "flood"
        ? `\nnode → node, a flooded msgpack pose (~40 B), ${seconds} s windows, one robot run:`
        : `\nnode → node, a steady 1 kHz of 1 KiB msgpack poses, ${seconds} s windows, one robot run:`,
    );
    for (const [label, value, note] of rows) {
      console.log(
        `${label.padEnd(42)} ${fmt(value).padStart(9)} msg/s  ${(value / alone).toFixed(2)}×${
          note ? `   ${note}` : ""
        }`,
      );
    }
    if (recorded) {
      console.log(
        `the recorder kept ${fmt(Number(recorded[1]) / Number(recorded[2]))} msg/s on average ` +
          "(the rest dropped at the robot's high-water marks, never queued)",
      );
    }
    const ratio = rows[3][1] / alone;
    const target = load === "flood" ? 0.8 : 0.98;
    console.log(
      `with both: ${ratio.toFixed(2)}× alone  target ≥ ${target.toFixed(2)}×  ${
        ratio >= target ? "PASS" : "MISS"
      }`,
    );
  } finally {
    await req.close();
    robot.child.kill("SIGTERM");
    await robot.child.status;
    await robot.drained;
    await Deno.remove(dir, { recursive: true });
  }
}

async function coldStart(runs: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zedge-bench-cold-" });
  await Deno.writeTextFile(join(dir, "count.ts"), BLOB);
  const control = `ipc://${dir}/zedge/bench-cold.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: bench-cold
control: ${control}
components:
  blob: { kind: node, module: ./count.ts, publishes: [blob] }
`,
  );
  const robot = await startRobot(join(dir, "robot.yaml"), control);
  const time = async (args: string[]) => {
    const started = performance.now();
    const { success } = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    if (!success) throw new Error(`${args.join(" ")} failed`);
    return performance.now() - started;
  };
  const cases: [string, string[]][] = [
    ["deno eval 1 (the runtime alone)", ["eval", "1"]],
    ["zedge version", ["run", "-A", MAIN, "version"]],
    ["zedge topic list --control EP", ["run", "-A", MAIN, "topic", "list", "--control", control]],
    ["zedge topic list robot.yaml", ["run", "-A", MAIN, "topic", "list", join(dir, "robot.yaml")]],
  ];
  const results = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  try {
    for (const [, args] of cases) await time(args); // caches warm: "cold" is a new process
    for (let i = 0; i < runs; i++) {
      for (const [label, args] of cases) results.get(label)!.push(await time(args));
    }
  } finally {
    robot.child.kill("SIGTERM");
    await robot.child.status;
    await robot.drained;
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`\ncold start, a new process each time, ${runs} runs, interleaved:`);
  const runtime = median(results.get(cases[0][0])!);
  for (const [label] of cases) {
    const values = results.get(label)!;
    const m = median(values);
    const target = label.startsWith("zedge topic list")
      ? `  target < 300 ms  ${m < 300 ? "PASS" : "MISS"}`
      : "";
    console.log(
      `${label.padEnd(34)} median ${fmt(m).padStart(5)} ms (min ${fmt(Math.min(...values))}), ${
        (m / runtime).toFixed(1)
      }× the runtime alone${target}`,
    );
  }
}

function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  } catch {
    return NaN;
  }
}

async function recordingMemory(minutes: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zedge-bench-record-" });
  await Deno.writeTextFile(join(dir, "blob.ts"), BLOB);
  const control = `ipc://${dir}/zedge/bench-rec.sock`;
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    `robot: bench-rec
control: ${control}
components:
  blob: { kind: node, module: ./blob.ts, publishes: { blob: json } }
`,
  );
  const robot = await startRobot(join(dir, "robot.yaml"), control);
  const file = join(dir, "run.mcap");
  const recorder = zedgeProcess(["robot", "record", "--control", control, "-o", file], /receiving/);
  const samples: { minute: number; recorder: number; robot: number }[] = [];
  try {
    await recorder.started;
    for (let minute = 1; minute <= minutes; minute++) {
      await delay(60_000);
      samples.push({ minute, recorder: rssMb(recorder.child.pid), robot: rssMb(robot.child.pid) });
    }
    recorder.child.kill("SIGINT");
    await recorder.child.status;
    await recorder.done;
  } finally {
    robot.child.kill("SIGTERM");
    await robot.child.status;
    await robot.drained;
  }
  const size = (await Deno.stat(file)).size;
  await Deno.remove(dir, { recursive: true });
  console.log(`\nzedge robot record of a 100 Hz, 1 KiB json topic for ${minutes} min (RSS, MB):`);
  for (const s of samples) {
    console.log(
      `minute ${String(s.minute).padStart(2)}  recorder ${
        s.recorder.toFixed(1).padStart(6)
      }  robot ${s.robot.toFixed(1).padStart(6)}`,
    );
  }
  const summary = recorder.out().trim().split("\n").at(-1) ?? "";
  console.log(`${summary} (file ${(size / 1e6).toFixed(1)} MB)`);
  const growth = samples.at(-1)!.recorder - samples[0].recorder;
  console.log(
    `recorder RSS from minute 1 to ${minutes}: ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB  ` +
      `target < 10 MB  ${Math.abs(growth) < 10 ? "PASS" : "MISS"}`,
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string" },
      runs: { type: "string" },
      minutes: { type: "string" },
      quick: { type: "boolean" },
    },
    strict: false,
  });
  const quick = values.quick === true;
  const seconds = Number(values.seconds ?? (quick ? 1 : 3));
  await throughput(seconds, "steady");
  await throughput(seconds, "flood");
  await coldStart(Number(values.runs ?? (quick ? 5 : 10)));
  await recordingMemory(Number(values.minutes ?? (quick ? 1 : 10)));
  console.log("(a shared, loaded machine: compare the ratios of one run, not the figures)");
}
