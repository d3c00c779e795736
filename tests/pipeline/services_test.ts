import assert from "node:assert/strict";
import {
  Broker,
  Dealer,
  encodePipelineMessage,
  ServiceClient,
  ServiceError,
  ServiceWorker,
} from "../../mod.ts";
import { spawnRole, waitFor } from "./fixtures/helpers.ts";

const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 };

async function startBroker(extra: { services?: string[]; queueTimeoutMs?: number } = {}) {
  const broker = new Broker({
    frontend: "tcp://127.0.0.1:0",
    backend: "tcp://127.0.0.1:0",
    ...FAST,
    ...extra,
  });
  await broker.start();
  return broker;
}

Deno.test("services: requests go to idle workers, least recently used first", async () => {
  const broker = await startBroker();
  const workers = ["a", "b"].map((name) =>
    new ServiceWorker({
      broker: broker.endpoints.backend,
      name,
      handlers: { who: () => name, add: (p) => (p as number[]).reduce((x, y) => x + y, 0) },
      ...FAST,
    })
  );
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 3000 });
  try {
    for (const w of workers) await w.start();
    await waitFor(() => broker.workerCount === 2, "both workers register");
    // Registration order is not fixed, but LRU must alternate between the two.
    const served: unknown[] = [];
    for (let i = 0; i < 4; i++) served.push(await client.request("who", null));
    assert.notEqual(served[0], served[1]);
    assert.deepEqual(served.slice(2), served.slice(0, 2));
    assert.equal(await client.request("add", [1, 2, 3]), 6);
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.request("add", [i, 1])),
    );
    assert.deepEqual(many, Array.from({ length: 20 }, (_, i) => i + 1));
  } finally {
    client.close();
    for (const w of workers) await w.close();
    await broker.close();
  }
});

Deno.test("services: unknown service and handler errors are error replies, not crashes", async () => {
  const broker = await startBroker();
  const worker = new ServiceWorker({
    broker: broker.endpoints.backend,
    handlers: {
      fail: () => {
        throw new Error("no path to goal");
      },
      ok: () => "fine",
    },
    ...FAST,
  });
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 3000 });
  const rogue = new Dealer({ linger: 0 });
  try {
    await worker.start();
    await waitFor(() => broker.liveServices.includes("ok"), "registration");
    await assert.rejects(
      () => client.request("teleport", {}),
      (e: unknown) =>
        e instanceof ServiceError && e.code === "unknown-service" && /'teleport'/.test(e.message),
    );
    await assert.rejects(
      () => client.request("fail", {}),
      (e: unknown) =>
        e instanceof ServiceError && e.code === "handler-error" &&
        /no path to goal/.test(e.message),
    );
    // Garbage on both sides of the broker is dropped.
    rogue.connect(broker.endpoints.frontend);
    rogue.connect(broker.endpoints.backend);
    for (const junk of [new Uint8Array([0xc1]), "text", encodePipelineMessage({ kind: "end" })]) {
      await rogue.send(junk);
    }
    await rogue.send(
      encodePipelineMessage({ kind: "svc-reply", rid: "42", ok: true, body: 1, error: "" }),
    );
    assert.equal(await client.request("ok", null), "fine");
  } finally {
    rogue.close();
    client.close();
    await worker.close();
    await broker.close();
  }
});

Deno.test("services: a request whose worker dies (SIGKILL) is retried on another worker", async () => {
  const broker = await startBroker({ services: ["sleep"] });
  const client = new ServiceClient({
    broker: broker.endpoints.frontend,
    timeoutMs: 8000,
    retries: 0,
  });
  const doomed = spawnRole("service", {
    broker: broker.endpoints.backend,
    name: "doomed",
    ...FAST,
  });
  let backup: ServiceWorker | null = null;
  try {
    await doomed.ready;
    await waitFor(() => broker.liveServices.includes("sleep"), "doomed registers");
    const reply = client.request("sleep", { ms: 30_000 }); // the doomed worker takes it and hangs
    await waitFor(() => broker.stats.routed === 1, "routing to the doomed worker");
    backup = new ServiceWorker({
      broker: broker.endpoints.backend,
      name: "backup",
      handlers: { sleep: () => "backup" },
      ...FAST,
    });
    await backup.start();
    doomed.kill("SIGKILL");
    assert.equal(await reply, "backup");
    assert.equal(broker.stats.retried, 1);
  } finally {
    doomed.kill();
    await doomed.status;
    client.close();
    await backup?.close();
    await broker.close();
  }
});

Deno.test("services: a client times out, retries, then reports the timeout", async () => {
  // 'later' is declared, so requests wait for a worker that never comes.
  const broker = await startBroker({ services: ["later"], queueTimeoutMs: 60_000 });
  const client = new ServiceClient({
    broker: broker.endpoints.frontend,
    timeoutMs: 150,
    retries: 2,
  });
  try {
    await assert.rejects(
      () => client.request("later", {}),
      (e: unknown) =>
        e instanceof ServiceError && e.code === "timeout" && /after 3 attempts/.test(e.message),
    );
    assert.equal(broker.stats.errors, 0);
  } finally {
    client.close();
    await broker.close();
  }
});
