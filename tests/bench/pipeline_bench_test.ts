import assert from "node:assert/strict";
import { parseCases } from "../../bench/pipeline.ts";

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
