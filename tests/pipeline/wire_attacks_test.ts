/**
 * A hostile peer on the pipeline's binary wire (docs/wire.md). Without
 * CURVE anyone who reaches an endpoint may send frames; what it sends may
 * be refused or even believed, but it must never stall a role, grow its
 * memory without bound or stop it hearing the honest peers. The
 * distributor runs in its own process, so an attack that blocks its event
 * loop fails the test instead of hanging it.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CollectedResult,
  Collector,
  Dealer,
  encodePipelineMessage,
  PipelineWorker,
} from "../../mod.ts";
import { ByteWriter } from "../../core/pipeline/frame_bytes.ts";
import { IndexSet } from "../../core/pipeline/index_set.ts";
import { Random } from "../core/random.ts";
import { endpointsOf, spawnRole, Tally } from "./fixtures/helpers.ts";

const ITEMS = 200;

/**
 * Runs a distributor of {@link ITEMS} echo items in its own process, has a
 * hostile Dealer send `forged` frames to its ACK endpoint before any
 * collector or worker is up, then runs an honest collector and worker:
 * the run must end with every item passed to `onResult` exactly once.
 */
async function runAfterForgedAcks(forged: Uint8Array[]): Promise<void> {
  await runAfterForged({ acks: forged });
}

/**
 * As {@link runAfterForgedAcks}, with forged frames for the distributor's
 * ACK endpoint and for the collector's results endpoint (sent once the
 * collector is up, before any worker). Without `onResult` the collector
 * reads results as columns (no object per item), and is held to passing
 * no honest item twice by its duplicates count.
 */
async function runAfterForged(
  forged: { acks?: Uint8Array[]; results?: Uint8Array[] },
  onResult = true,
): Promise<void> {
  const distributor = spawnRole("distributor", {
    type: "echo",
    count: ITEMS,
    payload: 1,
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 5000,
  });
  const hostile = new Dealer({ linger: 1000 });
  const tally = new Tally();
  let collector: Collector | null = null;
  let worker: PipelineWorker | null = null;
  try {
    const { workers, acks } = await endpointsOf(distributor);
    collector = new Collector({
      results: "tcp://127.0.0.1:0",
      distributor: acks,
      ...(onResult ? { onResult: (result: CollectedResult) => tally.add(result.id) } : {}),
    });
    hostile.connect(acks);
    for (const frame of forged.acks ?? []) await hostile.send(frame);
    await collector.start();
    if (forged.results !== undefined) {
      const toCollector = new Dealer({ linger: 5000 });
      toCollector.connect(collector.endpoint);
      for (const frame of forged.results) await toCollector.send(frame);
      await toCollector.close();
    }
    worker = new PipelineWorker({
      distributor: workers,
      collector: collector.endpoint,
      handlers: { echo: (payload: unknown) => payload },
    });
    worker.run();
    const status = await distributor.exited(30_000, "the distributor's run to end");
    assert.ok(status.success, `the distributor exited with ${status.code}: ${distributor.log()}`);
    const summary = JSON.parse(distributor.output().trim().split("\n").at(-1)!);
    assert.equal(summary.done, ITEMS);
    if (onResult) {
      assert.equal(tally.size, ITEMS);
      assert.deepEqual(tally.duplicates(), []);
    } else assert.equal(collector.duplicates, 0);
  } finally {
    distributor.kill();
    await distributor.status;
    await worker?.close();
    await collector?.close();
    await hostile.close();
  }
}

/** An ACK naming `count` items of `type` from `start` (by index range). */
function forgedAck(type: string, start: number, count: number): Uint8Array {
  return encodePipelineMessage({ kind: "ack", done: [{ type, ranges: [start, count] }], ids: [] });
}

Deno.test("wire attack: an ACK naming 2^53 items is refused, the distributor serves on", async () => {
  await runAfterForgedAcks([forgedAck("echo", 1_000_000, 2 ** 53 - 1_000_001)]);
});

Deno.test("wire attack: ACKs for millions of items never generated cost bounded memory, the distributor serves on", async () => {
  // Each frame names as many items as one may (2^20); none of them exists yet, so each is an
  // early ACK: 17 frames name more than a Set may hold.
  const frames = Array.from(
    { length: 16 },
    (_, f) => forgedAck("echo", 1e6 + f * 2 ** 20, 2 ** 20),
  );
  await runAfterForgedAcks([...frames, forgedAck("ghost", 0, 2 ** 20)]);
});

/**
 * A results frame by hand (docs/wire.md): worker "w", one task type, one
 * entry that is a run of `count` items of `type` from `start`.
 */
function forgedResultsRun(type: string, start: number, count: number): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(0x03);
  w.str("w");
  w.u32(1);
  w.str(type);
  w.u32(1);
  w.u32(0);
  w.f64(start);
  w.u8(4); // a run
  w.u32(count);
  w.u8(0); // no metadata
  return w.finish();
}

Deno.test("wire attack: a results frame of a few bytes naming 2^24 items is refused, the run finishes", async () => {
  // 37 bytes each, a run of 2^24 items: the collector made a result object per item for onResult.
  const huge = [0, 1].map((f) => forgedResultsRun("echo", 2 ** 30 + f * 2 ** 24, 2 ** 24));
  await runAfterForged({ results: huge });
});

Deno.test("wire attack: results for millions of far-off items cost the collector a bit each, the run finishes", async () => {
  // 17 frames of 37 bytes, each as many items as a frame may name, past the index bitmap's reach:
  // more than a Set holds.
  const far = Array.from(
    { length: 17 },
    (_, f) => forgedResultsRun("echo", 2 ** 30 + f * 2 ** 20, 2 ** 20),
  );
  await runAfterForged({ results: far }, false);
});

Deno.test("an index set agrees with a Set on indexes near and far past its bitmap", () => {
  const rng = new Random(21);
  const set = new IndexSet();
  const reference = new Set<number>();
  const bases = [0, 2 ** 28 - 40, 2 ** 31 - 40, 2 ** 32 - 40, 2 ** 53 - 5000];
  for (let i = 0; i < 20_000; i++) {
    const index = bases[rng.int(bases.length)] + rng.int(4000);
    if (rng.int(4) === 0) {
      set.delete(index);
      reference.delete(index);
    } else {
      const fresh = !reference.has(index);
      reference.add(index);
      assert.equal(set.add(index), fresh, `add ${index}`);
    }
    const probe = bases[rng.int(bases.length)] + rng.int(4000);
    assert.equal(set.has(probe), reference.has(probe), `has ${probe}`);
  }
});
