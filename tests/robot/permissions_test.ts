import assert from "node:assert/strict";
import { permissionFlags, permissionsFor, workerPermissions } from "../../robot/mod.ts";
import { freeTcpPort } from "../core/helpers.ts";

Deno.test("permissions are derived from endpoints only", () => {
  const perms = permissionsFor({
    bind: ["tcp://*:6000", "tcp://127.0.0.1:0", "ipc:///tmp/zedge-arm.sock"],
    connect: ["tcp://[::1]:7000", "tcp://arm.local:5555", "inproc://jobs", "tcp://*:6000"],
  });
  assert.deepEqual(perms, {
    net: ["0.0.0.0:6000", "127.0.0.1", "[::1]:7000", "arm.local:5555", "unix:/tmp/zedge-arm.sock"]
      .sort(),
    read: ["/tmp/zedge-arm.sock"],
    write: ["/tmp/zedge-arm.sock"],
  });
  assert.deepEqual(permissionFlags(perms), [
    `--allow-net=${perms.net.join(",")}`,
    "--allow-read=/tmp/zedge-arm.sock",
    "--allow-write=/tmp/zedge-arm.sock",
  ]);
  assert.deepEqual(permissionFlags(permissionsFor({ bind: ["inproc://x"] })), []);
});

Deno.test("a bad endpoint is refused with its name", () => {
  assert.throws(() => permissionsFor({ connect: ["tcp://nowhere"] }), /tcp:\/\/nowhere/);
});

Deno.test("a worker given derived permissions can bind its endpoint and nothing else", async () => {
  // Find a free port, then let the worker have exactly that one.
  const port = freeTcpPort();
  const allowed = `tcp://127.0.0.1:${port}`;
  const permissions = workerPermissions(permissionsFor({ bind: [allowed] }));
  const worker = new Worker(new URL("./bind_worker.ts", import.meta.url), {
    type: "module",
    deno: { permissions: { ...permissions, read: true, import: true } },
  });
  const results = new Map<string, string>();
  const done = new Promise<void>((resolve, reject) => {
    worker.onerror = (e) => reject(e.error ?? new Error(e.message));
    worker.onmessage = (e) => {
      results.set(e.data.endpoint, e.data.result);
      if (results.size === 2) resolve();
    };
  });
  const denied = `tcp://127.0.0.1:${port === 65535 ? port - 1 : port + 1}`;
  worker.postMessage(allowed);
  worker.postMessage(denied);
  await done;
  worker.terminate();
  assert.equal(results.get(allowed), "ok");
  assert.equal(results.get(denied), "EACCES");
});
