/**
 * A handler's code shares its thread's isolate with the thread runtime, so
 * hostile or broken handler code can reach what the thread shares with its
 * pool: the rings in shared memory and the thread's `postMessage`. Whatever
 * it writes there may cost its own item and thread, never the pool's
 * isolate (the pipeline worker's main thread, which heartbeats the
 * distributor): the pool replaces the thread and says why, and its event
 * loop keeps turning.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ThreadPool } from "../../core/pipeline/executor.ts";
import type { WorkItem } from "../../core/pipeline/codec.ts";
import { within } from "../core/helpers.ts";

const module = new URL("./fixtures/hostile_handlers.ts", import.meta.url);
const item = (type: string, timeoutMs = 0): WorkItem => ({
  id: `${type}:0`,
  type,
  payload: null,
  attempt: 1,
  timeoutMs,
});

/** Runs `attack` in a pool of one thread, then checks the pool still runs items on a new one. */
async function attackPool(attack: string): Promise<string> {
  const pool = new ThreadPool({ module, threads: 1 });
  try {
    await pool.start();
    assert.deepEqual(await pool.run(item("warm")), { ok: true, value: 1 });
    const outcome = await within(pool.run(item(attack)), `the outcome of ${attack}`);
    assert.equal(outcome.ok, false, `${attack} was let through: ${JSON.stringify(outcome)}`);
    assert.equal(pool.replaced, 1);
    assert.deepEqual(await pool.run({ ...item("echo"), payload: 7 }), { ok: true, value: 7 });
    return (outcome as { reason: string }).reason;
  } finally {
    pool.close();
  }
}

Deno.test("thread attack: a handler that posts null to its pool costs its thread, not the pool", async () => {
  const reason = await attackPool("postNull");
  assert.match(reason, /thread 0 posted null/);
});

Deno.test("thread attack: a handler that posts its thread's start-up failure once started costs its thread", async () => {
  const reason = await attackPool("lateInitError");
  assert.match(reason, /thread 0 posted init-error after it started/);
});

Deno.test("thread attack: a record whose fields lie past the ring's end costs its thread, with the reason", async () => {
  const reason = await attackPool("pastTheEnd");
  assert.match(reason, /thread 0 broke its outcome ring: /);
});

/**
 * Runs `attack` in a pool of one thread in its own process (fixtures/pool_host.ts): the pool's
 * event loop must keep turning (ticks every 50 ms) until it reports the thread stuck in its
 * synchronous loop, whose item fails at its time limit.
 */
async function attackPoolHost(attack: string): Promise<void> {
  const host = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      new URL("./fixtures/pool_host.ts", import.meta.url).pathname,
      attack,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: string[] = [];
  // Resolved by the reader when the pool's report that the thread is stuck arrives.
  let reportedStuck!: () => void;
  const stuckReport = new Promise<void>((resolve) => reportedStuck = resolve);
  const reading = (async () => {
    let text = "";
    for await (const chunk of host.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const cut = text.lastIndexOf("\n");
      if (cut < 0) continue;
      lines.push(...text.slice(0, cut).split("\n"));
      text = text.slice(cut + 1);
      if (lines.some((line) => line.startsWith('{"stuck"'))) reportedStuck();
    }
  })();
  try {
    // The thread attacks from the start of its item on; its time limit (500 ms) ends it.
    await within(stuckReport, "the pool to report its attacking thread stuck", 15_000);
    const outcome = JSON.parse(lines.find((line) => line.startsWith('{"outcome"'))!).outcome;
    assert.deepEqual(outcome, { ok: false, reason: "timeout after 500 ms" });
    // Its event loop turned throughout: ticks every 50 ms until the report.
    const ticks = lines.slice(0, lines.findIndex((line) => line.startsWith('{"stuck"')));
    assert.ok(ticks.filter((line) => line === "tick").length >= 8, lines.join("\n"));
  } finally {
    host.kill("SIGKILL");
    await host.status;
    await reading;
  }
}

Deno.test("thread attack: a thread flooding its outcome ring leaves the pool's event loop turning", async () => {
  await attackPoolHost("flood");
});

Deno.test("thread attack: a thread ringing the pool's doorbell for good leaves its event loop turning", async () => {
  await attackPoolHost("ringForever");
});
