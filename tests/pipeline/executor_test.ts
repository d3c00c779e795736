import assert from "node:assert/strict";
import { entryRunner, InlineExecutor, ThreadPool } from "../../core/pipeline/executor.ts";
import type { WorkItem } from "../../core/pipeline/codec.ts";
import { ByteRing, RECORD } from "../../core/pipeline/thread_ring.ts";
import { tempDir, within } from "../core/helpers.ts";

const module = new URL("./fixtures/handlers.ts", import.meta.url);
const item = (type: string, payload: unknown = null, timeoutMs = 0, attempt = 1): WorkItem => ({
  id: `${type}:0`,
  type,
  payload,
  attempt,
  timeoutMs,
});

Deno.test("thread pool: a crashing, exiting or hanging thread is replaced", async () => {
  const pool = new ThreadPool({ module, threads: 2 });
  try {
    const types = await pool.start();
    assert.ok(types.includes("echo") && types.includes("kebab-type"));
    assert.deepEqual(await pool.run(item("kebab-type", 3)), { ok: true, value: { kebab: 3 } });

    const crash = await pool.run(item("crash"));
    assert.equal(crash.ok, false);
    assert.match((crash as { reason: string }).reason, /thread \d crashed: .*crash on crash:0/);

    const exit = await pool.run(item("exit"));
    assert.match((exit as { reason: string }).reason, /exited: thread called Deno.exit\(7\)/);

    const hang = await pool.run(item("hang", null, 100));
    assert.deepEqual(hang, { ok: false, reason: "timeout after 100 ms" });

    const thrown = await pool.run(item("flaky"));
    assert.deepEqual(thrown, { ok: false, reason: "Error: flaky failure 1" });
    assert.equal(pool.replaced, 3); // a thrown error does not cost the thread

    // The replacements work, and both threads run items side by side.
    const results = await Promise.all(
      [0, 1, 2, 3].map((n) => pool.run({ ...item("sleep", { ms: 30 }), id: `s:${n}` })),
    );
    assert.ok(results.every((r) => r.ok));
    const echoes = await Promise.all([0, 1].map(() => pool.run(item("echo", 1, 0, 2))));
    assert.ok(echoes.every((r) => r.ok && (r.value as { attempt: number }).attempt === 2));
  } finally {
    pool.close();
  }
});

Deno.test("thread pool: an item sent ahead goes to the thread whose item started first", async () => {
  const pool = new ThreadPool({ module, threads: 2 });
  try {
    await pool.start();
    const nap = (ms: number, id: string) => pool.run({ ...item("nap", { ms }), id });
    const threadOf = async (run: ReturnType<typeof nap>) => {
      const outcome = await run;
      assert.ok(outcome.ok, JSON.stringify(outcome));
      return (outcome.value as { thread: number }).thread;
    };
    // Thread 0 runs a short item, thread 1 a long one started at the same time.
    const short = nap(40, "short");
    const long = threadOf(nap(150, "long"));
    assert.equal(await threadOf(short), 0);
    // Thread 0 starts another item later: both are busy, thread 1 since earlier.
    const later = threadOf(nap(150, "later"));
    // Sent ahead now, it waits on thread 1, whose item started first (in index
    // order it would wait behind thread 0's).
    assert.equal(await threadOf(nap(1, "ahead")), 1);
    assert.equal(await long, 1);
    assert.equal(await later, 0);
  } finally {
    pool.close();
  }
});

Deno.test("thread pool: an item sent ahead behind a long item runs on a thread that goes idle", async () => {
  const pool = new ThreadPool({ module, threads: 2 });
  try {
    await pool.start();
    const nap = (ms: number, id: string) => pool.run({ ...item("nap", { ms }), id });
    const started = performance.now();
    // Thread 0 runs a long item, thread 1 a short one started after it.
    const long = nap(3000, "long");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const short = nap(100, "short");
    // Both busy: sent ahead to thread 0, whose item started first, and stuck behind it...
    const ahead = nap(1, "ahead");
    const shortDone = await short;
    assert.deepEqual(shortDone, { ok: true, value: { thread: 1 } });
    // ... until thread 1 ends its item and takes it back from there.
    const aheadDone = await within(ahead, "the item sent ahead behind a 3 s item", 2000);
    assert.deepEqual(aheadDone, { ok: true, value: { thread: 1 } });
    assert.ok(performance.now() - started < 2000, "it ran before the long item ended");
    assert.equal(pool.takenBack, 1);
    assert.deepEqual(await long, { ok: true, value: { thread: 0 } });
    assert.equal(pool.replaced, 0);
  } finally {
    pool.close();
  }
});

Deno.test("thread pool: items sent ahead and taken back run exactly once, none lost", async () => {
  // Items of random lengths keep every thread's item sent ahead while others go idle, so
  // threads take items back from each other all the time, often in the very microseconds
  // the thread they were sent to ends its item and claims them.
  const threads = 4;
  const pool = new ThreadPool({ module, threads });
  const total = 3000;
  const dir = await tempDir("zedge-take-back-");
  const log = `${dir}/runs.log`;
  try {
    await pool.start();
    let next = 0;
    const outcomes: Promise<unknown>[] = [];
    const feed = async () => {
      while (next < total) {
        const index = next++;
        // Blocking its thread 2 ms, or 0–0.2 ms.
        const ms = Math.random() < 0.1 ? 2 : Math.random() * 0.2;
        const outcome = await pool.run({
          ...item("logged", { tag: index, log, ms, block: true }),
          id: `c:${index}`,
        });
        assert.ok(outcome.ok, JSON.stringify(outcome));
      }
    };
    // Two items per thread in flight: one running, one sent ahead.
    for (let n = 0; n < 2 * threads; n++) outcomes.push(feed());
    await within(Promise.all(outcomes), "3000 items on 4 threads", 60_000);
    const counts = new Array<number>(total).fill(0);
    for (const line of (await Deno.readTextFile(log)).trim().split("\n")) counts[Number(line)]++;
    const wrong = [...counts.entries()].filter(([, count]) => count !== 1);
    assert.deepEqual(wrong, [], "items that ran other than once: [index, runs]");
    assert.equal(pool.missedWakeUps, 0);
    assert.equal(pool.replaced, 0);
    assert.ok(pool.takenBack > 0, "no item was ever taken back: the race was not exercised");
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("thread pool: a module that cannot load fails start()", async () => {
  const pool = new ThreadPool({
    module: new URL("./fixtures/does-not-exist.ts", import.meta.url),
    threads: 1,
  });
  await assert.rejects(() => pool.start(), /cannot load handler module|failed to start/);
});

Deno.test("inline executor: results, thrown errors and time limits", async () => {
  const ex = new InlineExecutor({ module });
  await ex.start();
  assert.deepEqual(await ex.run(item("meta"), { m: 1 }), {
    ok: true,
    value: { metadata: { m: 1 } },
  });
  assert.deepEqual(await ex.run(item("flaky")), { ok: false, reason: "Error: flaky failure 1" });
  assert.deepEqual(await ex.run(item("hang", null, 50)), {
    ok: false,
    reason: "Error: timeout after 50 ms",
  });
  assert.deepEqual(await ex.run(item("nope")), {
    ok: false,
    reason: "no handler for task type 'nope'",
  });
  // A pool runs items in its threads: no runner in this one.
  assert.equal(entryRunner(new ThreadPool({ module, threads: 1 })), undefined);
});

Deno.test("thread pool: an item sent ahead to a thread that hangs, crashes or exits runs on its replacement, once", async () => {
  // One thread, so the second item of each pair is sent ahead into the
  // thread's own queue while the first runs.
  const pool = new ThreadPool({ module, threads: 1 });
  try {
    await pool.start();
    for (const [type, timeoutMs] of [["hang", 150], ["crash", 0], ["exit", 0]] as const) {
      const started = performance.now();
      const [first, ahead] = await within(
        Promise.all([
          pool.run({ ...item(type, null, timeoutMs), id: `${type}:first` }),
          pool.run({ ...item("echo", type), id: `${type}:ahead` }),
        ]),
        `${type}: both items to settle`,
        10_000,
      );
      assert.equal(first.ok, false, `${type}: ${JSON.stringify(first)}`);
      assert.ok(ahead.ok, `${type}: the item sent ahead failed: ${JSON.stringify(ahead)}`);
      assert.deepEqual((ahead as { value: unknown }).value, {
        payload: type,
        id: `${type}:ahead`,
        attempt: 1,
        thread: 0,
      });
      if (type === "hang") {
        // It waited for the hung item's time limit: it never ran beside it.
        assert.ok(performance.now() - started >= 140, `${performance.now() - started} ms`);
      }
    }
    assert.equal(pool.replaced, 3);
  } finally {
    pool.close();
  }
});

Deno.test("inline executor: a handler without a promise has its outcome at once, others as a promise", async () => {
  const ex = new InlineExecutor({
    handlers: {
      double: (p) => (p as number) * 2,
      boom: () => {
        throw new RangeError("no");
      },
      later: async (p) => {
        await new Promise((r) => setTimeout(r, 1));
        return p;
      },
      never: () => new Promise(() => {}),
    },
  });
  await ex.start();
  assert.deepEqual(ex.runNow(item("double", 4)), { ok: true, value: 8 });
  assert.deepEqual(ex.runNow(item("boom")), { ok: false, reason: "RangeError: no" });
  assert.deepEqual(ex.runNow(item("nope")), {
    ok: false,
    reason: "no handler for task type 'nope'",
  });
  const later = ex.runNow(item("later", "x"));
  assert.ok(later instanceof Promise);
  assert.deepEqual(await later, { ok: true, value: "x" });
  assert.deepEqual(await ex.runNow(item("never", null, 20)), {
    ok: false,
    reason: "Error: timeout after 20 ms",
  });
  // run() is the same, always as a promise.
  assert.deepEqual(await ex.run(item("double", 5)), { ok: true, value: 10 });
});

Deno.test("inline executor: items run from a work entry, with the context of each", async () => {
  const seen: unknown[] = [];
  const ex = new InlineExecutor({
    handlers: {
      ctx: (p, ctx) => {
        seen.push(JSON.parse(JSON.stringify(ctx)));
        return [p, ctx.id, ctx.attempt];
      },
      boom: () => {
        throw new Error("no");
      },
    },
  });
  await ex.start();
  const runEntry = entryRunner(ex)!;
  const run = {
    type: "ctx",
    index: 10,
    count: 3,
    attempt: 2,
    timeoutMs: 0,
    ownId: undefined,
    payload: null,
  };
  assert.deepEqual(runEntry(run, 11, { m: 1 }), { ok: true, value: [null, "ctx:11", 2] });
  const own = { ...run, index: 4, count: 1, ownId: "mine", payload: "p" };
  assert.deepEqual(runEntry(own, 4, undefined), { ok: true, value: ["p", "mine", 2] });
  // The context reads (and serializes) as the plain object it always was.
  assert.deepEqual(seen, [
    { id: "ctx:11", type: "ctx", attempt: 2, metadata: { m: 1 }, thread: 0 },
    { id: "mine", type: "ctx", attempt: 2, thread: 0 },
  ]);
  assert.deepEqual(runEntry({ ...run, type: "boom" }, 10, undefined), {
    ok: false,
    reason: "Error: no",
  });
  assert.deepEqual(runEntry({ ...run, type: "nope" }, 10, undefined), {
    ok: false,
    reason: "no handler for task type 'nope'",
  });
  // A pool runs items in its threads: no runner in this one.
  assert.equal(entryRunner(new ThreadPool({ module, threads: 1 })), undefined);
});

Deno.test("thread pool: items and results of any size reach the thread and come back in order, as structured clones", async () => {
  const pool = new ThreadPool({ module, threads: 1 });
  try {
    await pool.start();
    // Small ones go through the shared-memory rings; ones over an eighth of a ring (8 KiB) by
    // message, marked in the ring: one thread takes them all in the order they were sent.
    const big = "x".repeat(20_000);
    const payloads: unknown[] = Array.from(
      { length: 12 },
      (_, n) =>
        n % 3 === 0
          ? { n, big }
          : { n, map: new Map([[n, "m"]]), none: undefined, ints: new Int32Array([n, -n]) },
    );
    const outcomes = await Promise.all(
      payloads.map((payload, n) => pool.run({ ...item("echo", payload), id: `e:${n}` })),
    );
    outcomes.forEach((outcome, n) => {
      assert.ok(outcome.ok, JSON.stringify(outcome));
      const value = outcome.value as { payload: unknown; id: string };
      assert.equal(value.id, `e:${n}`);
      assert.deepEqual(value.payload, payloads[n]);
    });
    // A result that cannot be cloned fails its item, and the thread goes on.
    const unclonable = await pool.run(item("unclonable"));
    assert.equal(unclonable.ok, false);
    assert.match((unclonable as { reason: string }).reason, /could not be cloned/);
    assert.ok((await pool.run(item("echo", 1))).ok);
    assert.equal(pool.replaced, 0);
  } finally {
    pool.close();
  }
});

Deno.test("byte ring: records of every size wrap around the ring in order", () => {
  const capacity = 1024;
  const shared = new SharedArrayBuffer(ByteRing.bytes(capacity));
  const writer = new ByteRing(shared, 0, capacity);
  const reader = new ByteRing(shared, 0, capacity);
  let written = 0;
  let read = 0;
  for (let round = 0; round < 500; round++) {
    // Write until full, read some: the records straddle the end of the ring in every way.
    for (;;) {
      const body = new Uint8Array(written % (writer.maxBody + 1)).fill(written & 0xff);
      if (!writer.write(RECORD.value, written, body)) break;
      written++;
    }
    for (let n = 0; n < 1 + (round % 5); n++) {
      const record = reader.peek();
      if (record === null) break;
      assert.equal(record.seq, read);
      assert.equal(record.body.length, read % (writer.maxBody + 1));
      assert.ok(record.body.every((b) => b === (read & 0xff)));
      reader.advance();
      read++;
    }
  }
  assert.ok(read > 1000, `read ${read}`);
  assert.equal(writer.write(RECORD.value, 0, new Uint8Array(writer.maxBody + 1)), false);
});

Deno.test("thread pool: an item sent ahead as its thread runs out of items is never left in the ring", async () => {
  // The pool writes an item to a busy thread's ring while the thread, having found its ring
  // empty, says it is idle: unless the pool looks at "idle" again after its write, the thread
  // waits in its event loop with the item in its ring until the pool's watch finds it. Here the
  // second item of each pair is sent within tens of microseconds of the first one's end.
  const pool = new ThreadPool({ module, threads: 1 });
  try {
    await pool.start();
    for (let n = 0; n < 3000; n++) {
      const first = pool.run({ ...item("spin", { us: 40 }), id: `a:${n}` });
      const until = performance.now() + (20 + Math.random() * 60) / 1000;
      while (performance.now() < until) {
        // This thread busy too, so the second item goes out around the first one's end.
      }
      const second = pool.run({ ...item("spin", { us: 0 }), id: `b:${n}` });
      assert.ok((await first).ok && (await second).ok);
      assert.equal(pool.missedWakeUps, 0, `pair ${n}: an item waited for the pool's watch`);
    }
  } finally {
    pool.close();
  }
});
