/**
 * Every socket option takes effect, set in the constructor or as a
 * property: each test below changes what a socket does on the wire or in
 * its calls, not just what the property reads back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodePing, encodeGreeting, FrameWriter } from "../../core/zmtp/mod.ts";
import {
  Dealer,
  Pull,
  Push,
  Request,
  Router,
  Subscriber,
  XPublisher,
  type ZmqError,
} from "../../mod.ts";
import {
  closeAll,
  EventLog,
  frameBytes,
  freeTcpPort,
  handshakeBytes,
  RawPeer,
  rejectsWithCode,
  settled,
  text,
  texts,
  waitFor,
  within,
} from "./helpers.ts";

Deno.test("option sendHighWaterMark: a peer is full after that many queued messages", async () => {
  const pull = new Pull();
  const push = new Push({ sendHighWaterMark: 3 });
  try {
    await pull.bind("inproc://option-send-hwm");
    push.connect(pull.lastEndpoint!);
    await within(push.writable(), "a peer");
    // Sent in one turn, nothing is written yet: three fill the queue.
    const sends = [push.send("1"), push.send("2"), push.send("3")];
    assert.equal(push.writableNow, false);
    push.sendHighWaterMark = 1000; // applies at once
    assert.equal(push.writableNow, true);
    await Promise.all(sends);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("option receiveHighWaterMark: a peer is read no further with that many queued", async () => {
  const pull = new Pull({ receiveHighWaterMark: 2 });
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PUSH"));
      await log.wait("handshake");
      const body = new Uint8Array(1024);
      const writer = new FrameWriter();
      for (let i = 0; i < 20_000; i++) writer.writeMessage([body]);
      const flood = writer.take().slice(); // 20 MB: more than the kernel buffers
      const writing = raw.write(flood);
      assert.ok((await settled(() => raw.written, 300)) < flood.length, "read all of it");
      pull.receiveHighWaterMark = 0; // no limit: the next take lets the reader run
      for (let i = 0; i < 20_000; i++) await within(pull.receive(), `message ${i}`);
      await within(writing, "the rest to be read");
    } finally {
      await raw.dispose();
    }
  } finally {
    await pull.close();
  }
});

Deno.test("option linger: 0 makes close() drop what a peer has not taken", async () => {
  const push = new Push({ linger: 0 });
  try {
    const log = new EventLog(push);
    await push.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(push.lastEndpoint!, { reading: false });
    try {
      await raw.write(handshakeBytes("PULL"));
      await log.wait("handshake");
      const body = new Uint8Array(64 * 1024);
      let sent = 0;
      while (await push.writable({ timeoutMs: 50 })) await push.send([String(sent++), body]);
      // The peer reads nothing, so with linger -1 this close would wait forever.
      await within(push.close(), "close() with linger 0");
      raw.startReading();
      await raw.waitEnded();
      assert.ok(raw.messages.length < sent, `all ${sent} messages were delivered`);
    } finally {
      await raw.dispose();
    }
  } finally {
    await push.close();
  }
});

Deno.test("options reconnectInterval and reconnectMaxInterval: retries back off, doubling, up to the cap", async () => {
  const push = new Push({ reconnectInterval: 40 });
  try {
    push.reconnectMaxInterval = 160;
    const times: number[] = [];
    push.events.on("connect:retry", () => times.push(performance.now()));
    push.connect(`tcp://127.0.0.1:${freeTcpPort()}`); // nothing listens there
    await waitFor(() => times.length >= 6, "six connect retries");
    // 40 ms, then doubling per failed attempt, capped at 160.
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Lower bounds only: a busy machine makes gaps longer, never shorter.
    [40, 80, 160, 160, 160].forEach((expected, i) =>
      assert.ok(gaps[i] >= expected * 0.8, `gap ${i} was ${gaps[i].toFixed(0)} ms: ${gaps}`)
    );
  } finally {
    await push.close();
  }
});

Deno.test("options heartbeatInterval, heartbeatTimeout, heartbeatTimeToLive: PINGs, their TTL, the drop", async () => {
  const pull = new Pull({ heartbeatInterval: 20, heartbeatTimeToLive: 3000 });
  pull.heartbeatTimeout = 200;
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PUSH"));
      const ping = await raw.waitForCommand("PING");
      assert.equal(decodePing(ping.data).ttlMs, 3000);
      const dropped = await log.wait("protocol:error", 1, raw.address);
      assert.match(dropped.reason ?? "", /no traffic within heartbeat timeout of 200 ms/);
    } finally {
      await raw.dispose();
    }
  } finally {
    await pull.close();
  }
});

Deno.test("option handshakeTimeout: a peer that never finishes its handshake is dropped", async () => {
  const pull = new Pull();
  pull.handshakeTimeout = 100;
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await raw.write(encodeGreeting());
      const error = await log.wait("handshake:error", 1, raw.address);
      assert.match(error.reason ?? "", /handshake not done within 100 ms/);
    } finally {
      await raw.dispose();
    }
  } finally {
    await pull.close();
  }
});

Deno.test("option maxMessageSize: a larger message closes the connection", async () => {
  const pull = new Pull();
  pull.maxMessageSize = 10;
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PUSH"));
      await raw.write(frameBytes((w) => w.writeMessage(["0123456789"])));
      assert.deepEqual(texts(await within(pull.receive(), "a message at the limit")), [
        "0123456789",
      ]);
      await raw.write(frameBytes((w) => w.writeMessage(["0123456789+"])));
      const error = await log.wait("protocol:error", 1, raw.address);
      assert.match(error.reason ?? "", /maximum message size of 10/);
    } finally {
      await raw.dispose();
    }
  } finally {
    await pull.close();
  }
});

Deno.test("option routingId: announced to a ROUTER, and a new one on the next connection", async () => {
  const router = new Router();
  const dealer = new Dealer({ routingId: "first" });
  try {
    await router.bind("inproc://option-routing-id");
    dealer.connect(router.lastEndpoint!);
    await dealer.send("hi");
    assert.equal(text((await within(router.receive(), "a message"))[0]), "first");
    dealer.routingId = "second";
    await dealer.disconnect(router.lastEndpoint!);
    dealer.connect(router.lastEndpoint!);
    await dealer.send("hi again");
    assert.equal(text((await within(router.receive(), "a message"))[0]), "second");
  } finally {
    await closeAll(dealer, router);
  }
});

Deno.test("options sendTimeout and receiveTimeout: EAGAIN after that long", async () => {
  const push = new Push({ sendTimeout: 30 });
  const pull = new Pull();
  try {
    const sendError = await rejectsWithCode(push.send("nobody"), "EAGAIN");
    assert.match(sendError.message, /send timed out after 30 ms/);
    pull.receiveTimeout = 20;
    const receiveError: ZmqError = await rejectsWithCode(pull.receive(), "EAGAIN");
    assert.match(receiveError.message, /receive timed out after 20 ms/);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("options relaxed and correlate: a REQ may ask again, and its requests carry an id", async () => {
  const router = new Router();
  const req = new Request({ correlate: true });
  try {
    await router.bind("inproc://option-req");
    req.connect(router.lastEndpoint!);
    await req.send("one");
    const [, id, delimiter, body] = await within(router.receive(), "the request");
    assert.equal(id.length, 4, "correlate: a 4-byte request id before the delimiter");
    assert.deepEqual([delimiter.length, text(body)], [0, "one"]);
    await rejectsWithCode(req.send("two"), "EFSM");
    req.relaxed = true;
    await req.send("two");
    const [, id2] = await within(router.receive(), "the second request");
    assert.notDeepEqual(id2, id);
  } finally {
    await closeAll(req, router);
  }
});

Deno.test("options mandatory and handover: EHOSTUNREACH, and a routing id taken over", async () => {
  const router = new Router();
  const first = new Dealer({ routingId: "same", reconnectInterval: 10_000 });
  const second = new Dealer({ routingId: "same" });
  try {
    await router.bind("inproc://option-router");
    await router.send(["nobody", "dropped"]); // not mandatory: dropped
    router.mandatory = true;
    await rejectsWithCode(router.send(["nobody", "x"]), "EHOSTUNREACH");
    const log = new EventLog(router);
    router.handover = true;
    first.connect(router.lastEndpoint!);
    await log.wait("handshake");
    second.connect(router.lastEndpoint!);
    await log.wait("disconnect"); // the first holder, taken over
    await router.send(["same", "to the second"]);
    assert.deepEqual(texts(await within(second.receive(), "the message")), ["to the second"]);
  } finally {
    await closeAll(first, second, router);
  }
});

Deno.test("option verbose: XPUB reports a repeated subscription", async () => {
  const xpub = new XPublisher();
  const subs = [new Subscriber(), new Subscriber()];
  try {
    xpub.verbose = true;
    await xpub.bind("inproc://option-verbose");
    for (const sub of subs) {
      sub.connect(xpub.lastEndpoint!);
      sub.subscribe("topic");
      const [frame] = await within(xpub.receive(), "a subscription");
      assert.equal(text(frame), "\x01topic"); // the second one too: verbose
    }
  } finally {
    await closeAll(...subs, xpub);
  }
});
