/**
 * Lifecycle and robustness over TCP, driven by raw `Deno.connect` clients that
 * misbehave on purpose. Every bad peer must lose only its own connection, with
 * a monitor event giving the reason, while the socket and its good peers keep
 * working in the same test. Also: incompatible socket types, reconnect after
 * the bound peer restarts, heartbeats, and high-water marks.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeErrorReason,
  decodePing,
  encodeGreeting,
  encodeMetadata,
  encodePing,
} from "../../core/zmtp/mod.ts";
import {
  Publisher,
  Pull,
  Push,
  type SocketEventType,
  type SocketOptions,
  Subscriber,
  ZmqError,
} from "../../mod.ts";
import {
  bytes,
  closeAll,
  concat,
  EventLog,
  frameBytes,
  handshakeBytes,
  isProbe,
  PROBE,
  RawPeer,
  receiveSkippingProbes,
  rejectsWithCode,
  syncSubscriber,
  text,
  texts,
  waitFor,
  within,
} from "./helpers.ts";

/** A PULL server with one well-behaved PUSH peer, plus a check that both still work. */
class Server {
  readonly pull: Pull;
  readonly log: EventLog;
  readonly good = new Push();
  readonly goodLog: EventLog;
  #sequence = 0;

  private constructor(options: SocketOptions) {
    this.pull = new Pull(options);
    this.log = new EventLog(this.pull);
    this.goodLog = new EventLog(this.good);
  }

  static async start(options: SocketOptions = {}): Promise<Server> {
    const server = new Server(options);
    await server.pull.bind("tcp://127.0.0.1:0");
    server.good.connect(server.pull.lastEndpoint!);
    await server.goodLog.wait("handshake");
    await server.assertWorking();
    return server;
  }

  get endpoint(): string {
    return this.pull.lastEndpoint!;
  }

  /** The good peer's messages still flow and it never lost its connection. */
  async assertWorking(): Promise<void> {
    const tag = `good-${this.#sequence++}`;
    await within(this.good.send(tag), "the good peer's send");
    assert.deepEqual(texts(await within(this.pull.receive(), `good message ${tag}`)), [tag]);
    assert.equal(this.goodLog.count("disconnect"), 0, "the good peer was disconnected");
    assert.equal(this.goodLog.count("handshake"), 1, "the good peer had to reconnect");
  }

  async close(): Promise<void> {
    await closeAll(this.good, this.pull);
  }
}

interface BadPeer {
  name: string;
  options?: SocketOptions;
  /** What the raw client does; resolves once it has misbehaved. */
  act(raw: RawPeer, server: Server): Promise<void>;
  event: SocketEventType;
  reason: RegExp;
  /** The server tells the peer why with an ERROR command before closing. */
  errorCommand?: RegExp;
}

const BAD_PEERS: BadPeer[] = [
  {
    name: "an HTTP client (malformed greeting)",
    act: (raw) => raw.write(bytes("GET / HTTP/1.1\r\nHost: robot\r\n\r\n")),
    event: "handshake:error",
    reason: /bad-signature.*0x47/,
    errorCommand: /bad-signature/,
  },
  {
    name: "a wrong signature (byte 10 without its low bit)",
    act: (raw) => {
      const greeting = encodeGreeting();
      greeting[9] = 0x7e;
      return raw.write(greeting);
    },
    event: "handshake:error",
    reason: /bad-signature/,
  },
  {
    name: "an unknown security mechanism (CURVE)",
    act: (raw) => raw.write(encodeGreeting("CURVE", false)),
    event: "handshake:error",
    reason: /unsupported-mechanism.*CURVE/,
    errorCommand: /CURVE/,
  },
  {
    name: "a ZMTP 2.x peer",
    act: (raw) =>
      raw.write(new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x08, 0x00, 0x00])),
    event: "handshake:error",
    reason: /unsupported-version/,
  },
  {
    name: "a message before READY",
    act: (raw) => raw.write(concat(encodeGreeting(), frameBytes((w) => w.writeMessage(["early"])))),
    event: "handshake:error",
    reason: /message frame before READY/,
  },
  {
    name: "a READY without Socket-Type",
    act: (raw) =>
      raw.write(
        concat(
          encodeGreeting(),
          frameBytes((w) => w.writeCommand("READY", encodeMetadata({ Identity: "" }))),
        ),
      ),
    event: "handshake:error",
    reason: /without a Socket-Type/,
  },
  {
    name: "a READY with truncated metadata",
    act: (raw) =>
      raw.write(
        concat(
          encodeGreeting(),
          frameBytes((w) =>
            w.writeCommand("READY", encodeMetadata({ "Socket-Type": "PUSH" }).subarray(0, 14))
          ),
        ),
      ),
    event: "handshake:error",
    reason: /bad-command/,
  },
  {
    name: "an incompatible socket type (PUB to PULL)",
    act: (raw) => raw.write(handshakeBytes("PUB")),
    event: "handshake:error",
    reason: /PUB cannot talk to PULL/,
    errorCommand: /PUB cannot talk to PULL/,
  },
  {
    name: "an impossible frame length (2^63)",
    act: (raw) =>
      raw.write(concat(handshakeBytes("PUSH"), new Uint8Array([0x02, 0x80, 0, 0, 0, 0, 0, 0, 0]))),
    event: "protocol:error",
    reason: /frame-too-large/,
    errorCommand: /frame-too-large/,
  },
  {
    name: "a message over maxMessageSize",
    options: { maxMessageSize: 1000 },
    act: async (raw, server) => {
      // Exactly the limit is fine and delivered; one byte more is not.
      await raw.write(
        concat(
          handshakeBytes("PUSH"),
          frameBytes((w) => w.writeMessage([new Uint8Array(1000).fill(1)])),
        ),
      );
      const [ok] = await within(server.pull.receive(), "the message at the size limit");
      assert.equal(ok.length, 1000);
      await raw.write(
        frameBytes((w) => w.writeMessage([new Uint8Array(600), new Uint8Array(401)])),
      );
    },
    event: "protocol:error",
    reason: /exceeds the maximum message size of 1000/,
    errorCommand: /maximum message size/,
  },
  {
    name: "garbage after the handshake",
    act: (raw) =>
      raw.write(concat(handshakeBytes("PUSH"), new Uint8Array([0xf0, 0x13, 0x37, 0x00]))),
    event: "protocol:error",
    reason: /bad-flags/,
  },
  {
    name: "a second READY",
    act: (raw) => raw.write(concat(handshakeBytes("PUSH"), handshakeBytes("PUSH").subarray(64))),
    event: "protocol:error",
    reason: /second READY/,
  },
  {
    name: "a peer that stalls mid-greeting",
    options: { handshakeTimeout: 150 },
    act: (raw) => raw.write(encodeGreeting().subarray(0, 10)),
    event: "handshake:error",
    reason: /handshake not done within 150 ms/,
  },
  {
    name: "a peer that stalls after its greeting (no READY)",
    options: { handshakeTimeout: 150 },
    act: (raw) => raw.write(encodeGreeting()),
    event: "handshake:error",
    reason: /handshake not done within 150 ms/,
  },
  {
    name: "a peer that vanishes mid-handshake",
    act: async (raw) => {
      await raw.write(encodeGreeting().subarray(0, 30));
      raw.close();
    },
    event: "handshake:error",
    reason: /peer closed during handshake|read failed/,
  },
  {
    name: "a peer that vanishes after the handshake",
    act: async (raw, server) => {
      await raw.write(
        concat(handshakeBytes("PUSH"), frameBytes((w) => w.writeMessage(["last words"]))),
      );
      assert.deepEqual(texts(await within(server.pull.receive(), "the raw peer's message")), [
        "last words",
      ]);
      raw.close();
    },
    event: "disconnect",
    reason: /peer closed the connection|read failed/,
  },
];

for (const bad of BAD_PEERS) {
  Deno.test(`robustness: ${bad.name} loses only its own connection`, async () => {
    const server = await Server.start(bad.options);
    const raw = await RawPeer.connect(server.endpoint);
    try {
      await server.log.wait("accept", 1, raw.address);
      await bad.act(raw, server);
      const event = await server.log.wait(bad.event, 1, raw.address);
      assert.match(event.reason ?? "", bad.reason);
      await raw.waitEnded(); // the server closed the bad connection
      if (bad.errorCommand) {
        const error = raw.commands.find((c) => c.name === "ERROR");
        assert.ok(error, `no ERROR command; got ${raw.commands.map((c) => c.name).join(", ")}`);
        assert.match(decodeErrorReason(error.data), bad.errorCommand);
      }
      // The events for the bad peer (a peer that was past its handshake is
      // also reported disconnected, as libzmq does), and nothing else went wrong.
      const expected = bad.event === "protocol:error" ? [bad.event, "disconnect"] : [bad.event];
      await server.log.wait(expected.at(-1) as SocketEventType, 1, raw.address);
      const errors = server.log.events.filter((e) =>
        e.type === "handshake:error" || e.type === "protocol:error" || e.type === "disconnect"
      );
      assert.deepEqual(
        errors.map((e) => [e.type, e.address]),
        expected.map((type) => [type, raw.address]),
      );
      await server.assertWorking();
      // And the socket still accepts new peers.
      const late = new Push();
      try {
        late.connect(server.endpoint);
        await late.send("newcomer");
        assert.deepEqual(texts(await within(server.pull.receive(), "the newcomer")), ["newcomer"]);
      } finally {
        await late.close();
      }
      await server.assertWorking();
    } finally {
      await raw.dispose();
      await server.close();
    }
  });
}

Deno.test("robustness: every kind of bad peer at once, while good traffic flows", async () => {
  const server = await Server.start({ handshakeTimeout: 300 });
  const raws: RawPeer[] = [];
  try {
    const pumping = (async () => {
      for (let i = 0; i < 200; i++) await server.good.send(["bulk", String(i)]);
    })();
    const candidates = BAD_PEERS.filter((b) =>
      b.options === undefined || b.options.handshakeTimeout !== undefined
    );
    for (const bad of candidates) {
      const raw = await RawPeer.connect(server.endpoint);
      raws.push(raw);
      // Peers that need the server to read their message first get it from
      // the bulk stream's receiver below, so only the plain ones run here.
      if (bad.name.includes("vanishes after")) {
        await raw.write(handshakeBytes("PUSH"));
        raw.close();
      } else await bad.act(raw, server);
    }
    const received: string[] = [];
    while (received.length < 200) {
      const [kind, index] = texts(await within(server.pull.receive(), "bulk traffic"));
      assert.equal(kind, "bulk");
      received.push(index);
    }
    await pumping;
    assert.deepEqual(received, [...Array(200).keys()].map(String));
    for (const raw of raws) await raw.waitEnded();
    await waitFor(
      () =>
        raws.every((raw) =>
          server.log.events.some((e) =>
            e.address === raw.address &&
            (e.type === "handshake:error" || e.type === "protocol:error" || e.type === "disconnect")
          )
        ),
      "a monitor event for every bad peer",
    );
    await server.assertWorking();
  } finally {
    for (const raw of raws) await raw.dispose();
    await server.close();
  }
});

Deno.test("robustness: PUSH connecting to PUB never completes a handshake; one error per attempt", async () => {
  const pub = new Publisher();
  // immediate: only a peer through its handshake takes a message, and none ever is.
  const push = new Push({ reconnectInterval: 10, sendTimeout: 50, immediate: true });
  try {
    const pubLog = new EventLog(pub);
    const pushLog = new EventLog(push);
    await pub.bind("tcp://127.0.0.1:0");
    push.connect(pub.lastEndpoint!);
    await pubLog.wait("handshake:error", 3);
    await pushLog.wait("handshake:error", 3);
    assert.match(pubLog.of("handshake:error")[0].reason!, /PUSH cannot talk to PUB/);
    assert.match(pushLog.of("handshake:error")[0].reason!, /PUB cannot talk to PUSH|peer refused/);
    await rejectsWithCode(push.send("nobody can take this"), "EAGAIN");
    await push.close();
    // Every attempt the publisher accepted failed exactly once, with one reason
    // (not once for its own check and again for the peer's ERROR or EOF).
    const accepted = pubLog.of("accept").map((e) => e.address);
    await waitFor(
      () => accepted.every((address) => pubLog.count("handshake:error", address) > 0),
      "a handshake:error for every accepted attempt",
    );
    await pub.close();
    for (const address of accepted) {
      assert.equal(pubLog.count("handshake:error", address), 1, address);
    }
    assert.ok(
      pushLog.count("handshake:error") <= pushLog.count("connect"),
      `${pushLog.count("handshake:error")} errors for ${pushLog.count("connect")} attempts`,
    );
    assert.equal(pubLog.count("handshake"), 0);
    assert.equal(pushLog.count("handshake"), 0);
  } finally {
    await closeAll(push, pub);
  }
});

Deno.test("robustness: a raw peer of an incompatible type gets ERROR and no READY-based session", async () => {
  const pub = new Publisher();
  try {
    const log = new EventLog(pub);
    await pub.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pub.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PUSH"));
      const error = await raw.waitForCommand("ERROR");
      assert.match(decodeErrorReason(error.data), /PUSH cannot talk to PUB/);
      await raw.waitEnded();
      // A publish reaches nobody and does not fail.
      await pub.send("into the void");
      assert.equal(raw.messages.length, 0);
      assert.equal(log.count("handshake"), 0);
    } finally {
      await raw.dispose();
    }
  } finally {
    await pub.close();
  }
});

Deno.test("robustness: a connecting socket reconnects after the bound peer restarts on the same port", async () => {
  const first = new Pull();
  let second: Pull | null = null;
  const push = new Push({ reconnectInterval: 20, reconnectMaxInterval: 200 });
  try {
    const log = new EventLog(push);
    await first.bind("tcp://127.0.0.1:0");
    const endpoint = first.lastEndpoint!;
    push.connect(endpoint);
    await push.send("to the first");
    assert.deepEqual(texts(await within(first.receive(), "the first message")), ["to the first"]);
    await first.close();
    await log.wait("disconnect");
    // While the peer is down, retries fail and send() waits.
    await log.wait("connect:retry");
    const pending = push.send("queued while down");
    second = new Pull();
    await second.bind(endpoint);
    await within(pending, "the queued send");
    assert.deepEqual(texts(await within(second.receive(), "the queued message")), [
      "queued while down",
    ]);
    await push.send("to the second");
    assert.deepEqual(texts(await within(second.receive(), "the next message")), ["to the second"]);
    assert.equal(log.count("handshake"), 2);
    assert.equal(log.of("connect").every((e) => e.address === endpoint), true);
  } finally {
    await closeAll(push, first, second);
  }
});

Deno.test("robustness: heartbeats drop a silent peer and keep a responsive one", async () => {
  // A generous timeout: the good peer shares this event loop and must never miss it.
  const server = await Server.start({ heartbeatInterval: 50, heartbeatTimeout: 1000 });
  const raw = await RawPeer.connect(server.endpoint);
  try {
    // The raw peer completes the handshake and then never says anything again.
    await raw.write(handshakeBytes("PUSH"));
    await server.log.wait("handshake", 2);
    const event = await server.log.wait("protocol:error", 1, raw.address);
    assert.match(event.reason!, /no traffic within heartbeat timeout of 1000 ms/);
    await raw.waitEnded();
    const pings = raw.commands.filter((c) => c.name === "PING");
    assert.ok(pings.length >= 1, "the silent peer was pinged");
    assert.equal(decodePing(pings[0].data).ttlMs, 0);
    // The good peer (no heartbeat options of its own) answers PINGs with
    // PONGs. A second silent peer, connected only now, is dropped a whole
    // heartbeat timeout later: by then the good peer has lived through two
    // timeouts' worth of PINGs, and must still be there.
    const second = await RawPeer.connect(server.endpoint);
    try {
      await second.write(handshakeBytes("PUSH"));
      await server.log.wait("protocol:error", 1, second.address);
    } finally {
      await second.dispose();
    }
    assert.equal(server.log.count("protocol:error"), 2);
    await server.assertWorking();
  } finally {
    await raw.dispose();
    await server.close();
  }
});

Deno.test("robustness: a peer's PING TTL closes the link when it falls silent; PONG echoes the context", async () => {
  const server = await Server.start();
  const raw = await RawPeer.connect(server.endpoint);
  try {
    await raw.write(handshakeBytes("PUSH"));
    await server.log.wait("handshake", 2);
    const context = bytes("ctx-42");
    await raw.write(frameBytes((w) => w.writeCommand("PING", encodePing(300, context))));
    const pong = await raw.waitForCommand("PONG");
    assert.deepEqual(pong.data, context);
    const event = await server.log.wait("protocol:error", 1, raw.address);
    assert.match(event.reason!, /heartbeat TTL of 300 ms/);
    await raw.waitEnded();
    await server.assertWorking();
  } finally {
    await raw.dispose();
    await server.close();
  }
});

Deno.test("robustness: any traffic, not only PINGs, keeps a peer's PING TTL from expiring", async () => {
  // The server's own PINGs (every 50 ms) pace the raw peer, which answers
  // each with a message, never with a PONG or a PING of its own.
  const server = await Server.start({ heartbeatInterval: 50, heartbeatTimeout: 5000 });
  const raw = await RawPeer.connect(server.endpoint);
  try {
    let answered = 0;
    raw.onCommand = (command) => {
      if (command.name !== "PING") return;
      answered++;
      raw.write(frameBytes((w) => w.writeMessage([`keepalive ${answered}`])));
    };
    await raw.write(handshakeBytes("PUSH"));
    await server.log.wait("handshake", 2);
    await raw.write(frameBytes((w) => w.writeCommand("PING", encodePing(300, bytes("t")))));
    await raw.waitForCommand("PONG");
    // Twelve PINGs answered: 600 ms or more, two TTLs, on messages alone.
    await waitFor(() => answered >= 12, "twelve PINGs answered with messages");
    assert.equal(server.log.count("protocol:error", raw.address), 0);
    raw.onCommand = null;
    // Then silence: the TTL closes the link.
    const event = await server.log.wait("protocol:error", 1, raw.address);
    assert.match(event.reason!, /heartbeat TTL of 300 ms/);
    await raw.waitEnded();
  } finally {
    await raw.dispose();
    await server.close();
  }
});

Deno.test("robustness: PUSH with sendHighWaterMark 10 waits when its PULL stops reading", async () => {
  const pull = new Pull({ receiveHighWaterMark: 10 });
  const push = new Push({ sendHighWaterMark: 10, sendTimeout: 200 });
  try {
    const log = new EventLog(push);
    await pull.bind("tcp://127.0.0.1:0");
    push.connect(pull.lastEndpoint!);
    await log.wait("handshake");
    const body = new Uint8Array(64 * 1024);
    let sent = 0;
    let error: unknown = null;
    // Kernel buffers absorb a few MB first; the loop bound keeps the test finite.
    for (let i = 0; i < 20_000; i++) {
      try {
        await push.send([String(i), body]);
        sent++;
      } catch (e) {
        error = e;
        break;
      }
    }
    assert.ok(
      error instanceof ZmqError && error.code === "EAGAIN",
      `expected EAGAIN, got ${String(error)}`,
    );
    assert.ok(sent >= 10, `sent only ${sent}`);
    console.log(`PUSH blocked after ${sent} messages of 64 KiB (HWM 10 + kernel buffers)`);
    // Reading again makes room: everything sent arrives, in order, and sending resumes.
    push.sendTimeout = -1;
    const more = push.send([String(sent), body]);
    for (let i = 0; i <= sent; i++) {
      const [index] = await within(pull.receive(), `message ${i}`);
      assert.equal(text(index), String(i));
    }
    await within(more, "the send that waited for room");
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("robustness: PUB drops for a slow subscriber while a fast one gets everything", async () => {
  const pub = new Publisher({ sendHighWaterMark: 10 });
  const fast = new Subscriber();
  const slow = new Subscriber({ receiveHighWaterMark: 10 });
  try {
    await pub.bind("tcp://127.0.0.1:0");
    for (const sub of [fast, slow]) {
      sub.connect(pub.lastEndpoint!);
      sub.subscribe("data", PROBE);
      await syncSubscriber((m) => pub.send(m), sub);
    }
    const total = 400;
    const body = new Uint8Array(64 * 1024);
    for (let i = 0; i < total; i++) {
      await pub.send(["data", String(i), body]); // never waits
      const [, index] = await receiveSkippingProbes(fast);
      assert.equal(text(index), String(i));
    }
    // The slow one (never read so far) kept a prefix and lost much of the rest.
    // Drain it; whenever it runs dry, publish an end marker (which itself is
    // dropped while the publisher still sees that subscriber's queue as full).
    slow.receiveTimeout = 50;
    const got: number[] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      assert.ok(Date.now() < deadline, "the slow subscriber never got the end marker");
      let frames;
      try {
        frames = await slow.receive();
      } catch (error) {
        if (!(error instanceof ZmqError && error.code === "EAGAIN")) throw error;
        await pub.send(["data", "end", bytes("x")]);
        continue;
      }
      if (isProbe(frames)) continue;
      if (text(frames[1]) === "end") break;
      got.push(Number(text(frames[1])));
    }
    console.log(`slow subscriber kept ${got.length} of ${total} messages of 64 KiB`);
    assert.ok(got.length < total, `the slow subscriber got all ${total} messages`);
    assert.equal(got[0], 0, "the first messages found an empty queue and were kept");
    for (let i = 1; i < got.length; i++) assert.ok(got[i] > got[i - 1], "what it kept is in order");
    // Still subscribed and connected: new messages reach it.
    await pub.send(["data", "after", bytes("x")]);
    slow.receiveTimeout = -1;
    for (;;) {
      const frames = await receiveSkippingProbes(slow);
      if (text(frames[1]) === "end") continue; // surplus end markers
      assert.deepEqual(texts(frames), ["data", "after", "x"]);
      break;
    }
  } finally {
    await closeAll(fast, slow, pub);
  }
});
