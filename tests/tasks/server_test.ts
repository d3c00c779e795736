import assert from "node:assert/strict";
import { Dealer, Request, Subscriber } from "../../core/sockets/mod.ts";
import { RemoteTask, TaskClient } from "../../core/tasks/client.ts";
import type { InitReply, StateReply, TaskController } from "../../core/tasks/controller.ts";
import {
  TaskNetworkError,
  TaskRejectedError,
  TaskWaitTimeoutError,
} from "../../core/tasks/errors.ts";
import { HandlerController } from "../../core/tasks/handlers.ts";
import { decodeTaskEvent, encodeTask, TaskState } from "../../core/tasks/protocol.ts";
import { TaskServer } from "../../core/tasks/server.ts";
import { TestController } from "../../core/tasks/test_controller.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "../../core/limits.ts";
import { encodeCommand, encodeMetadata } from "../../core/zmtp/command.ts";
import { encodeGreeting } from "../../core/zmtp/greeting.ts";
import { expectRefused } from "../pipeline/fixtures/helpers.ts";
import { within } from "../core/helpers.ts";
import { startServer } from "./helpers.ts";

const decoder = new TextDecoder();

/** Sends one raw request frame (or frames, through a DEALER) and returns the reply text. */
async function raw(endpoint: string, ...frames: (string | Uint8Array)[]): Promise<string> {
  if (frames.length === 1) {
    const req = new Request({ receiveTimeout: 2000, sendTimeout: 2000, linger: 0 });
    req.connect(endpoint);
    try {
      await req.send(frames[0]);
      return decoder.decode((await req.receive())[0]);
    } finally {
      await req.close();
    }
  }
  const dealer = new Dealer({ receiveTimeout: 2000, sendTimeout: 2000, linger: 0 });
  dealer.connect(endpoint);
  try {
    await dealer.send(["", ...frames]);
    const reply = await dealer.receive();
    return decoder.decode(reply[reply.length - 1]);
  } finally {
    await dealer.close();
  }
}

Deno.test("server: accept → complete, reject, fail, abort and unknown id over real sockets", async () => {
  const { server, endpoint } = await startServer({
    controllers: {
      "/test": new TestController({ print: () => {} }),
      "/robot": new HandlerController({
        handlers: {
          arm: {
            jam: () => {
              throw new Error("arm jammed");
            },
          },
        },
      }),
    },
  });
  const client = new TaskClient({ endpoint, scope: "/test" });
  const robot = new TaskClient({ endpoint, scope: "/robot" });
  try {
    const echo = await client.trigger({ handler: "test", component: "echo", goal: "hello" });
    assert.ok(echo.id > 0);
    assert.match(echo.payload, new RegExp(`^Initiated task '${echo.id}' with request: `));
    assert.deepEqual(await client.wait(echo.id, { timeoutMs: 5000 }), {
      state: TaskState.COMPLETED,
      payload: "hello",
    });

    await assert.rejects(
      client.trigger({ handler: "nope", component: "echo", goal: "" }),
      (error) =>
        error instanceof TaskRejectedError && error.state === TaskState.FAILED &&
        error.id === -1 &&
        error.reply === "Controller threw exception: No such handler 'nope', try 'test'.",
    );

    const jam = await robot.run({ handler: "arm", component: "jam", goal: "" }, {
      timeoutMs: 5000,
    });
    assert.deepEqual([jam.state, jam.payload], [TaskState.FAILED, "arm jammed"]);

    const sleep = await client.trigger({ handler: "test", component: "sleep", goal: "60" });
    assert.deepEqual(await client.status(sleep.id), {
      state: TaskState.ACCEPTED,
      payload: "sleeping for 60 s",
    });
    assert.equal((await client.abort(sleep.id)).state, TaskState.ABORTED);
    assert.equal((await client.status(sleep.id)).state, TaskState.ABORTED);

    assert.deepEqual(await client.status(9999), {
      state: TaskState.REJECTED,
      payload: "Invalid ID '9999'",
    });
    assert.deepEqual(await client.abort(9999), {
      state: TaskState.REJECTED,
      payload: "Invalid ID '9999'",
    });
  } finally {
    await client.close();
    await robot.close();
    await server.close();
  }
});

Deno.test("server: error replies exactly as the wire doc says, and it keeps serving", async () => {
  const throwing: TaskController = {
    init: () => {
      throw new Error("boom");
    },
    status: () => ({ state: 42 }) as unknown as StateReply,
    abort: () => Promise.reject(new Error("cannot abort")),
  };
  const { server, endpoint } = await startServer({
    controllers: { "/test": new TestController({ print: () => {} }), "/bad": throwing },
  });
  try {
    assert.equal(await raw(endpoint, "garbage"), ";2;-1;Unknown protocol");
    assert.equal(await raw(endpoint, "/test;1;-1"), ";2;-1;Unknown protocol");
    assert.equal(await raw(endpoint, ""), ";2;-1;Unknown protocol");
    assert.equal(
      await raw(endpoint, new Uint8Array([0xff, 0x3b, 0x31, 0x3b])),
      ";2;-1;Unknown protocol",
    );
    assert.equal(await raw(endpoint, "/test", ";1;-1;x"), ";2;-1;Unknown protocol");
    assert.equal(await raw(endpoint, "/nope;1;-1;x"), "/nope;2;-1;No controller for scope: /nope");
    assert.equal(await raw(endpoint, "/test;9;3;x"), "/test;2;3;Invalid request");
    assert.equal(await raw(endpoint, "/test;x;3;x"), "/test;2;-1;Invalid request");
    assert.equal(await raw(endpoint, "/test;2;abc;x"), "/test;2;-1;Invalid ID 'abc'");
    assert.equal(
      await raw(endpoint, "/test;1;-1;%%%"),
      "/test;3;-1;Controller threw exception: task payload is not base64 of UTF-8 text",
    );
    assert.equal(await raw(endpoint, "/bad;1;-1;x"), "/bad;3;-1;Controller threw exception: boom");
    assert.match(
      await raw(endpoint, "/bad;2;5;x"),
      /^\/bad;3;5;Controller threw exception: .*state: 0-5/,
    );
    assert.equal(
      await raw(endpoint, "/bad;3;5;x"),
      "/bad;3;5;Controller threw exception: cannot abort",
    );
    // Still alive and correct after all of that.
    const reply = await raw(endpoint, `/test;1;-1;${encodeTask("test", "echo", "still here")}`);
    assert.match(reply, /^\/test;1;\d+;Initiated task/);
  } finally {
    await server.close();
  }
});

Deno.test("server: payload edge cases survive the round trip, both separators accepted", async () => {
  const { server, endpoint } = await startServer();
  const modern = new TaskClient({ endpoint, scope: "/test" });
  const legacy = new TaskClient({ endpoint, scope: "/test", separator: "¬" });
  try {
    for (const goal of ["a;b;c", "x:y:z", "¬:¬", "", "ünïcødé 🤖", "multi\nline", ";;;"]) {
      for (const client of [modern, legacy]) {
        const done = await client.run({ handler: "test", component: "echo", goal }, {
          timeoutMs: 5000,
        });
        assert.deepEqual(
          [done.state, done.payload],
          [TaskState.COMPLETED, goal],
          JSON.stringify(goal),
        );
      }
    }
  } finally {
    await modern.close();
    await legacy.close();
    await server.close();
  }
});

Deno.test("server: publishes every state change as JSON on the events channel", async () => {
  const { server, endpoint, events } = await startServer({ events: true });
  const sub = new Subscriber({ linger: 0, receiveTimeout: 5000 });
  sub.subscribe("/test");
  sub.connect(events!);
  const client = new TaskClient({ endpoint, scope: "/test" });
  try {
    // The subscription may still be in flight after the handshake (nothing
    // acknowledges it): run probe tasks until their first event arrives.
    let probing = true;
    const probes = (async () => {
      while (probing) {
        await client.run({ handler: "test", component: "echo", goal: "probe" }, {
          timeoutMs: 5000,
        });
      }
    })();
    await sub.receive(); // receiveTimeout 5000: fails the test if no event ever comes
    probing = false;
    await probes;
    // Drain the probes' events: every event up to a marker task's COMPLETED.
    const marker = await client.run({ handler: "test", component: "echo", goal: "marker" }, {
      timeoutMs: 5000,
    });
    for (;;) {
      const event = decodeTaskEvent(await sub.receive());
      if (event.id === marker.id && event.state === TaskState.COMPLETED) break;
    }

    const { id } = await client.trigger({
      handler: "test",
      component: "echo",
      goal: "pushed;text",
    });
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(decodeTaskEvent(await sub.receive()));
    assert.deepEqual(seen.map((e) => [e.scope, e.id, e.state]), [
      ["/test", id, TaskState.INITIATED],
      ["/test", id, TaskState.ACCEPTED],
      ["/test", id, TaskState.COMPLETED],
    ]);
    assert.equal(seen[2].payload, "pushed;text");
  } finally {
    await client.close();
    await sub.close();
    await server.close();
  }
});

Deno.test("client: waits on pushed events, and polls when the events endpoint is absent", async () => {
  const { server, endpoint, events } = await startServer({ events: true });
  // Safety poll effectively off: completion can only arrive through the event.
  const pushed = new TaskClient({ endpoint, scope: "/test", events, eventPollIntervalMs: 60_000 });
  const nowhere = new TaskClient({
    endpoint,
    scope: "/test",
    events: "tcp://127.0.0.1:1",
    eventPollIntervalMs: 60_000,
  });
  try {
    // Until the events channel is connected and subscribed, a probe's end can
    // only be missed (the safety poll is off): probe until one is pushed.
    let pushedOnce = false;
    for (let i = 0; i < 20 && !pushedOnce; i++) {
      const probe = await pushed.trigger({ handler: "test", component: "sleep", goal: "0.05" });
      pushedOnce = await pushed.wait(probe.id, { timeoutMs: 1000 }).then(() => true, () => false);
    }
    assert.ok(pushedOnce, "a task's end is pushed once the events channel is up");
    assert.equal(pushed.eventsConnected, true);
    const { id } = await pushed.trigger({ handler: "test", component: "sleep", goal: "0.2" });
    assert.deepEqual(await pushed.wait(id, { timeoutMs: 10_000 }), {
      state: TaskState.COMPLETED,
      payload: "slept 0.2 s",
    });
    assert.equal(nowhere.eventsConnected, false);
    const fallback = await nowhere.run({ handler: "test", component: "sleep", goal: "0.2" }, {
      timeoutMs: 10_000,
    });
    assert.equal(fallback.state, TaskState.COMPLETED);
  } finally {
    await pushed.close();
    await nowhere.close();
    await server.close();
  }
});

Deno.test("client: wait times out with the last state, run() aborts the task", async () => {
  const { server, endpoint } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  try {
    const { id } = await client.trigger({ handler: "test", component: "sleep", goal: "60" });
    await assert.rejects(
      client.wait(id, { timeoutMs: 150 }),
      (error) => error instanceof TaskWaitTimeoutError && error.state === TaskState.ACCEPTED,
    );
    await assert.rejects(
      client.run({ handler: "test", component: "sleep", goal: "60" }, { timeoutMs: 150 }),
      (error) => {
        assert.ok(error instanceof TaskWaitTimeoutError);
        return true;
      },
    );
    assert.equal((await client.status(id + 1)).state, TaskState.ABORTED);
    await client.abort(id);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("ZTL-shaped client: -1 / FAILED for network errors, then recovers when the server is back", async () => {
  const { server, port } = await startServer();
  await server.close();
  const task = new RemoteTask({ host: "127.0.0.1", port, scope: "/test", timeout: 300 });
  const idiomatic = new TaskClient({ host: "127.0.0.1", port, scope: "/test", timeoutMs: 300 });
  let again: TaskServer | undefined;
  try {
    const [id, reason] = await task.trigger(encodeTask("test", "echo", "x"));
    assert.equal(id, -1);
    assert.match(reason, /no reply within 300 ms/);
    assert.deepEqual((await task.status(1))[0], TaskState.FAILED);
    assert.equal((await task.abort(1))[0], -1);
    assert.equal((await task.wait(1, "waiting poll", 1))[0], TaskState.FAILED);
    await assert.rejects(idiomatic.status(1), TaskNetworkError);

    again = new TaskServer({ endpoint: `tcp://127.0.0.1:${port}` });
    again.register("/test", new TestController());
    await again.start();
    const [newId] = await task.trigger(encodeTask("test", "echo", "back"));
    assert.ok(newId > 0, "the REQ socket was recreated, not wedged");
    assert.deepEqual(await task.wait(newId), [TaskState.COMPLETED, "back"]);
    assert.equal((await idiomatic.status(newId)).state, TaskState.COMPLETED);
  } finally {
    await task.close();
    await idiomatic.close();
    await again?.close();
  }
});

Deno.test("server: 100 clients at once all get their own answers", async () => {
  const { server, endpoint } = await startServer();
  const clients = Array.from(
    { length: 100 },
    () => new TaskClient({ endpoint, scope: "/test", timeoutMs: 10_000 }),
  );
  try {
    const results = await Promise.all(
      clients.map((client, i) =>
        client.run({ handler: "test", component: "echo", goal: `client ${i}` }, {
          timeoutMs: 30_000,
        })
      ),
    );
    assert.deepEqual(results.map((r) => r.payload), clients.map((_, i) => `client ${i}`));
    assert.ok(results.every((r) => r.state === TaskState.COMPLETED));
    assert.equal(new Set(results.map((r) => r.id)).size, 100);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
});

Deno.test("server: a slow controller call does not stall other clients", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let slowCalled!: () => void;
  const slowStarted = new Promise<void>((resolve) => slowCalled = resolve);
  const slow: TaskController = {
    async init(): Promise<InitReply> {
      slowCalled();
      await gate;
      return { id: 1, payload: "finally" };
    },
    status: () => ({ state: TaskState.COMPLETED, payload: "" }),
    abort: () => ({ state: TaskState.REJECTED, payload: "" }),
  };
  const { server, endpoint } = await startServer({
    controllers: { "/slow": slow, "/test": new TestController() },
  });
  const slowClient = new TaskClient({ endpoint, scope: "/slow", timeoutMs: 10_000 });
  const fast = new TaskClient({ endpoint, scope: "/test", timeoutMs: 10_000 });
  try {
    let slowDone = false;
    const slowReply = slowClient.trigger("anything").then((reply) => {
      slowDone = true;
      return reply;
    });
    await slowStarted;
    for (let i = 0; i < 5; i++) {
      const done = await fast.run({ handler: "test", component: "echo", goal: `${i}` });
      assert.equal(done.payload, `${i}`);
    }
    assert.equal(slowDone, false, "the slow request is still pending while others were served");
    release();
    assert.deepEqual(await slowReply, { id: 1, payload: "finally" });
  } finally {
    release();
    await slowClient.close();
    await fast.close();
    await server.close();
  }
});

Deno.test("server: unregister stops dispatching a scope", async () => {
  const { server, endpoint } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  try {
    assert.ok(server.unregister("/test"));
    assert.equal(server.unregister("/test"), false);
    await assert.rejects(
      client.trigger({ handler: "test", component: "echo", goal: "x" }),
      (e) => e instanceof TaskRejectedError && e.reply === "No controller for scope: /test",
    );
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("server: random garbage gets replies, never a dead server", async () => {
  const { server, endpoint } = await startServer();
  const dealer = new Dealer({ receiveTimeout: 5000, sendTimeout: 5000, linger: 0 });
  dealer.connect(endpoint);
  const client = new TaskClient({ endpoint, scope: "/test" });
  // A fixed-seed generator, so a failure can be replayed.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = [
    "/test",
    ";",
    "1",
    "2",
    "3",
    "-1",
    "abc",
    "",
    "\xff",
    "¬",
    ":",
    encodeTask("test", "echo", "x"),
  ];
  try {
    for (let i = 0; i < 200; i++) {
      const frames: (string | Uint8Array)[] = [""];
      const count = 1 + Math.floor(random() * 3);
      for (let f = 0; f < count; f++) {
        if (random() < 0.3) {
          frames.push(Uint8Array.from({ length: Math.floor(random() * 40) }, () => random() * 256));
        } else {
          let text = "";
          for (let p = Math.floor(random() * 8); p > 0; p--) {
            text += pieces[Math.floor(random() * pieces.length)];
          }
          frames.push(text);
        }
      }
      await dealer.send(frames);
      const reply = await dealer.receive();
      assert.equal(reply[0].length, 0, "the envelope delimiter comes back");
      assert.match(decoder.decode(reply[1]), /^[^;]*;[0-5];-?\d+;/, "every reply is a ZTL message");
    }
    const done = await client.run({ handler: "test", component: "echo", goal: "alive" }, {
      timeoutMs: 5000,
    });
    assert.equal(done.payload, "alive");
  } finally {
    await dealer.close();
    await client.close();
    await server.close();
  }
});

Deno.test("server: a request over 64 MiB closes that client's connection; others are still served", async () => {
  const { server, endpoint } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  try {
    await expectRefused(endpoint, DEFAULT_MAX_MESSAGE_SIZE + 1, 30_000);
    const done = await client.run({ handler: "test", component: "echo", goal: "still here" }, {
      timeoutMs: 5000,
    });
    assert.deepEqual([done.state, done.payload], [TaskState.COMPLETED, "still here"]);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("server: maxMessageSize sets the limit, and a bad one is refused", async () => {
  const server = new TaskServer({
    endpoint: "tcp://127.0.0.1:0",
    controllers: { "/test": new TestController({ print: () => {} }) },
    maxMessageSize: 1024,
  });
  await server.start();
  try {
    await expectRefused(server.endpoint!, 1025);
    assert.match(await raw(server.endpoint!, "/test;0;0;" + "x".repeat(900)), /^\/test;/);
  } finally {
    await server.close();
  }
  for (const maxMessageSize of [0, -5, 2.5]) {
    assert.throws(
      () => new TaskServer({ port: 0, maxMessageSize }),
      /option 'maxMessageSize' must be a positive number of bytes or -1/,
    );
  }
});

Deno.test("server: a client announcing a 2 GiB frame is cut off at the header; others are served", async () => {
  // The attack measured against the task server: announce a 2^31-1-byte
  // message after a valid handshake, then trickle bytes. With the default
  // limit the server refuses at the frame header instead of buffering.
  const { server, endpoint, port } = await startServer();
  const client = new TaskClient({ endpoint, scope: "/test" });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const ready = encodeCommand("READY", encodeMetadata({ "Socket-Type": "DEALER", Identity: "" }));
    const header = new Uint8Array(9);
    header[0] = 0x02; // a long message frame
    new DataView(header.buffer).setBigUint64(1, 2n ** 31n - 1n);
    await conn.write(encodeGreeting("NULL", false));
    await conn.write(new Uint8Array([0x04, ready.length, ...ready]));
    await conn.write(header);
    const closed = (async () => {
      const buffer = new Uint8Array(4096);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
      }
    })();
    // Keep feeding the body while waiting: a server that accepted the frame would wait for more.
    const feed = (async () => {
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < 256; i++) {
        if (await conn.write(chunk).then(() => false, () => true)) return;
      }
    })();
    await within(closed, "the server to close the connection", 10_000);
    await feed;
    const done = await client.run({ handler: "test", component: "echo", goal: "fine" }, {
      timeoutMs: 5000,
    });
    assert.equal(done.state, TaskState.COMPLETED);
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
    await client.close();
    await server.close();
  }
});
