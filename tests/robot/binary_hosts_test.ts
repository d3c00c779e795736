/**
 * A robot binary starts its hosts as itself. A compiled binary's V8 flags
 * are baked, so whatever follows `/proc/self/exe` is the program's own
 * arguments: a `--v8-flags` there would make the host a second robot. Its
 * hosts are bounded by their resident memory instead (containment_test).
 * In a module of its own: `useBinaryHosts()` holds for the whole module.
 */
import assert from "node:assert/strict";
import { hostCommand, useBinaryHosts } from "../../robot/supervision/host_process.ts";
import type { ComponentSpec } from "../../robot/spec.ts";

Deno.test("a robot binary's host command starts with --zedge-host, also for a limited component", () => {
  useBinaryHosts();
  const spec = { name: "leak", robot: "r", memoryMb: 64 } as ComponentSpec;
  const [program, ...args] = hostCommand([spec], "/tmp/zedge-r-hosts/leak.sock", 64, "t0k");
  assert.equal(program, "/proc/self/exe");
  assert.deepEqual(args, ["--zedge-host", "/tmp/zedge-r-hosts/leak.sock", "t0k"]);
});
