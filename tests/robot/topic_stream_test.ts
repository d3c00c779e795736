/**
 * The hand-written async generator behind `ctx.subscribe()` behaves as an
 * `async function*` would, over a real PUB → SUB: nothing opened before the
 * first next(); a burst is handed out in order (one wait, then the queue
 * drained); calls made while one waits are served after it, in order;
 * break/return and throw close the SUB once; a closed SUB ends the loop;
 * a failing open rejects the first next() and ends the stream.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Publisher, Subscriber } from "../../mod.ts";
import type { PackedMessage } from "../../core/sockets/inbox.ts";
import { TopicStream } from "../../robot/dataflow/topic_stream.ts";

let unique = 0;

/** A PUB and a stream over a SUB of it (subscribed to "t"), with what the stream did. */
async function setup() {
  const endpoint = `inproc://topic-stream-${Deno.pid}-${++unique}`;
  const pub = new Publisher();
  await pub.bind(endpoint);
  const seen = { opened: 0, closed: 0, sub: null as Subscriber | null };
  const stream = new TopicStream<string>(() => {
    seen.opened++;
    const sub = new Subscriber();
    seen.sub = sub;
    sub.subscribe("t");
    sub.connect(endpoint);
    return Promise.resolve({
      sub,
      accept: (message: PackedMessage) => {
        const text = new TextDecoder().decode(message.frame(1));
        return text === "skip" ? null : text;
      },
      close: () => {
        seen.closed++;
        return sub.close();
      },
    });
  });
  /** Publishes until the stream's SUB is connected and subscribed (the first "ready" arrives). */
  const ready = async () => {
    const first = stream.next();
    for (;;) {
      await pub.send(["t", "ready"]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        first,
        new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 10)),
      ]);
      clearTimeout(timer);
      if (result !== undefined) {
        assert.deepEqual(result, { value: "ready", done: false });
        return;
      }
    }
  };
  return { pub, stream, seen, ready };
}

Deno.test("a topic stream opens at the first next() and hands a burst out in order", async () => {
  const { pub, stream, seen, ready } = await setup();
  try {
    assert.equal(seen.opened, 0, "opened before the first next()");
    await ready();
    assert.equal(seen.opened, 1);
    // Later "ready" copies may be queued: skip them.
    for (let i = 0; i < 100; i++) await pub.send(["t", i === 50 ? "skip" : String(i)]);
    await pub.send(["u", "not subscribed"]);
    await pub.send(["t", "end"]);
    const got: string[] = [];
    for await (const text of stream) {
      if (text === "ready") continue;
      got.push(text);
      if (text === "end") break;
    }
    const expected = Array.from({ length: 100 }, (_, i) => String(i)).filter((t) => t !== "50");
    assert.deepEqual(got, [...expected, "end"]);
    assert.equal(seen.closed, 1, "break closed the SUB once");
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
    assert.equal(seen.closed, 1);
  } finally {
    await pub.close();
  }
});

Deno.test("a topic stream serves calls made while one waits in order, and ends when its SUB closes", async () => {
  const { pub, stream, seen, ready } = await setup();
  try {
    await ready();
    while (seen.sub!.tryReceive() !== undefined); // later "ready" copies
    const first = stream.next();
    const second = stream.next();
    await pub.send(["t", "a"]);
    await pub.send(["t", "b"]);
    assert.deepEqual(await first, { value: "a", done: false });
    assert.deepEqual(await second, { value: "b", done: false });
    // The node stops: its SUB is closed under the loop.
    const waiting = stream.next();
    await seen.sub!.close();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.equal(seen.closed, 1);
  } finally {
    await pub.close();
  }
});

Deno.test("return() before the first next() opens nothing; throw() closes and rejects", async () => {
  const { pub, stream, seen, ready } = await setup();
  let opens = 0;
  const never = new TopicStream<string>(() => {
    opens++;
    return Promise.reject(new Error("opened"));
  });
  try {
    assert.deepEqual(await never.return(), { value: undefined, done: true });
    assert.deepEqual(await never.next(), { value: undefined, done: true });
    assert.equal(opens, 0);
    await ready();
    const error = new Error("stop");
    await assert.rejects(stream.throw(error), (e) => e === error);
    assert.equal(seen.closed, 1);
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  } finally {
    await pub.close();
  }
});

Deno.test("a failing open rejects the first next() and ends the stream", async () => {
  let opens = 0;
  const stream = new TopicStream<string>(() => {
    opens++;
    return Promise.reject(new TypeError("not declared"));
  });
  await assert.rejects(stream.next(), TypeError);
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
  assert.equal(opens, 1);
});
