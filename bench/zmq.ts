/**
 * The "zmq" benchmark section: zedge's sockets side by side with native
 * libzmq 4.3.4 from C (bench/native/zmq_peer.c, compiled here with `cc`),
 * pyzmq (libzmq 4.3.4) and zeromq.js on Node (libzmq 4.3.5), in the same
 * run; and, for REQ/REP, a raw Deno TCP echo of the same bytes (no ZMTP:
 * the runtime's own limit).
 *
 * Every socket runs in its own process and each system only talks to itself
 * (zedge↔zedge, pyzmq↔pyzmq, zeromq.js↔zeromq.js) over loopback TCP on a
 * random port. Rates are measured at the receiving side over a fixed window
 * after a warm-up; each case runs once per system per round, systems
 * interleaved, and the best round counts (noise on a shared machine only ever
 * slows a run down).
 *
 * Cases: REQ/REP 16 B round trips/s; PUSH→PULL 16 B and 1 KiB msg/s; PUB→SUB
 * 16 B to 4 subscribers (each its own process), msg/s delivered in total;
 * then CURVE (RFC 25/26) REQ/REP and PUSH→PULL 16 B and 1 KiB, each system
 * encrypting with its own library (zedge: libsodium as WebAssembly; pyzmq and
 * zeromq.js: libzmq's native libsodium), the binding side the CURVE server.
 * Then the RSS of a zedge PULL receiving 10 M 16-byte messages, sampled every
 * 1 M (it takes ~10 s, so it always runs; 2 M with --quick), and the engine's
 * memory per idle connection over 1,000 peers (bench/zmq_memory.ts), and the
 * scale curves against native libzmq (bench/zmq_scale.ts).
 *
 * Flags:
 *   --quick            about 5x shorter (smoke tests)
 *   --only=<systems>   comma-separated subset of zedge,native,pyzmq,zeromq.js,deno-tcp
 *                      (`--only zedge` works too)
 *   --cases=<text>     only the cases whose label contains the text (say
 *                      `--cases=CURVE`), without the memory measurements
 *   --curves[=fan-in]  only the scale curves (fan-in, fan-out, latency), or
 *                      only the fan-in curve and its verdicts (a minute)
 *   --warmup=<s>       seconds each measurement runs before its window opens,
 *                      for every system and case alike (default 0.5, 0.1 with
 *                      --quick): V8 is still compiling a JavaScript peer's hot
 *                      path after 0.5 s (docs/benchmarks.md, REQ/REP)
 *
 * Flags it does not know are ignored (bench/main.ts hands every section the
 * same flags).
 *
 * @example
 * ```sh
 * deno run -A bench/zmq.ts --quick --only=zedge
 * ```
 *
 * @module
 */
import { loadCurveCrypto, z85Encode } from "../core/zmtp/mod.ts";
import { measureMemory, renderMemory } from "./zmq_memory.ts";
import { buildNativePeer, nativeCommand } from "./native_peer.ts";
import { PeerProcess, type PeerReport } from "./zmq_process.ts";
import { measureScale, renderScale } from "./zmq_scale.ts";

/**
 * A socket library under test: zedge, native libzmq from C (the ceiling),
 * pyzmq, zeromq.js, and a raw Deno TCP echo (the runtime's own limit, REQ/REP
 * only).
 */
export type System = "zedge" | "native" | "pyzmq" | "zeromq.js" | "deno-tcp";

/** All systems, in table column order. */
export const SYSTEMS: readonly System[] = ["zedge", "native", "pyzmq", "zeromq.js", "deno-tcp"];

/** What each system is called in tables. */
const SYSTEM_NAMES: Record<System, string> = {
  zedge: "zedge",
  native: "native libzmq",
  pyzmq: "pyzmq",
  "zeromq.js": "zeromq.js",
  "deno-tcp": "raw Deno TCP echo",
};

/** The compiled native peer (bench/native_peer.ts), once main() has built it. */
let nativeBinary: string | null = null;

/**
 * Whether `system` plays the case `label`: the native peer has no CURVE
 * (libzmq's own CURVE is pyzmq's column), the TCP echo only REQ/REP 16 B.
 */
function plays(system: System, label: string): boolean {
  if (system === "native") return nativeBinary !== null && !label.startsWith("CURVE");
  if (system === "deno-tcp") return label === LABELS.reqRep;
  return true;
}

/**
 * The section's validated command-line options.
 *
 * @example
 * ```ts
 * const options = parseBenchArgs(["--quick", "--only=zedge"]);
 * console.log(options.systems); // ["zedge"]
 * ```
 */
export interface BenchOptions {
  quick: boolean;
  systems: System[];
  /** Only cases whose label contains this (case-insensitive); null = all. */
  cases: string | null;
  /** Only the scale curves (bench/zmq_scale.ts): all of them, or only fan-in; null = everything. */
  curves: "all" | "fan-in" | null;
  /** Seconds of warm-up before each window, for every system and case; null = the default. */
  warmup: number | null;
  /** Flags that were not ours, reported and otherwise ignored. */
  ignored: string[];
}

/**
 * Parses this section's flags; a bad `--only` value is an error naming it.
 *
 * @example
 * ```ts
 * parseBenchArgs(["--only", "pyzmq,zeromq.js"]).systems; // ["pyzmq", "zeromq.js"]
 * ```
 */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    quick: false,
    systems: [...SYSTEMS],
    cases: null,
    curves: null,
    warmup: null,
    ignored: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--curves") options.curves = "all";
    else if (arg === "--curves=fan-in") options.curves = "fan-in";
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? args[++i] : arg.slice("--only=".length);
      if (value === undefined || value === "") {
        throw new Error(`--only: expected a comma-separated list of ${SYSTEMS.join(", ")}`);
      }
      const names = value.split(",").map((name) => name.trim());
      for (const name of names) {
        if (!SYSTEMS.includes(name as System)) {
          throw new Error(`--only: unknown system "${name}" (expected ${SYSTEMS.join(", ")})`);
        }
      }
      options.systems = SYSTEMS.filter((system) => names.includes(system));
    } else if (arg.startsWith("--cases=") && arg.length > "--cases=".length) {
      options.cases = arg.slice("--cases=".length);
    } else if (arg.startsWith("--warmup=")) {
      const seconds = Number(arg.slice("--warmup=".length));
      if (!(seconds >= 0 && seconds <= 60)) {
        throw new Error(`--warmup: expected seconds 0..60, got "${arg.slice("--warmup=".length)}"`);
      }
      options.warmup = seconds;
    } else options.ignored.push(arg);
  }
  return options;
}

/**
 * How long each measurement runs.
 *
 * @example
 * ```ts
 * const t: Timing = { warmup: 0.5, duration: 2, rounds: 3, rssCount: 10_000_000, rssEvery: 1_000_000 };
 * ```
 */
export interface Timing {
  /** Seconds each measurement runs before its window opens. */
  warmup: number;
  /** Seconds in each measurement window. */
  duration: number;
  rounds: number;
  rssCount: number;
  rssEvery: number;
}

function timingFor(options: BenchOptions): Timing {
  // 10 M messages take ~10 s at zedge's ~1 M msg/s, so no --long flag is needed.
  const rssCount = options.quick ? 2_000_000 : 10_000_000;
  return {
    warmup: options.warmup ?? (options.quick ? 0.1 : 0.5),
    duration: options.quick ? 0.4 : 2,
    // Three rounds: on a shared 2-core machine single runs vary by ±40%.
    rounds: options.quick ? 1 : 3,
    rssCount,
    // Every 1 M messages, but at least 8 samples on the --quick run.
    rssEvery: Math.min(1_000_000, rssCount / 8),
  };
}

const STARTUP_TIMEOUT_MS = 20_000;
const SUBSCRIBERS = 4;
const PEER_FILES = {
  zedge: new URL("./zmq_peer.ts", import.meta.url).pathname,
  "deno-tcp": new URL("./tcp_echo_peer.ts", import.meta.url).pathname,
  pyzmq: new URL("../tests/peers/python/bench_peer.py", import.meta.url).pathname,
  "zeromq.js": new URL("../tests/peers/node/bench_peer.mjs", import.meta.url).pathname,
};

/**
 * The command line that starts one benchmark peer of `system`; `denoFlags` go
 * to a zedge peer's `deno run` (bench/zmq_profile.ts adds --inspect).
 *
 * @example
 * ```ts
 * const command = peerCommand("pyzmq", { role: "rep", size: 16 });
 * // ["/usr/bin/python3", ".../tests/peers/python/bench_peer.py", '{"role":"rep","size":16}']
 * ```
 */
export function peerCommand(
  system: System,
  config: Record<string, unknown>,
  denoFlags: readonly string[] = [],
): string[] {
  const json = JSON.stringify(config);
  switch (system) {
    case "zedge":
      return [
        Deno.execPath(),
        "run",
        "--allow-net=127.0.0.1",
        ...denoFlags,
        PEER_FILES.zedge,
        json,
      ];
    case "native":
      if (nativeBinary === null) throw new Error("the native peer was not built");
      return nativeCommand(nativeBinary, config);
    case "deno-tcp":
      return [Deno.execPath(), "run", "--allow-net=127.0.0.1", PEER_FILES["deno-tcp"], json];
    case "pyzmq":
      return ["/usr/bin/python3", PEER_FILES.pyzmq, json];
    case "zeromq.js":
      return ["node", PEER_FILES["zeromq.js"], json];
  }
}

/**
 * Starts one benchmark peer of a system.
 *
 * @example
 * ```ts
 * const spawnPull: Spawn = (system, config) => new PeerProcess(system, peerCommand(system, config));
 * ```
 */
export type Spawn = (system: System, config: Record<string, unknown>) => PeerProcess;

/**
 * Runs `body` with a spawner whose peers are all stopped when it ends.
 *
 * @example
 * ```ts
 * const endpoint = await withPeers(async (spawn) => (await spawn("zedge", { role: "rep", size: 16 }).next(10_000)).endpoint);
 * ```
 */
export async function withPeers<T>(body: (spawn: Spawn) => Promise<T>): Promise<T> {
  const peers: PeerProcess[] = [];
  const spawn: Spawn = (system, config) => {
    const peer = new PeerProcess(`${system} ${config.role}`, peerCommand(system, config));
    peers.push(peer);
    return peer;
  };
  try {
    return await body(spawn);
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()));
  }
}

function field<T>(
  peer: PeerProcess,
  report: PeerReport,
  name: string,
  check: (v: unknown) => boolean,
): T {
  const value = report[name];
  if (!check(value)) {
    throw new Error(
      `${peer.label} reported ${JSON.stringify(report)}: field "${name}" is missing or invalid`,
    );
  }
  return value as T;
}

const isEndpoint = (v: unknown) => typeof v === "string" && v.startsWith("tcp://");
const isRate = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;

/**
 * The endpoint a binding peer reports once it listens.
 *
 * @example
 * ```ts
 * const endpoint = await endpointOf(rep);
 * ```
 */
export async function endpointOf(peer: PeerProcess): Promise<string> {
  return field<string>(peer, await peer.next(STARTUP_TIMEOUT_MS), "endpoint", isEndpoint);
}

/**
 * A measuring peer's report, checked to carry a rate.
 *
 * @example
 * ```ts
 * const { rate } = await reportOf(pull, { warmup: 0.5, duration: 2 });
 * ```
 */
export async function reportOf(
  peer: PeerProcess,
  window: { warmup: number; duration: number },
): Promise<PeerReport & { rate: number }> {
  const report = await peer.next((window.warmup + window.duration) * 1000 + 30_000);
  field<number>(peer, report, "rate", isRate);
  return report as PeerReport & { rate: number };
}

/**
 * Waits for a subscribing peer's `{"ready": true}`.
 *
 * @example
 * ```ts
 * await readyOf(sub);
 * ```
 */
export async function readyOf(peer: PeerProcess): Promise<void> {
  field(peer, await peer.next(STARTUP_TIMEOUT_MS), "ready", (v) => v === true);
}

async function rateOf(peer: PeerProcess, timing: Timing): Promise<number> {
  return (await reportOf(peer, timing)).rate;
}

interface BenchCase {
  label: string;
  run(system: System, timing: Timing): Promise<number>;
}

/** The CURVE server key pair of the run (Z85), made once in main(). */
let curveKeys: { publicKey: string; secretKey: string } | undefined;

/** The peer config's `curve` entry for a CURVE case, nothing otherwise. */
function security(curve: boolean) {
  if (!curve) return {};
  if (curveKeys === undefined) throw new Error("CURVE keys were not made");
  return { curve: curveKeys };
}

const LABELS = {
  reqRep: "REQ/REP 16 B, round trips/s",
  push16: "PUSH→PULL 16 B, msg/s",
  curveReqRep: "CURVE REQ/REP 16 B, round trips/s",
  curvePush16: "CURVE PUSH→PULL 16 B, msg/s",
};

const CASES: readonly BenchCase[] = [
  reqRep(LABELS.reqRep),
  pushPull(16, LABELS.push16),
  pushPull(1024, "PUSH→PULL 1 KiB, msg/s"),
  {
    label: `PUB→SUB 16 B to ${SUBSCRIBERS} SUBs, msg/s delivered`,
    run: (system, timing) =>
      withPeers(async (spawn) => {
        const pub = spawn(system, { role: "pub", size: 16 });
        const endpoint = await endpointOf(pub);
        const subs = Array.from(
          { length: SUBSCRIBERS },
          () => spawn(system, { role: "sub", endpoint, size: 16, ...measureWindow(timing) }),
        );
        for (const sub of subs) await readyOf(sub);
        // Let the subscriptions reach the publisher before it starts, so no
        // subscriber measures while the others are still joining.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await pub.send("go");
        const rates = await Promise.all(subs.map((sub) => rateOf(sub, timing)));
        return rates.reduce((sum, rate) => sum + rate, 0);
      }),
  },
  reqRep(LABELS.curveReqRep, true),
  pushPull(16, LABELS.curvePush16, true),
  pushPull(1024, "CURVE PUSH→PULL 1 KiB, msg/s", true),
];

function reqRep(label: string, curve = false): BenchCase {
  return {
    label,
    run: (system, timing) =>
      withPeers(async (spawn) => {
        const rep = spawn(system, { role: "rep", size: 16, ...security(curve) });
        const endpoint = await endpointOf(rep);
        const req = spawn(system, {
          role: "req",
          endpoint,
          size: 16,
          ...measureWindow(timing),
          ...security(curve),
        });
        return await rateOf(req, timing);
      }),
  };
}

function pushPull(size: number, label: string, curve = false): BenchCase {
  return {
    label,
    run: (system, timing) =>
      withPeers(async (spawn) => {
        const pull = spawn(system, {
          role: "pull",
          size,
          ...measureWindow(timing),
          ...security(curve),
        });
        const endpoint = await endpointOf(pull);
        spawn(system, { role: "push", endpoint, size, ...security(curve) });
        return await rateOf(pull, timing);
      }),
  };
}

function measureWindow(timing: Timing) {
  return { warmup: timing.warmup, duration: timing.duration };
}

interface RssResult {
  sender: System;
  samples: { messages: number; rss: number; heapTotal: number }[];
  rate: number;
}

/** zedge PULL receiving `rssCount` 16-byte messages, RSS sampled as it goes. */
function measureRss(timing: Timing, sender: System): Promise<RssResult> {
  return withPeers(async (spawn) => {
    const pull = spawn("zedge", {
      role: "pull-rss",
      size: 16,
      count: timing.rssCount,
      sampleEvery: timing.rssEvery,
    });
    const endpoint = await endpointOf(pull);
    spawn(sender, { role: "push", endpoint, size: 16 });
    // Generous: a receiver slower than 20,000 msg/s is a result worth seeing too.
    const report = await pull.next(30_000 + (timing.rssCount / 20_000) * 1000);
    const samples = field<RssResult["samples"]>(
      pull,
      report,
      "samples",
      (v) =>
        Array.isArray(v) && v.length > 0 &&
        v.every((s) =>
          typeof s?.messages === "number" && typeof s?.rss === "number" &&
          typeof s?.heapTotal === "number"
        ),
    );
    return { sender, samples, rate: field<number>(pull, report, "rate", isRate) };
  });
}

const formatRate = (rate: number | undefined) =>
  rate === undefined ? "—" : Math.round(rate).toLocaleString("en-US");
const formatRatio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`;
const formatMiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Best rate per case label and system. */
type Results = Map<string, Map<System, number>>;

function renderTable(results: Results): string {
  const others: System[] = ["native", "pyzmq", "zeromq.js", "deno-tcp"];
  const lines = [
    `| case | ${SYSTEMS.map((system) => SYSTEM_NAMES[system]).join(" | ")} | ${
      others.map((system) => `zedge/${SYSTEM_NAMES[system]}`).join(" | ")
    } |`,
    `| --- | ${SYSTEMS.map(() => "---:").join(" | ")} | ${others.map(() => "---:").join(" | ")} |`,
  ];
  for (const { label } of CASES) {
    const best = results.get(label);
    if (best === undefined) continue;
    const z = best.get("zedge");
    lines.push(
      `| ${label} | ${SYSTEMS.map((system) => formatRate(best.get(system))).join(" | ")} | ${
        others.map((system) => formatRatio(z, best.get(system))).join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}

const TARGETS: { label: string; name: string; against: System; min: number }[] = [
  { label: LABELS.push16, name: "PUSH→PULL 16 B", against: "native", min: 1.0 },
  { label: LABELS.reqRep, name: "REQ/REP 16 B", against: "deno-tcp", min: 0.9 },
  { label: LABELS.push16, name: "PUSH→PULL 16 B", against: "pyzmq", min: 1.0 },
  { label: LABELS.reqRep, name: "REQ/REP 16 B", against: "pyzmq", min: 0.9 },
  { label: LABELS.curvePush16, name: "CURVE PUSH→PULL 16 B", against: "pyzmq", min: 1.0 },
];

function renderTargets(results: Results): string {
  return TARGETS.filter(({ label }) => results.has(label)).map(
    ({ label, name, against, min }) => {
      const z = results.get(label)?.get("zedge"), other = results.get(label)?.get(against);
      const verdict = z === undefined || other === undefined
        ? `n/a (needs both zedge and ${SYSTEM_NAMES[against]})`
        : `${(z / other).toFixed(2)}× ${z / other >= min ? "PASS" : "MISS"}`;
      return `- target ${name} ≥ ${min.toFixed(1)}× ${SYSTEM_NAMES[against]}: ${verdict}`;
    },
  ).join("\n");
}

function renderRss(rss: RssResult, timing: Timing): string {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const points = rss.samples.filter((s) => s.messages >= timing.rssEvery);
  const rssValues = points.map((s) => s.rss);
  const first = rssValues[0], last = rssValues[rssValues.length - 1];
  const middle = rssValues[Math.floor((rssValues.length - 1) / 2)];
  return [
    `zedge PULL receiving ${timing.rssCount.toLocaleString("en-US")} × 16 B from a ` +
    `${rss.sender} PUSH (${formatRate(rss.rate)} msg/s); RSS sampled every ` +
    `${timing.rssEvery.toLocaleString("en-US")} messages:`,
    `- RSS first ${formatMiB(first)}, last ${formatMiB(last)}, max ${
      formatMiB(Math.max(...rssValues))
    }; ` +
    `second half ${last >= middle ? "+" : "−"}${mib(Math.abs(last - middle))} MiB ` +
    `(at message 1: ${formatMiB(rss.samples[0].rss)})`,
    `- RSS samples (MiB): ${rssValues.map(mib).join(" ")}`,
    `- V8 heapTotal samples (MiB): ${points.map((s) => mib(s.heapTotal)).join(" ")}`,
  ].join("\n");
}

/** Runs the section; resolves false if any measurement failed. */
async function main(options: BenchOptions): Promise<boolean> {
  const timing = timingFor(options);
  const crypto = await loadCurveCrypto();
  const pair = crypto.keyPair();
  curveKeys = { publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) };
  if (options.ignored.length > 0) console.error(`zmq: ignoring flags ${options.ignored.join(" ")}`);
  console.log(
    `Loopback TCP, one process per socket, each system paired with itself; rates at the ` +
      `receiver over ${timing.duration} s after ${timing.warmup} s warm-up; best of ` +
      `${timing.rounds} round(s)${options.quick ? " (--quick)" : ""}.\n`,
  );
  const results: Results = new Map();
  let ok = true;
  if (options.systems.includes("native")) {
    try {
      nativeBinary = await buildNativePeer();
    } catch (error) {
      ok = false;
      console.error(`zmq: native libzmq peer not available: ${(error as Error).message}`);
    }
  }
  const wanted = (label: string) =>
    options.curves === null &&
    (options.cases === null || label.toLowerCase().includes(options.cases.toLowerCase()));
  for (let round = 1; round <= timing.rounds; round++) {
    for (const benchCase of CASES.filter((c) => wanted(c.label))) {
      for (const system of options.systems.filter((system) => plays(system, benchCase.label))) {
        try {
          const rate = await benchCase.run(system, timing);
          const best = results.get(benchCase.label) ?? new Map<System, number>();
          best.set(system, Math.max(rate, best.get(system) ?? 0));
          results.set(benchCase.label, best);
          console.error(`  round ${round}: ${system} ${benchCase.label}: ${formatRate(rate)}`);
        } catch (error) {
          ok = false;
          console.error(
            `  round ${round}: ${system} ${benchCase.label}: FAILED: ${(error as Error).message}`,
          );
        }
      }
    }
  }
  if (options.curves === null) {
    console.log(renderTable(results));
    console.log();
    console.log(renderTargets(results));
  }
  if (options.systems.includes("zedge") && options.cases === null && options.curves === null) {
    const sender = options.systems.includes("pyzmq") ? "pyzmq" : "zedge";
    try {
      console.log();
      console.log(renderRss(await measureRss(timing, sender), timing));
    } catch (error) {
      ok = false;
      console.log(`zedge PULL RSS: FAILED: ${(error as Error).message}`);
    }
    try {
      console.log();
      console.log(renderMemory(await measureMemory(1000)));
    } catch (error) {
      ok = false;
      console.log(`zedge memory per connection: FAILED: ${(error as Error).message}`);
    }
  }
  if (options.systems.includes("zedge") && options.cases === null) {
    try {
      console.log();
      const against = options.systems.includes("native") && nativeBinary !== null ? "native" : null;
      const fanInOnly = options.curves === "fan-in";
      console.log(renderScale(await measureScale(timing, against, options.quick, fanInOnly)));
    } catch (error) {
      ok = false;
      console.log(`scale curves: FAILED: ${(error as Error).message}`);
    }
  }
  return ok;
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(Deno.args);
  } catch (error) {
    console.error(`zmq: ${(error as Error).message}`);
    Deno.exit(2);
  }
  Deno.exit((await main(options)) ? 0 : 1);
}
