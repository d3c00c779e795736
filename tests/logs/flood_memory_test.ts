/**
 * A flood of log records keeps memory flat, whether nobody listens or a
 * subscriber stalls: the live heap (after forced GCs, in a subprocess with
 * --expose-gc) grows by less than a few MiB over 100,000 records, and RSS
 * (measured once V8 has sized its heap for the flood, after a 60,000-record
 * warm-up) by far less than the control's. The control keeps every record,
 * as a sink that queued them would, and must blow the same bounds — proof
 * the measurement can fail.
 *
 * @module
 */
import assert from "node:assert/strict";
import { repoPath } from "../tasks/helpers.ts";

const RECORDS = 100_000;
/** Live heap growth allowed over the flood; queueing the records would take ≥ 20 MB. */
const HEAP_GROWTH_BOUND = 8 * 1024 * 1024;

interface FloodResult {
  mode: string;
  published: number;
  dropped: number;
  heapBefore: number;
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
  return `${result.mode}: heap ${MiB(result.heapBefore)} → ${MiB(result.heapAfter)}, ` +
    `RSS ${MiB(result.rssBefore)} → ${MiB(result.rssAfter)}, ` +
    `${result.dropped} dropped, ${result.recordsPerSecond} records/s`;
}

Deno.test("logs over PUB: a flood with nobody listening, or a stalled subscriber, keeps memory flat", async () => {
  const nobody = await flood("nobody");
  const stalled = await flood("stalled");
  const retained = await flood("retained");
  console.log(`  ${describe(nobody)}\n  ${describe(stalled)}\n  ${describe(retained)}`);

  for (const result of [nobody, stalled]) {
    const growth = result.heapAfter - result.heapBefore;
    assert.ok(growth < HEAP_GROWTH_BOUND, `${describe(result)}: heap grew ${MiB(growth)}`);
  }
  assert.equal(nobody.dropped, 0, "with nobody subscribed nobody missed a record");
  assert.ok(stalled.dropped > RECORDS / 2, `only ${stalled.dropped} dropped behind a stall`);

  // The control: records kept blow the bound many times over, on the heap and in RSS.
  const retainedGrowth = retained.heapAfter - retained.heapBefore;
  assert.ok(retainedGrowth > 4 * HEAP_GROWTH_BOUND, describe(retained));
  const rssGrowth = (result: FloodResult) => result.rssAfter - result.rssBefore;
  assert.ok(rssGrowth(nobody) < rssGrowth(retained) / 2, describe(nobody));
  assert.ok(rssGrowth(stalled) < rssGrowth(retained) / 2, describe(stalled));
});
