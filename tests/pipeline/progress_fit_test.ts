/**
 * The progress line as a terminal shows it: fitted to the width (no wrap,
 * so no stale half-line at the next redraw), what the run waits for, and a
 * rate over running time only — measured on a real distributor waiting for
 * its collector and workers, and on the meter with a clock of its own.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fitProgress, formatProgress, progressReporter } from "../../cli/pipeline_support.ts";
import { Collector, Distributor, PipelineWorker, type Progress } from "../../mod.ts";
import { ProgressMeter } from "../../core/pipeline/progress.ts";

const snapshot = (over: Partial<Progress> = {}): Progress => ({
  done: 1234,
  failed: 17,
  total: 100_000,
  known: 100_000,
  inFlight: 8,
  retries: 321,
  rate: 1520.4,
  etaMs: 3_600_000,
  workers: 12,
  elapsedMs: 2000,
  ...over,
});

Deno.test("progress line: fits every width, keeps the counts, adds a bar where there is room", () => {
  for (let columns = 12; columns <= 200; columns++) {
    for (const p of [snapshot(), snapshot({ waitingFor: ["metadata", "collector", "workers"] })]) {
      const line = fitProgress(p, columns);
      assert.ok(line.length <= columns - 1, `${columns}: '${line}' (${line.length})`);
      assert.ok(line.includes("1234/100000 done") || columns < 20, `${columns}: '${line}'`);
    }
  }
  const at80 = fitProgress(snapshot(), 80);
  assert.match(at80, /^\[[#.]{10,}\] {2}1234\/100000 done {2}1% {2}1520\.4\/s {2}ETA 1 h 00 m/);
  const waiting = fitProgress(snapshot({ waitingFor: ["collector", "workers"] }), 80);
  assert.match(waiting, /1234\/100000 done {2}waiting for the collector, workers/);
  assert.match(fitProgress(snapshot({ waitingFor: ["metadata"] }), 40), /waiting/);
  // Off a terminal the whole line, waiting included.
  assert.match(
    formatProgress(snapshot({ waitingFor: ["workers"] })),
    /^1234\/100000 done {2}waiting for workers {2}1% /,
  );
});

Deno.test("progress on a TTY: each redraw clears the line and fits the width of the moment", () => {
  const written: string[] = [];
  let columns = 80;
  const reporter = progressReporter({
    tty: true,
    write: (s) => written.push(s),
    columns: () => columns,
  });
  reporter.update(snapshot());
  columns = 50; // the terminal was narrowed
  reporter.update(snapshot({ done: 2000 }));
  reporter.end();
  assert.equal(written.length, 3);
  for (const [i, width] of [[0, 80], [1, 50]]) {
    assert.ok(written[i].startsWith("\r\x1b[2K"));
    assert.ok(written[i].length - "\r\x1b[2K".length <= width - 1, written[i]);
    assert.ok(!written[i].includes("\n"));
  }
  assert.equal(written[2], "\n");
});

Deno.test("progress meter: the rate counts running time, not time spent waiting", () => {
  let now = 0;
  const meter = new ProgressMeter(() => now);
  const counts = {
    done: 0,
    failed: 0,
    total: 1000,
    known: 1000,
    inFlight: 0,
    retries: 0,
    workers: 0,
    resumed: 0,
  };
  // 60 s waiting for workers.
  for (; now <= 60_000; now += 1000) {
    meter.sample(0);
    meter.snapshot({ ...counts, waitingFor: ["workers"] });
  }
  // Then 10 items a second for 3 s.
  let done = 0;
  let last: Progress | undefined;
  for (let s = 0; s < 3; s++) {
    now += 1000;
    done += 10;
    meter.sample(done);
    last = meter.snapshot({ ...counts, done, workers: 1 });
  }
  assert.ok(Math.abs(last!.rate - 10) < 0.01, `rate ${last!.rate}, not diluted by the wait`);
  assert.ok(Math.abs(last!.etaMs! - 97_000) < 10, `ETA ${last!.etaMs}`);
  assert.equal(last!.elapsedMs, 64_000); // elapsed time is still wall time
});

Deno.test("distributor progress says what it waits for: the collector, then workers, then nothing", async () => {
  const seen: Progress[] = [];
  let wake = () => {};
  const next = (test: (p: Progress) => boolean) =>
    new Promise<Progress>((resolve) => {
      wake = () => {
        const found = seen.find(test);
        if (found !== undefined) resolve(found);
      };
      wake();
    });
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 500,
    progressIntervalMs: 20,
    tasks: [{ type: "echo", items: [1, 2, 3] }],
    onProgress: (p) => {
      seen.push(p);
      wake();
    },
  });
  await distributor.start();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    heartbeatIntervalMs: 100,
  });
  let worker: PipelineWorker | undefined;
  try {
    const first = await next((p) => p.waitingFor?.includes("collector") === true);
    assert.deepEqual(first.waitingFor, ["collector", "workers"]);
    await collector.start();
    const second = await next((p) => p.waitingFor?.join() === "workers");
    assert.equal(second.done, 0);
    worker = new PipelineWorker({
      distributor: distributor.endpoints.workers,
      collector: collector.endpoint,
      module: new URL("./fixtures/handlers.ts", import.meta.url),
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 500,
    });
    const working = worker.run();
    const summary = await distributor.run();
    assert.equal(summary.done, 3);
    assert.deepEqual(seen.at(-1)!.waitingFor, []);
    await working;
  } finally {
    await Promise.all([worker?.close(), collector.close(), distributor.close()]);
  }
});
