/**
 * A flood of log records keeps memory flat, whether nobody listens or a
 * subscriber stalls: over 100,000 records (after a 60,000-record warm-up)
 * the live memory — V8 heap and external buffers after forced GCs, in a
 * subprocess with --expose-gc, sampled every 20,000 records and at the end
 * — never grows by more than 8 MiB, and behind the stall most records are
 * counted as dropped. The control keeps every record, as a sink that queued
 * them would, and must blow the bound many times over — proof the
 * measurement can fail.
 *
 * RSS is printed but not checked: it counts the pages V8 and the allocator
 * keep after collecting, which depends on how the flood was scheduled, not
 * on what is held (a check of RSS growth against the control's passed alone
 * and failed in the full suite). The live memory after a full GC is what the
 * high-water mark bounds, whatever the load: 1,000 queued records per
 * subscriber are well under 1 MiB, while with the high-water mark taken
 * out of the PUB the stalled flood's live memory grew by 96 MiB.
 *
 * @module
 */
import assert from "node:assert/strict";
import { repoPath } from "../tasks/helpers.ts";

const RECORDS = 100_000;
/** Live memory growth allowed during the flood; queueing the records took 96 MiB. */
const HEAP_GROWTH_BOUND = 8 * 1024 * 1024;

interface FloodResult {
  mode: string;
  published: number;
  dropped: number;
  heapBefore: number;
  heapPeak: number;
  heapAfter: number;
  rssBefore: number;
  rssAfter: number;
  recordsPerSecond: number;
}

async function flood(mode: "nobody" | "stalled" | "retained"): Promise<FloodResult> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      repoPath("tests/logs/flood_memory.ts"),
      mode,
      String(RECORDS),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${mode}: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function describe(result: FloodResult): string {
  return `${result.mode}: heap ${MiB(result.heapBefore)} → ${MiB(result.heapAfter)} ` +
    `(peak ${MiB(result.heapPeak)}), RSS ${MiB(result.rssBefore)} → ${MiB(result.rssAfter)}, ` +
    `${result.dropped} dropped, ${result.recordsPerSecond} records/s`;
}

Deno.test("logs over PUB: a flood with nobody listening, or a stalled subscriber, keeps memory flat", async () => {
  const nobody = await flood("nobody");
  const stalled = await flood("stalled");
  const retained = await flood("retained");
  console.log(`  ${describe(nobody)}\n  ${describe(stalled)}\n  ${describe(retained)}`);

  const growth = (result: FloodResult) => result.heapPeak - result.heapBefore;
  for (const result of [nobody, stalled]) {
    assert.ok(
      growth(result) < HEAP_GROWTH_BOUND,
      `${describe(result)}: live memory grew ${MiB(growth(result))} during the flood`,
    );
  }
  assert.equal(nobody.dropped, 0, "with nobody subscribed nobody missed a record");
  // Behind the stall the sink kept only what the high-water mark and the
  // kernel's socket buffers hold: the rest was dropped, not queued.
  assert.ok(stalled.dropped > RECORDS / 2, `only ${stalled.dropped} dropped behind a stall`);

  // The control: records kept blow the bound many times over.
  assert.ok(growth(retained) > 4 * HEAP_GROWTH_BOUND, describe(retained));
});
