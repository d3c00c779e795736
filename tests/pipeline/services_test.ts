import assert from "node:assert/strict";
import {
  Broker,
  Dealer,
  decodePipelineMessage,
  encodePipelineMessage,
  type PipelineMessage,
  Router,
  ServiceClient,
  ServiceError,
  ServiceWorker,
} from "../../mod.ts";
import { spawnRole, waitFor } from "./fixtures/helpers.ts";
import { tempDir, within } from "../core/helpers.ts";

const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 };

/** The issue's figures: heartbeats every 500 ms, dead after 1500 ms. */
const ISSUE = { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 1500 };

async function startBroker(
  extra: {
    services?: string[];
    queueTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    heartbeatTimeoutMs?: number;
  } = {},
) {
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

/** How many times each tag was logged by the `logged` handler. */
async function executions(log: string): Promise<Map<string, number>> {
  const text = await Deno.readTextFile(log).catch(() => "");
  const counts = new Map<string, number>();
  for (const tag of text.split("\n").filter(Boolean)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return counts;
}

Deno.test("services: a handler running past the heartbeat timeout keeps its worker, and runs once", async () => {
  const broker = await startBroker();
  const runs = new Map<string, number>();
  const worker = new ServiceWorker({
    broker: broker.endpoints.backend,
    handlers: {
      slow: async (body) => {
        runs.set(body as string, (runs.get(body as string) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1200)); // more than twice the 500 ms timeout
        return body;
      },
    },
    ...FAST,
  });
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 10_000 });
  try {
    await worker.start();
    await waitFor(() => broker.liveServices.includes("slow"), "registration");
    const replies = await Promise.all([client.request("slow", "a"), client.request("slow", "b")]);
    assert.deepEqual(replies, ["a", "b"]);
    assert.deepEqual([...runs].sort(), [["a", 1], ["b", 1]]);
    assert.equal(broker.stats.retried, 0, "the busy worker was never taken for dead");
    assert.equal(broker.workerCount, 1);
  } finally {
    client.close();
    await worker.close();
    await broker.close();
  }
});

Deno.test("services: a worker paused (SIGSTOP) for 4 s mid-request runs that request once", async () => {
  const broker = await startBroker({ services: ["logged"], ...ISSUE });
  const dir = await tempDir();
  const log = `${dir}/runs.log`;
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 20_000 });
  const paused = spawnRole("service", {
    broker: broker.endpoints.backend,
    name: "paused",
    ...ISSUE,
  });
  try {
    await paused.ready;
    await waitFor(() => broker.workerCount === 1, "registration");
    const reply = client.request("logged", { tag: "first", log, ms: 2000 });
    await waitFor(() => broker.stats.routed === 1, "the request to reach the worker");
    const stoppedAt = Date.now();
    paused.kill("SIGSTOP");
    await waitFor(() => broker.workerCount === 0, "the broker to give the paused worker up");
    // The attack itself: stay stopped until 4 s have passed.
    await new Promise((r) => setTimeout(r, Math.max(0, 4000 - (Date.now() - stoppedAt))));
    paused.kill("SIGCONT");
    assert.deepEqual(await reply, { tag: "first" });
    // One request at a time: once this one is answered, no copy of the first can be pending.
    assert.deepEqual(await client.request("logged", { tag: "second", log }), { tag: "second" });
    assert.deepEqual([...await executions(log)], [["first", 1], ["second", 1]]);
  } finally {
    paused.kill("SIGCONT");
    paused.kill("SIGKILL");
    await paused.status;
    client.close();
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("services: a handler that blocks its thread past the timeout is answered once, not retried to death", async () => {
  const broker = await startBroker({ services: ["logged"], ...ISSUE });
  const dir = await tempDir();
  const log = `${dir}/runs.log`;
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 20_000 });
  const blocked = spawnRole("service", {
    broker: broker.endpoints.backend,
    name: "blocked",
    ...ISSUE,
  });
  try {
    await blocked.ready;
    await waitFor(() => broker.workerCount === 1, "registration");
    // No heartbeat can leave a blocked thread: the broker gives the worker up after
    // 1.5 s, and still takes its reply when the handler returns at 3 s.
    const reply = await client.request("logged", { tag: "blocking", log, ms: 3000, block: true });
    assert.deepEqual(reply, { tag: "blocking" });
    assert.deepEqual(await client.request("logged", { tag: "after", log }), { tag: "after" });
    assert.deepEqual([...await executions(log)], [["blocking", 1], ["after", 1]]);
  } finally {
    blocked.kill("SIGKILL");
    await blocked.status;
    client.close();
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("services: inThread keeps a worker heartbeating while its handler blocks", async () => {
  const broker = await startBroker({ services: ["logged"], ...ISSUE });
  const dir = await tempDir();
  const log = `${dir}/runs.log`;
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 20_000 });
  const threaded = spawnRole("service", {
    broker: broker.endpoints.backend,
    name: "threaded",
    inThread: true,
    ...ISSUE,
  });
  try {
    await threaded.ready;
    await waitFor(() => broker.workerCount === 1, "registration");
    const reply = await client.request("logged", { tag: "blocking", log, ms: 3000, block: true });
    assert.deepEqual(reply, { tag: "blocking" });
    // Given up even once, the request would have gone back to the queue.
    assert.equal(broker.stats.retried, 0, "the broker never took the busy worker for dead");
    assert.equal(broker.workerCount, 1);
    assert.deepEqual([...await executions(log)], [["blocking", 1]]);
  } finally {
    threaded.kill("SIGKILL");
    await threaded.status;
    client.close();
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The next message `router` receives, decoded, with its sender. */
async function nextMessage(
  router: Router,
): Promise<{ peer: Uint8Array; message: PipelineMessage }> {
  const [peer, body] = await within(router.receive(), "a message", 10_000);
  return { peer, message: decodePipelineMessage(body) };
}

Deno.test("services: the broker does not send a request again to the worker that registers while running it", async () => {
  const broker = await startBroker({ services: ["plan"] });
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 10_000 });
  const fake = new Dealer({ linger: 0 }); // a service worker speaking the protocol by hand
  const send = (m: PipelineMessage) => fake.send(encodePipelineMessage(m));
  const next = async () =>
    decodePipelineMessage((await within(fake.receive(), "a message", 10_000))[0]);
  try {
    fake.connect(broker.endpoints.backend);
    await send({ kind: "svc-ready", name: "fake", services: ["plan"] });
    const first = client.request("plan", "first");
    first.catch(() => {});
    let request = await next();
    assert.equal(request.kind, "svc-request");
    const rid = (request as { rid: string }).rid;
    // Silent past the timeout (as when paused): the broker gives it up and requeues the request.
    await waitFor(() => broker.workerCount === 0, "the broker to give the silent worker up");
    await send({ kind: "svc-ready", name: "fake", services: ["plan"], running: rid });
    await send({ kind: "svc-reply", rid, ok: true, body: "first done", error: "" });
    assert.equal(await first, "first done");
    const second = client.request("plan", "second");
    second.catch(() => {}); // a failed assertion below must not leave it unhandled
    // Messages arrive in order: had the broker re-sent the first request, it would come now.
    do request = await next(); while (request.kind === "heartbeat" || request.kind === "reset");
    assert.equal(request.kind, "svc-request");
    assert.equal((request as { body: unknown }).body, "second");
    await send({
      kind: "svc-reply",
      rid: (request as { rid: string }).rid,
      ok: true,
      body: "second done",
      error: "",
    });
    assert.equal(await second, "second done");
    assert.equal(broker.stats.routed, 2, "each request was sent once");
  } finally {
    await fake.close();
    client.close();
    await broker.close();
  }
});

Deno.test("services: a worker runs a request the broker sends twice only once", async () => {
  const fake = new Router({ linger: 0 }); // a broker speaking the protocol by hand
  await fake.bind("tcp://127.0.0.1:0");
  const runs: string[] = [];
  const worker = new ServiceWorker({
    broker: fake.lastEndpoint!,
    handlers: {
      plan: async (body) => {
        runs.push(body as string);
        await new Promise((r) => setTimeout(r, 100));
        return body;
      },
    },
    ...FAST,
  });
  try {
    await worker.start();
    const { peer } = await nextMessage(fake); // its registration
    const request = (rid: string, body: string) =>
      fake.send([peer, encodePipelineMessage({ kind: "svc-request", rid, service: "plan", body })]);
    await fake.send([peer, new Uint8Array([0xc1])]); // not msgpack
    await fake.send([peer, encodePipelineMessage({ kind: "end" })]); // not for a service worker
    await request("7", "once");
    await request("7", "once"); // again while it runs
    await request("8", "next");
    const replies: string[] = [];
    while (replies.length < 2) {
      const { message } = await nextMessage(fake);
      if (message.kind === "svc-reply") replies.push(message.rid);
    }
    assert.deepEqual(replies, ["7", "8"]);
    assert.deepEqual(runs, ["once", "next"]);
    assert.equal(worker.dropped, 2);
  } finally {
    await worker.close();
    await fake.close();
  }
});

Deno.test("services: a worker registers once for RESETs that answer messages sent before its registration", async () => {
  const fake = new Router({ linger: 0 });
  await fake.bind("tcp://127.0.0.1:0");
  const worker = new ServiceWorker({
    broker: fake.lastEndpoint!,
    handlers: { plan: (body) => body },
    ...FAST,
  });
  try {
    await worker.start();
    const { peer } = await nextMessage(fake);
    const say = (m: PipelineMessage) => fake.send([peer, encodePipelineMessage(m)]);
    await say({ kind: "heartbeat" }); // registered and heard from
    // Two RESETs back to back, as a broker that forgot the worker answers its
    // last two heartbeats: the first is news, the second answers a heartbeat
    // sent before the new registration.
    await say({ kind: "reset" });
    await say({ kind: "reset" });
    const after: string[] = [];
    while (!after.includes("heartbeat")) {
      const { message } = await nextMessage(fake);
      if (message.kind !== "heartbeat" || after.length > 0) after.push(message.kind);
    }
    assert.deepEqual(after, ["svc-ready", "heartbeat"]);
  } finally {
    await worker.close();
    await fake.close();
  }
});
