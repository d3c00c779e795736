/**
 * Socket traffic counters (core/sockets/traffic.ts): messages per peer,
 * bytes as the transport carried them, over every transport; and the
 * observer that learns of each new socket.
 *
 * @module
 */
import assert from "node:assert/strict";
import { observeNewSockets, Pull, Push, type Socket, Subscriber, XPublisher } from "../../mod.ts";
import { closeAll, subscriptionSeen, TRANSPORTS, waitFor } from "./helpers.ts";

const MESSAGES = 200;
const BODY = new Uint8Array(100);

for (const transport of TRANSPORTS) {
  Deno.test(`traffic over ${transport.name}: messages counted once each way, bytes as written and read`, async () => {
    const pull = new Pull({ linger: 0 });
    const push = new Push({ linger: 0 });
    try {
      await pull.bind(transport.bindEndpoint());
      push.connect(pull.lastEndpoint!);
      for (let i = 0; i < MESSAGES; i++) await push.send(["topic", BODY]);
      for (let i = 0; i < MESSAGES; i++) await pull.receive();
      assert.equal(push.traffic.messagesSent, MESSAGES);
      assert.equal(pull.traffic.messagesReceived, MESSAGES);
      assert.equal(push.traffic.messagesReceived, 0);
      assert.equal(pull.traffic.messagesSent, 0);
      // Each side's bytes are what the other read: greeting, handshake and frames alike.
      await waitFor(
        () =>
          pull.traffic.bytesReceived === push.traffic.bytesSent &&
          push.traffic.bytesReceived === pull.traffic.bytesSent,
        `bytes to match (push ${JSON.stringify(push.traffic)}, pull ${
          JSON.stringify(pull.traffic)
        })`,
      );
      // 200 × (5 + 100 bytes of frames + 2 frame headers), plus the handshake.
      assert.ok(push.traffic.bytesSent >= MESSAGES * 109, String(push.traffic.bytesSent));
      assert.ok(push.traffic.bytesSent < MESSAGES * 109 + 1024, String(push.traffic.bytesSent));
    } finally {
      await closeAll(push, pull);
    }
  });
}

Deno.test("traffic: a PUB counts a message once per subscriber it went to, a SUB its subscription", async () => {
  const pub = new XPublisher({ linger: 0, verbose: true });
  const subs = [new Subscriber({ linger: 0 }), new Subscriber({ linger: 0 })];
  try {
    await pub.bind("tcp://127.0.0.1:0");
    for (const sub of subs) {
      sub.connect(pub.lastEndpoint!);
      sub.subscribe("odom");
      await subscriptionSeen(pub, "odom");
    }
    await pub.send(["odom", "1"]);
    await pub.send(["other", "nobody wants this"]);
    for (const sub of subs) await sub.receive();
    assert.equal(pub.traffic.messagesSent, 2);
    assert.equal(pub.traffic.messagesReceived, 2, "an XPUB hands the subscriptions to its user");
    for (const sub of subs) {
      assert.equal(sub.traffic.messagesReceived, 1);
      assert.equal(sub.traffic.messagesSent, 1, "the subscription went as a message");
    }
  } finally {
    await closeAll(...subs, pub);
  }
});

Deno.test("observeNewSockets: every socket made while installed, none after", async () => {
  const seen: Socket[] = [];
  const stop = observeNewSockets((socket) => seen.push(socket));
  const push = new Push();
  const pull = new Pull();
  stop();
  const later = new Push();
  try {
    assert.deepEqual(seen, [push, pull]);
    assert.deepEqual(seen.map((s) => s.type), ["PUSH", "PULL"]);
  } finally {
    await closeAll(push, pull, later);
  }
});
