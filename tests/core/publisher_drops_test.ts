/**
 * PUB's drop count: a message a matching subscriber has no room for (over
 * its sendHighWaterMark) is counted once per such subscriber; a message no
 * subscriber wanted is not counted.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Publisher, Subscriber, XPublisher } from "../../mod.ts";
import { closeAll, subscriptionSeen } from "./helpers.ts";

Deno.test("PUB droppedMessages: counted per subscriber over its high-water mark, not for unwanted messages", async () => {
  const xpub = new XPublisher({ sendHighWaterMark: 2, verbose: true, linger: 0 });
  const subs = [new Subscriber({ linger: 0 }), new Subscriber({ linger: 0 })];
  try {
    await xpub.bind("tcp://127.0.0.1:0");
    for (const sub of subs) {
      sub.connect(xpub.lastEndpoint!);
      sub.subscribe("a");
      await subscriptionSeen(xpub, "a");
    }
    assert.equal(xpub.droppedMessages, 0);
    // Sent in one go, nothing is written in between: each subscriber's queue
    // takes 2, the other 8 are dropped for each.
    for (let i = 0; i < 10; i++) void xpub.send(["a", String(i)]);
    for (let i = 0; i < 5; i++) void xpub.send(["b", String(i)]); // nobody subscribed to b
    assert.equal(xpub.droppedMessages, 16);
    // Both still receive the two that were queued.
    for (const sub of subs) {
      assert.deepEqual((await sub.receive()).map((f) => new TextDecoder().decode(f)), ["a", "0"]);
      assert.deepEqual((await sub.receive()).map((f) => new TextDecoder().decode(f)), ["a", "1"]);
    }
  } finally {
    await closeAll(...subs, xpub);
  }
  const lonely = new Publisher();
  await lonely.send(["a", "nobody"]);
  assert.equal(lonely.droppedMessages, 0);
  await lonely.close();
});
