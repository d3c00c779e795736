/**
 * ZTL's object channel (ObjectPublisher / ObjectSubscriber) in JSON and
 * msgpack, both ways against a Python peer on pyzmq, and pickle refused.
 */
import assert from "node:assert/strict";
import {
  ObjectPublisher,
  ObjectSubscriber,
  parseObjectEncoding,
  PickleRefusedError,
} from "../../core/tasks/objects.ts";
import { PYTHON, pythonZmqMissing, repoPath, resultOf } from "./helpers.ts";
import { run, spawn, zedge } from "./processes.ts";

const PEER = repoPath("tests/peers/python/ztl_objects.py");
const missing = await pythonZmqMissing();

function needPeer(): void {
  if (missing !== undefined) throw new Error(`the object channel tests need pyzmq: ${missing}`);
}

/** ZTL's simple publisher's object, as the Python peer sends it. */
const sample = (count: number) => ({ one: 1, more: 2, count });

for (const encoding of ["json", "msgpack"] as const) {
  Deno.test(`objects: a Python ObjectPublisher reaches a zedge ObjectSubscriber (${encoding})`, async () => {
    needPeer();
    const peer = spawn(PYTHON, [PEER, "publish", "/data", encoding]);
    const [, endpoint] = await peer.waitFor(/LISTENING (\S+)/);
    const subscriber = new ObjectSubscriber({ endpoint, scope: "/data", encoding });
    try {
      const first = await subscriber.receive();
      const second = await subscriber.receive();
      assert.equal(first.scope, "/data");
      assert.deepEqual(first.data, sample((first.data as { count: number }).count));
      assert.equal(
        (second.data as { count: number }).count,
        (first.data as { count: number }).count + 1,
      );
    } finally {
      subscriber.close();
      await peer.stop();
    }
  });

  Deno.test(`objects: a zedge ObjectPublisher reaches a Python ObjectSubscriber (${encoding})`, async () => {
    needPeer();
    const publisher = new ObjectPublisher({
      endpoint: "tcp://127.0.0.1:0",
      scope: "/odom",
      encoding,
    });
    await publisher.start();
    const object = { x: 1.5, name: "base", tags: ["a", "b"], nested: { ok: true, none: null } };
    // PUB drops what goes out before the subscription arrives: publish until the peer has it.
    let publishing = true;
    const loop = (async () => {
      while (publishing) {
        await publisher.publish(object);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const peer = await run(PYTHON, [
        PEER,
        "subscribe",
        publisher.endpoint!,
        "/odom",
        encoding,
        "2",
      ]);
      assert.equal(peer.code, 0, peer.stderr);
      assert.deepEqual(resultOf(peer.stdout), [
        { scope: "/odom", data: object },
        { scope: "/odom", data: object },
      ] as unknown as Record<string, unknown>);
    } finally {
      publishing = false;
      await loop;
      publisher.close();
    }
  });
}

Deno.test("objects: a pickled object (ZTL's encoding) is dropped, saying why", async () => {
  needPeer();
  const peer = spawn(PYTHON, [PEER, "publish", "/data", "pickle"]);
  const [, endpoint] = await peer.waitFor(/LISTENING (\S+)/);
  const refused = Promise.withResolvers<Error>();
  const subscriber = new ObjectSubscriber({
    endpoint,
    scope: "/data",
    encoding: "msgpack",
    onInvalid: (error) => refused.resolve(error),
  });
  const received = subscriber.receive().then(() => "received", () => "closed");
  try {
    const error = await refused.promise;
    assert.ok(error instanceof PickleRefusedError);
    assert.match(error.message, /unpickling runs code/);
  } finally {
    subscriber.close();
    await peer.stop();
  }
  assert.equal(await received, "closed", "nothing pickled ever reaches the caller");
  assert.throws(() => parseObjectEncoding("pickle"), PickleRefusedError);
});

Deno.test("objects: simple-publisher and simple-subscriber log ZTL's lines; pickle is refused with the reason", async () => {
  const publisher = spawn(Deno.execPath(), [
    "run",
    "-A",
    repoPath("cli/main.ts"),
    "simple-publisher",
    "-b",
    "tcp://127.0.0.1:0",
    "-s",
    "/data",
    "--encoding",
    "msgpack",
    "--interval",
    "0.05",
  ]);
  try {
    const [, endpoint] = await publisher.waitFor(/listening at '(\S+)' \(msgpack\)/);
    await publisher.waitFor(
      /^INFO:simple-pub:Publishing data: \{'one': 1, 'more': 2, 'count': 0\}\.\.\.$/m,
    );
    const subscriber = await zedge([
      "simple-subscriber",
      "-e",
      endpoint,
      "-s",
      "/data",
      "--encoding",
      "msgpack",
      "--count",
      "2",
    ]);
    assert.equal(subscriber.code, 0, subscriber.stderr);
    const lines = subscriber.stderr.split("\n").filter((l) => l.includes("Received"));
    assert.equal(lines.length, 2, subscriber.stderr);
    assert.match(
      lines[0],
      /^INFO:simple-sub:Received data: \{'one': 1, 'more': 2, 'count': \d+\}\.\.\.$/,
    );
  } finally {
    await publisher.stop();
  }
  const pickle = await zedge([
    "simple-subscriber",
    "-p",
    "7790",
    "-s",
    "/d",
    "--encoding",
    "pickle",
  ]);
  assert.equal(pickle.code, 2);
  assert.match(pickle.stderr, /pickle is refused: unpickling runs code/);
});
