/**
 * Kill tests: roles in separate `deno run` processes, killed with SIGKILL or
 * frozen with SIGSTOP mid-run. Every item must still be collected exactly
 * once, and a restarted distributor must re-issue only un-ACKed items.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Collector, Distributor, type PipelineSummary, PipelineWorker } from "../../mod.ts";
import { endpointsOf, type RoleProcess, spawnRole, Tally, waitFor } from "./fixtures/helpers.ts";
import { tempDir } from "../core/helpers.ts";

const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600 };

async function distributorAndCollector(items: number, ms: number) {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    tasks: [{ type: "sleep", items: Array(items).fill({ ms }) }],
    minWorkers: 2,
    retryBackoffMs: 10,
    ...FAST,
  });
  await distributor.start();
  const tally = new Tally();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    heartbeatIntervalMs: 100,
    onResult: (r) => tally.add(r.id),
  });
  await collector.start();
  const workerOptions = {
    distributor: distributor.endpoints.workers,
    collector: collector.endpoint,
    prefetch: 2,
    ...FAST,
  };
  return { distributor, collector, tally, workerOptions };
}

Deno.test("kill: a worker killed with SIGKILL mid-run loses nothing", async () => {
  const { distributor, collector, tally, workerOptions } = await distributorAndCollector(80, 15);
  const victim = spawnRole("worker", { ...workerOptions, name: "victim" });
  const survivor = spawnRole("worker", { ...workerOptions, name: "survivor", threads: 2 });
  try {
    await Promise.all([victim.ready, survivor.ready]);
    await waitFor(() => tally.size >= 15, "first results");
    victim.kill("SIGKILL");
    const summary = await distributor.run();
    await collector.run();
    assert.equal(summary.done, 80);
    assert.deepEqual(summary.failed, []);
    assert.ok(summary.retries >= 1, "the victim's items were redelivered");
    assert.equal(tally.size, 80);
    assert.deepEqual(tally.duplicates(), []);
    assert.equal((await victim.status).signal, "SIGKILL");
    assert.equal((await survivor.status).code, 0, "the survivor leaves when the run ends");
  } finally {
    victim.kill();
    survivor.kill();
    await distributor.close();
    await collector.close();
  }
});

Deno.test("kill: a silent (SIGSTOPped) worker's items are redelivered after its heartbeat timeout", async () => {
  const { distributor, collector, tally, workerOptions } = await distributorAndCollector(60, 10);
  const frozen = spawnRole("worker", { ...workerOptions, name: "frozen" });
  const other = spawnRole("worker", { ...workerOptions, name: "other" });
  try {
    await Promise.all([frozen.ready, other.ready]);
    await waitFor(() => tally.size >= 10, "first results");
    frozen.kill("SIGSTOP");
    const summary = await distributor.run();
    await collector.run();
    assert.equal(summary.done, 60);
    assert.ok(summary.retries >= 1, "the frozen worker's items were redelivered");
    assert.equal(tally.size, 60);
    assert.deepEqual(tally.duplicates(), []);
  } finally {
    frozen.kill("SIGKILL");
    other.kill();
    await Promise.all([frozen.status, other.status]);
    await distributor.close();
    await collector.close();
  }
});

/** A started collector of the distributor at `acks` that counts every result in `tally`. */
async function tallyingCollector(acks: string, tally: Tally): Promise<Collector> {
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: acks,
    heartbeatIntervalMs: 100,
    onResult: (r) => tally.add(r.id),
  });
  await collector.start();
  return collector;
}

function journalDone(path: string): Set<string> {
  const db = new DatabaseSync(path);
  try {
    const rows = db.prepare("SELECT id FROM done_items").all() as { id: string }[];
    return new Set(rows.map((r) => r.id));
  } finally {
    db.close();
  }
}

Deno.test("kill: a distributor killed and restarted with its journal loses nothing and redoes nothing", async () => {
  const dir = await tempDir();
  const journal = `${dir}/journal.db`;
  const options = {
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    journal,
    type: "echo",
    count: 300,
    payload: null,
    retryBackoffMs: 10,
    ...FAST,
  };
  const tally = new Tally();
  let phase = 1;
  const processedAfterRestart: string[] = [];
  const slowEcho = async (_p: unknown, ctx: { id: string }) => {
    if (phase === 2) processedAfterRestart.push(ctx.id);
    await new Promise((r) => setTimeout(r, 3));
    return ctx.id;
  };
  // The first distributor binds ports of its own choosing; the second takes them over.
  const first = spawnRole("distributor", options);
  let second: RoleProcess | null = null;
  let collector: Collector | null = null;
  let pool: PipelineWorker[] = [];
  try {
    const endpoints = await endpointsOf(first);
    collector = await tallyingCollector(endpoints.acks, tally);
    pool = [0, 1].map((n) =>
      new PipelineWorker({
        distributor: endpoints.workers,
        collector: collector!.endpoint,
        handlers: { echo: slowEcho },
        name: `w${n}`,
        ...FAST,
      })
    );
    for (const w of pool) w.run();
    await waitFor(() => tally.size >= 100, "a third of the results");
    first.kill("SIGKILL");
    await first.status;
    const doneBefore = journalDone(journal);
    assert.ok(doneBefore.size > 0 && doneBefore.size < 300, `journal has ${doneBefore.size}`);

    phase = 2;
    second = spawnRole("distributor", { ...options, ...endpoints });
    const status = await second.exited(30_000, "the restarted distributor to finish the run");
    assert.equal(status.code, 0, second.log());
    const summary = JSON.parse(
      second.output().split("\n").find((l) => l.startsWith("{"))!,
    ) as PipelineSummary;
    assert.equal(summary.done, 300);
    assert.deepEqual(summary.failed, []);
    assert.ok(
      summary.resumed >= doneBefore.size,
      `resumed ${summary.resumed} < ${doneBefore.size}`,
    );
    // Nothing the journal had recorded as done was handed out again ...
    assert.deepEqual(processedAfterRestart.filter((id) => doneBefore.has(id)), []);
    // ... and every item reached the collector exactly once.
    const missing = Array.from({ length: 300 }, (_, i) => `echo:${i}`).filter((id) =>
      !tally.counts.has(id)
    );
    assert.deepEqual(missing, [], `summary ${JSON.stringify(summary)}`);
    assert.equal(tally.size, 300);
    assert.deepEqual(tally.duplicates(), []);
  } finally {
    first.kill();
    second?.kill();
    await Promise.all([first.status, second?.status]);
    await Promise.all(pool.map((w) => w.close()));
    await collector?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill: a distributor stopped past the heartbeat timeout keeps its workers when it wakes", async () => {
  // The distributor binds ports of its own choosing and says which: ports picked
  // here and released would be free only until something else takes them.
  const distributor = spawnRole("distributor", {
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    type: "sleep",
    count: 100,
    payload: { ms: 20 },
    minWorkers: 2,
    ...FAST,
  });
  const tally = new Tally();
  let collector: Collector | null = null;
  let pool: PipelineWorker[] = [];
  try {
    const endpoints = await endpointsOf(distributor);
    collector = await tallyingCollector(endpoints.acks, tally);
    // Patient workers: they must not give the distributor up (and re-register) while it
    // is stopped, so that only the distributor's own view of the pause is tested.
    pool = [0, 1].map((n) =>
      new PipelineWorker({
        distributor: endpoints.workers,
        collector: collector!.endpoint,
        module: new URL("./fixtures/handlers.ts", import.meta.url),
        name: `w${n}`,
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 10_000,
      })
    );
    for (const w of pool) w.run();
    await waitFor(() => tally.size >= 10, "the first results");
    distributor.kill("SIGSTOP");
    // The attack: stopped for more than twice its own 600 ms heartbeat timeout.
    await new Promise((r) => setTimeout(r, 1500));
    distributor.kill("SIGCONT");
    const status = await distributor.exited(20_000, "the woken distributor to finish the run");
    assert.equal(status.code, 0, distributor.log());
    const summary = JSON.parse(
      distributor.output().split("\n").find((l) => l.startsWith("{"))!,
    ) as PipelineSummary;
    assert.equal(summary.done, 100);
    assert.equal(summary.retries, 0, "nothing was redelivered: no worker was given up");
    assert.deepEqual(tally.duplicates(), []);
  } finally {
    distributor.kill("SIGCONT");
    distributor.kill("SIGKILL");
    await distributor.status;
    await Promise.all(pool.map((w) => w.close()));
    await collector?.close();
  }
});
