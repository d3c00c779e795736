// py-zmq-pipeline's hooks in zedge's pipeline (issue 13, 8a–8d), over real
// sockets and real Web-Worker threads: metadata reaching the collector, ACK
// data gating dispatch, the per-thread init hook and the main-thread prepare
// stage.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type AckData,
  type CollectedResult,
  Collector,
  Distributor,
  type DistributorOptions,
  loadPipelineConfig,
  PipelineWorker,
  startPipelineRoles,
  type WorkerOptions,
} from "../../mod.ts";
import { steps } from "./fixtures/gated_source.ts";
import { loopbackPipelineEndpoints, tempDir } from "../core/helpers.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const HOOKS = new URL("hooks_handlers.ts", FIXTURES);
const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 };

/** What the `probe` handler returns. */
interface Probe {
  payload: { original: unknown; preparedIn: number; preparedWith: { thread: number } };
  state: { worker: string; thread: number; inits: number };
  thread: number;
  initsInThisThread: number;
  startedAt: number;
  endedAt: number;
}

/** Distributor and collector on random ports, and the workers asked for. */
async function pipeline(
  options: Omit<DistributorOptions, "workers" | "acks">,
  onResult: (result: CollectedResult) => unknown = () => undefined,
) {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    retryBackoffMs: 10,
    ...FAST,
    ...options,
  });
  await distributor.start();
  const results: CollectedResult[] = [];
  const collectedAt = new Map<string, number>();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    heartbeatIntervalMs: 100,
    onResult: (result) => {
      collectedAt.set(result.id, performance.timeOrigin + performance.now());
      results.push(result);
      return onResult(result);
    },
  });
  await collector.start();
  const workers: PipelineWorker[] = [];
  const worker = (o: Partial<WorkerOptions>) => {
    const w = new PipelineWorker({
      distributor: distributor.endpoints.workers,
      collector: collector.endpoint,
      ...FAST,
      ...o,
    });
    workers.push(w);
    return w;
  };
  const close = () =>
    Promise.all([...workers.map((w) => w.close()), collector.close(), distributor.close()]);
  return { distributor, collector, results, collectedAt, worker, close };
}

Deno.test("hooks: init runs once per thread before its first item; prepare runs in the worker's own thread", async () => {
  const t = await pipeline({
    tasks: [{ type: "probe", items: Array.from({ length: 12 }, (_, i) => ({ i })) }],
  });
  try {
    t.worker({ module: HOOKS, threads: 2, prefetch: 2, name: "hooked" }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 12);
    const probes = t.results.map((r) => r.value as Probe);
    const threads = new Set(probes.map((p) => p.thread));
    assert.deepEqual([...threads].sort(), [0, 1], "both threads ran items");
    for (const p of probes) {
      // init ran in this thread, once, before this item: its state is here.
      assert.deepEqual(p.state, { worker: "hooked", thread: p.thread, inits: 1 });
      assert.equal(p.initsInThisThread, 1);
      // prepare ran in the worker's own thread (-1), with that thread's init state.
      assert.equal(p.payload.preparedIn, -1);
      const { worker, thread } = p.payload.preparedWith as { worker: string; thread: number };
      assert.deepEqual({ worker, thread }, { worker: "hooked", thread: -1 });
    }
    const originals = probes.map((p) => (p.payload.original as { i: number }).i).sort((a, b) =>
      a - b
    );
    assert.deepEqual(originals, Array.from({ length: 12 }, (_, i) => i));
  } finally {
    await t.close();
  }
});

Deno.test("hooks: a single-threaded worker runs init once and prepare just before the handler", async () => {
  const t = await pipeline({ tasks: [{ type: "probe", items: [1, 2, 3] }] });
  try {
    t.worker({ module: HOOKS, name: "inline" }).run();
    assert.equal((await t.distributor.run()).done, 3);
    // This test's process shares the module with the other tests: count from where it was.
    const inits = new Set(t.results.map((r) => (r.value as Probe).state.inits));
    assert.equal(inits.size, 1, "init ran before the first item and never again");
    for (const r of t.results) {
      const p = r.value as Probe;
      assert.deepEqual(p.state, { worker: "inline", thread: 0, inits: p.initsInThisThread });
      assert.equal(p.payload.preparedIn, 0);
      assert.deepEqual(p.payload.preparedWith, p.state, "one thread, one state");
    }
  } finally {
    await t.close();
  }
});

Deno.test("hooks: a throwing init stops the worker from starting, with the reason", async () => {
  const module = new URL("init_fails_handlers.ts", FIXTURES);
  for (const threads of [0, 2]) {
    const worker = new PipelineWorker({
      distributor: "tcp://127.0.0.1:1",
      collector: "tcp://127.0.0.1:1",
      module,
      threads,
    });
    await assert.rejects(
      worker.start(),
      /init\(\) threw: no camera attached/,
      `threads: ${threads}`,
    );
    await worker.close();
  }
});

Deno.test("hooks: a throwing prepare fails that attempt only; the retry goes through", async () => {
  const t = await pipeline({
    tasks: [{ type: "probe", items: [{ failPrepare: true }, { ok: 1 }] }],
  });
  try {
    t.worker({ module: HOOKS, threads: 1 }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 2);
    assert.equal(summary.retries, 1);
    const retried = t.results.find((r) => r.id === "probe:0")!.value as Probe;
    assert.deepEqual(retried.payload.original, { failPrepare: true });
  } finally {
    await t.close();
  }
});

Deno.test("hooks: metadata reaches the collector for the types that forward it", async () => {
  const t = await pipeline({
    metadata: () => ({ map: "dock-2" }),
    tasks: [
      { type: "meta", items: [1, 2], forwardMetadata: true },
      { type: "echo", items: [3] },
    ],
  });
  try {
    t.worker({ module: new URL("handlers.ts", FIXTURES) }).run();
    assert.equal((await t.distributor.run()).done, 3);
    const byType = (type: string) => t.results.filter((r) => r.type === type);
    assert.equal(byType("meta").length, 2);
    for (const r of byType("meta")) assert.deepEqual(r.metadata, { map: "dock-2" });
    for (const r of byType("echo")) assert.equal("metadata" in r, false);
  } finally {
    await t.close();
  }
});

Deno.test("hooks: ACK data gates dispatch — one step at a time, each after the ACK of the one before", async () => {
  const seen: (number | undefined)[] = [];
  let sent = 0;
  const t = await pipeline(
    {
      tasks: [{
        type: "probe",
        items: Array.from({ length: 5 }, (_, step) => ({ step, ms: 30 })),
        isAvailableForHandling: (last: AckData | undefined) => {
          const acked = last === undefined ? 0 : (last.data as number) + 1;
          if (acked < sent) return false;
          seen.push(last?.data as number | undefined);
          sent++;
          return true;
        },
      }],
    },
    // The ACK data: the step whose result this is.
    (result) => ((result.value as Probe).payload.original as { step: number }).step,
  );
  try {
    // Two threads and prefetch: without the gate, steps would overlap.
    t.worker({ module: HOOKS, threads: 2, prefetch: 2 }).run();
    assert.equal((await t.distributor.run()).done, 5);
    assert.deepEqual(seen, [undefined, 0, 1, 2, 3]);
    const byStep = t.results
      .map((r) => ({ id: r.id, probe: r.value as Probe }))
      .sort((a, b) => a.id.localeCompare(b.id));
    for (let k = 1; k < byStep.length; k++) {
      const previous = t.collectedAt.get(byStep[k - 1].id)!;
      assert.ok(
        byStep[k].probe.startedAt >= previous,
        `step ${k} started ${byStep[k].probe.startedAt - previous} ms after step ${
          k - 1
        } was collected`,
      );
    }
  } finally {
    await t.close();
  }
});

Deno.test("hooks: from the YAML — a source object's isAvailableForHandling gets the collector module's ACK data", async () => {
  const dir = await tempDir("zedge-hooks-");
  const fixture = (name: string) => new URL(name, FIXTURES).pathname;
  // The source object and the collector's onResult live in one module.
  await Deno.writeTextFile(
    join(dir, "pipeline.yaml"),
    `${loopbackPipelineEndpoints()}heartbeat: { intervalMs: 100 }
tasks:
  echo: { source: ${fixture("gated_source.ts")}, export: steps }
workers:
  - handlers: ${fixture("handlers.ts")}
    types: [echo]
    prefetch: 2
collector: { module: ${fixture("gated_source.ts")} }
`,
  );
  const config = await loadPipelineConfig(join(dir, "pipeline.yaml"));
  const calls: (number | undefined)[] = [];
  const gate = steps.isAvailableForHandling;
  steps.isAvailableForHandling = function (last: AckData | undefined) {
    const answer = gate.call(this, last);
    if (answer) calls.push(last?.data as number | undefined);
    return answer;
  };
  const roles = await startPipelineRoles(config, {
    roles: ["distributor", "collector", "workers"],
  });
  try {
    const summary = await roles.distributor!.run();
    assert.equal(summary.done, 5);
    assert.deepEqual(calls, [undefined, 0, 1, 2, 3]);
  } finally {
    await roles.close();
    steps.isAvailableForHandling = gate;
    await Deno.remove(dir, { recursive: true });
  }
});
