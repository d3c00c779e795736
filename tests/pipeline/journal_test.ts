import assert from "node:assert/strict";
import { Journal } from "../../core/pipeline/journal.ts";
import { waitFor } from "./fixtures/helpers.ts";
import { tempDir } from "../core/helpers.ts";

Deno.test("journal: done ids survive closing and reopening", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/journal.db`;
    const first = new Journal({ path });
    first.markDone([{ id: "a:0", type: "a" }, { id: "a:1", type: "a" }]);
    first.markDone([{ id: "a:1", type: "a" }]); // idempotent
    assert.equal(first.size, 2);
    first.close();
    const second = new Journal({ path });
    assert.equal(second.isDone("a:0"), true);
    assert.equal(second.isDone("a:2"), false);
    assert.deepEqual([...second.doneIds()].sort(), ["a:0", "a:1"]);
    second.markDone([{ id: "b:0", type: "b" }]);
    assert.equal(second.isDone("b:0"), true);
    assert.equal(second.size, 3);
    second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("journal: a restarted collector does not count a redelivered result again", async () => {
  const { Collector, Dealer, encodePipelineMessage } = await import("../../mod.ts");
  const dir = await tempDir();
  const seen: string[] = [];
  const replay = async (collector: InstanceType<typeof Collector>) => {
    const dealer = new Dealer({ linger: 0 });
    dealer.connect(collector.endpoint);
    await dealer.send(encodePipelineMessage({
      kind: "results",
      worker: "w",
      results: [
        { id: "a:0", type: "a", index: 0, value: 1 },
        { id: "a:1", type: "a", index: 1, value: 2 },
      ],
    }));
    const before = seen.length;
    await waitFor(() => seen.length - before + collector.duplicates >= 2, "both results");
    dealer.close();
  };
  try {
    for (let round = 0; round < 2; round++) {
      const collector = new Collector({
        results: "tcp://127.0.0.1:0",
        distributor: "tcp://127.0.0.1:9", // nobody: ACKs wait, close() does not
        journal: `${dir}/collector.db`,
        onResult: (r) => {
          seen.push(r.id);
        },
      });
      await collector.start();
      await replay(collector);
      if (round === 1) assert.equal(collector.duplicates, 2);
      await collector.close();
    }
    assert.deepEqual(seen, ["a:0", "a:1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("journal: created private, its WAL too, and never opened through a link", async () => {
  const dir = await tempDir();
  try {
    // A fresh journal and the WAL SQLite makes beside it are the owner's alone.
    const path = `${dir}/run.db`;
    const journal = new Journal({ path });
    journal.markDone([{ id: "a:0", type: "a" }]);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(`${path}-wal`).mode! & 0o777, 0o600);
    journal.close();
    // A link at the path (or at its -wal), as another user could leave in /tmp: refused, and
    // the file it points to is untouched.
    const victim = `${dir}/victim.txt`;
    Deno.writeTextFileSync(victim, "precious");
    Deno.symlinkSync(victim, `${dir}/linked.db`);
    assert.throws(
      () => new Journal({ path: `${dir}/linked.db` }),
      (error: Error) =>
        error instanceof Deno.errors.PermissionDenied &&
        /linked\.db is a symbolic link/.test(error.message),
    );
    Deno.symlinkSync(victim, `${dir}/other.db-wal`);
    assert.throws(
      () => new Journal({ path: `${dir}/other.db` }),
      /other\.db-wal is a symbolic link: not opened/,
    );
    assert.equal(Deno.readTextFileSync(victim), "precious");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
