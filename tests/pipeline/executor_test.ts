import assert from "node:assert/strict";
import { InlineExecutor, ThreadPool } from "../../core/pipeline/executor.ts";
import type { WorkItem } from "../../core/pipeline/codec.ts";

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
});
