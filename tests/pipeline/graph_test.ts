import assert from "node:assert/strict";
import { checkDependencies, DependencyError } from "../../core/pipeline/graph.ts";
import { Distributor } from "../../core/pipeline/distributor.ts";

Deno.test("graph: parents come before children", () => {
  const order = checkDependencies([
    { type: "upload", dependsOn: ["compress", "render"] },
    { type: "render" },
    { type: "compress", dependsOn: ["render"] },
  ]);
  assert.deepEqual(order, ["render", "compress", "upload"]);
});

Deno.test("graph: cycles, unknown and duplicate types are refused", () => {
  assert.throws(
    () => checkDependencies([{ type: "a", dependsOn: ["b"] }, { type: "b", dependsOn: ["a"] }]),
    (e: unknown) => e instanceof DependencyError && /cycle: a -> b -> a/.test(e.message),
  );
  assert.throws(
    () => checkDependencies([{ type: "a", dependsOn: ["ghost"] }]),
    /'a' depends on unknown task type 'ghost'/,
  );
  assert.throws(() => checkDependencies([{ type: "a" }, { type: "a" }]), /declared twice/);
});

Deno.test("graph: the distributor refuses a bad graph at construction", () => {
  assert.throws(
    () =>
      new Distributor({
        workers: "tcp://127.0.0.1:0",
        acks: "tcp://127.0.0.1:0",
        tasks: [{ type: "a", items: [], dependsOn: ["a"] }],
      }),
    /cycle: a -> a/,
  );
});
