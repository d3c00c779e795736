/**
 * Whole-message batches: what a connection over a `PortStream` (inproc
 * between Workers) sends once its handshake is done, in place of ZMTP
 * frames. The format reads back what was written, refuses what does not
 * add up, and the sockets over it keep their semantics: subscriptions,
 * order, PUB drops past the high-water marks, heartbeats, and a batch
 * before the handshake is refused.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Publisher, Pull, Push, Subscriber } from "../../mod.ts";
import { BatchWriter, readBatch, readRuns } from "../../core/sockets/message_batch.ts";
import { Inbox, MessageRun, PackedMessage } from "../../core/sockets/inbox.ts";
import { decodeCommand, ZmtpError } from "../../core/zmtp/mod.ts";
import { deliverInproc, installInprocBridge } from "../../core/transport/inproc.ts";
import { PortStream } from "../../core/transport/port_stream.ts";
import { closeAll, delay, text } from "./helpers.ts";

/** The next message within `ms`, or null. */
async function within(socket: Subscriber | Pull, ms: number): Promise<Uint8Array[] | null> {
  const before = socket.receiveTimeout;
  socket.receiveTimeout = ms;
  try {
    return await socket.receive();
  } catch {
    return null;
  } finally {
    socket.receiveTimeout = before;
  }
}

/** Publishes `hello` until `sub` hears it: its subscription has arrived. */
async function subscribed(pub: Publisher, sub: Subscriber): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    await pub.send(hello);
    if (await within(sub, 20) !== null) return;
  }
  throw new Error("the subscription never arrived");
}

/** Names under this prefix are dialled over a MessageChannel, as from another Worker. */
const VIA = "via-port/";

/** Lets `inproc://via-port/NAME` reach the socket bound at `inproc://NAME` over a PortStream. */
function installPortBridge(): void {
  installInprocBridge({
    announce: () => {},
    isBound: (name) => name.startsWith(VIA),
    dial: (name) => {
      const { port1, port2 } = new MessageChannel();
      if (!deliverInproc(name.slice(VIA.length), new PortStream(port2))) {
        return Promise.reject(new Deno.errors.ConnectionRefused(name));
      }
      return Promise.resolve(new PortStream(port1));
    },
  });
}

let unique = 0;
const hello = ["a", "hello"];
const names = () => {
  const name = `message-batch-${Deno.pid}-${++unique}`;
  return { bind: `inproc://${name}`, connect: `inproc://${VIA}${name}` };
};

Deno.test("a batch reads back its messages and commands, frames as views of its data", () => {
  const writer = new BatchWriter();
  writer.message(["topic", new Uint8Array([1, 2, 3])]);
  writer.command("PING", new Uint8Array([0, 10]));
  writer.message([new Uint8Array(0)]);
  writer.message(["é".repeat(100)]);
  const batch = writer.take();
  assert.equal(writer.length, 0);
  const seen: string[] = [];
  readBatch(batch, -1, {
    message: (frames) => {
      assert.ok(frames.every((f) => f.buffer === batch.data.buffer));
      seen.push(frames.map((f) => text(f)).join("|"));
    },
    command: (body) => seen.push(`cmd ${decodeCommand(body).name}`),
  });
  assert.deepEqual(seen, ["topic|\x01\x02\x03", "cmd PING", "", "é".repeat(100)]);
});

Deno.test("a SUB's batch is read as runs: accepted messages as they lie, the rest dropped, commands in order", () => {
  const writer = new BatchWriter();
  writer.message(["a1", "x"]);
  writer.message(["b1"]);
  writer.command("PING", new Uint8Array([0, 10]));
  writer.message(["a2"]);
  writer.message(["a3", "y", "z"]);
  writer.message(["b2"]);
  const batch = writer.take();
  const seen: string[] = [];
  readRuns(batch, -1, {
    // The first frame starts with "a" (97), read in the batch.
    accepts: (data, start, length) => length > 0 && data[start] === 97,
    run: (run) => {
      const messages: string[] = [];
      while (run.count > 0) {
        const frames = run.next();
        assert.ok(frames.every((f) => f.buffer === batch.data.buffer));
        messages.push(frames.map(text).join("|"));
      }
      seen.push(`run ${messages.join(", ")}`);
    },
    command: (body) => seen.push(`cmd ${decodeCommand(body).name}`),
  });
  assert.deepEqual(seen, ["run a1|x", "cmd PING", "run a2, a3|y|z"]);
});

Deno.test("an inbox counts each message of a run and keeps them in order with messages queued as frames", () => {
  const writer = new BatchWriter();
  writer.message(["r1", "one"]);
  writer.message(["r2"]);
  const { data, sizes } = writer.take();
  const inbox = new Inbox();
  inbox.push([new TextEncoder().encode("before")]);
  inbox.pushRun(new MessageRun(data, sizes, 0, 0, 2));
  inbox.push([new TextEncoder().encode("after")]);
  assert.equal(inbox.length, 4);
  assert.deepEqual(inbox.shift()?.map(text), ["before"]);
  const message = new PackedMessage();
  assert.ok(inbox.shiftInto(message));
  // Read in place: no frames made, the positions in the batch.
  assert.equal(message.frames, null);
  assert.equal(message.frameCount, 2);
  assert.deepEqual(message.allFrames().map(text), ["r1", "one"]);
  assert.equal(text(message.frame(1)!), "one");
  assert.equal(message.frame(2), undefined);
  assert.equal(inbox.length, 2);
  assert.deepEqual(inbox.shift()?.map(text), ["r2"]);
  assert.ok(inbox.shiftInto(message));
  assert.deepEqual((message.frames as Uint8Array[] | null)?.map(text), ["after"]);
  assert.equal(inbox.length, 0);
  assert.equal(inbox.shift(), undefined);
  assert.equal(inbox.shiftInto(message), false);
  inbox.pushRun(new MessageRun(data, sizes, 0, 0, 2));
  inbox.clear();
  assert.equal(inbox.length, 0);
  assert.equal(inbox.shift(), undefined);
});

Deno.test("a writer reuses its buffers once a batch is posted, and starts new ones after a transfer", () => {
  const writer = new BatchWriter();
  const readAll = (batch: ReturnType<BatchWriter["take"]>) => {
    const seen: string[] = [];
    readBatch(batch, -1, { message: (f) => seen.push(f.map(text).join("|")), command() {} });
    return seen;
  };
  writer.message(["one", "1"]);
  const first = writer.take();
  const copy = structuredClone(first);
  writer.posted();
  writer.message(["two"]);
  const second = writer.take();
  assert.equal(second.data.buffer, first.data.buffer, "the buffers were not reused");
  assert.deepEqual(readAll(copy), ["one|1"]);
  structuredClone(second, { transfer: [second.data.buffer, second.sizes.buffer] });
  writer.posted();
  writer.message(["three", "3"]);
  const third = writer.take();
  assert.notEqual(third.data.buffer, second.data.buffer);
  assert.deepEqual(readAll(third), ["three|3"]);
});

Deno.test("a batch that does not add up, or holds a message too large, is refused", () => {
  const handler = { message() {}, command() {} };
  const refused = (data: number[], sizes: number[], max = -1) =>
    assert.throws(
      () => readBatch({ data: new Uint8Array(data), sizes: new Uint32Array(sizes) }, max, handler),
      ZmtpError,
    );
  refused([1, 2], [1, 3]); // a frame past the data
  refused([1, 2, 3], [1, 2]); // data left over
  refused([1, 2], [2, 2]); // a message without its frames' lengths
  refused([], [0]); // a command without its length
  refused([1, 2, 3], [1, 3], 2); // over the maximum message size
  refused([], [1 << 20]); // too many frames
});

Deno.test("sockets over a PortStream: subscriptions, order, heartbeats", async () => {
  installPortBridge();
  const { bind, connect } = names();
  const pub = new Publisher();
  const sub = new Subscriber({
    heartbeatInterval: 30,
    heartbeatTimeout: 150,
    receiveTimeout: 5000,
  });
  try {
    await pub.bind(bind);
    sub.subscribe("a");
    sub.connect(connect);
    await subscribed(pub, sub);
    for (let i = 0; i < 1000; i++) {
      await pub.send(["b", String(i)]);
      await pub.send(["a", String(i)]);
    }
    for (let i = 0; i < 1000; i++) {
      const frames = await sub.receive();
      if (text(frames[1]) === "hello") {
        i--;
        continue;
      }
      assert.deepEqual(frames.map(text), ["a", String(i)]);
    }
    // Quiet for many heartbeat timeouts: the SUB's PINGs are answered by the PUB's PONGs (commands
    // in batches, both ways), the only traffic that keeps it up.
    let disconnects = 0;
    sub.events.on("disconnect", () => disconnects++);
    pub.events.on("disconnect", () => disconnects++);
    await delay(500);
    assert.equal(disconnects, 0);
    await pub.send(["a", "still here"]);
    assert.deepEqual((await sub.receive()).map(text), ["a", "still here"]);
  } finally {
    await closeAll(sub, pub);
    installInprocBridge(null);
  }
});

Deno.test("over a PortStream a SUB reads batches in place, fair-queued between publishers, each in order", async () => {
  installPortBridge();
  const a = names();
  const b = names();
  const pubA = new Publisher();
  const pubB = new Publisher();
  const sub = new Subscriber({ receiveHighWaterMark: 10_000 });
  try {
    await pubA.bind(a.bind);
    await pubB.bind(b.bind);
    sub.subscribe("a", "t");
    sub.connect(a.connect);
    sub.connect(b.connect);
    await subscribed(pubA, sub);
    await subscribed(pubB, sub);
    const base = sub.traffic.messagesReceived;
    const each = 300;
    for (let i = 0; i < each; i++) {
      // "x" is nobody's: the publishers drop it (and the SUB would).
      await pubA.send(["x", "dropped"]);
      await pubA.send(["t", `A${i}`]);
      await pubB.send(["t", `B${i}`]);
    }
    // Everything queued at the SUB before it reads, so the turns decide the order.
    const deadline = Date.now() + 5000;
    while (sub.traffic.messagesReceived < base + 2 * each) {
      assert.ok(Date.now() < deadline, "the messages never all arrived");
      await delay(5);
    }
    const message = new PackedMessage();
    const order: string[] = [];
    let inPlace = 0;
    while (sub.tryReceiveInto(message)) {
      const topic = text(message.frame(0)!);
      if (topic === "a") continue; // a late hello
      assert.equal(topic, "t");
      if (message.frames === null) inPlace++;
      order.push(text(message.frame(1)!));
    }
    assert.equal(order.length, 2 * each);
    assert.ok(inPlace > 0, "no message was read in place");
    for (const who of ["A", "B"]) {
      const mine = order.filter((m) => m[0] === who);
      assert.deepEqual(mine, Array.from({ length: each }, (_, i) => `${who}${i}`));
    }
    // Fair queueing: while both have messages queued, turns alternate.
    const firstHalf = order.slice(0, each).filter((m) => m[0] === "A").length;
    assert.ok(
      firstHalf >= each / 2 - 5 && firstHalf <= each / 2 + 5,
      `A had ${firstHalf} of ${each}`,
    );
  } finally {
    await closeAll(sub, pubA, pubB);
    installInprocBridge(null);
  }
});

Deno.test("over a PortStream a PUB drops past the high-water marks of a subscriber that does not read", async () => {
  installPortBridge();
  const { bind, connect } = names();
  const pub = new Publisher({ sendHighWaterMark: 10 });
  const sub = new Subscriber({ receiveHighWaterMark: 10 });
  const sent = 50_000;
  try {
    await pub.bind(bind);
    sub.subscribe("");
    sub.connect(connect);
    await subscribed(pub, sub);
    const payload = new Uint8Array(1024);
    for (let i = 0; i < sent; i++) {
      await pub.send([String(i), String(i), payload]);
      if (i % 256 === 255) await delay(0);
    }
    await delay(100);
    let received = 0;
    let last = -1;
    for (;;) {
      const frames = await within(sub, 200);
      if (frames === null) break;
      if (text(frames[1]) === "hello") continue;
      const seq = Number(text(frames[0]));
      assert.ok(seq > last, "out of order");
      last = seq;
      received++;
    }
    // The two high-water marks and the channel's 1 MiB window: what did not fit was dropped.
    assert.ok(received > 0 && received < 2000, `received ${received} of ${sent}`);
    assert.ok(pub.droppedMessages >= sent - 2000);
  } finally {
    await closeAll(sub, pub);
    installInprocBridge(null);
  }
});

Deno.test("a batch before the handshake closes the connection", async () => {
  const name = `message-batch-${Deno.pid}-${++unique}`;
  const pull = new Pull();
  const push = new Push();
  try {
    await pull.bind(`inproc://${name}`);
    const { port1, port2 } = new MessageChannel();
    assert.ok(deliverInproc(name, new PortStream(port2)));
    const closed = new Promise<void>((resolve) => {
      port1.onmessage = (event) => {
        if ((event.data as { close?: boolean }).close) resolve();
      };
    });
    const forged = new BatchWriter();
    forged.message(["forged"]);
    const batch = forged.take();
    port1.postMessage(batch, [batch.data.buffer, batch.sizes.buffer]);
    await closed;
    port1.close();
    // The socket itself is fine: a proper peer still gets through.
    push.connect(`inproc://${name}`);
    await push.send("real");
    assert.deepEqual((await within(pull, 5000))?.map(text), ["real"]);
  } finally {
    await closeAll(push, pull);
  }
});
