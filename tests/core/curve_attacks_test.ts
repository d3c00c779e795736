/**
 * CURVE under attack: a client with the wrong server key, a client whose
 * key the server does not allow, a box altered on the wire, a box replayed,
 * and handshakes cut short or tampered with. Each closes only the
 * connection it came on, with the reason in the log and in a monitor event,
 * while a well-behaved client on the same server carries on.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Authenticator, Pull, Push, type SocketEvent, z85Decode } from "../../mod.ts";
import { curveClient, encodeGreeting, FrameWriter, loadCurveCrypto } from "../../core/zmtp/mod.ts";
import { EventLog, RawPeer, texts } from "./helpers.ts";
import { keyPair, LogRecorder, type Rewrite, TamperingProxy } from "./security_helpers.ts";

const server = await keyPair();
const good = await keyPair();
const serverOptions = { curveServer: true, curveSecretKey: server.secretKey, linger: 0 };

/**
 * A CURVE PULL server with one good client already talking to it; `attack`
 * runs against it, then the good client must still get through.
 */
async function withServer(
  attack: (
    context: { pull: Pull; endpoint: string; events: EventLog; logs: LogRecorder },
  ) => Promise<void>,
): Promise<void> {
  const logs = await LogRecorder.start();
  const pull = new Pull(serverOptions);
  const events = new EventLog(pull);
  const goodPush = new Push({
    curveServerKey: server.publicKey,
    curveSecretKey: good.secretKey,
    linger: 0,
  });
  try {
    await pull.bind("tcp://127.0.0.1:0");
    goodPush.connect(pull.lastEndpoint!);
    await goodPush.send("before");
    assert.deepEqual(texts(await pull.receive()), ["before"]);
    await attack({ pull, endpoint: pull.lastEndpoint!, events, logs });
    await goodPush.send("after");
    assert.deepEqual(texts(await pull.receive()), ["after"], "the good client carries on");
  } finally {
    await goodPush.close();
    await pull.close();
    await logs.stop();
  }
}

/** The failure event for `address` and the log line with the same reason. */
async function refusal(
  events: EventLog,
  logs: LogRecorder,
  type: "handshake:error" | "protocol:error",
  reason: RegExp,
): Promise<SocketEvent> {
  const event = await events.wait(type);
  assert.match(event.reason ?? "", reason);
  await logs.waitFor(new RegExp(`closing connection ${escape(event.address)}: .*${reason.source}`));
  return event;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("curve attack: a client with the wrong server key is closed at its HELLO", async () => {
  await withServer(async ({ endpoint, events, logs }) => {
    const impostor = await keyPair();
    const push = new Push({ curveServerKey: impostor.publicKey, linger: 0 });
    try {
      push.connect(endpoint);
      await refusal(events, logs, "handshake:error", /HELLO box did not open/);
    } finally {
      await push.close();
    }
  });
});

Deno.test("curve attack: a client key the authenticator does not allow gets ERROR 400", async () => {
  const auth = new Authenticator({ curve: { allow: [good.publicKey] } });
  await auth.start();
  try {
    await withServer(async ({ endpoint, events, logs }) => {
      const stranger = await keyPair();
      const push = new Push({
        curveServerKey: server.publicKey,
        curveSecretKey: stranger.secretKey,
        linger: 0,
      });
      const pushEvents = new EventLog(push);
      try {
        push.connect(endpoint);
        await refusal(events, logs, "handshake:error", /refused by the ZAP handler: 400/);
        await logs.waitFor(
          new RegExp(
            `auth: refused CURVE client .*${escape(stranger.publicKey)} is not in the allow list`,
          ),
        );
        const told = await pushEvents.wait("handshake:error");
        assert.match(
          told.reason ?? "",
          /CURVE server refused: 400 \(the server's ZAP handler refused our key\)/,
        );
      } finally {
        await push.close();
      }
    });
  } finally {
    await auth.close();
  }
});

/** A client that talks to the server through a proxy rewriting what it sends. */
async function throughProxy(
  endpoint: string,
  rewrite: Rewrite,
  run: (push: Push) => Promise<void>,
) {
  const proxy = await TamperingProxy.start(endpoint, rewrite);
  const push = new Push({ curveServerKey: server.publicKey, linger: 0, reconnectInterval: 60_000 });
  try {
    push.connect(proxy.endpoint);
    await run(push);
  } finally {
    await push.close();
    await proxy.close();
  }
}

Deno.test("curve attack: a box altered on the wire closes its connection and is not delivered", async () => {
  await withServer(async ({ pull, endpoint, events, logs }) => {
    const flipLastByte: Rewrite = (frames, index) => {
      if (index !== 0) return [frames];
      const altered = frames[0].slice();
      altered[altered.length - 1] ^= 0x01;
      return [[altered]];
    };
    await throughProxy(endpoint, flipLastByte, async (push) => {
      await push.send("tampered");
      await refusal(events, logs, "protocol:error", /a MESSAGE box did not open/);
      assert.equal(pull.readableNow, false, "the altered box must not be delivered");
    });
  });
});

Deno.test("curve attack: a replayed box (a nonce seen before) closes its connection, delivered once", async () => {
  await withServer(async ({ pull, endpoint, events, logs }) => {
    const sendTwice: Rewrite = (frames, index) => index === 0 ? [frames, frames] : [frames];
    await throughProxy(endpoint, sendTwice, async (push) => {
      await push.send("once");
      assert.deepEqual(texts(await pull.receive()), ["once"]);
      await refusal(
        events,
        logs,
        "protocol:error",
        /MESSAGE nonce 3 is not above the last one \(3\)/,
      );
      // The copy came right behind the original on the same connection: had
      // it been taken, it would be queued by now.
      assert.equal(pull.readableNow, false, "the replayed copy must not be delivered");
    });
  });
});

/** Greeting and commands as a CURVE client would frame them. */
function clientBytes(build: (writer: FrameWriter) => void, greeting = true): Uint8Array {
  const writer = new FrameWriter();
  if (greeting) writer.writeRaw(encodeGreeting("CURVE", false));
  build(writer);
  return writer.take().slice();
}

Deno.test("curve attack: a truncated HELLO is refused for its size", async () => {
  await withServer(async ({ endpoint, events, logs }) => {
    const raw = await RawPeer.connect(endpoint);
    try {
      await raw.write(clientBytes((w) => w.writeCommand("HELLO", new Uint8Array(100))));
      await refusal(events, logs, "handshake:error", /HELLO of 106 bytes; CurveZMQ's is 200/);
      await raw.waitEnded();
    } finally {
      await raw.dispose();
    }
  });
});

Deno.test("curve attack: a connection cut in the middle of its HELLO is closed with that reason", async () => {
  await withServer(async ({ endpoint, events, logs }) => {
    const raw = await RawPeer.connect(endpoint);
    const hello = clientBytes((w) => w.writeCommand("HELLO", new Uint8Array(194)));
    await raw.write(hello.subarray(0, 64 + 100));
    raw.close();
    await refusal(events, logs, "handshake:error", /peer closed during handshake/);
    await raw.dispose();
  });
});

/** Runs a real client session over a raw connection up to the INITIATE it would send. */
async function initiateOver(raw: RawPeer): Promise<Uint8Array> {
  const crypto = await loadCurveCrypto();
  const stranger = crypto.keyPair();
  const session = curveClient(crypto, { ...stranger, serverKey: z85Decode(server.publicKey) })
    .start({ server: false, metadata: { "Socket-Type": "PUSH" } });
  const hello = session.begin().send[0];
  await raw.write(clientBytes((w) => w.writeCommand(hello.name, hello.data)));
  const welcome = await raw.waitForCommand("WELCOME");
  return session.receive(welcome).send[0].data;
}

Deno.test("curve attack: a truncated INITIATE is refused for its size", async () => {
  await withServer(async ({ endpoint, events, logs }) => {
    const raw = await RawPeer.connect(endpoint);
    try {
      const initiate = await initiateOver(raw);
      await raw.write(
        clientBytes((w) => w.writeCommand("INITIATE", initiate.subarray(0, 200)), false),
      );
      await refusal(
        events,
        logs,
        "handshake:error",
        /INITIATE of 209 bytes; CurveZMQ's is at least 257/,
      );
      await raw.waitEnded();
    } finally {
      await raw.dispose();
    }
  });
});

Deno.test("curve attack: an INITIATE with an altered cookie is refused", async () => {
  await withServer(async ({ endpoint, events, logs }) => {
    const raw = await RawPeer.connect(endpoint);
    try {
      const initiate = (await initiateOver(raw)).slice();
      initiate[20] ^= 0x80;
      await raw.write(clientBytes((w) => w.writeCommand("INITIATE", initiate), false));
      await refusal(events, logs, "handshake:error", /does not carry the cookie of our WELCOME/);
      await raw.waitEnded();
      // CURVE never answers a box that does not open: no ERROR went back.
      assert.ok(!raw.commands.some((c) => c.name === "ERROR"), "no ERROR for a bad box");
    } finally {
      await raw.dispose();
    }
  });
});
