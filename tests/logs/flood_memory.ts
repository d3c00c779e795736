/**
 * Fixture of flood_memory_test.ts: floods a PUB log sink through logtape
 * and prints, as one JSON line, the live memory (V8 heap and external
 * buffers after forced GCs) before the flood, its peak over samples taken
 * during the flood and after it, and the sink's counters. RSS is printed
 * too, for the eye only. Run with `--v8-flags=--expose-gc`.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc tests/logs/flood_memory.ts nobody 200000
 * ```
 *
 * Modes:
 * - `nobody`: no subscriber at all;
 * - `stalled`: a subscriber that connects, subscribes and never reads (so
 *   the sink drops over the high-water mark);
 * - `retained`: as `nobody`, but every record is also kept, as a sink that
 *   queued them would — the control that shows the measurement catches
 *   queueing.
 *
 * @module
 */
import { configure, getLogger, type LogRecord } from "@logtape/logtape";
import { createPubLogSink, type PubLogSink, Subscriber, XPublisher } from "../../mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

const mode = Deno.args[0] as "nobody" | "stalled" | "retained";
const count = Number(Deno.args[1] ?? 200_000);
const WARM_UP = 60_000;
/** Records between two samples of the live memory during the flood. */
const SAMPLE_EVERY = 20_000;
const PAYLOAD = "lidar sweep ".repeat(16); // ≈ 200 bytes per record

let logs: PubLogSink;
let subscriber: Subscriber | undefined;
let xpub: XPublisher | undefined;
if (mode === "stalled") {
  xpub = new XPublisher({ linger: 0 });
  await xpub.bind("tcp://127.0.0.1:0");
  subscriber = new Subscriber({ receiveHighWaterMark: 1, linger: 0 });
  subscriber.connect(xpub.lastEndpoint!);
  subscriber.subscribe("");
  await xpub.receive(); // its subscription: from here on it is sent every record
  logs = await createPubLogSink({ socket: xpub, robot: "flood", highWaterMark: 1000 });
} else {
  logs = await createPubLogSink({ endpoint: "tcp://127.0.0.1:0", robot: "flood" });
}

const retained: LogRecord[] = [];
const sink = mode === "retained"
  ? (record: LogRecord) => {
    retained.push(record);
    logs.sink(record);
  }
  : logs.sink;
await configure({
  sinks: { pub: sink },
  loggers: [
    { category: ["flood"], sinks: ["pub"], lowestLevel: "trace" },
    { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
  ],
});
const log = getLogger(["flood", "lidar"]);

function liveMemory(): { heap: number; rss: number } {
  gc!();
  gc!();
  const usage = Deno.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
}

/** Floods `records` records; with `sample`, samples the live memory every SAMPLE_EVERY. */
async function flood(records: number, sample?: (heap: number) => void): Promise<void> {
  for (let i = 0; i < records; i++) {
    log.info("scan {i}: {payload}", { i, payload: PAYLOAD });
    // Let the socket's writes and reads run, as they would in a real program.
    if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 0));
    // Mid-flood, so that memory held only while records pour in counts too.
    if (sample !== undefined && i % SAMPLE_EVERY === SAMPLE_EVERY - 1) {
      const start = performance.now();
      sample(liveMemory().heap);
      samplingMs += performance.now() - start;
    }
  }
}

let samplingMs = 0;
await flood(WARM_UP);
const before = liveMemory();
let heapPeak = before.heap;
const started = performance.now();
await flood(count, (heap) => heapPeak = Math.max(heapPeak, heap));
const elapsedMs = performance.now() - started - samplingMs;
const after = liveMemory();
heapPeak = Math.max(heapPeak, after.heap);
console.log(JSON.stringify({
  mode,
  records: count,
  published: logs.published,
  dropped: logs.dropped,
  retained: retained.length,
  heapBefore: before.heap,
  heapPeak,
  heapAfter: after.heap,
  rssBefore: before.rss,
  rssAfter: after.rss,
  recordsPerSecond: Math.round(count / (elapsedMs / 1000)),
}));
await logs.close();
await subscriber?.close();
await xpub?.close();
