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
import { BatchWriter, readBatch } from "../../core/sockets/message_batch.ts";
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
