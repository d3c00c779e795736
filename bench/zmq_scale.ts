/**
 * The scale curves of the "zmq" benchmark section, zedge beside native
 * libzmq from C in the same run:
 *
 * - PUSH→PULL 16 B: one PULL fed by 1, 10 and 100 connected PUSH sockets
 *   (all in one other process), msg/s at the PULL, and the zedge PULL at
 *   100 peers once more draining with tryReceive() (an extra row beside
 *   the receive() loop, which is the row the target judges);
 * - PUB→SUB 16 B fan-out to 1, 10 and 100 subscribers (all in one other
 *   process), msg/s delivered in total;
 * - REQ/REP round-trip latency p50 and p99 at 16 B, 1 KiB and 64 KiB.
 *
 * Each system talks only to itself, as in bench/zmq.ts. RSS per idle
 * connection is bench/zmq_memory.ts's figure, printed just before.
 *
 * @example
 * ```ts
 * import { measureScale, renderScale } from "./zmq_scale.ts";
 * console.log(renderScale(await measureScale({ warmup: 0.1, duration: 0.4, rounds: 1, rssCount: 0, rssEvery: 1 }, "native", true)));
 * ```
 *
 * @module
 */
import { endpointOf, readyOf, reportOf, type System, type Timing, withPeers } from "./zmq.ts";

/** Connected peers (or subscribers) per point of a curve. */
const FAN = [1, 10, 100];
/**
 * Seconds of warm-up before a PUSH→PULL fan-in window, and of the window,
 * at least, for both systems: the window starts at the PULL's first
 * message, when 100 connecting peers are still handshaking and the
 * receiver's code is not yet optimized, and --quick's 0.1 s measured that
 * start-up instead of the steady rate; its 0.4 s windows varied by half.
 */
const FAN_IN_WARMUP = 1;
const FAN_IN_WINDOW = 1;
/** Payload sizes of the latency curve. */
const SIZES = [16, 1024, 65536];

/**
 * One row of a curve: zedge's figure and the other system's, if it ran.
 *
 * @example
 * ```ts
 * const row: ScaleRow = { label: "10 peers", zedge: 3e6, other: 5e6 };
 * ```
 */
export interface ScaleRow {
  label: string;
  zedge: number;
  other?: number;
  /** The zedge receiver's RSS at its peak over the window, bytes (PUSH→PULL only). */
  zedgeRss?: number;
  /** The other system's receiver's RSS, sampled the same way (PUSH→PULL only). */
  otherRss?: number;
}

/**
 * Every curve, as measured.
 *
 * @example
 * ```ts
 * const empty: ScaleFigures = { against: null, push: [], fanOut: [], latency: [] };
 * ```
 */
export interface ScaleFigures {
  /** The system beside zedge (native libzmq), or null when only zedge ran. */
  against: System | null;
  push: ScaleRow[];
  fanOut: ScaleRow[];
  /** p50 and p99 round trip in µs. */
  latency: { label: string; zedge: [number, number]; other?: [number, number] }[];
}

async function pushRate(
  system: System,
  peers: number,
  window: Window,
  role: "pull" | "pull-drain" = "pull",
): Promise<{ rate: number; rss?: number }> {
  return await withPeers(async (spawn) => {
    const pull = spawn(system, { role, size: 16, ...window });
    const endpoint = await endpointOf(pull);
    spawn(system, { role: "push-many", endpoint, size: 16, count: peers });
    const report = await reportOf(pull, window);
    return { rate: report.rate, rss: typeof report.rss === "number" ? report.rss : undefined };
  });
}

async function fanOutRate(system: System, subscribers: number, window: Window): Promise<number> {
  return await withPeers(async (spawn) => {
    const pub = spawn(system, { role: "pub", size: 16 });
    const endpoint = await endpointOf(pub);
    const role = subscribers === 1 ? "sub" : "sub-many";
    const subs = spawn(system, { role, endpoint, size: 16, count: subscribers, ...window });
    await readyOf(subs);
    // Let every subscription reach the publisher before it starts.
    await new Promise((resolve) => setTimeout(resolve, 200 + subscribers * 5));
    await pub.send("go");
    return (await reportOf(subs, window)).rate;
  });
}

async function latency(system: System, size: number, window: Window): Promise<[number, number]> {
  return await withPeers(async (spawn) => {
    const rep = spawn(system, { role: "rep", size });
    const endpoint = await endpointOf(rep);
    const req = spawn(system, { role: "req-latency", endpoint, size, ...window });
    const report = await reportOf(req, window);
    return [Number(report.p50), Number(report.p99)];
  });
}

type Window = { warmup: number; duration: number };

/**
 * Measures every curve for zedge and, when `against` is given, for that
 * system too, alternating the two per point.
 *
 * @example
 * ```ts
 * const figures = await measureScale({ warmup: 0.5, duration: 2, rounds: 3, rssCount: 0, rssEvery: 1 }, "native", false);
 * ```
 */
export async function measureScale(
  timing: Timing,
  against: System | null,
  quick: boolean,
  fanInOnly = false,
): Promise<ScaleFigures> {
  const window = { warmup: timing.warmup, duration: quick ? timing.duration : 1 };
  const systems: System[] = against === null ? ["zedge"] : ["zedge", against];
  const figures: ScaleFigures = { against, push: [], fanOut: [], latency: [] };
  const both = async <T>(measure: (system: System) => Promise<T>) => {
    const [zedge, other] = [
      await measure("zedge"),
      against === null ? undefined : await measure(against),
    ];
    return { zedge, other };
  };
  const fanIn = {
    warmup: Math.max(window.warmup, FAN_IN_WARMUP),
    duration: Math.max(window.duration, FAN_IN_WINDOW),
  };
  for (const n of FAN) {
    const { zedge, other } = await both((s) => pushRate(s, n, fanIn));
    figures.push.push({
      label: `${n} PUSH peer${n > 1 ? "s" : ""}`,
      zedge: zedge.rate,
      other: other?.rate,
      zedgeRss: zedge.rss,
      otherRss: other?.rss,
    });
    console.error(`  scale: PUSH→PULL with ${n} peers done (${systems.join(", ")})`);
  }
  // The same 100 peers into a zedge PULL that drains with tryReceive(),
  // beside the other system's figure of the row above (its zmq_recv loop).
  const busiest = figures.push.at(-1)!;
  figures.push.push({
    label: `${busiest.label}, drained by tryReceive()`,
    zedge: (await pushRate("zedge", FAN.at(-1)!, fanIn, "pull-drain")).rate,
    other: busiest.other,
  });
  console.error(`  scale: PUSH→PULL with ${FAN.at(-1)} peers drained by tryReceive() done`);
  if (fanInOnly) return figures;
  for (const n of FAN) {
    figures.fanOut.push({
      label: `${n} SUB${n > 1 ? "s" : ""}`,
      ...await both((s) => fanOutRate(s, n, window)),
    });
    console.error(`  scale: PUB→SUB to ${n} subscribers done`);
  }
  for (const size of SIZES) {
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    figures.latency.push({ label, ...await both((s) => latency(s, size, window)) });
    console.error(`  scale: REQ/REP latency at ${label} done`);
  }
  return figures;
}

const rate = (value: number | undefined) =>
  value === undefined ? "—" : Math.round(value).toLocaleString("en-US");
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`;
const micros = (
  value: number | undefined,
) => (value === undefined ? "—" : `${value.toFixed(0)} µs`);

/** How much the PULL's RSS may grow from 1 to 100 peers and still count as flat. */
const FLAT_RSS = 1.5;

/**
 * Issue 21's fan-in targets: 100 PUSH peers into one PULL (the receive()
 * loop's row) at ≥ 0.8× the other system, with the zedge PULL's RSS flat
 * (its peak over the window at most 1.5× its 1-peer figure, each sampled
 * every 100 ms; the other system's growth, sampled the same way, beside it).
 */
function fanInTargets(rows: ScaleRow[], other: string): string[] {
  // The judged row is the receive() loop's at the most peers (the drained row follows it).
  const first = rows[0], last = rows[FAN.length - 1];
  if (first === undefined || last === undefined) return [];
  const lines = [];
  const ratioOf = last.other === undefined ? undefined : last.zedge / last.other;
  lines.push(
    `- target ${last.label} → one PULL ≥ 0.8× ${other}: ${
      ratioOf === undefined ? "n/a" : `${ratioOf.toFixed(2)}× ${ratioOf >= 0.8 ? "PASS" : "MISS"}`
    }`,
  );
  if (first.zedgeRss !== undefined && last.zedgeRss !== undefined) {
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    const growth = last.zedgeRss / first.zedgeRss;
    const otherGrowth = first.otherRss !== undefined && last.otherRss !== undefined
      ? `; ${other} ${mib(first.otherRss)} → ${mib(last.otherRss)} MiB, ${
        (last.otherRss / first.otherRss).toFixed(2)
      }×`
      : "";
    lines.push(
      `- target memory flat (PULL RSS at its peak over the window, with ${last.label} ` +
        `≤ ${FLAT_RSS}× with ${first.label}): ${mib(first.zedgeRss)} → ${mib(last.zedgeRss)} MiB, ${
          growth.toFixed(2)
        }× ${growth <= FLAT_RSS ? "PASS" : "MISS"}${otherGrowth}`,
    );
  }
  return lines;
}

/**
 * The curves as markdown tables, each with zedge's ratio to the other system.
 *
 * @example
 * ```ts
 * console.log(renderScale(figures));
 * ```
 */
export function renderScale(figures: ScaleFigures): string {
  const other = figures.against === "native" ? "native libzmq" : (figures.against ?? "other");
  const curve = (title: string, rows: ScaleRow[]) => [
    `${title}:`,
    "",
    `| peers | zedge | ${other} | zedge/${other} | zedge vs its 1-peer figure |`,
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map((row) =>
      `| ${row.label} | ${rate(row.zedge)} | ${rate(row.other)} | ${
        ratio(row.zedge, row.other)
      } | ${ratio(row.zedge, rows[0].zedge)} |`
    ),
  ];
  const fanIn = [
    ...curve(
      `PUSH→PULL 16 B, msg/s at one PULL over at least ${FAN_IN_WINDOW} s after at least ${FAN_IN_WARMUP} s of warm-up, by connected PUSH peers`,
      figures.push,
    ),
    "",
    ...fanInTargets(figures.push, other),
  ];
  // Only the fan-in curve was measured (--curves=fan-in).
  if (figures.fanOut.length === 0 && figures.latency.length === 0) return fanIn.join("\n");
  return [
    ...fanIn,
    "",
    ...curve("PUB→SUB 16 B fan-out, msg/s delivered in total, by subscribers", figures.fanOut),
    "",
    "REQ/REP round-trip latency (one REQ, one REP):",
    "",
    `| size | zedge p50 | zedge p99 | ${other} p50 | ${other} p99 | zedge/${other} p50 | zedge/${other} p99 |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...figures.latency.map((row) =>
      `| ${row.label} | ${micros(row.zedge[0])} | ${micros(row.zedge[1])} | ${
        micros(row.other?.[0])
      } | ${micros(row.other?.[1])} | ${ratio(row.zedge[0], row.other?.[0])} | ${
        ratio(row.zedge[1], row.other?.[1])
      } |`
    ),
  ].join("\n");
}
