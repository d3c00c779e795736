/**
 * CURVE between zedge sockets: every pattern over every transport, what the
 * wire shows, heartbeats and subscriptions inside the boxes, the options'
 * rules, and the handshake failures that are configuration mistakes (two
 * clients, a client without the server's key).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Dealer,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  type Socket,
  Subscriber,
  z85Decode,
} from "../../mod.ts";
import {
  closeAll,
  delay,
  EventLog,
  PROBE,
  receiveSkippingProbes,
  syncSubscriber,
  text,
  texts,
  throwsWithCode,
  TRANSPORTS,
} from "./helpers.ts";
import { keyPair } from "./security_helpers.ts";

const server = await keyPair();
const client = await keyPair();
const serverOptions = { curveServer: true, curveSecretKey: server.secretKey, linger: 0 };
const clientOptions = {
  curveServerKey: server.publicKey,
  curveSecretKey: client.secretKey,
  linger: 0,
};

for (const transport of TRANSPORTS) {
  Deno.test(`curve [${transport.name}]: REQ/REP, PUSH/PULL, DEALER/ROUTER carry multipart messages`, async () => {
    const rep = new Reply(serverOptions);
    const req = new Request(clientOptions);
    const pull = new Pull(serverOptions);
    const push = new Push(clientOptions);
    const router = new Router(serverOptions);
    const dealer = new Dealer({ ...clientOptions, routingId: "dealer-1" });
    try {
      await rep.bind(transport.bindEndpoint());
      req.connect(rep.lastEndpoint!);
      await req.send(["ping", "", new Uint8Array(300)]);
      const request = await rep.receive();
      assert.deepEqual(request.map((f) => f.length), [4, 0, 300]);
      await rep.send("pong");
      assert.deepEqual(texts(await req.receive()), ["pong"]);

      await pull.bind(transport.bindEndpoint());
      push.connect(pull.lastEndpoint!);
      const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
      await push.send(["a", big]);
      await push.send("b");
      const [a, bigReceived] = await pull.receive();
      assert.equal(text(a), "a");
      assert.deepEqual(bigReceived, big);
      assert.deepEqual(texts(await pull.receive()), ["b"]);

      await router.bind(transport.bindEndpoint());
      dealer.connect(router.lastEndpoint!);
      await dealer.send(["hello", "router"]);
      const [id, ...body] = await router.receive();
      assert.equal(text(id), "dealer-1");
      assert.deepEqual(texts(body), ["hello", "router"]);
      await router.send([id, "back"]);
      assert.deepEqual(texts(await dealer.receive()), ["back"]);
    } finally {
      await closeAll(req, rep, push, pull, dealer, router);
    }
  });
}

Deno.test("curve: PUB/SUB filters on subscriptions that travel inside the boxes", async () => {
  const pub = new Publisher(serverOptions);
  const sub = new Subscriber(clientOptions);
  try {
    await pub.bind("tcp://127.0.0.1:0");
    sub.subscribe("A");
    sub.subscribe(PROBE);
    sub.connect(pub.lastEndpoint!);
    await syncSubscriber((frames) => pub.send(frames), sub);
    await pub.send(["B", "filtered"]);
    await pub.send(["A", "delivered"]);
    const got = await receiveSkippingProbes(sub);
    assert.deepEqual(texts(got), ["A", "delivered"]);
  } finally {
    await closeAll(pub, sub);
  }
});

Deno.test("curve: heartbeats are boxed too and keep an idle link alive", async () => {
  const pull = new Pull({ ...serverOptions, heartbeatInterval: 20, heartbeatTimeout: 200 });
  const push = new Push({ ...clientOptions, heartbeatInterval: 20, heartbeatTimeout: 200 });
  const pullEvents = new EventLog(pull);
  try {
    await pull.bind("tcp://127.0.0.1:0");
    push.connect(pull.lastEndpoint!);
    await pullEvents.wait("handshake");
    // Three heartbeat timeouts with no traffic but heartbeats (an absence,
    // so it takes a wait): PINGs and PONGs went both ways in boxes — a
    // clear PING would have closed the link as a protocol error, a lost one
    // by its timeout.
    await delay(600);
    await push.send("still here");
    assert.deepEqual(texts(await pull.receive()), ["still here"]);
    assert.equal(pullEvents.count("disconnect"), 0, pullEvents.types().join(", "));
    assert.equal(pullEvents.count("protocol:error"), 0);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("curve: the wire shows no plaintext, only MESSAGE boxes", async () => {
  const pull = new Pull(serverOptions);
  try {
    await pull.bind("tcp://127.0.0.1:0");
    // Our own client, over a relay that records what the client sends.
    const tap: Uint8Array[] = [];
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const relay = (async () => {
      const inbound = await listener.accept();
      const outbound = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(pull.lastEndpoint!.split(":").pop()),
      });
      const pump = async (from: Deno.Conn, to: Deno.Conn, record: boolean) => {
        const buffer = new Uint8Array(65536);
        try {
          for (;;) {
            const n = await from.read(buffer);
            if (n === null) break;
            if (record) tap.push(buffer.slice(0, n));
            await to.write(buffer.subarray(0, n));
          }
        } catch { /* closed */ }
        try {
          to.close();
        } catch { /* closed */ }
      };
      await Promise.all([pump(inbound, outbound, true), pump(outbound, inbound, false)]);
    })();
    const push = new Push(clientOptions);
    push.connect(`tcp://127.0.0.1:${port}`);
    await push.send("the secret plan");
    assert.deepEqual(texts(await pull.receive()), ["the secret plan"]);
    await push.close();
    listener.close();
    await relay;
    const wire = new TextDecoder("latin1").decode(
      new Uint8Array(tap.flatMap((chunk) => [...chunk])),
    );
    assert.ok(wire.includes("CURVE"), "the greeting names CURVE");
    assert.ok(wire.includes("\x05HELLO") && wire.includes("\x08INITIATE"));
    assert.ok(wire.includes("\x07MESSAGE"), "frames travel as MESSAGE boxes");
    assert.ok(!wire.includes("the secret plan"), "the payload must not appear in clear");
    assert.ok(!wire.includes("Socket-Type"), "metadata travels inside the INITIATE box");
  } finally {
    await pull.close();
  }
});

Deno.test("curve: a client with no key pair of its own gets one for the socket", async () => {
  const pull = new Pull(serverOptions);
  const push = new Push({ curveServerKey: z85Decode(server.publicKey), linger: 0 });
  try {
    await pull.bind("tcp://127.0.0.1:0");
    push.connect(pull.lastEndpoint!);
    await push.send("keys given as bytes work too");
    assert.deepEqual(texts(await pull.receive()), ["keys given as bytes work too"]);
    assert.equal(push.curveServerKey, server.publicKey, "keys read back as Z85");
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("curve: options that cannot work are refused, naming the options", async () => {
  throwsWithCode(() => new Push({ curveServerKey: "too short" }), "EINVAL");
  throwsWithCode(() => new Push({ curveSecretKey: new Uint8Array(31) }), "EINVAL");
  const both = new Push({ curveServerKey: server.publicKey, plainUsername: "robot" });
  const error = throwsWithCode(() => both.connect("tcp://127.0.0.1:1"), "EINVAL");
  assert.match(error.message, /curveServerKey and plainUsername select two security mechanisms/);
  const noSecret = new Pull({ curveServer: true });
  await assert.rejects(noSecret.bind("tcp://127.0.0.1:0"), /needs curveSecretKey/);
  const mismatched = new Push({
    curveServerKey: server.publicKey,
    curveSecretKey: client.secretKey,
    curvePublicKey: server.publicKey,
  });
  await assert.rejects(
    mismatched.bind("tcp://127.0.0.1:0"),
    /curvePublicKey is not the public key of curveSecretKey/,
  );
  const keysOnly = new Push({ curveSecretKey: client.secretKey });
  throwsWithCode(() => keysOnly.connect("tcp://127.0.0.1:1"), "EINVAL");
  await closeAll(both, noSecret, mismatched, keysOnly);
});

async function failedHandshake(a: Socket, b: Socket): Promise<string> {
  const events = new EventLog(a);
  await a.bind("tcp://127.0.0.1:0");
  b.connect(a.lastEndpoint!);
  const failure = await events.wait("handshake:error");
  return failure.reason ?? "";
}

Deno.test("curve: two clients, or CURVE against NULL, fail at once with the reason", async () => {
  const a = new Pull(clientOptions), b = new Push(clientOptions);
  const c = new Pull(serverOptions), d = new Push({ linger: 0 });
  try {
    assert.match(await failedHandshake(a, b), /both sides are CURVE clients/);
    assert.match(
      await failedHandshake(c, d),
      /peer uses security mechanism NULL; this socket uses CURVE/,
    );
  } finally {
    await closeAll(a, b, c, d);
  }
});
