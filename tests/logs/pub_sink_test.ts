/**
 * The PUB log sink over real sockets: records through logtape and through
 * `publish` reach a subscriber with their topics; a subscriber that keeps
 * up misses nothing, one that stalls makes the sink drop and count (and
 * the PUB's own droppedMessages); bad options are refused.
 *
 * @module
 */
import assert from "node:assert/strict";
import { configure, getLogger, reset } from "@logtape/logtape";
import {
  createPubLogSink,
  decodeLogMessage,
  type FormedLogRecord,
  Publisher,
  Pull,
  Subscriber,
  XPublisher,
} from "../../mod.ts";
import { subscriptionSeen, texts, within } from "../core/helpers.ts";

const RECORD: FormedLogRecord = {
  time: 1764590400000,
  level: "info",
  category: ["kitchen-bot", "odometry"],
  message: "publishing at 50 Hz",
  properties: { rateHz: 50 },
};

/** An XPUB on a free loopback port and a SUB connected to it, subscribed to `topic`. */
async function xpubWithSubscriber(topic = "", subOptions = {}) {
  const xpub = new XPublisher({ linger: 0 });
  await xpub.bind("tcp://127.0.0.1:0");
  const sub = new Subscriber({ linger: 0, ...subOptions });
  sub.connect(xpub.lastEndpoint!);
  sub.subscribe(topic);
  await subscriptionSeen(xpub, topic);
  return { xpub, sub };
}

Deno.test("pub log sink: logtape records arrive as <robot>.<component>.<level> with the JSON body", async () => {
  const { xpub, sub } = await xpubWithSubscriber("kitchen-bot.");
  const logs = await createPubLogSink({ socket: xpub, robot: "kitchen-bot", component: "main" });
  try {
    await configure({
      reset: true,
      sinks: { pub: logs.sink },
      loggers: [
        { category: ["app"], sinks: ["pub"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      ],
    });
    getLogger(["app", "nav"]).warn("battery at {percent} %", { percent: 12 });
    const frames = await within(sub.receive(), "the record");
    assert.equal(texts(frames)[0], "kitchen-bot.main.warning");
    const record = decodeLogMessage(frames);
    assert.equal(typeof record.time, "number");
    assert.ok(Math.abs(record.time - Date.now()) < 60_000);
    assert.deepEqual({ ...record, time: 0 }, {
      time: 0,
      level: "warning",
      category: ["app", "nav"],
      message: "battery at 12 %",
      properties: { percent: 12 },
      robot: "kitchen-bot",
      component: "main",
    });
    assert.equal(logs.published, 1);
    assert.equal(logs.endpoint, null); // a socket of ours was given
  } finally {
    await reset();
    await logs.close();
    assert.equal(xpub.closed, false, "close() leaves a socket it was given open");
    await sub.close();
    await xpub.close();
  }
});

Deno.test("pub log sink: publish sends a formed record as the component given; none is lost by a reader that keeps up", async () => {
  const { xpub, sub } = await xpubWithSubscriber("kitchen-bot.odometry.");
  const logs = await createPubLogSink({ socket: xpub, robot: "kitchen-bot" });
  try {
    for (let i = 0; i < 500; i++) logs.publish("odometry", { ...RECORD, message: `tick ${i}` });
    logs.publish("planner", RECORD); // not subscribed to: filtered by the publisher
    for (let i = 0; i < 500; i++) {
      const frames = await within(sub.receive(), `record ${i}`);
      assert.equal(texts(frames)[0], "kitchen-bot.odometry.info");
      assert.equal(decodeLogMessage(frames).message, `tick ${i}`);
    }
    assert.equal(logs.published, 501);
    assert.equal(logs.dropped, 0);
    assert.throws(() => logs.publish("bad.name", RECORD), /without dots/);
    // Once closed, publishing does nothing.
    await logs.close();
    logs.publish("odometry", RECORD);
    assert.equal(logs.published, 501);
  } finally {
    await logs.close();
    await sub.close();
    await xpub.close();
  }
});

Deno.test("pub log sink: a stalled subscriber makes it drop over the high-water mark and count the drops", async () => {
  // The subscriber reads nothing: its socket stops reading the link, the
  // kernel buffers fill, then the publisher's queue for it reaches the mark.
  const { xpub, sub } = await xpubWithSubscriber("", { receiveHighWaterMark: 1 });
  const logs = await createPubLogSink({ socket: xpub, robot: "r", highWaterMark: 50 });
  try {
    assert.equal(xpub.sendHighWaterMark, 50);
    const big = { ...RECORD, message: "x".repeat(4096) };
    const yieldToWrites = () => new Promise((resolve) => setTimeout(resolve, 0));
    // Bursts below the mark, with the writes let through between them: only
    // a link that no longer drains can make the queue reach the mark.
    let published = 0;
    while (logs.dropped === 0 && published < 200_000) {
      for (let i = 0; i < 10; i++) logs.publish("c", big);
      published += 10;
      await yieldToWrites();
    }
    assert.ok(logs.dropped > 0, `no drop after ${published} records`);
    assert.ok(published > 50, "dropped before the link could have filled");
    assert.equal(logs.published, published);
    assert.ok(xpub.droppedMessages >= logs.dropped);
    // Stalled, it drops every further record, counting each once, and waits for none.
    const before = logs.dropped;
    for (let burst = 0; burst < 100; burst++) {
      for (let i = 0; i < 10; i++) logs.publish("c", big);
      await yieldToWrites();
    }
    assert.equal(logs.dropped, before + 1000);
  } finally {
    await logs.close();
    await sub.close();
    await xpub.close();
  }
});

Deno.test("pub log sink: with nobody subscribed, records are published and dropped by the PUB uncounted", async () => {
  const logs = await createPubLogSink({ endpoint: "tcp://127.0.0.1:0", robot: "r" });
  try {
    assert.match(logs.endpoint!, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 100; i++) logs.publish("c", RECORD);
    assert.equal(logs.published, 100);
    assert.equal(logs.dropped, 0); // nobody wanted them: nothing missed
  } finally {
    await logs.close();
  }
});

Deno.test("pub log sink: connect mode publishes to a collector that binds", async () => {
  const collector = new Subscriber({ linger: 0 });
  await collector.bind("tcp://127.0.0.1:0");
  collector.subscribe("");
  const logs = await createPubLogSink({
    endpoint: collector.lastEndpoint!,
    connect: true,
    robot: "r",
    component: "c",
  });
  try {
    assert.equal(logs.endpoint, collector.lastEndpoint);
    // The collector's subscription must reach the sink's PUB before a record can.
    const deadline = Date.now() + 10_000;
    while (!collector.readableNow && Date.now() < deadline) {
      logs.publish("c", RECORD);
      await collector.readable({ timeoutMs: 20 });
    }
    const frames = await within(collector.receive(), "a record");
    assert.equal(decodeLogMessage(frames).component, "c");
  } finally {
    await logs.close();
    await collector.close();
  }
});

Deno.test("pub log sink: bad options are refused with a clear error", async () => {
  const reject = (options: Parameters<typeof createPubLogSink>[0], why: RegExp) =>
    assert.rejects(createPubLogSink(options), why);
  const unused = new Publisher();
  const pull = new Pull();
  await reject({ robot: "r" }, /an endpoint or a socket/);
  await reject({ robot: "r", endpoint: "tcp://127.0.0.1:0", socket: unused }, /one of/);
  await reject({ robot: "kitchen bot", endpoint: "tcp://127.0.0.1:0" }, /robot name/);
  await reject({ robot: "r", component: "a.b", endpoint: "tcp://127.0.0.1:0" }, /component/);
  await reject({ robot: "r", endpoint: "tcp://127.0.0.1:0", highWaterMark: 0 }, /≥ 1/);
  await reject(
    { robot: "r", socket: pull as unknown as Publisher },
    /must be a Publisher/,
  );
  await reject(
    { robot: "r", endpoint: "udp://x" },
    /cannot bind the log publisher to udp:\/\/x: .*unsupported transport/,
  );
  const taken = new Publisher();
  await taken.bind("tcp://127.0.0.1:0");
  try {
    await reject(
      { robot: "r", endpoint: taken.lastEndpoint! },
      new RegExp(`cannot bind the log publisher to ${taken.lastEndpoint}`),
    );
  } finally {
    await taken.close();
    await unused.close();
    await pull.close();
  }
});
