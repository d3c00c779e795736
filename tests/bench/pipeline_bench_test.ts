import assert from "node:assert/strict";
import { measure, parseCases } from "../../bench/pipeline.ts";

Deno.test("bench pipeline --cases: WORKERSxTHREADS:ITEMS, or one line naming the bad entry", () => {
  assert.deepEqual(parseCases("1x1:1000, 2x10:100"), [[1, 1, 1000], [2, 10, 100]]);
  assert.throws(
    () => parseCases("1x1:1000,2x:100"),
    /--cases: "2x:100" is not WORKERSxTHREADS:ITEMS/,
  );
  assert.throws(() => parseCases("0x1:100"), /"0x1:100"/);
  assert.throws(() => parseCases(""), /--cases: "" is not/);
});

Deno.test("bench pipeline --cases: a bad value exits 2 with one line, no stack", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      new URL("../../bench/pipeline.ts", import.meta.url).pathname,
      "--cases",
      "2x10",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(
    stderr.split("\n").at(-1),
    'bench pipeline: --cases: "2x10" is not WORKERSxTHREADS:ITEMS (e.g. 2x10:100)',
  );
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/);
});

/** Pids of live processes whose command line names the bench's worker role. */
function benchWorkerPids(): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes("bench/pipeline.ts") && cmdline.includes("--role-worker")) {
        pids.push(Number(entry.name));
      }
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

Deno.test({
  name: "bench pipeline: a case on workers that served a warm-up run, its clock at dispatch, " +
    "no worker left",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const before = new Set(benchWorkerPids());
    const seen: { worker: string; startedAt: number }[] = [];
    let baselineRan = false;
    const m = await measure(
      { workers: 2, threads: 2, items: 40, type: "trace", payload: { ms: 1 }, prefetch: 2 },
      {
        warmUpRuns: 1,
        beforeRun: () => (baselineRan = true),
        onResult: (r) =>
          seen.push({ worker: r.worker, startedAt: (r.value as { startedAt: number }).startedAt }),
      },
    );
    assert.equal(baselineRan, true);
    // Only the measured run's results reach onResult: 40 items, on both workers.
    assert.equal(seen.length, 40);
    assert.deepEqual(new Set(seen.map((s) => s.worker)), new Set(["bench-0", "bench-1"]));
    // No item started before the clock: it starts with dispatch, not after it.
    const first = Math.min(...seen.map((s) => s.startedAt));
    // (0.5 ms for the two processes' time origins; the late clock this catches was 1–3 ms late.)
    assert.ok(
      first >= m.startedAt - 0.5,
      `an item started ${m.startedAt - first} ms before the clock`,
    );
    assert.ok(m.stopwatchMs > 0 && m.stopwatchMs <= m.ms);
    assert.equal(typeof m.workerCpuMs, "number");
    const left = benchWorkerPids().filter((pid) => !before.has(pid));
    assert.deepEqual(left, [], "the long-running workers are stopped after the case");
  },
});
