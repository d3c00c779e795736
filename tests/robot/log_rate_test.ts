/**
 * A component logging in a loop is held to its log rate (2000 records at
 * once, 500 a second): the rest are dropped and counted, and the robot's log
 * says how many. Without it, every record cost the supervisor its time and,
 * under systemd, journald's rate limit for the whole service would drop the
 * supervisor's own word on crashes with the flood.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ComponentLogRecord } from "../../robot/protocol.ts";
import { LogRate } from "../../robot/supervision/log_sinks.ts";
import { CALM, robotDir, robotYaml, startRobot, waitFor } from "./helpers.ts";

/**
 * What `rate` does with a record at `now`: null when it drops it, else how
 * many dropped records the note before it counts (0: no note), checking
 * that the record itself comes last.
 */
function take(rate: LogRate, now: number): number | null {
  const passed = rate.admit("the record", now);
  if (passed.length === 0) return null;
  assert.equal(passed.at(-1), "the record");
  if (passed.length === 1) return 0;
  return (passed[0] as ComponentLogRecord).properties.dropped as number;
}

Deno.test("log rate: a burst of 2000 passes, then 500 a second; drops are counted", () => {
  const rate = new LogRate();
  for (let i = 0; i < 2000; i++) assert.equal(take(rate, 0), 0);
  assert.equal(take(rate, 0), null);
  assert.equal(take(rate, 1), null);
  // 10 ms later, 5 records' worth: the first says what was dropped before it.
  assert.equal(take(rate, 10), 2);
  for (let i = 0; i < 4; i++) assert.equal(take(rate, 10), 0);
  assert.equal(take(rate, 10), null);
  // Drops are said at most once a second: with the first record that passes after it.
  assert.equal(take(rate, 20), 0);
  assert.equal(take(rate, 1010), 1);
  // A note names the bounds of the rate that dropped (the supervisor's backstop is wider).
  const backstop = new LogRate(4000, 1000);
  for (let i = 0; i < 4001; i++) backstop.admit("the record", 0);
  const [note] = backstop.admit("the record", 10);
  assert.match(
    (note as ComponentLogRecord).message,
    /^1 log records dropped: over 4000 at once or 1000 a second$/,
  );
});

Deno.test("log rate: a component logging in a loop is dropped past its rate, its sibling is not", async () => {
  const dir = await robotDir({
    "chatty.ts": `export default async function main(ctx) {
  for (let i = 0; !ctx.signal.aborted; i++) {
    ctx.log.info("chatter {i}", { i });
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 0));
  }
}\n`,
    "quiet.ts": `export default async function main(ctx) {
  for (let i = 0; !ctx.signal.aborted; i++) {
    ctx.log.info("quiet {i}", { i });
    await new Promise((r) => setTimeout(r, 50));
  }
}\n`,
    "calm.ts": CALM,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  chatty: { kind: node, module: ./chatty.ts }
  quiet: { kind: node, module: ./quiet.ts }
`),
  );
  const records: { component: string; record: ComponentLogRecord; at: number }[] = [];
  const started = performance.now();
  const supervisor = await startRobot(dir, {
    onLog: (component, record) => records.push({ component, record, at: performance.now() }),
  });
  try {
    const notes = () =>
      records.filter((r) => r.component === "chatty" && r.record.properties.dropped !== undefined);
    await waitFor(() => notes().length >= 2, () => `two drop notes (${records.length} records)`);
    const elapsedS = (performance.now() - started) / 1000;
    const chatter = records.filter((r) =>
      r.component === "chatty" && r.record.message.startsWith("chatter")
    );
    // Within its burst and rate over the whole run (a little slack for the clock).
    assert.ok(
      chatter.length <= 2000 + 500 * elapsedS + 10,
      `${chatter.length} records in ${elapsedS.toFixed(1)} s`,
    );
    const dropped = notes().reduce((n, r) => n + (r.record.properties.dropped as number), 0);
    assert.ok(dropped > 0);
    assert.match(notes()[0].record.message, /^\d+ log records dropped: over 2000 at once or 500/);
    // The quiet sibling lost nothing: its ticks are consecutive.
    const quiet = records.filter((r) => r.component === "quiet").map((r) =>
      r.record.properties.i as number
    );
    assert.ok(quiet.length > 0);
    assert.deepEqual(quiet, quiet.map((_, i) => quiet[0] + i));
  } finally {
    await supervisor.shutdown();
  }
});
