/**
 * `deno task bench` as a user first meets it: `--help` says what each section
 * measures and runs nothing (a benchmark started by mistake takes the machine
 * for minutes); an unknown section is one line, exit 2.
 *
 * @module
 */
import assert from "node:assert/strict";

const MAIN = new URL("../../bench/main.ts", import.meta.url).pathname;

async function bench(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("bench --help and -h list every section and run none", async () => {
  for (const flag of ["--help", "-h", "zmq --help"]) {
    const { code, stdout, stderr } = await bench(...flag.split(" "));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^usage: deno task bench/);
    for (const section of ["zmq", "tasks", "pipeline", "robot", "dataflow", "live", "fleet"]) {
      assert.match(stdout, new RegExp(`^  ${section} `, "m"), section);
    }
    assert.doesNotMatch(stdout, /^## /m, "no section ran");
  }
});

Deno.test("bench: an unknown section is one line and exit 2", async () => {
  const { code, stdout, stderr } = await bench("zmqq");
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.match(stderr, /unknown section "zmqq"/);
});
