/**
 * The examples in examples/sockets/ run as their README says: the job
 * runner to completion, and the log publisher read by `zedge logs tail`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { repoPath } from "../tasks/helpers.ts";
import { spawn, zedgeArgs } from "../tasks/processes.ts";

Deno.test("examples/sockets/job_runner.ts runs its jobs through poll, sendSafe and subscribe", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", repoPath("examples/sockets/job_runner.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const lines = out.trim().split("\n");
  assert.match(lines[0], /^runner: jobs on tcp:\/\/127\.0\.0\.1:\d+, status on .*, events on /);
  assert.deepEqual(lines.slice(1), [
    "runner: a watcher subscribed",
    'client: runner says {"done":0,"watchers":1}',
    ...[1, 2, 3, 4, 5].map((id) =>
      `watcher: job.done {"id":${id},"tile":[${id},${id * 2}],"by":"runner-1"}`
    ),
    'client: runner says {"done":5}',
  ]);
});

Deno.test("examples/sockets/robot_logs.ts publishes records zedge logs tail prints; both stop on Ctrl-C", async () => {
  const publisher = spawn(Deno.execPath(), [
    "run",
    "-A",
    repoPath("examples/sockets/robot_logs.ts"),
    "tcp://127.0.0.1:0",
  ], "null");
  let tail: ReturnType<typeof spawn> | undefined;
  try {
    const [, endpoint] = await publisher.waitFor(/publishing log records on (\S+) /);
    tail = spawn(Deno.execPath(), zedgeArgs("logs", "tail", endpoint, "--level", "info"), "null");
    // Records come every 500 ms; the tail prints them once its subscription is through.
    await tail.waitFor(/ (info|warning) +demo-bot\.lidar: scan \d+: \d+ points/);
    assert.doesNotMatch(tail.stdout(), /debug/);
    tail.child.kill("SIGINT");
    assert.equal((await tail.status).code, 0, tail.stderr());
    publisher.child.kill("SIGINT");
    assert.equal((await publisher.status).code, 0, publisher.stderr());
    assert.match(publisher.stdout(), /published \d+ records, 0 dropped/);
  } finally {
    await tail?.stop();
    await publisher.stop();
  }
});
