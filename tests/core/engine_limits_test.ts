/**
 * What a hostile peer can make the engine hold: PONGs for a PING flood,
 * replies it never reads, frames it announces huge, commands and handshakes
 * that are not what they claim. Each limit is checked from the wire with a
 * raw peer, against a real socket.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeGreeting, encodePing, FrameWriter } from "../../core/zmtp/mod.ts";
import { Pull, Push, Reply, XPublisher } from "../../mod.ts";
import {
  bytes,
  closeAll,
  concat,
  EventLog,
  frameBytes,
  handshakeBytes,
  RawPeer,
  settled,
  texts,
  waitFor,
  within,
} from "./helpers.ts";

Deno.test("limits: a PING flood is answered by one pending PONG, not one per PING", async () => {
  const pull = new Pull();
  const good = new Push();
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PUSH"));
      await log.wait("handshake");
      const pings = 100_000;
      const ping = frameBytes((w) => w.writeCommand("PING", encodePing(0, bytes("flood"))));
      const flood = new Uint8Array(ping.length * pings);
      for (let i = 0; i < pings; i++) flood.set(ping, i * ping.length);
      await raw.write(flood);
      // PONGs go out in order: once the last PING's comes back, every
      // earlier one that was going to come has come.
      await raw.write(frameBytes((w) => w.writeCommand("PING", encodePing(0, bytes("last")))));
      await waitFor(
        () =>
          raw.commands.some((c) =>
            c.name === "PONG" && new TextDecoder().decode(c.data) === "last"
          ),
        "the PONG to the last PING",
      );
      const pongs = raw.commands.filter((c) => c.name === "PONG").length;
      assert.ok(pongs < pings / 10, `${pongs} PONGs for ${pings} PINGs`);
      assert.equal(log.count("protocol:error"), 0);
      // The connection and the socket still work.
      await raw.write(frameBytes((w) => w.writeMessage(["after the flood"])));
      assert.deepEqual(texts(await within(pull.receive(), "the raw peer's message")), [
        "after the flood",
      ]);
      good.connect(pull.lastEndpoint!);
      await good.send("good");
      assert.deepEqual(texts(await within(pull.receive(), "the good peer's message")), ["good"]);
    } finally {
      await raw.dispose();
    }
  } finally {
    await closeAll(good, pull);
  }
});

Deno.test("limits: a peer that never reads its replies is not read further", async () => {
  const rep = new Reply({ sendHighWaterMark: 10, receiveHighWaterMark: 10 });
  try {
    const log = new EventLog(rep);
    await rep.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(rep.lastEndpoint!, { reading: false });
    try {
      await raw.write(handshakeBytes("DEALER"));
      await log.wait("handshake");
      const requests = 5_000;
      const body = new Uint8Array(1024);
      const sending = (async () => {
        for (let i = 0; i < requests; i++) {
          await raw.write(frameBytes((w) => w.writeMessage(["", String(i), body])));
        }
      })();
      const reply = new Uint8Array(16 * 1024);
      let served = 0;
      const serve = async () => {
        for (;;) {
          // A request within 500 ms, or the server has stopped reading this peer.
          if (!(await rep.readable({ timeoutMs: 500 }))) return;
          const [index] = await rep.receive();
          await rep.send([index, reply]);
          served++;
        }
      };
      await serve();
      // Before any limit, kernel buffers (a few MB) and the two 10-message
      // queues: far fewer than all the requests.
      assert.ok(served < requests, `served all ${served} requests to a peer that never reads`);
      // Once the peer reads, it is served again, and nothing was lost.
      raw.startReading();
      const serving = (async () => {
        while (served < requests) {
          const [index] = await within(rep.receive(), `request ${served}`);
          await rep.send([index, reply]);
          served++;
        }
      })();
      await within(sending, "the raw peer's requests to be taken");
      await within(serving, "every request to be served");
      await waitFor(() => raw.messages.length === requests, `${requests} replies`);
      assert.deepEqual(
        raw.messages.map((m) => new TextDecoder().decode(m[1])),
        [...Array(requests).keys()].map(String),
      );
    } finally {
      await raw.dispose();
    }
  } finally {
    await rep.close();
  }
});

Deno.test("limits: a huge message frame before READY is refused from its header", async () => {
  const pull = new Pull();
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      // Greeting, then a 2^31 - 1 byte message frame instead of READY; no body follows.
      await raw.write(concat(encodeGreeting(), longHeader(0x02, 0x7f, 0xff, 0xff, 0xff)));
      const error = await log.wait("handshake:error", 1, raw.address);
      assert.match(error.reason ?? "", /message frame before READY/);
      await raw.waitEnded();
    } finally {
      await raw.dispose();
    }
  } finally {
    await pull.close();
  }
});

Deno.test("limits: a huge command is refused from its header, before READY and after", async () => {
  const pull = new Pull(); // maxMessageSize -1: no limit on messages
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const early = await RawPeer.connect(pull.lastEndpoint!);
    const late = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await early.write(concat(encodeGreeting(), longHeader(0x06, 0x7f, 0xff, 0xff, 0xff)));
      const refused = await log.wait("handshake:error", 1, early.address);
      assert.match(
        refused.reason ?? "",
        /command frame of 2147483647 bytes exceeds the command limit/,
      );
      await late.write(concat(handshakeBytes("PUSH"), longHeader(0x06, 0x00, 0x10, 0x00, 0x00)));
      const dropped = await log.wait("protocol:error", 1, late.address);
      assert.match(
        dropped.reason ?? "",
        /command frame of 1048576 bytes exceeds the command limit/,
      );
      await early.waitEnded();
      await late.waitEnded();
    } finally {
      await early.dispose();
      await late.dispose();
    }
  } finally {
    await pull.close();
  }
});

Deno.test("limits: a maxMessageSize smaller than a READY still lets handshakes through", async () => {
  const pull = new Pull({ maxMessageSize: 5 });
  const push = new Push();
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    push.connect(pull.lastEndpoint!);
    await within(push.send("12345"), "a send, which needs a handshake first");
    assert.deepEqual(texts(await within(pull.receive(), "a message at the limit")), ["12345"]);
    await push.send("123456");
    const error = await log.wait("protocol:error");
    assert.match(error.reason ?? "", /exceeds the maximum message size of 5/);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("limits: a connection that failed is not sent to while its ERROR goes out", async () => {
  const push = new Push();
  const pull = new Pull();
  try {
    const log = new EventLog(push);
    await push.bind("tcp://127.0.0.1:0");
    pull.connect(push.lastEndpoint!);
    await log.wait("handshake");
    const raw = await RawPeer.connect(push.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PULL"));
      await log.wait("handshake", 2);
      // The moment the raw peer's connection fails, send: round robin must
      // skip it, though it stays open a few ms to let its ERROR go out.
      const sends: Promise<void>[] = [];
      push.events.on("protocol:error", () => {
        for (let i = 0; i < 10; i++) sends.push(push.send(String(i)));
      });
      await raw.write(new Uint8Array([0xf0, 0x13, 0x37])); // reserved flag bits
      await log.wait("protocol:error", 1, raw.address);
      await within(Promise.all(sends), "the sends");
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(texts(await within(pull.receive(), `message ${i}`)), [String(i)]);
      }
      await raw.waitEnded();
      assert.equal(raw.messages.length, 0, "messages went into the failed connection");
    } finally {
      await raw.dispose();
    }
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("limits: XPUB holds at most receiveHighWaterMark notices per peer; a flooding one waits", async () => {
  const xpub = new XPublisher({ receiveHighWaterMark: 10 });
  try {
    const log = new EventLog(xpub);
    await xpub.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(xpub.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("SUB"));
      await log.wait("handshake");
      // 30,000 distinct 1 KiB subscriptions: 30 MB, well past what the
      // kernel buffers between us, while nobody reads the XPUB.
      const count = 30_000;
      const writer = new FrameWriter();
      for (let i = 0; i < count; i++) {
        const frame = new Uint8Array(1025);
        frame[0] = 1;
        frame.set(bytes(String(i).padStart(8, "0")), 1);
        writer.writeMessage([frame]);
      }
      const flood = writer.take().slice();
      const writing = raw.write(flood);
      const written = await settled(() => raw.written, 300);
      assert.ok(written < flood.length, "the XPUB read all 30 MB of subscriptions unasked");
      // Reading lets it through, every notice once and in order.
      for (let i = 0; i < count; i++) {
        const [frame] = await within(xpub.receive(), `notice ${i}`);
        assert.equal(new TextDecoder().decode(frame.subarray(1, 9)), String(i).padStart(8, "0"));
      }
      await within(writing, "the flood to be taken");
    } finally {
      await raw.dispose();
    }
  } finally {
    await xpub.close();
  }
});

Deno.test("limits: the greeting's as-server flag is 0 on both sides (NULL, RFC 37)", async () => {
  const pull = new Pull();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const push = new Push();
  try {
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await waitFor(() => raw.greeting !== null, "the binding side's greeting");
      assert.equal(raw.greeting!.asServer, false, "the binding side claims as-server");
    } finally {
      await raw.dispose();
    }
    push.connect(`tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
    const conn = await listener.accept();
    try {
      const greeting = new Uint8Array(64);
      let at = 0;
      while (at < 64) at += (await conn.read(greeting.subarray(at))) ?? 64;
      assert.equal(greeting[32], 0, "the connecting side claims as-server");
    } finally {
      conn.close();
    }
  } finally {
    listener.close();
    await closeAll(push, pull);
  }
});

Deno.test("limits: a ZMTP 3.0 peer is not sent PINGs (they came with 3.1)", async () => {
  const pull = new Pull({ heartbeatInterval: 30, heartbeatTimeout: 150 });
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const old = await RawPeer.connect(pull.lastEndpoint!);
    const current = await RawPeer.connect(pull.lastEndpoint!);
    try {
      const greeting30 = encodeGreeting();
      greeting30[11] = 0; // minor version 0
      await old.write(concat(greeting30, handshakeBytes("PUSH").subarray(64)));
      await current.write(handshakeBytes("PUSH"));
      await log.wait("handshake", 2);
      // Both stay silent: the 3.1 peer is pinged and dropped for it...
      const dropped = await log.wait("protocol:error", 1, current.address);
      assert.match(dropped.reason ?? "", /heartbeat timeout/);
      // ...while the 3.0 peer got no PING, and is still connected.
      assert.ok(current.commands.some((c) => c.name === "PING"));
      assert.equal(old.commands.filter((c) => c.name === "PING").length, 0);
      assert.equal(log.count("protocol:error", old.address), 0);
      assert.equal(old.isEnded, false);
    } finally {
      await old.dispose();
      await current.dispose();
    }
  } finally {
    await pull.close();
  }
});

/** A long (8-byte size) frame header with `flags` and the low four size bytes. */
function longHeader(flags: number, b5: number, b6: number, b7: number, b8: number): Uint8Array {
  return new Uint8Array([flags, 0, 0, 0, 0, b5, b6, b7, b8]);
}
