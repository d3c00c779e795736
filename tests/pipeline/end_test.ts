/**
 * How a worker learns that a run is over, also when it misses END: END goes
 * to every worker registered during the run (a paused one reads it when it
 * wakes up), a distributor that has finished answers any worker with END
 * until it closes, and a worker whose distributor vanished after a run it
 * took part in gives up after `giveUpAfterMs` — but not because it was
 * stopped itself, and never with `keepRunning`.
 */
import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import {
  Collector,
  Dealer,
  decodePipelineMessage,
  Distributor,
  encodePipelineMessage,
  type PipelineMessage,
  PipelineWorker,
  Router,
} from "../../mod.ts";
import { spawnRole, waitFor } from "./fixtures/helpers.ts";
import { freeTcpPort, within } from "../core/helpers.ts";

const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600 };
const handlers = new URL("./fixtures/handlers.ts", import.meta.url);

/** A distributor with `count` 20 ms sleeps and a collector counting results per worker. */
async function run(count: number, minWorkers: number) {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    tasks: [{ type: "sleep", items: Array(count).fill({ ms: 20 }) }],
    minWorkers,
    retryBackoffMs: 10,
    ...FAST,
  });
  await distributor.start();
  const byWorker = new Map<string, number>();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    heartbeatIntervalMs: 100,
    onResult: (r) => {
      byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
    },
  });
  await collector.start();
  const workerOptions = {
    distributor: distributor.endpoints.workers,
    collector: collector.endpoint,
    ...FAST,
  };
  const from = (name: string) => byWorker.get(name) ?? 0;
  return { distributor, collector, workerOptions, from };
}

/**
 * A run shared by an in-process worker and a `sleeper` worker process (the
 * one the tests stop); resolves once the sleeper has taken part.
 */
async function runWithSleeper(count: number, giveUpAfterMs: number) {
  const { distributor, collector, workerOptions, from } = await run(count, 2);
  const sleeper = spawnRole("worker", { ...workerOptions, name: "sleeper", giveUpAfterMs });
  const other = new PipelineWorker({ ...workerOptions, module: handlers, name: "other" });
  await sleeper.ready;
  other.run();
  await waitFor(() => from("sleeper") >= 2, "the sleeper to take part");
  const tearDown = async () => {
    sleeper.kill("SIGCONT");
    sleeper.kill("SIGKILL");
    await sleeper.status;
    await other.close();
    await collector.close();
    await distributor.close();
  };
  return { distributor, collector, from, sleeper, tearDown };
}

Deno.test("end: a worker paused through the end of the run leaves when it wakes up", async () => {
  const { distributor, collector, sleeper, tearDown } = await runWithSleeper(40, 3000);
  try {
    sleeper.kill("SIGSTOP");
    // The distributor gives the sleeper up, redelivers its items, finishes and closes.
    const summary = await distributor.run();
    assert.equal(summary.done, 40);
    await collector.run();
    sleeper.kill("SIGCONT");
    // The END waiting in its socket, or else its distributor's silence, ends the run for it.
    const status = await within(sleeper.status, "the woken worker to leave", 10_000);
    assert.equal(status.code, 0);
  } finally {
    await tearDown();
  }
});

Deno.test("end: a worker given up as silent still gets END when the run is over", async () => {
  const { distributor, collector, workerOptions } = await run(4, 1);
  const silent = new Dealer({ linger: 0 }); // registers, takes work, then says nothing
  const other = new PipelineWorker({ ...workerOptions, module: handlers, name: "other" });
  try {
    silent.connect(workerOptions.distributor);
    await silent.send(
      encodePipelineMessage({ kind: "ready", name: "silent", types: ["sleep"], credit: 2 }),
    );
    const next = async () =>
      decodePipelineMessage((await within(silent.receive(), "a message", 10_000))[0]).kind;
    assert.equal(await next(), "work");
    other.run(); // does the silent worker's items once they are redelivered
    assert.equal((await distributor.run()).done, 4);
    let kind: string;
    do kind = await next(); while (kind === "heartbeat");
    assert.equal(kind, "end");
  } finally {
    await silent.close();
    await other.close();
    await collector.close();
    await distributor.close();
  }
});

Deno.test("end: a finished distributor answers workers it does not know with END until it closes", async () => {
  // No items: the run is over at once, and without a collector to confirm it
  // the distributor stays up for finishTimeoutMs.
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    tasks: [{ type: "sleep", items: [] }],
    finishTimeoutMs: 10_000,
    ...FAST,
  });
  await distributor.start();
  const late = new Dealer({ linger: 0 });
  const ask = async (message: PipelineMessage) => {
    await late.send(encodePipelineMessage(message));
    const [reply] = await within(late.receive(), `an answer to ${message.kind}`, 5000);
    return decodePipelineMessage(reply).kind;
  };
  try {
    late.connect(distributor.endpoints.workers);
    assert.equal(await ask({ kind: "heartbeat" }), "end");
    assert.equal(await ask({ kind: "ready", name: "late", types: ["sleep"], credit: 1 }), "end");
    assert.equal(distributor.progress().workers, 0, "nobody registers after the end");
  } finally {
    await late.close();
    await distributor.close();
  }
});

Deno.test("end: a worker of an older release (pipeline wire 1) is told END, never registered", async () => {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    tasks: [{ type: "sleep", items: [1, 2, 3] }],
    ...FAST,
  });
  await distributor.start();
  const old = new Dealer({ linger: 0 });
  try {
    old.connect(distributor.endpoints.workers);
    // A wire 1 READY: four fields, no version.
    await old.send(encode(["R", "old", ["sleep"], 1]));
    const [reply] = await within(old.receive(), "an answer to READY", 5000);
    assert.equal(decodePipelineMessage(reply).kind, "end");
    assert.equal(distributor.progress().workers, 0);
  } finally {
    await old.close();
    await distributor.close();
  }
});

Deno.test("end: a worker whose distributor vanished without END gives up after giveUpAfterMs", async () => {
  const fake = new Router({ linger: 0 }); // a distributor that hands out one item, then dies
  await fake.bind("tcp://127.0.0.1:0");
  const sink = new Router({ linger: 0 }); // a collector that takes results and says nothing
  await sink.bind("tcp://127.0.0.1:0");
  const worker = new PipelineWorker({
    distributor: fake.lastEndpoint!,
    collector: sink.lastEndpoint!,
    handlers: { echo: (p) => p },
    giveUpAfterMs: 1500,
    ...FAST,
  });
  try {
    const running = worker.run();
    const [peer] = await within(fake.receive(), "READY", 5000);
    await fake.send([
      peer,
      encodePipelineMessage({
        kind: "work",
        items: [{ id: "echo:0", type: "echo", index: 0, payload: 1, attempt: 1, timeoutMs: 0 }],
      }),
    ]);
    let credit: PipelineMessage;
    do credit = decodePipelineMessage((await within(fake.receive(), "CREDIT", 5000))[1]); while (
      credit.kind !== "credit"
    );
    await fake.close();
    const stats = await within(running, "the worker to give up", 10_000);
    assert.equal(stats.processed, 1);
  } finally {
    await worker.close();
    await fake.close();
    await sink.close();
  }
});

Deno.test("end: with keepRunning a worker outlives END and the give-up time, and works the next run", async () => {
  const workers = `tcp://127.0.0.1:${freeTcpPort()}`;
  const acks = `tcp://127.0.0.1:${freeTcpPort()}`;
  const distributorFor = (items: number[]) =>
    new Distributor({ workers, acks, tasks: [{ type: "echo", items }], ...FAST });
  // One long-lived collector serves both runs.
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: acks,
    heartbeatIntervalMs: 100,
    exitOnFinished: false,
  });
  await collector.start();
  const worker = new PipelineWorker({
    distributor: workers,
    collector: collector.endpoint,
    handlers: { echo: (p) => p },
    keepRunning: true,
    giveUpAfterMs: 1000,
    ...FAST,
  });
  let left = false;
  worker.run().then(() => (left = true));
  let distributor = distributorFor([1, 2, 3, 4, 5]);
  try {
    assert.equal((await distributor.run()).done, 5);
    // The give-up time passes with no distributor at all.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(left, false, "a keepRunning worker stays");
    distributor = distributorFor([6, 7, 8]);
    assert.equal((await distributor.run()).done, 3);
    assert.equal(worker.stats.processed, 8);
    assert.equal(left, false);
  } finally {
    await worker.close();
    await collector.close();
    await distributor.close();
  }
});

Deno.test("end: a worker stopped for longer than giveUpAfterMs does not take its own pause for the end", async () => {
  const { distributor, from, sleeper, tearDown } = await runWithSleeper(300, 1500);
  try {
    sleeper.kill("SIGSTOP");
    // The attack: stopped well past the give-up time, while the run goes on.
    await new Promise((r) => setTimeout(r, 2500));
    const before = from("sleeper");
    sleeper.kill("SIGCONT");
    let exited = false;
    sleeper.status.then(() => (exited = true));
    await waitFor(() => from("sleeper") > before || exited, "the sleeper to work again or leave");
    assert.equal(exited, false, "the woken worker must rejoin the run, not leave");
    const summary = await distributor.run();
    assert.equal(summary.done, 300);
    assert.equal((await within(sleeper.status, "the sleeper to leave at the end", 10_000)).code, 0);
  } finally {
    await tearDown();
  }
});
