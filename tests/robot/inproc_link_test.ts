// inproc between two Workers of the shared host process is paired in that host (issue 21,
// item 4): the Workers hold the two ends of one channel, and every socket semantic holds over
// it as over any transport — a slow subscriber leaves the publisher's queue bounded (PUB drops
// past its high-water mark, the kept messages stay in order), a SUB hears only its
// subscriptions, and a SUB fair-queues several busy publishers. Between processes the supervisor
// still relays the channel, whole-message batches included.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Pull, Push } from "../../mod.ts";
import { FrameLink } from "../../robot/supervision/frame_link.ts";
import { HostInproc } from "../../robot/supervision/host_inproc.ts";
import type { InprocToComponent } from "../../robot/inproc_bridge.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot, waitForState, ZEDGE } from "./helpers.ts";

/** Messages per topic the flood publishes: far more than any queue on the way may hold. */
const FLOOD = 20_000;

const FLOOD_MODULE = `import { Publisher, Pull, Push } from "${ZEDGE}";
export default async function main(ctx) {
  const pub = new Publisher({ sendHighWaterMark: 100 });
  await pub.bind(ctx.endpoints.out);
  const control = new Pull();
  await control.bind(ctx.endpoints.control);
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  const text = new TextEncoder();
  // Hellos until the test says go: the subscriber hears one once its subscription is in.
  let go = false;
  control.receive().then(() => go = true);
  while (!go) {
    await pub.send(["a", "hello"]);
    await pub.send(["b", "hello"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const payload = new Uint8Array(1024);
  for (let i = 0; i < ${FLOOD}; i++) {
    await pub.send(["a", text.encode(String(i)), payload]);
    await pub.send(["b", text.encode(String(i)), payload]);
    if (i % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
  }
  await report.send("flooded");
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await Promise.all([pub.close(), control.close(), report.close()]);
}\n`;

const SLOW_MODULE = `import { Pull, Push, Subscriber } from "${ZEDGE}";
export default async function main(ctx) {
  const sub = new Subscriber({ receiveHighWaterMark: 100, receiveTimeout: 1000 });
  sub.subscribe("a");
  sub.connect(ctx.endpoints.in);
  const control = new Pull();
  await control.bind(ctx.endpoints.control);
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  const text = new TextDecoder();
  for (;;) {
    try {
      await sub.receive();
      break;
    } catch {
      // No hello yet: the subscription is still on its way.
    }
  }
  await report.send("ready");
  // Not reading while the publisher floods: a slow subscriber.
  await control.receive();
  let received = 0, otherTopics = 0, outOfOrder = 0, last = -1;
  for (;;) {
    let frames;
    try {
      frames = await sub.receive();
    } catch {
      break;
    }
    if (text.decode(frames[0]) !== "a") otherTopics++;
    const body = text.decode(frames[1]);
    if (body === "hello") continue;
    const seq = Number(body);
    if (seq <= last) outOfOrder++;
    last = seq;
    received++;
  }
  await report.send(JSON.stringify({ received, otherTopics, outOfOrder }));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await Promise.all([sub.close(), control.close(), report.close()]);
}\n`;

/** A publisher that never stops: 64 messages naming it per macrotask. */
const BUSY_MODULE = `import { Publisher } from "${ZEDGE}";
export default async function main(ctx) {
  const pub = new Publisher();
  await pub.bind(ctx.endpoints.out);
  const name = new TextEncoder().encode(ctx.name);
  while (!ctx.signal.aborted) {
    for (let i = 0; i < 64; i++) await pub.send(["f", name]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await pub.close();
}\n`;

const FAIR_MODULE = `import { Push, Subscriber } from "${ZEDGE}";
export default async function main(ctx) {
  const sub = new Subscriber();
  sub.subscribe("f");
  sub.connect(ctx.endpoints.left);
  sub.connect(ctx.endpoints.right);
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  const text = new TextDecoder();
  const heard = new Set();
  while (heard.size < 2) heard.add(text.decode((await sub.receive())[1]));
  const counts = { left: 0, right: 0 };
  for (let i = 0; i < 4000; i++) counts[text.decode((await sub.receive())[1])]++;
  await report.send(JSON.stringify(counts));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await Promise.all([sub.close(), report.close()]);
}\n`;

Deno.test("inproc between a host's Workers keeps HWM, PUB drops, order, subscriptions and fair queueing", async () => {
  const [floodControl, floodReport, slowControl, slowReport, fairReport] = [
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
    freeTcpPort(),
  ];
  const dir = await robotDir({
    "flood.ts": FLOOD_MODULE,
    "slow.ts": SLOW_MODULE,
    "busy.ts": BUSY_MODULE,
    "fair.ts": FAIR_MODULE,
  });
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  flood:
    kind: node
    module: ./flood.ts
    bind:
      out: "inproc://test/flood"
      control: "tcp://127.0.0.1:${floodControl}"
      report: "tcp://127.0.0.1:${floodReport}"
  slow:
    kind: node
    module: ./slow.ts
    connect: { in: flood.out }
    bind:
      control: "tcp://127.0.0.1:${slowControl}"
      report: "tcp://127.0.0.1:${slowReport}"
  left: { kind: node, module: ./busy.ts, bind: { out: "inproc://test/left" } }
  right: { kind: node, module: ./busy.ts, bind: { out: "inproc://test/right" } }
  fair:
    kind: node
    module: ./fair.ts
    connect: { left: left.out, right: right.out }
    bind: { report: "tcp://127.0.0.1:${fairReport}" }
`),
  );
  const supervisor = await startRobot(dir);
  const sockets = {
    floodControl: new Push(),
    floodReport: new Pull({ receiveTimeout: 60_000 }),
    slowControl: new Push(),
    slowReport: new Pull({ receiveTimeout: 60_000 }),
    fairReport: new Pull({ receiveTimeout: 60_000 }),
  };
  const text = new TextDecoder();
  const next = async (pull: Pull) => text.decode((await pull.receive())[0]);
  try {
    // Every component runs in the shared host (the default): the inproc links are the host's own.
    await waitForState(supervisor, "flood", "running");
    for (const [name, port] of Object.entries({ floodControl, slowControl })) {
      sockets[name as "floodControl" | "slowControl"].connect(`tcp://127.0.0.1:${port}`);
    }
    sockets.floodReport.connect(`tcp://127.0.0.1:${floodReport}`);
    sockets.slowReport.connect(`tcp://127.0.0.1:${slowReport}`);
    sockets.fairReport.connect(`tcp://127.0.0.1:${fairReport}`);

    assert.equal(await next(sockets.slowReport), "ready");
    await sockets.floodControl.send("go");
    assert.equal(await next(sockets.floodReport), "flooded");
    await sockets.slowControl.send("go");
    const slow = JSON.parse(await next(sockets.slowReport));
    assert.equal(slow.otherTopics, 0, "a SUB of 'a' heard 'b'");
    assert.equal(slow.outOfOrder, 0, "the kept messages came out of order");
    // What was not taken was dropped, not held: the PUB's HWM (100), the SUB's (100), and the
    // channel's 1 MiB window of 1 KiB messages hold a few thousand at most.
    assert.ok(slow.received > 0, "the slow subscriber got nothing");
    assert.ok(
      slow.received < 3000,
      `the slow subscriber got ${slow.received} of ${FLOOD}: queued without bound`,
    );

    const fair = JSON.parse(await next(sockets.fairReport));
    assert.equal(fair.left + fair.right, 4000);
    // Both publishers are always busy: fair queueing takes from each in turn
    // whenever both have something queued. How often both do is up to the
    // scheduler here (three busy Workers and a flood on 2 cores, batches
    // landing whole): measured, the lesser side got 4.8–50 % of 4,000 (22–50
    // % before the socket-wide read-ahead parked empty connections too; one
    // run in 13 below the old bound of 20 % even then). So this asserts that no
    // publisher is starved outright; the turn-taking itself is checked
    // message by message in tests/core/sockets_pushpull_test.ts.
    assert.ok(
      Math.min(fair.left, fair.right) >= 80,
      `one busy publisher starved the other: ${JSON.stringify(fair)}`,
    );
  } finally {
    await Promise.all(Object.values(sockets).map((socket) => socket.close()));
    await supervisor.shutdown();
  }
});

Deno.test("a host pairs only allowed dials of names its own Workers bind, and closes them when one ends", () => {
  const sent: { to: string; message: InprocToComponent }[] = [];
  const host = new HostInproc((to, message) => sent.push({ to, message }));
  host.down("pub", { op: "inproc-access", bind: ["topics"], connect: [] });
  host.down("sub", { op: "inproc-access", bind: [], connect: ["topics"] });
  host.down("spy", { op: "inproc-access", bind: [], connect: [] });
  const dial = (from: string, id: string, name = "topics") => {
    const { port1, port2 } = new MessageChannel();
    port1.close();
    const handled = host.up(from, { op: "inproc-dial", id, name, port: port2 });
    if (!handled) port2.close();
    return handled;
  };
  // Not bound yet: the supervisor answers (it may be bound in another host).
  assert.equal(dial("sub", "1"), false);
  // A bind goes up too (the supervisor keeps every name), and is noted here.
  assert.equal(host.up("spy", { op: "inproc-bind", name: "topics" }), false);
  assert.equal(host.up("pub", { op: "inproc-bind", name: "topics" }), false);
  assert.equal(dial("sub", "2"), true);
  assert.deepEqual(sent.map(({ to, message }) => `${to}:${message.op}`), [
    "pub:inproc-accept",
    "sub:inproc-connected",
  ]);
  (sent[0].message as { port: MessagePort }).port.close();
  // Not declared: up to the supervisor, which refuses it and says why.
  assert.equal(dial("spy", "3"), false);
  // An id in use is never paired again.
  assert.equal(dial("sub", "2"), false);
  sent.length = 0;
  host.ended("sub");
  assert.deepEqual(sent, [{ to: "pub", message: { op: "inproc-closed", ids: ["2"] } }]);
  host.ended("pub");
  // Its names went with it; the next instance is told its access again before it starts.
  host.down("sub", { op: "inproc-access", bind: [], connect: ["topics"] });
  assert.equal(dial("sub", "4"), false);
});

Deno.test("inproc between processes still goes through the supervisor, whole messages in order", async () => {
  const report = freeTcpPort();
  const dir = await robotDir({
    "sender.ts": `import { Push } from "${ZEDGE}";
export default async function main(ctx) {
  const push = new Push();
  await push.bind(ctx.endpoints.out);
  for (let i = 0; i < 5000; i++) await push.send([String(i), new Uint8Array(i % 300)]);
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await push.close();
}\n`,
    "receiver.ts": `import { Pull, Push } from "${ZEDGE}";
export default async function main(ctx) {
  const pull = new Pull();
  pull.connect(ctx.endpoints.in);
  const report = new Push();
  await report.bind(ctx.endpoints.report);
  let wrong = 0;
  for (let i = 0; i < 5000; i++) {
    const [seq, body] = await pull.receive();
    if (Number(new TextDecoder().decode(seq)) !== i || body.length !== i % 300) wrong++;
  }
  await report.send(JSON.stringify({ wrong }));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await Promise.all([pull.close(), report.close()]);
}\n`,
  });
  // The sender in a process of its own, the receiver in the shared host: the supervisor relays.
  await Deno.writeTextFile(
    join(dir, "robot.yaml"),
    robotYaml(`  sender:
    kind: node
    module: ./sender.ts
    isolation: process
    bind: { out: "inproc://test/sender" }
  receiver:
    kind: node
    module: ./receiver.ts
    connect: { in: sender.out }
    bind: { report: "tcp://127.0.0.1:${report}" }
`),
  );
  const supervisor = await startRobot(dir);
  const pull = new Pull({ receiveTimeout: 60_000 });
  try {
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [body] = await pull.receive();
    assert.deepEqual(JSON.parse(new TextDecoder().decode(body)), { wrong: 0 });
  } finally {
    await pull.close();
    await supervisor.shutdown();
  }
});

Deno.test("a relayed port drops what cannot cross a process and carries on", async () => {
  const there = new TransformStream<Uint8Array, Uint8Array>();
  const back = new TransformStream<Uint8Array, Uint8Array>();
  const ports: MessagePort[] = [];
  const near = new FrameLink(
    { readable: back.readable, writable: there.writable },
    () => {},
    () => {},
    "a",
  );
  const far = new FrameLink(
    { readable: there.readable, writable: back.writable },
    (message) => ports.push((message as { port: MessagePort }).port),
    () => {},
    "b",
  );
  const { port1, port2 } = new MessageChannel();
  near.send("c", { op: "inproc-dial", port: port2 });
  const relayed = await new Promise<MessagePort>((resolve) => {
    const poll = setInterval(() => {
      if (ports.length === 0) return;
      clearInterval(poll);
      resolve(ports[0]);
    }, 5);
  });
  const got = new Promise<unknown>((resolve) => relayed.onmessage = (event) => resolve(event.data));
  // A component's isolate may post anything on its end: shared memory cannot be serialised.
  port1.postMessage(new SharedArrayBuffer(4));
  port1.postMessage("after");
  assert.equal(await got, "after");
  port1.close();
  relayed.close();
  near.close();
  far.close();
});
