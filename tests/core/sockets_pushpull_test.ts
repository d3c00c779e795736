/**
 * PUSH/PULL over tcp, ipc and inproc: round robin across pulls, fair queuing
 * across pushes, multipart messages with empty frames.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pull, Push, type Socket, ZmqError } from "../../mod.ts";
import {
  closeAll,
  EventLog,
  freeTcpPort,
  rejectsWithCode,
  text,
  texts,
  throwsWithCode,
  TRANSPORTS,
  waitFor,
  within,
} from "./helpers.ts";

/**
 * Messages received by `socket` but not yet taken by receive(), read from its
 * (protected) inbound fair queue. The socket has no public counter for this;
 * fair queuing can only be observed deterministically once every sender's
 * messages have arrived.
 */
function queuedAt(socket: Socket): number {
  return (socket as unknown as { inbound: { queued: number } }).inbound.queued;
}

/** Binds `pull` at `endpoint`, connects every push to it, and waits for all their handshakes. */
async function bindAndConnect(pull: Pull, pushes: Push[], endpoint: string): Promise<void> {
  await pull.bind(endpoint);
  const logs = pushes.map((p) => new EventLog(p));
  for (const push of pushes) push.connect(pull.lastEndpoint!);
  await Promise.all(logs.map((log) => log.wait("handshake")));
}

for (const transport of TRANSPORTS) {
  Deno.test(`push/pull [${transport.name}]: one push round-robins across two pulls`, async () => {
    const push = new Push();
    const pulls = [new Pull(), new Pull()];
    try {
      const log = new EventLog(push);
      await push.bind(transport.bindEndpoint());
      for (const pull of pulls) pull.connect(push.lastEndpoint!);
      await log.wait("handshake", 2);
      for (let i = 0; i < 10; i++) await push.send(`m${i}`);
      const got: string[][] = [[], []];
      for (let p = 0; p < 2; p++) {
        for (let i = 0; i < 5; i++) {
          got[p].push(text((await within(pulls[p].receive(), "a job"))[0]));
        }
      }
      // Strict alternation: one pull has the even messages, the other the odd ones.
      const evens = ["m0", "m2", "m4", "m6", "m8"];
      const odds = ["m1", "m3", "m5", "m7", "m9"];
      assert.ok(
        (JSON.stringify(got[0]) === JSON.stringify(evens) &&
          JSON.stringify(got[1]) === JSON.stringify(odds)) ||
          (JSON.stringify(got[0]) === JSON.stringify(odds) &&
            JSON.stringify(got[1]) === JSON.stringify(evens)),
        `not round robin: ${JSON.stringify(got)}`,
      );
    } finally {
      await closeAll(...pulls, push);
    }
  });

  Deno.test(`push/pull [${transport.name}]: one pull fair-queues two pushes`, async () => {
    const pull = new Pull();
    const pushes = [new Push(), new Push()];
    try {
      await bindAndConnect(pull, pushes, transport.bindEndpoint());
      for (let i = 0; i < 10; i++) await pushes[0].send(["a", String(i)]);
      for (let i = 0; i < 10; i++) await pushes[1].send(["b", String(i)]);
      await waitFor(() => queuedAt(pull) === 20, "all 20 messages to reach the pull");
      const order: string[] = [];
      for (let i = 0; i < 20; i++) order.push(texts(await pull.receive()).join(""));
      // Both queues were full, so the pull alternates between them, each in order.
      for (let i = 0; i < 20; i += 2) {
        assert.notEqual(order[i][0], order[i + 1][0], `not fair at ${i}: ${order.join(" ")}`);
      }
      assert.deepEqual(
        order.filter((m) => m[0] === "a"),
        [...Array(10).keys()].map((i) => `a${i}`),
      );
      assert.deepEqual(
        order.filter((m) => m[0] === "b"),
        [...Array(10).keys()].map((i) => `b${i}`),
      );
    } finally {
      await closeAll(...pushes, pull);
    }
  });

  Deno.test(`push/pull [${transport.name}]: tryReceive and for await take fair-queued, in each peer's order, without waiting`, async () => {
    const pull = new Pull({ receiveTimeout: 5000 });
    const pushes = [new Push(), new Push()];
    try {
      await bindAndConnect(pull, pushes, transport.bindEndpoint());
      assert.equal(pull.tryReceive(), undefined);
      for (let i = 0; i < 6; i++) await pushes[0].send(["a", String(i)]);
      for (let i = 0; i < 6; i++) await pushes[1].send(["b", String(i)]);
      await waitFor(() => queuedAt(pull) === 12, "all 12 messages to reach the pull");
      // Half drained without a wait, half by for await: the turns carry on.
      const order: string[] = [];
      for (let frames = pull.tryReceive(); frames !== undefined; frames = pull.tryReceive()) {
        order.push(texts(frames).join(""));
        if (order.length === 6) break;
      }
      assert.equal(queuedAt(pull), 6);
      for await (const frames of pull) {
        order.push(texts(frames).join(""));
        if (order.length === 12) break;
      }
      for (let i = 0; i < 12; i += 2) {
        assert.notEqual(order[i][0], order[i + 1][0], `not fair at ${i}: ${order.join(" ")}`);
      }
      for (const name of ["a", "b"]) {
        assert.deepEqual(
          order.filter((m) => m[0] === name),
          [0, 1, 2, 3, 4, 5].map((i) => `${name}${i}`),
        );
      }
      assert.equal(pull.tryReceive(), undefined);
      throwsWithCode(() => pushes[0].tryReceive(), "ENOTSUP");
      // A for await that waits gets the message sent after it started.
      const iterator = pull[Symbol.asyncIterator]();
      const next = iterator.next();
      await pushes[1].send("late");
      assert.equal(text((await within(next, "the late message")).value![0]), "late");
      // Closing ends the iteration; tryReceive says ETERM.
      const ended = iterator.next();
      await pull.close();
      assert.deepEqual(await within(ended, "the end of the iteration"), {
        value: undefined,
        done: true,
      });
      throwsWithCode(() => pull.tryReceive(), "ETERM");
    } finally {
      await closeAll(...pushes, pull);
    }
  });

  Deno.test(`push/pull [${transport.name}]: among 20 peers, the 3 that send take turns; a closed one's messages still arrive`, async () => {
    // The fair queue walks only the peers with something queued: idle ones
    // must not break the rotation, a peer that starts sending later joins it,
    // and one that closed with messages queued is served until drained.
    const pull = new Pull();
    const pushes = Array.from({ length: 20 }, () => new Push());
    try {
      await bindAndConnect(pull, pushes, transport.bindEndpoint());
      const senders = [pushes[3], pushes[11], pushes[17]];
      for (const [s, name] of [[0, "a"], [1, "b"], [2, "c"]] as const) {
        for (let i = 0; i < 4; i++) await senders[s].send([name, String(i)]);
      }
      await waitFor(() => queuedAt(pull) === 12, "all 12 messages to reach the pull");
      await senders[1].close();
      const order: string[] = [];
      for (let i = 0; i < 6; i++) order.push(texts(await pull.receive()).join(""));
      // Two full rounds: each sender once per round of three, in its own order.
      for (const round of [order.slice(0, 3), order.slice(3, 6)]) {
        assert.deepEqual(round.map((m) => m[0]).sort(), ["a", "b", "c"], order.join(" "));
      }
      await pushes[0].send(["d", "0"]);
      await waitFor(() => queuedAt(pull) === 7, "the late sender's message to arrive");
      for (let i = 0; i < 7; i++) order.push(texts(await pull.receive()).join(""));
      for (const name of ["a", "b", "c"]) {
        assert.deepEqual(
          order.filter((m) => m[0] === name),
          [0, 1, 2, 3].map((i) => `${name}${i}`),
          `${name}'s messages, in order, all delivered: ${order.join(" ")}`,
        );
      }
      assert.ok(order.includes("d0"), order.join(" "));
      // The late sender waits at most one round of the others.
      assert.ok(order.indexOf("d0") <= 6 + 3, order.join(" "));
    } finally {
      await closeAll(...pushes, pull);
    }
  });

  Deno.test(`push/pull [${transport.name}]: multipart messages keep empty and large frames`, async () => {
    const pull = new Pull();
    const push = new Push();
    try {
      await pull.bind(transport.bindEndpoint());
      push.connect(pull.lastEndpoint!);
      const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
      const messages: (string | Uint8Array)[][] = [
        ["", "a", "", new Uint8Array(0), "b", ""],
        [""],
        [new Uint8Array(255), new Uint8Array(256), ""],
        ["head", big, "tail"],
      ];
      for (const message of messages) await push.send(message);
      await push.send(new Uint8Array([1, 2, 3]));
      await push.send("single");
      const encode = (f: string | Uint8Array) =>
        typeof f === "string" ? new TextEncoder().encode(f) : f;
      for (const message of messages) {
        assert.deepEqual(await within(pull.receive(), "a multipart message"), message.map(encode));
      }
      assert.deepEqual(await pull.receive(), [new Uint8Array([1, 2, 3])]);
      assert.deepEqual(texts(await pull.receive()), ["single"]);
    } finally {
      await closeAll(push, pull);
    }
  });

  Deno.test(`push/pull [${transport.name}]: immediate: send waits for a peer through its handshake, then delivers`, async () => {
    const endpoint = transport.name === "tcp"
      ? `tcp://127.0.0.1:${freeTcpPort()}`
      : transport.bindEndpoint();
    const pull = new Pull();
    const push = new Push({ reconnectInterval: 10, immediate: true });
    try {
      const log = new EventLog(push);
      push.connect(endpoint);
      await log.wait("connect:retry"); // nothing there yet
      let done = false;
      const sent = push.send("early").then(() => done = true); // waits: no peer
      await log.wait("connect:retry", 2);
      assert.equal(done, false, "send resolved with no peer to queue for");
      await pull.bind(endpoint);
      await within(sent, "send to complete once a peer attaches");
      assert.deepEqual(texts(await within(pull.receive(), "the early message")), ["early"]);
    } finally {
      await closeAll(push, pull);
    }
  });

  Deno.test(`push/pull [${transport.name}]: immediate off (libzmq's default): a connect()ed endpoint queues up to the mark before its peer exists`, async () => {
    const endpoint = transport.name === "tcp"
      ? `tcp://127.0.0.1:${freeTcpPort()}`
      : transport.bindEndpoint();
    const pull = new Pull();
    const push = new Push({ reconnectInterval: 10, sendHighWaterMark: 3, sendTimeout: 0 });
    try {
      assert.equal(push.writableNow, false, "no endpoint yet");
      const log = new EventLog(push);
      push.connect(endpoint);
      assert.equal(push.writableNow, true, "the endpoint is a peer from connect() on");
      await log.wait("connect:retry"); // nothing there yet
      for (const text of ["a", "b", "c"]) await push.send(text); // resolve at once
      // The fourth passes the mark of the endpoint that is not up.
      await assert.rejects(() => push.send("d"), ZmqError, "send timed out");
      await pull.bind(endpoint);
      for (const text of ["a", "b", "c"]) {
        assert.deepEqual(texts(await within(pull.receive(), `queued message ${text}`)), [text]);
      }
      await push.send("after");
      assert.deepEqual(texts(await within(pull.receive(), "a message after")), ["after"]);
    } finally {
      await closeAll(push, pull);
    }
  });
}

Deno.test("push/pull: a high-water mark of 0 means no limit, as in libzmq", async () => {
  const pull = new Pull({ receiveHighWaterMark: 0 });
  const push = new Push({ sendHighWaterMark: 0, sendTimeout: 2000 });
  try {
    await pull.bind("inproc://hwm-zero");
    push.connect(pull.lastEndpoint!);
    // Far past the default mark of 1000, with nobody reading yet.
    for (let i = 0; i < 5000; i++) await push.send(String(i));
    for (let i = 0; i < 5000; i++) {
      assert.equal(new TextDecoder().decode((await pull.receive())[0]), String(i));
    }
  } finally {
    await push.close();
    await pull.close();
  }
});

Deno.test("push/pull: for await past receiveTimeout throws EAGAIN, as receive() does", async () => {
  const pull = new Pull({ receiveTimeout: 50 });
  try {
    await pull.bind("inproc://iterate-timeout");
    await rejectsWithCode(
      (async () => {
        for await (const _ of pull) assert.fail("nothing was sent");
      })(),
      "EAGAIN",
    );
  } finally {
    await pull.close();
  }
});
