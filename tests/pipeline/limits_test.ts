/**
 * Message-size limits of the pipeline and service roles: every socket a
 * role owns refuses a message over its `maxMessageSize` (64 MiB unless
 * set), by closing that peer's connection, and the role keeps serving the
 * others. The option reaches the roles from their options objects, from
 * the YAML file's top-level `maxMessageSize` and from `--max-message-size`.
 */
import assert from "node:assert/strict";
import {
  Broker,
  Collector,
  Dealer,
  Distributor,
  encodePipelineMessage,
  MetadataProvider,
  parsePipelineConfig,
  PipelineWorker,
  Router,
  ServiceClient,
  ServiceWorker,
} from "../../mod.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "../../core/limits.ts";
import { distributorFromConfig } from "../../core/pipeline/roles.ts";
import { expectPeerRefuses, expectRefused, waitFor } from "./fixtures/helpers.ts";
import { within } from "../core/helpers.ts";

const FAST = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 };
const LIMIT = 4096;

Deno.test("limits: distributor, collector and workers refuse oversize messages and finish the run", async () => {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    tasks: [{ type: "echo", items: Array(20).fill("x".repeat(1000)) }],
    maxMessageSize: LIMIT,
    ...FAST,
  });
  await distributor.start();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    maxMessageSize: LIMIT,
    heartbeatIntervalMs: 100,
  });
  await collector.start();
  // A stand-in distributor for the worker's side: the worker connects to it.
  const fake = new Router({ linger: 0 });
  await fake.bind("tcp://127.0.0.1:0");
  const probe = new PipelineWorker({
    distributor: fake.lastEndpoint!,
    collector: collector.endpoint,
    handlers: { echo: (p) => p },
    maxMessageSize: LIMIT,
    ...FAST,
  });
  try {
    await expectRefused(distributor.endpoints.workers, LIMIT + 1);
    await expectRefused(distributor.endpoints.acks, LIMIT + 1);
    await expectRefused(collector.endpoint, LIMIT + 1);
    await probe.start();
    await expectPeerRefuses(fake, LIMIT + 1);
    await probe.close();
    // Messages under the limit still flow through every role.
    const worker = new PipelineWorker({
      distributor: distributor.endpoints.workers,
      collector: collector.endpoint,
      handlers: { echo: (p) => p },
      maxMessageSize: LIMIT,
      ...FAST,
    });
    worker.run();
    const summary = await within(distributor.run(), "the run", 20_000);
    assert.equal(summary.done, 20);
    assert.deepEqual(summary.failed, []);
  } finally {
    await probe.close();
    await fake.close();
    await collector.close();
    await distributor.close();
  }
});

Deno.test("limits: the collector's and the distributor's own connections refuse oversize replies", async () => {
  // Stand-ins for the distributor (collector side) and the metadata provider.
  const acks = new Router({ linger: 0 });
  await acks.bind("tcp://127.0.0.1:0");
  const meta = new Router({ linger: 0 });
  await meta.bind("tcp://127.0.0.1:0");
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: acks.lastEndpoint!,
    maxMessageSize: LIMIT,
  });
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    tasks: [{ type: "echo", items: [1] }],
    metadata: { endpoint: meta.lastEndpoint!, retryMs: 100 },
    maxMessageSize: LIMIT,
  });
  try {
    await collector.start();
    await expectPeerRefuses(acks, LIMIT + 1); // after the collector's hello
    await distributor.start();
    await expectPeerRefuses(meta, LIMIT + 1); // after its metadata request
  } finally {
    await distributor.close();
    await collector.close();
    await acks.close();
    await meta.close();
  }
});

Deno.test("limits: metadata provider, broker and service workers refuse oversize messages", async () => {
  const provider = new MetadataProvider({
    endpoint: "tcp://127.0.0.1:0",
    getMetadata: () => ({ map: "m" }),
    maxMessageSize: LIMIT,
  });
  await provider.start();
  const broker = new Broker({
    frontend: "tcp://127.0.0.1:0",
    backend: "tcp://127.0.0.1:0",
    maxMessageSize: LIMIT,
    ...FAST,
  });
  await broker.start();
  const fakeBroker = new Router({ linger: 0 });
  await fakeBroker.bind("tcp://127.0.0.1:0");
  const probe = new ServiceWorker({
    broker: fakeBroker.lastEndpoint!,
    handlers: { echo: (b) => b },
    maxMessageSize: LIMIT,
    ...FAST,
  });
  const worker = new ServiceWorker({
    broker: broker.endpoints.backend,
    handlers: { echo: (b) => b },
    maxMessageSize: LIMIT,
    ...FAST,
  });
  const client = new ServiceClient({ broker: broker.endpoints.frontend, timeoutMs: 5000 });
  try {
    await expectRefused(provider.endpoint, LIMIT + 1);
    await expectRefused(broker.endpoints.frontend, LIMIT + 1);
    await expectRefused(broker.endpoints.backend, LIMIT + 1);
    await probe.start();
    await expectPeerRefuses(fakeBroker, LIMIT + 1); // after its registration
    // The broker and its workers still serve requests under the limit.
    await worker.start();
    await waitFor(() => broker.liveServices.includes("echo"), "the service worker's registration");
    assert.equal(await client.request("echo", "y".repeat(1000)), "y".repeat(1000));
  } finally {
    client.close();
    await worker.close();
    await probe.close();
    await fakeBroker.close();
    await broker.close();
    await provider.close();
  }
});

Deno.test("limits: by default a role takes a 64 MiB message and refuses one byte more", async () => {
  const broker = new Broker({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0" });
  await broker.start();
  const client = new Dealer({ linger: 0 });
  try {
    await expectRefused(broker.endpoints.frontend, DEFAULT_MAX_MESSAGE_SIZE + 1, 30_000);
    // Exactly at the limit: accepted, decoded and answered (the service is unknown).
    const header = encodePipelineMessage({
      kind: "svc-request",
      rid: "1",
      service: "none",
      body: new Uint8Array(0),
    });
    // msgpack: bin32 needs 4 more length bytes than the empty bin8 above.
    const body = new Uint8Array(DEFAULT_MAX_MESSAGE_SIZE - header.length - 3);
    const frame = encodePipelineMessage({ kind: "svc-request", rid: "1", service: "none", body });
    assert.equal(frame.length, DEFAULT_MAX_MESSAGE_SIZE);
    client.connect(broker.endpoints.frontend);
    await client.send(frame);
    const [reply] = await within(client.receive(), "the broker's reply", 30_000);
    assert.match(new TextDecoder().decode(reply), /unknown-service/);
  } finally {
    await client.close();
    await broker.close();
  }
});

Deno.test("limits: the YAML maxMessageSize reaches the roles, and bad values are refused with the line", async () => {
  const yaml = (limit: string) =>
    `endpoints:
  workers: tcp://127.0.0.1:0
  acks: tcp://127.0.0.1:0
  results: tcp://127.0.0.1:0
maxMessageSize: ${limit}
tasks:
  echo: { count: 1 }
`;
  const config = parsePipelineConfig(yaml("2048"), "/tmp/p.yaml");
  assert.equal(config.maxMessageSize, 2048);
  assert.equal(parsePipelineConfig(yaml("-1"), "/tmp/p.yaml").maxMessageSize, -1);
  for (const bad of ["0", "-2", "1.5", "lots"]) {
    assert.throws(
      () => parsePipelineConfig(yaml(bad), "/tmp/p.yaml"),
      /\/tmp\/p.yaml:5: maxMessageSize: must be a positive number of bytes, or -1 for no limit/,
      bad,
    );
  }
  const distributor = await distributorFromConfig(config);
  try {
    await distributor.start();
    await expectRefused(distributor.endpoints.workers, 2049);
  } finally {
    await distributor.close();
  }
});

Deno.test("limits: a bad maxMessageSize option is refused when the role is built", () => {
  for (const maxMessageSize of [0, -2, 1.5, Number.NaN]) {
    assert.throws(
      () =>
        new Broker({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0", maxMessageSize }),
      /maxMessageSize must be a positive number of bytes or -1/,
    );
    assert.throws(
      () => new PipelineWorker({ distributor: "", collector: "", handlers: {}, maxMessageSize }),
      /maxMessageSize must be a positive number of bytes or -1/,
    );
  }
});
