/**
 * Smoke test of the "zmq" benchmark section: runs it for real (zedge only,
 * --quick) and checks that every case and every point of the scale curves
 * produced a figure. No timing thresholds:
 * speed is the benchmark's business, not the test's.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseBenchArgs } from "../../bench/zmq.ts";

const BENCH = new URL("../../bench/zmq.ts", import.meta.url).pathname;
const CASES = [
  "REQ/REP 16 B",
  "PUSH→PULL 16 B",
  "PUSH→PULL 1 KiB",
  "PUB→SUB 16 B",
  "CURVE REQ/REP 16 B",
  "CURVE PUSH→PULL 16 B",
  "CURVE PUSH→PULL 1 KiB",
];

function parseRate(cell: string): number {
  return Number(cell.trim().replaceAll(",", ""));
}

Deno.test("zmq bench --quick --only zedge prints a positive zedge rate for every case", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH, "--quick", "--only", "zedge"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `bench failed:\n${stdout}\n${stderr}`);

  const rows = stdout.split("\n").filter((line) =>
    line.startsWith("| ") && !line.startsWith("| case")
  );
  for (const name of CASES) {
    const row = rows.find((line) => line.startsWith(`| ${name},`) || line.startsWith(`| ${name} `));
    assert.ok(row, `no table row for ${name}:\n${stdout}`);
    const [, zedge, ...others] = row.split("|").slice(1, -1).map((cell) => cell.trim());
    assert.ok(parseRate(zedge) > 0, `zedge rate for ${name} is not positive: "${zedge}"`);
    // Only zedge ran, so the other columns (native, pyzmq, zeromq.js, TCP echo and the
    // ratios) must say so rather than show numbers.
    assert.deepEqual(others, Array(8).fill("—"), row);
  }
  // The scale curves print a zedge figure for every point.
  for (
    const point of [
      "1 PUSH peer",
      "100 PUSH peers",
      "100 PUSH peers, drained by tryReceive()",
      "1 SUB",
      "100 SUBs",
      "16 B",
      "64 KiB",
    ]
  ) {
    const row = rows.find((line) => line.startsWith(`| ${point} |`));
    assert.ok(row, `no scale row for ${point}:\n${stdout}`);
    const zedge = row.split("|")[2].trim();
    assert.ok(parseRate(zedge.replace(" µs", "")) > 0, `zedge figure for ${point}: "${zedge}"`);
  }

  // The memory verdict of the fan-in curve, on the PULL's peak RSS with 1 and 100 peers.
  assert.match(
    stdout,
    /target memory flat \(PULL RSS at its peak over the window.*: [\d.]+ → [\d.]+ MiB, [\d.]+× (PASS|MISS)/,
  );
  const rss = stdout.match(/first ([\d.]+) MiB, last ([\d.]+) MiB, max ([\d.]+) MiB/);
  assert.ok(rss, `no RSS summary:\n${stdout}`);
  const [first, last, max] = rss.slice(1).map(Number);
  assert.ok(first > 0 && last > 0 && max >= first && max >= last, `odd RSS summary: ${rss[0]}`);
});

Deno.test("zmq bench flags: --only takes a list in either form and rejects unknown systems", () => {
  assert.deepEqual(parseBenchArgs(["--only=zedge"]).systems, ["zedge"]);
  assert.deepEqual(parseBenchArgs(["--only", "zeromq.js,pyzmq"]).systems, ["pyzmq", "zeromq.js"]);
  assert.deepEqual(parseBenchArgs([]).systems, [
    "zedge",
    "native",
    "pyzmq",
    "zeromq.js",
    "deno-tcp",
  ]);
  assert.equal(parseBenchArgs(["--quick"]).quick, true);
  assert.equal(parseBenchArgs([]).quick, false);
  assert.deepEqual(parseBenchArgs(["--tasks-only"]).ignored, ["--tasks-only"]);
  assert.throws(() => parseBenchArgs(["--only", "libzmq"]), /--only: unknown system "libzmq"/);
  assert.throws(() => parseBenchArgs(["--only"]), /--only: expected/);
  assert.equal(parseBenchArgs([]).cases, null);
  assert.equal(parseBenchArgs(["--cases=CURVE"]).cases, "CURVE");
  assert.equal(parseBenchArgs(["--curves"]).curves, "all");
  assert.equal(parseBenchArgs(["--curves=fan-in"]).curves, "fan-in");
  assert.equal(parseBenchArgs([]).curves, null);
  assert.equal(parseBenchArgs([]).warmup, null);
  assert.equal(parseBenchArgs(["--warmup=3"]).warmup, 3);
  assert.throws(() => parseBenchArgs(["--warmup=soon"]), /--warmup: expected seconds/);
});
