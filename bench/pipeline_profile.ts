/**
 * Where a pipeline item's time goes (`deno run -A --unstable-worker-options
 * bench/pipeline_profile.ts [timeline|cpu|cold] …`):
 *
 * - `timeline` (default): 10 ms items whose handler reports when it started
 *   and ended, on 1×1 and 2×10 workers. Every millisecond of the run is then
 *   one of: the work itself (10 ms per item), the sleep's own overshoot,
 *   the start (clock start → first handler), a thread idle between two items
 *   (waiting for its next item: distributor, messages, worker), or the end
 *   (last handler → collector → ACK → distributor → FINISHED → `onFinished`).
 *   Printed per case, with the ideal time and what is over it.
 * - `cpu`: empty items, with this process (distributor and collector) and
 *   the worker process CPU-profiled through node:inspector; prints each
 *   role's top functions by self time, by file, and zedge's own functions by
 *   inclusive time, and saves the .cpuprofile files (Chrome DevTools opens
 *   them).
 *
 * - `cold`: what a thread that has just slept pays for the work between two
 *   items: one results frame encoded back to back, and right after a 10 ms
 *   `Atomics.wait` (medians of 50); and, in a Web Worker, a pool thread's
 *   own two steps between items (its result handed over, the item sent ahead
 *   taken), hot and right after a 10 ms sleep, by message (as before the
 *   shared-memory rings) and through the rings (as the pool now does).
 *
 * Flags: `--items=N` (timeline: 300 per thread-case; cpu: 300,000), `--out=DIR`
 * (cpu; default /tmp/zedge-profiles), `--top=N` (cpu; default 20).
 *
 * @example
 * ```sh
 * deno run -A --unstable-worker-options bench/pipeline_profile.ts timeline
 * deno run -A --unstable-worker-options bench/pipeline_profile.ts cpu --items=500000
 * ```
 *
 * @module
 */
import type { CollectedResult } from "../mod.ts";
import { encodeMessage } from "../core/pipeline/codec.ts";
import { type Case, emptyCase, measure, warmUp } from "./pipeline.ts";
import { type CpuProfile, renderProfile } from "./zmq_profile.ts";
import type { ColdThreadReport } from "./pipeline_cold_thread.ts";
import { serialize } from "node:v8";
import { Doorbell, RECORD, ThreadChannel } from "../core/pipeline/thread_ring.ts";

/** What the `trace` handler returns. */
interface Trace {
  startedAt: number;
  endedAt: number;
  thread: number;
}

/**
 * A run's time split into where it went (ms, summed over threads for the
 * per-thread parts, so they add up to `threads × wall time`).
 *
 * @example
 * ```ts
 * const split = splitTimeline(traces, { startedAt: 0, finishedAt: 1010 }, 10, 1);
 * console.log(split.idleBetween);
 * ```
 */
export interface TimelineSplit {
  /** Wall time of the run. */
  wallMs: number;
  /** Items × item time / threads. */
  idealMs: number;
  /** Sum over threads of (handler time − item time). */
  overshoot: number;
  /** Sum over threads of the time before their first item. */
  start: number;
  /** Sum over threads of the gaps between one item's end and the next one's start. */
  idleBetween: number;
  /** Sum over threads of the time after their last item. */
  end: number;
  /** Largest single gap between two items on one thread. */
  maxGap: number;
  /** Median gap between two items on one thread (ms). */
  medianGap: number;
  /** Items per thread: fewest and most. */
  perThread: [number, number];
  /** Last handler end → `onFinished` (the end of the run's own chain). */
  tail: number;
}

/**
 * Splits a traced run into where its time went (see {@link TimelineSplit}).
 *
 * @example
 * ```ts
 * splitTimeline([{ startedAt: 1, endedAt: 11, thread: 0, worker: "w" }], { startedAt: 0, finishedAt: 12 }, 10, 1);
 * ```
 */
export function splitTimeline(
  traces: (Trace & { worker: string })[],
  run: { startedAt: number; finishedAt: number },
  itemMs: number,
  threads: number,
): TimelineSplit {
  const byThread = new Map<string, Trace[]>();
  for (const t of traces) {
    const key = `${t.worker}/${t.thread}`;
    byThread.set(key, [...(byThread.get(key) ?? []), t]);
  }
  const gaps: number[] = [];
  let overshoot = 0, start = 0, end = 0;
  const counts: number[] = [];
  for (const list of byThread.values()) {
    list.sort((a, b) => a.startedAt - b.startedAt);
    counts.push(list.length);
    start += list[0].startedAt - run.startedAt;
    end += run.finishedAt - list[list.length - 1].endedAt;
    for (const [i, t] of list.entries()) {
      overshoot += t.endedAt - t.startedAt - itemMs;
      if (i > 0) gaps.push(t.startedAt - list[i - 1].endedAt);
    }
  }
  // Threads that never ran an item idle the whole run.
  for (let idle = byThread.size; idle < threads; idle++) start += run.finishedAt - run.startedAt;
  gaps.sort((a, b) => a - b);
  const lastEnd = Math.max(...traces.map((t) => t.endedAt));
  return {
    wallMs: run.finishedAt - run.startedAt,
    idealMs: (traces.length * itemMs) / threads,
    overshoot,
    start,
    idleBetween: gaps.reduce((sum, gap) => sum + gap, 0),
    end,
    maxGap: gaps.length > 0 ? gaps[gaps.length - 1] : 0,
    medianGap: gaps.length > 0 ? gaps[gaps.length >> 1] : 0,
    perThread: [Math.min(...counts), Math.max(...counts)],
    tail: run.finishedAt - lastEnd,
  };
}

function renderSplit(label: string, s: TimelineSplit, threads: number): string {
  const per = (ms: number) => ms / threads; // as a share of the wall time
  const pct = (ms: number) => `${((100 * per(ms)) / s.idealMs).toFixed(2)}%`;
  const row = (what: string, ms: number) => `| ${what} | ${per(ms).toFixed(1)} ms | ${pct(ms)} |`;
  return [
    `### ${label}: ${s.wallMs.toFixed(0)} ms, ideal ${s.idealMs.toFixed(0)} ms, overhead ${
      ((s.wallMs / s.idealMs - 1) * 100).toFixed(2)
    }%`,
    "",
    "| where (per thread, averaged) | time | of ideal |",
    "| --- | ---: | ---: |",
    row("the sleep's own overshoot (no pipeline in it)", s.overshoot),
    row("start: clock start → the thread's first item", s.start),
    row("idle between items (waiting for the next one)", s.idleBetween),
    row("end: the thread's last item → onFinished", s.end),
    "",
    `median gap between two items ${(s.medianGap * 1000).toFixed(0)} µs, largest ${
      s.maxGap.toFixed(2)
    } ms; items per thread ${s.perThread[0]}–${s.perThread[1]}; last item → onFinished ${
      s.tail.toFixed(2)
    } ms`,
  ].join("\n");
}

async function timeline(items: number): Promise<void> {
  await warmUp();
  // The bench's cases: 1×1 and 2×1 are one handler thread per worker.
  for (const [workers, threads] of [[1, 1], [2, 1], [1, 10], [2, 10]]) {
    const slots = workers * threads;
    const c: Case = {
      workers,
      threads,
      items: items * threads,
      type: "trace",
      payload: { ms: 10 },
      prefetch: threads,
    };
    const traces: (Trace & { worker: string })[] = [];
    const m = await measure(c, {
      onResult: (r: CollectedResult) => traces.push({ ...(r.value as Trace), worker: r.worker }),
    });
    const split = splitTimeline(traces, m, 10, slots);
    console.log(renderSplit(`${workers}x${threads} ${c.items} items`, split, slots));
    console.log();
  }
}

async function cpu(items: number, out: string, top: number): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  await warmUp();
  const c = emptyCase(items);
  const prefix = `${out}/pipeline-empty`;
  const m = await measure(c, { profileTo: prefix });
  console.log(
    `## ${items} empty items, 1 worker process: ${Math.round(items / (m.ms / 1000))} items/s ` +
      `while profiled, ${((m.cpuMs * 1000) / items).toFixed(2)} µs CPU/item in this process\n`,
  );
  for (
    const [label, file] of [
      ["distributor + collector (this process)", `${prefix}-host.cpuprofile`],
      ["worker process", `${prefix}-worker-0.cpuprofile`],
    ]
  ) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
    console.log(renderProfile(`${label} (${file})`, profile, top) + "\n");
  }
}

function coldEncode(): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const encodeOne = () =>
    encodeMessage({
      kind: "results",
      worker: "bench-0",
      results: [{ id: "sleep:1", type: "sleep", index: 1, value: null }],
      metadata: undefined,
    }).length;
  for (let i = 0; i < 2000; i++) encodeOne(); // compiled and optimised first
  const timed = (before: () => void) =>
    Array.from({ length: 50 }, () => {
      before();
      const started = performance.now();
      encodeOne();
      return performance.now() - started;
    }).sort((a, b) => a - b)[25] * 1000;
  const hot = timed(() => {});
  const afterSleep = timed(() => Atomics.wait(cell, 0, 0, 10));
  console.log(
    `one results frame encoded: ${hot.toFixed(1)} µs back to back, ` +
      `${afterSleep.toFixed(1)} µs right after a 10 ms sleep (medians of 50)`,
  );
}

/**
 * A pool thread's two steps between items, hot and right after a 10 ms sleep:
 * by message (`port`) or through the pool's shared-memory rings (`ring`).
 */
async function coldThread(
  mode: "hot" | "cold",
  rounds: number,
  path: "port" | "ring",
): Promise<ColdThreadReport> {
  const thread = new Worker(new URL("./pipeline_cold_thread.ts", import.meta.url), {
    type: "module",
  });
  const jobs = new MessageChannel();
  if (path === "ring") return await coldRing(thread, jobs, mode, rounds);
  const item = (seq: number) => ({
    op: "run",
    seq,
    id: `sleep:${seq}`,
    type: "sleep",
    attempt: 1,
    payload: { ms: 10 },
    metadata: null,
  });
  try {
    return await new Promise<ColdThreadReport>((resolve) => {
      thread.onmessage = (event: MessageEvent) => {
        if (event.data.op === "done") resolve(event.data);
        else jobs.port1.postMessage(item(event.data.seq + 1));
      };
      jobs.port1.postMessage(item(0));
      thread.postMessage({ port: jobs.port2, rounds, mode }, [jobs.port2]);
    });
  } finally {
    thread.terminate();
    jobs.port1.close();
  }
}

/** {@link coldThread} through the rings: the parent refills from the doorbell, as the pool does. */
async function coldRing(
  thread: Worker,
  jobs: MessageChannel,
  mode: "hot" | "cold",
  rounds: number,
): Promise<ColdThreadReport> {
  const shared = ThreadChannel.allocate();
  const channel = new ThreadChannel(shared);
  const doorbell = new Doorbell(Doorbell.allocate());
  const item = (seq: number) =>
    serialize({
      id: `sleep:${seq}`,
      type: "sleep",
      attempt: 1,
      payload: { ms: 10 },
      metadata: null,
    });
  let done = false;
  try {
    const report = new Promise<ColdThreadReport>((resolve) => {
      thread.onmessage = (event: MessageEvent) => {
        done = true;
        doorbell.release();
        resolve(event.data);
      };
    });
    channel.items.write(RECORD.value, 0, item(0));
    thread.postMessage({
      port: jobs.port2,
      rounds,
      mode,
      ring: { channel: shared, doorbell: doorbell.shared },
    }, [
      jobs.port2,
    ]);
    while (!done) {
      const seen = doorbell.count();
      for (let r = channel.outcomes.peek(); r !== null; r = channel.outcomes.peek()) {
        channel.outcomes.advance();
        channel.items.write(RECORD.value, r.seq + 1, item(r.seq + 1));
      }
      const rung = doorbell.wait(seen);
      if (rung !== null) await rung;
    }
    return await report;
  } finally {
    thread.terminate();
    jobs.port1.close();
  }
}

async function cold(): Promise<void> {
  coldEncode();
  for (const path of ["port", "ring"] as const) {
    const hot = await coldThread("hot", 200, path);
    const afterSleep = await coldThread("cold", 100, path);
    console.log(
      `a thread's item boundary (${path === "port" ? "by message" : "through the rings"}): ` +
        `result ${path === "port" ? "posted" : "written"} ${
          hot.post.toFixed(1)
        } µs back to back, ` +
        `${afterSleep.post.toFixed(1)} µs right after a 10 ms sleep; next item taken ` +
        `${hot.receive.toFixed(1)} µs, ${afterSleep.receive.toFixed(1)} µs (medians)`,
    );
  }
}

if (import.meta.main) {
  const mode = Deno.args.find((arg) => !arg.startsWith("--")) ?? "timeline";
  const flag = (name: string) =>
    Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const number = (name: string, fallback: number) => {
    const value = Number(flag(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1) {
      console.error(`pipeline_profile: --${name} needs a positive integer`);
      Deno.exit(2);
    }
    return value;
  };
  if (mode === "timeline") await timeline(number("items", 300));
  else if (mode === "cold") await cold();
  else if (mode === "cpu") {
    await cpu(number("items", 300_000), flag("out") ?? "/tmp/zedge-profiles", number("top", 20));
  } else {
    console.error(`pipeline_profile: expected timeline, cpu or cold, got ${mode}`);
    Deno.exit(2);
  }
}
