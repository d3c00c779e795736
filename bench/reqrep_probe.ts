/**
 * What a read kept posted costs a round trip: zedge REQ/REP 16 B beside the
 * raw Deno TCP echo of bench/zmq.ts, and the same echo with a read kept
 * posted on both sides (as zedge's engine keeps one on every connection).
 * Same process layout as `deno task bench zmq` (one process per side, same
 * bytes per round trip); the three run in turn, round after round, and the
 * medians are compared, because this shared machine drifts by more than the
 * effect measured. Each figure comes with the main thread's CPU time per
 * round trip of each side (from /proc), and each rate's ratio to the echo
 * of its own round (paired: the machine drifts between rounds).
 *
 * `--warmup=S` (default 0.5, as bench/zmq.ts) is the warm-up before each
 * window; `--pin=split` puts the REP on CPU 0 and the REQ on CPU 1,
 * `--pin=same` both on CPU 0 (taskset, every contender alike): unpinned,
 * the scheduler sometimes puts a ping-pong pair on one core, where a round
 * trip costs no cross-core wake-up and the rate is each side's CPU time alone.
 *
 *     flock /tmp/zedge-bench.lock deno run -A bench/reqrep_probe.ts [--rounds=5] [--seconds=1.5] [--warmup=0.5] [--pin=split|same]
 *
 * @example
 * ```sh
 * deno run -A bench/reqrep_probe.ts --rounds=3 --seconds=1
 * ```
 *
 * @module
 */
import { endpointOf, peerCommand, reportOf, type System } from "./zmq.ts";
import { PeerProcess } from "./zmq_process.ts";

/**
 * One contender: the system whose peers run and what their config adds.
 *
 * @example
 * ```ts
 * const contender: Contender = { name: "raw echo", system: "deno-tcp", extra: {} };
 * ```
 */
export interface Contender {
  name: string;
  system: System;
  extra: Record<string, unknown>;
}

/** zedge, the echo as bench/zmq.ts runs it, and the echo with reads kept posted. */
export const CONTENDERS: readonly Contender[] = [
  { name: "zedge REQ/REP", system: "zedge", extra: {} },
  { name: "raw Deno TCP echo", system: "deno-tcp", extra: {} },
  { name: "raw Deno TCP echo, read kept posted", system: "deno-tcp", extra: { read: "posted" } },
];

/**
 * Where the two peers run: wherever the scheduler puts them, on two CPUs
 * (REP on 0, REQ on 1), or both on CPU 0.
 */
export type Placement = "none" | "split" | "same";

/**
 * One round of `contender`: its rate, and the main thread's CPU time per
 * round trip on each side (µs).
 *
 * @example
 * ```ts
 * const { rate, reqCpu, repCpu } = await roundTrips(CONTENDERS[1], 1);
 * ```
 */
export interface RoundResult {
  rate: number;
  reqCpu: number;
  repCpu: number;
}

/** utime + stime of a process's main thread, in seconds; NaN once it has exited. */
function mainThreadCpu(pid: number): number {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/stat`);
  } catch {
    return NaN; // the peer is gone already (a window too short for the samples)
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * One REQ/REP round-trip rate of `contender` over `seconds` after `warmup`
 * seconds, its peers placed as `placement` says.
 *
 * @example
 * ```ts
 * const { rate } = await roundTrips(CONTENDERS[1], 1);
 * ```
 */
export async function roundTrips(
  contender: Contender,
  seconds: number,
  warmup = 0.5,
  placement: Placement = "none",
): Promise<RoundResult> {
  const timing = { warmup, duration: seconds };
  const spawn = (role: "rep" | "req", config: Record<string, unknown>) => {
    const command = peerCommand(contender.system, config);
    const cpu = placement === "split" && role === "req" ? "1" : "0";
    return new PeerProcess(
      `${contender.system} ${role}`,
      placement === "none" ? command : ["taskset", "-c", cpu, ...command],
    );
  };
  const peers: PeerProcess[] = [];
  try {
    const rep = spawn("rep", { role: "rep", size: 16, ...contender.extra });
    peers.push(rep);
    const endpoint = await endpointOf(rep);
    const req = spawn("req", { role: "req", endpoint, size: 16, ...timing, ...contender.extra });
    peers.push(req);
    // The CPU over the middle of the window (a peer takes 0.1-0.4 s to start, and may exit as
    // it reports), per round trip at the window's rate.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(500 + warmup * 1000);
    const t0 = performance.now();
    const before = [mainThreadCpu(rep.pid), mainThreadCpu(req.pid)];
    await sleep(Math.max(100, seconds * 1000 - 600));
    const after = [mainThreadCpu(rep.pid), mainThreadCpu(req.pid)];
    const elapsed = (performance.now() - t0) / 1000;
    const report = await reportOf(req, timing);
    const count = report.rate * elapsed;
    return {
      rate: report.rate,
      repCpu: ((after[0] - before[0]) * 1e6) / count,
      reqCpu: ((after[1] - before[1]) * 1e6) / count,
    };
  } finally {
    await Promise.all(peers.map((peer) => peer.stop()));
  }
}

/**
 * The middle value (the mean of the two middle ones for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function option(args: readonly string[], name: string, fallback: number): number {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`--${name} must be a positive number, got ${arg.slice(name.length + 3)}`);
  }
  return value;
}

async function main(args: readonly string[]): Promise<void> {
  if (args.includes("--help")) {
    console.log(
      "usage: deno run -A bench/reqrep_probe.ts [--rounds=5] [--seconds=1.5] [--warmup=0.5] " +
        "[--pin=split|same]\n" +
        "zedge REQ/REP 16 B, the raw Deno TCP echo and the echo with a read kept posted, in turn.",
    );
    return;
  }
  const rounds = Math.round(option(args, "rounds", 5));
  const seconds = option(args, "seconds", 1.5);
  const warmup = option(args, "warmup", 0.5);
  const pin = args.find((a) => a.startsWith("--pin="))?.slice("--pin=".length) ?? "none";
  if (pin !== "none" && pin !== "split" && pin !== "same") {
    throw new Error(`--pin must be split or same, got ${pin}`);
  }
  const results = CONTENDERS.map(() => [] as RoundResult[]);
  for (let round = 1; round <= rounds; round++) {
    for (const [i, contender] of CONTENDERS.entries()) {
      const result = await roundTrips(contender, seconds, warmup, pin);
      results[i].push(result);
      console.log(
        `  round ${round}: ${contender.name}: ${Math.round(result.rate).toLocaleString("en-US")} ` +
          `(main thread ${result.reqCpu.toFixed(1)} / ${
            result.repCpu.toFixed(1)
          } µs per round trip)`,
      );
    }
  }
  const echo = results[1];
  console.log(
    `\n| median of ${rounds}, warm-up ${warmup} s, pin ${pin} | round trips/s | ` +
      `vs raw echo, same round | main thread µs per round trip, REQ / REP |\n` +
      `| --- | ---: | ---: | ---: |`,
  );
  for (const [i, contender] of CONTENDERS.entries()) {
    const rows = results[i];
    const ratio = median(rows.map((row, r) => row.rate / echo[r].rate));
    console.log(
      `| ${contender.name} | ${
        Math.round(median(rows.map((row) => row.rate))).toLocaleString("en-US")
      } | ` +
        `${ratio.toFixed(2)}× | ${median(rows.map((row) => row.reqCpu)).toFixed(1)} / ` +
        `${median(rows.map((row) => row.repCpu)).toFixed(1)} |`,
    );
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`reqrep_probe.ts: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
