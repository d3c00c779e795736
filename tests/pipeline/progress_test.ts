import assert from "node:assert/strict";
import {
  formatDuration,
  formatProgress,
  formatSummary,
  progressReporter,
} from "../../cli/pipeline_support.ts";
import type { Progress } from "../../core/pipeline/mod.ts";

const snapshot = (over: Partial<Progress> = {}): Progress => ({
  done: 50,
  failed: 0,
  total: 200,
  known: 200,
  inFlight: 4,
  retries: 2,
  rate: 25,
  etaMs: 6000,
  workers: 2,
  elapsedMs: 2000,
  ...over,
});

Deno.test("progress: one line with done/total, rate, ETA and retries", () => {
  assert.equal(
    formatProgress(snapshot(), 10),
    "[###.......]  50/200 done  25%  25.0/s  ETA 6.0 s  retries 2  2 workers",
  );
  assert.equal(
    formatProgress(snapshot({ total: null, etaMs: null, failed: 3, workers: 1 })),
    "50/200+ done  25.0/s  ETA ?  retries 2  failed 3  1 worker",
  );
  assert.equal(formatDuration(125_000), "2 m 05 s");
  assert.equal(formatDuration(3_725_000), "1 h 02 m");
});

Deno.test("progress: a bar redrawn in place on a TTY, periodic lines otherwise", () => {
  const tty: string[] = [];
  const bar = progressReporter({ tty: true, write: (s) => tty.push(s) });
  bar.update(snapshot());
  bar.update(snapshot({ done: 60 }));
  bar.end();
  assert.equal(tty.length, 3);
  assert.ok(tty[0].startsWith("\r\x1b[2K[") && tty[1].includes("60/200 done"));
  assert.equal(tty[2], "\n");

  const log: string[] = [];
  const lines = progressReporter({ tty: false, everyMs: 60_000, write: (s) => log.push(s) });
  lines.update(snapshot());
  lines.update(snapshot({ done: 60 })); // within the interval: skipped
  lines.update(snapshot({ done: 200 })); // the end is always shown
  lines.end();
  assert.deepEqual(log.map((l) => l.split("  ")[0]), [
    "pipeline: 50/200 done",
    "pipeline: 200/200 done",
  ]);
});

Deno.test("progress: the summary names failures and skipped types", () => {
  const text = formatSummary({
    total: 3,
    done: 1,
    failed: [{ id: "a:1", type: "a", reason: "timeout after 50 ms", attempts: 4 }],
    skipped: [{ type: "b", reason: "parent task type(s) 'a' did not complete" }],
    retries: 3,
    resumed: 1,
    elapsedMs: 1500,
  });
  assert.equal(
    text,
    [
      "pipeline finished: 1/3 done, 1 failed, 3 retries, 1 already done in the journal in 1.5 s",
      "  failed a:1 (a) after 4 attempts: timeout after 50 ms",
      "  skipped task type b: parent task type(s) 'a' did not complete",
    ].join("\n"),
  );
});
