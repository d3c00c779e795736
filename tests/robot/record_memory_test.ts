/**
 * A long recording keeps the recorder's memory flat: ten minutes of a
 * 100 Hz, 1 KiB topic (60,000 messages, 60 MB of JSON) written as fast as
 * the disk takes them grows the live memory — V8 heap and external buffers
 * after forced GCs, in a subprocess with --expose-gc — by less than
 * 8 MiB (a chunk being built is 1 MiB). The control keeps every message,
 * as a recorder that queued them would, and must blow the bound many
 * times over: proof the measurement can fail. (`deno task bench live`
 * records the same topic from a running robot for ten real minutes.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoPath } from "../tasks/helpers.ts";
import { tempDir } from "../core/helpers.ts";

const GROWTH_BOUND = 8 * 1024 * 1024;

async function record(mode: "recorder" | "retained", path: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      repoPath("tests/robot/record_memory.ts"),
      mode,
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!) as {
    before: number;
    peak: number;
    messages: number;
    dropped: number;
    bytes: number;
  };
}

const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

Deno.test("recording ten minutes of a 100 Hz, 1 KiB topic keeps the recorder's memory flat", async () => {
  const dir = await tempDir("zedge-record-memory-");
  try {
    const flat = await record("recorder", join(dir, "run.mcap"));
    const growth = flat.peak - flat.before;
    console.log(
      `recorder: ${flat.messages} messages, file ${MiB(flat.bytes)}, live memory +${MiB(growth)}`,
    );
    assert.equal(flat.messages, 62_000);
    assert.equal(flat.dropped, 0);
    assert.ok(growth < GROWTH_BOUND, `grew ${MiB(growth)}`);

    const control = await record("retained", join(dir, "control.mcap"));
    const controlGrowth = control.peak - control.before;
    console.log(`control (every message kept): live memory +${MiB(controlGrowth)}`);
    assert.ok(controlGrowth > 4 * GROWTH_BOUND, `the control grew only ${MiB(controlGrowth)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
