/**
 * What a read kept posted costs a round trip: zedge REQ/REP 16 B beside the
 * raw Deno TCP echo of bench/zmq.ts, and the same echo with a read kept
 * posted on both sides (as zedge's engine keeps one on every connection).
 * Same process layout as `deno task bench zmq` (one process per side, same
 * bytes per round trip); the three run in turn, round after round, and the
 * medians are compared, because this shared machine drifts by more than the
 * effect measured.
 *
 *     flock /tmp/zedge-bench.lock deno run -A bench/reqrep_probe.ts [--rounds=5] [--seconds=1.5]
 *
 * @example
 * ```sh
 * deno run -A bench/reqrep_probe.ts --rounds=3 --seconds=1
 * ```
 *
 * @module
 */
import { endpointOf, reportOf, type System, withPeers } from "./zmq.ts";

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
 * One REQ/REP round-trip rate of `contender` over `seconds` (after 0.5 s of warm-up).
 *
 * @example
 * ```ts
 * const rate = await roundTrips(CONTENDERS[1], 1);
 * ```
 */
export function roundTrips(contender: Contender, seconds: number): Promise<number> {
  const timing = { warmup: 0.5, duration: seconds };
  return withPeers(async (spawn) => {
    const rep = spawn(contender.system, { role: "rep", size: 16, ...contender.extra });
    const endpoint = await endpointOf(rep);
    const req = spawn(contender.system, {
      role: "req",
      endpoint,
      size: 16,
      ...timing,
      ...contender.extra,
    });
    return (await reportOf(req, timing)).rate;
  });
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
      "usage: deno run -A bench/reqrep_probe.ts [--rounds=5] [--seconds=1.5]\n" +
        "zedge REQ/REP 16 B, the raw Deno TCP echo and the echo with a read kept posted, in turn.",
    );
    return;
  }
  const rounds = Math.round(option(args, "rounds", 5));
  const seconds = option(args, "seconds", 1.5);
  const rates = CONTENDERS.map(() => [] as number[]);
  for (let round = 1; round <= rounds; round++) {
    for (const [i, contender] of CONTENDERS.entries()) {
      const rate = await roundTrips(contender, seconds);
      rates[i].push(rate);
      console.log(
        `  round ${round}: ${contender.name}: ${Math.round(rate).toLocaleString("en-US")}`,
      );
    }
  }
  const echo = median(rates[1]);
  console.log(
    `\n| round trips/s, median of ${rounds} | rate | vs raw echo |\n| --- | ---: | ---: |`,
  );
  for (const [i, contender] of CONTENDERS.entries()) {
    const rate = median(rates[i]);
    console.log(
      `| ${contender.name} | ${Math.round(rate).toLocaleString("en-US")} | ${
        (rate / echo).toFixed(2)
      }× |`,
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
