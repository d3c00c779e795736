import assert from "node:assert/strict";
import {
  type CollectedResult,
  Collector,
  Dealer,
  Distributor,
  type DistributorOptions,
  encodePipelineMessage,
  MetadataProvider,
  PipelineWorker,
  type WorkerOptions,
} from "../../mod.ts";
import { Tally, waitFor } from "./fixtures/helpers.ts";

const handlers = new URL("./fixtures/handlers.ts", import.meta.url);
const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 };

/** Distributor + collector on random ports; workers added by the caller. */
async function setUp(
  options: Omit<DistributorOptions, "workers" | "acks">,
  collectorOptions: { exitOnFinished?: boolean } = {},
) {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    retryBackoffMs: 10,
    ...FAST,
    ...options,
  });
  await distributor.start();
  const tally = new Tally();
  const results: CollectedResult[] = [];
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    heartbeatIntervalMs: 100,
    ...collectorOptions,
    onResult: (r) => {
      tally.add(r.id);
      results.push(r);
    },
  });
  await collector.start();
  const workers: PipelineWorker[] = [];
  const addWorker = (o: Partial<WorkerOptions>) => {
    const worker = new PipelineWorker({
      distributor: distributor.endpoints.workers,
      collector: collector.endpoint,
      ...FAST,
      ...o,
    });
    workers.push(worker);
    return worker;
  };
  const tearDown = async () => {
    await Promise.all([...workers.map((w) => w.close()), collector.close(), distributor.close()]);
  };
  return { distributor, collector, tally, results, addWorker, tearDown };
}

Deno.test("pipeline: every item is collected exactly once, across two workers", async () => {
  const t = await setUp({
    tasks: [{ type: "sleep", items: Array(60).fill({ ms: 2 }) }],
    minWorkers: 2,
  });
  try {
    const runs = [t.addWorker({ module: handlers }).run(), t.addWorker({ module: handlers }).run()];
    const summary = await t.distributor.run();
    assert.equal(summary.done, 60);
    assert.equal(summary.total, 60);
    assert.deepEqual(summary.failed, []);
    const collected = await t.collector.run();
    assert.equal(collected?.done, 60);
    assert.equal(t.tally.size, 60);
    assert.deepEqual(t.tally.duplicates(), []);
    const stats = await Promise.all(runs); // workers leave when the run ends
    assert.equal(stats[0].processed + stats[1].processed, 60);
    assert.ok(stats[0].processed > 0 && stats[1].processed > 0);
  } finally {
    await t.tearDown();
  }
});

Deno.test("pipeline: a slow worker gets fewer items (credit-based balancing)", async () => {
  const t = await setUp({
    tasks: [{ type: "work", items: Array.from({ length: 80 }, (_, i) => i) }],
    minWorkers: 2,
  });
  try {
    const perWorker = new Map<string, number>();
    const slow = t.addWorker({
      name: "slow",
      handlers: { work: () => new Promise((r) => setTimeout(() => r("slow"), 40)) },
    });
    const fast = t.addWorker({
      name: "fast",
      handlers: { work: () => new Promise((r) => setTimeout(() => r("fast"), 2)) },
    });
    slow.run();
    fast.run();
    await t.distributor.run();
    for (const r of t.results) perWorker.set(r.worker, (perWorker.get(r.worker) ?? 0) + 1);
    const slowCount = perWorker.get("slow") ?? 0;
    const fastCount = perWorker.get("fast") ?? 0;
    assert.equal(slowCount + fastCount, 80);
    assert.ok(fastCount > slowCount * 2, `fast ${fastCount} vs slow ${slowCount}`);
  } finally {
    await t.tearDown();
  }
});

Deno.test("pipeline: a dependent type starts only after every parent item is done", async () => {
  const started: { type: string; at: number }[] = [];
  const doneAt = new Map<string, number>();
  const t = await setUp({
    tasks: [
      { type: "upload", items: ["u0", "u1", "u2"], dependsOn: ["render", "compress"] },
      { type: "render", items: Array.from({ length: 12 }, (_, i) => i) },
      { type: "compress", items: [1, 2, 3], dependsOn: ["render"] },
    ],
  });
  try {
    const step = (type: string, ms: number) => async () => {
      started.push({ type, at: performance.now() });
      await new Promise((r) => setTimeout(r, ms));
      return type;
    };
    t.addWorker({
      handlers: {
        render: step("render", 5),
        compress: step("compress", 1),
        upload: step("upload", 1),
      },
      prefetch: 3,
    }).run();
    t.addWorker({
      handlers: { render: step("render", 15), compress: step("compress", 1) },
      prefetch: 3,
    })
      .run();
    const collector = t.collector;
    const summary = await t.distributor.run();
    assert.equal(summary.done, 18);
    await collector.run();
    for (const r of t.results) {
      doneAt.set(r.type, Math.max(doneAt.get(r.type) ?? 0, performance.now()));
    }
    const firstStart = (type: string) =>
      Math.min(...started.filter((s) => s.type === type).map((s) => s.at));
    const lastStart = (type: string) =>
      Math.max(...started.filter((s) => s.type === type).map((s) => s.at));
    // Every compress starts after the last render started (and finished: items
    // are done only once collected), every upload after the last compress.
    assert.ok(firstStart("compress") > lastStart("render"));
    assert.ok(firstStart("upload") > lastStart("compress"));
    const order = t.results.map((r) => r.type);
    assert.ok(order.lastIndexOf("render") < order.indexOf("compress"));
    assert.ok(order.lastIndexOf("compress") < order.indexOf("upload"));
  } finally {
    await t.tearDown();
  }
});

Deno.test("pipeline: failing items are retried with backoff, then reported with the reason", async () => {
  const t = await setUp({
    tasks: [
      { type: "flaky", items: [{ failures: 2 }, { failures: 99 }], maxRetries: 3 },
      { type: "echo", items: [1], dependsOn: ["flaky"] },
    ],
  });
  try {
    t.addWorker({ module: handlers }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 1);
    assert.deepEqual(summary.failed, [
      { id: "flaky:1", type: "flaky", reason: "Error: flaky failure 4", attempts: 4 },
    ]);
    assert.equal(summary.retries, 2 + 3);
    assert.deepEqual(summary.skipped, [
      { type: "echo", reason: "parent task type(s) 'flaky' did not complete" },
    ]);
    const value = t.results.find((r) => r.id === "flaky:0")?.value as { attempt: number };
    assert.equal(value.attempt, 3);
    const finished = await t.collector.run();
    assert.equal(finished?.failed.length, 1); // onFinished sees the failures too
  } finally {
    await t.tearDown();
  }
});

Deno.test("pipeline: an item over its time limit is redelivered", async () => {
  const t = await setUp({ tasks: [{ type: "hang", items: [1, 2], timeoutMs: 150 }] });
  try {
    t.addWorker({ module: handlers, threads: 2 }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 2);
    assert.equal(summary.retries, 2);
    assert.deepEqual(t.results.map((r) => (r.value as { attempt: number }).attempt), [2, 2]);
  } finally {
    await t.tearDown();
  }
});

Deno.test("pipeline: a crashing Web-Worker thread is replaced and its item retried", async () => {
  const t = await setUp({
    tasks: [
      { type: "crash", items: Array(4).fill(null) },
      { type: "exit", items: Array(2).fill(null) },
      { type: "echo", items: Array(20).fill(null) },
    ],
  });
  try {
    const worker = t.addWorker({ module: handlers, threads: 2 });
    worker.run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 26);
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.retries, 6);
    assert.equal(t.tally.size, 26);
    assert.deepEqual(t.tally.duplicates(), []);
    assert.equal(worker.stats.failed, 6);
  } finally {
    await t.tearDown();
  }
});

Deno.test("pipeline: metadata reaches item sources and, when forwarded, workers", async () => {
  const provider = new MetadataProvider({
    endpoint: "tcp://127.0.0.1:0",
    getMetadata: () => ({ map: "dock-2", n: 3 }),
  });
  await provider.start();
  const t = await setUp({
    metadata: { endpoint: provider.endpoint, retryMs: 100 },
    tasks: [
      {
        type: "meta",
        items: ({ metadata }) => Array.from({ length: (metadata as { n: number }).n }, (_, i) => i),
        forwardMetadata: true,
      },
      { type: "echo", items: [1] },
    ],
  });
  try {
    t.addWorker({ module: handlers, threads: 1 }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 4);
    const metas = t.results.filter((r) => r.type === "meta").map((r) => r.value);
    assert.deepEqual(metas, Array(3).fill({ metadata: { map: "dock-2", n: 3 } }));
    assert.equal(provider.served, 1);
  } finally {
    await t.tearDown();
    await provider.close();
  }
});

Deno.test("pipeline: bad messages are dropped and never stop a role", async () => {
  const t = await setUp({ tasks: [{ type: "echo", items: Array(10).fill(0) }] });
  const rogues: Dealer[] = [];
  try {
    const garbage: (Uint8Array | string | (Uint8Array | string)[])[] = [
      new Uint8Array([0xc1, 0xff]),
      "plain text",
      encodePipelineMessage({ kind: "ack", done: [], ids: ["never-issued"] }),
      encodePipelineMessage({ kind: "work", items: [] }),
      encodePipelineMessage({
        kind: "credit",
        credit: 5,
        done: [{ type: "echo", ranges: [0, 1] }],
        failed: [],
      }),
      [encodePipelineMessage({ kind: "heartbeat" }), "extra frame"],
      new Uint8Array([0x92, 0xa2, 0x5a, 0x5a, 0x01]), // ["ZZ", 1]
    ];
    for (
      const endpoint of [
        t.distributor.endpoints.workers,
        t.distributor.endpoints.acks,
        t.collector.endpoint,
      ]
    ) {
      const rogue = new Dealer({ linger: 0 });
      rogue.connect(endpoint);
      rogues.push(rogue);
      for (const g of garbage) await rogue.send(g);
    }
    // Each endpoint takes one of these (an ACK on `acks`, a CREDIT on `workers`: the
    // distributor answers RESET) and drops the other six.
    await waitFor(
      () => t.distributor.dropped >= 12 && t.collector.dropped >= 7,
      "every bad message to be dropped",
    );
    assert.equal(t.distributor.dropped, 12);
    assert.equal(t.collector.dropped, 7);
    t.addWorker({ module: handlers }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 10);
    assert.equal(t.tally.size, 10);
    assert.deepEqual(t.tally.duplicates(), []);
  } finally {
    for (const r of rogues) r.close();
    await t.tearDown();
  }
});

Deno.test("pipeline: a redelivered result is counted once (collector de-duplicates by id)", async () => {
  // Replay a results message as a redelivery would: no second onResult, a fresh ACK.
  const t = await setUp({ tasks: [{ type: "echo", items: [0, 1, 2] }] }, { exitOnFinished: false });
  const rogue = new Dealer({ linger: 0 });
  try {
    t.addWorker({ module: handlers }).run();
    await t.distributor.run();
    rogue.connect(t.collector.endpoint);
    await rogue.send(encodePipelineMessage({
      kind: "results",
      worker: "replay",
      results: [{ id: "echo:1", type: "echo", index: 1, value: "again" }],
    }));
    await waitFor(() => t.collector.duplicates > 0, "the replayed result");
    assert.equal(t.collector.duplicates, 1);
    assert.equal(t.tally.counts.get("echo:1"), 1);
  } finally {
    rogue.close();
    await t.tearDown();
  }
});

Deno.test("pipeline: a collector without onResult ACKs every item once and counts redeliveries", async () => {
  // No onResult and no journal: the collector ACKs straight from the frame's columns.
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    ...FAST,
    tasks: [
      { type: "echo", items: Array.from({ length: 300 }, (_, i) => i) },
      { type: "sleep", items: [{ ms: 1 }, { ms: 1 }, { ms: 1 }], idOf: (_, i) => `sl-${i}` },
    ],
  });
  await distributor.start();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    heartbeatIntervalMs: 100,
    exitOnFinished: false,
  });
  await collector.start();
  const worker = new PipelineWorker({
    distributor: distributor.endpoints.workers,
    collector: collector.endpoint,
    module: handlers,
    prefetch: 50,
    ...FAST,
  });
  const rogue = new Dealer({ linger: 0 });
  try {
    worker.run();
    const summary = await distributor.run();
    assert.equal(summary.done, 303);
    assert.equal(summary.retries, 0);
    assert.equal(collector.duplicates, 0);
    rogue.connect(collector.endpoint);
    await rogue.send(encodePipelineMessage({
      kind: "results",
      worker: "replay",
      results: [
        { id: "echo:7", type: "echo", index: 7, value: null },
        { id: "sl-1", type: "sleep", index: 1, ownId: true, value: null },
        { id: "echo:8", type: "echo", index: 8, value: null },
      ],
    }));
    await waitFor(() => collector.duplicates === 3, "the replayed results");
  } finally {
    rogue.close();
    await Promise.all([worker.close(), collector.close(), distributor.close()]);
  }
});

Deno.test("pipeline: payloads and results msgpack cannot encode fail their item only", async () => {
  const t = await setUp({
    tasks: [
      { type: "echo", items: [1, () => "a function is not data", 3] },
      { type: "weird", items: ["fine", "symbol"] },
    ],
  });
  try {
    t.addWorker({
      handlers: {
        echo: (p) => p,
        weird: (p) => (p === "symbol" ? Symbol("not data") : p),
      },
    }).run();
    const summary = await t.distributor.run();
    assert.equal(summary.done, 3);
    const failed = summary.failed.map((f) => [f.id, f.attempts, f.reason.split(":")[0]]);
    assert.deepEqual(failed.sort(), [
      ["echo:1", 1, "payload cannot be encoded"],
      ["weird:1", 4, "result cannot be encoded"],
    ]);
    assert.deepEqual([...t.tally.counts.keys()].sort(), ["echo:0", "echo:2", "weird:0"]);
  } finally {
    await t.tearDown();
  }
});
