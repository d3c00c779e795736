/**
 * The SocketManager over real sockets: named sockets (create, get,
 * getOrCreate, bind, connect, ensureAndBind, ensureAndConnect,
 * bindToRandomPort, close, closeAll) and each typed error; readiness
 * (poll across three sockets, waitUntilReady); serializers with sendSafe,
 * receiveSafe, publishSafe and subscribe.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encode as encodeMsgpack } from "@msgpack/msgpack";
import {
  Dealer,
  Event,
  Pull,
  Push,
  Reply,
  Request,
  type Serializer,
  SocketAlreadyExists,
  SocketBindError,
  SocketConnectError,
  SocketDecodeError,
  SocketManager,
  SocketManagerError,
  SocketNotFound,
  Subscriber,
  XPublisher,
  XSubscriber,
  ZmqError,
} from "../../mod.ts";
import {
  closeAll,
  EventLog,
  freeTcpPort,
  rejectsWithCode,
  subscriptionSeen,
  texts,
  WAIT_MS,
  within,
} from "../core/helpers.ts";

const utf8 = new TextEncoder();

/** A manager whose sockets never linger, closed by the test. */
function manager(options: ConstructorParameters<typeof SocketManager>[0] = {}): SocketManager {
  return new SocketManager({ socketOptions: { linger: 0 }, ...options });
}

/** The message and `name` an error was thrown with. */
function throwsNamed(fn: () => unknown, name: string, message?: RegExp): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    assert.equal(error.name, name, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

async function rejectsNamed(promise: Promise<unknown>, name: string, message?: RegExp) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    assert.equal(error.name, name, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

// ---- named sockets --------------------------------------------------------------

Deno.test("manager: create makes each type by name in any case, or by class", async () => {
  const sockets = manager();
  try {
    assert.ok(sockets.create("a", "pull") instanceof Pull);
    assert.ok(sockets.create("b", "PUSH") instanceof Push);
    assert.ok(sockets.create("c", "Request") instanceof Request);
    assert.ok(sockets.create("d", "rep") instanceof Reply);
    assert.ok(sockets.create("e", "xsub") instanceof XSubscriber);
    assert.ok(sockets.create("f", Dealer) instanceof Dealer);
    const xpub = sockets.create("g", XPublisher, { verbose: true });
    assert.ok(xpub instanceof XPublisher);
    assert.equal(xpub.verbose, true);
    assert.deepEqual(sockets.names, ["a", "b", "c", "d", "e", "f", "g"]);
    assert.equal(sockets.has("a"), true);
    assert.equal(sockets.has("z"), false);
    // The manager's socketOptions apply, per-call options win.
    assert.equal(sockets.get("a").linger, 0);
    assert.equal(sockets.create("h", "pull", { linger: 5 }).linger, 5);
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: create refuses a taken name (SocketAlreadyExists), an unknown type, a bad name or option", async () => {
  const sockets = manager();
  try {
    sockets.create("jobs", "pull");
    const error = throwsNamed(
      () => sockets.create("jobs", "push"),
      "SocketAlreadyExists",
      /'jobs' already exists \(a PULL socket\)/,
    );
    assert.ok(error instanceof SocketAlreadyExists && error instanceof SocketManagerError);
    assert.equal((error as SocketAlreadyExists).socketName, "jobs");
    throwsNamed(() => sockets.create("x", "pully"), "TypeError", /unknown socket type 'pully'/);
    throwsNamed(
      () => sockets.create("x", Map as unknown as typeof Pull),
      "TypeError",
      /socket type/,
    );
    throwsNamed(() => sockets.create("", "pull"), "TypeError", /non-empty/);
    // A socket that cannot be made is not registered under its name.
    assert.throws(() => sockets.create("y", "pull", { verbose: true }), ZmqError);
    assert.equal(sockets.has("y"), false);
    assert.deepEqual(sockets.names, ["jobs"]);
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: get returns the named socket; SocketNotFound lists the names there are", async () => {
  const sockets = manager();
  try {
    throwsNamed(() => sockets.get("jobs"), "SocketNotFound", /no socket named 'jobs' \(no sockets/);
    const jobs = sockets.create("jobs", "pull");
    sockets.create("out", "push");
    assert.equal(sockets.get("jobs"), jobs);
    const error = throwsNamed(() => sockets.get("job"), "SocketNotFound", /sockets: jobs, out/);
    assert.ok(error instanceof SocketNotFound);
    assert.equal(error.socketName, "job");
    // Every call by name says the same for an unknown name.
    await rejectsNamed(sockets.sendSafe("nope", 1), "SocketNotFound");
    await rejectsNamed(sockets.receiveSafe("nope"), "SocketNotFound");
    await rejectsNamed(sockets.publishSafe("nope", "t", 1), "SocketNotFound");
    await rejectsNamed(sockets.bind("nope", "tcp://127.0.0.1:0"), "SocketNotFound");
    await rejectsNamed(sockets.bindToRandomPort("nope"), "SocketNotFound");
    throwsNamed(() => sockets.connect("nope", "tcp://127.0.0.1:1"), "SocketNotFound");
    await rejectsNamed(sockets.waitUntilReady("nope", "in"), "SocketNotFound");
    await rejectsNamed(sockets.poll({ names: ["jobs", "nope"] }), "SocketNotFound");
    throwsNamed(() => sockets.subscribe("nope", "t"), "SocketNotFound");
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: getOrCreate returns the socket there is, creates one otherwise, refuses another type", async () => {
  const sockets = manager();
  try {
    const first = sockets.getOrCreate("jobs", "pull");
    assert.ok(first instanceof Pull);
    assert.equal(sockets.getOrCreate("jobs", "PULL"), first);
    assert.equal(sockets.getOrCreate("jobs", Pull), first);
    throwsNamed(
      () => sockets.getOrCreate("jobs", "push"),
      "SocketAlreadyExists",
      /already exists as a PULL socket, not Push/,
    );
    // XPUB derives from PUB, but it is not the type asked for.
    sockets.create("events", "xpub");
    throwsNamed(() => sockets.getOrCreate("events", "pub"), "SocketAlreadyExists");
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: bind resolves the endpoint bound; SocketBindError carries the endpoint and the cause", async () => {
  const sockets = manager();
  try {
    sockets.create("jobs", "pull");
    const endpoint = await sockets.bind("jobs", "tcp://127.0.0.1:0");
    assert.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(endpoint, "tcp://127.0.0.1:0");
    const bad = await rejectsNamed(
      sockets.bind("jobs", "udp://x"),
      "SocketBindError",
      /cannot bind socket 'jobs' to udp:\/\/x: .*unsupported transport/,
    ) as SocketBindError;
    assert.ok(bad instanceof SocketBindError && bad instanceof SocketManagerError);
    assert.equal(bad.endpoint, "udp://x");
    assert.equal(bad.socketName, "jobs");
    sockets.create("other", "pull");
    const taken = await rejectsNamed(sockets.bind("other", endpoint), "SocketBindError");
    assert.ok(taken.cause instanceof ZmqError);
    assert.equal((taken.cause as ZmqError).code, "EADDRINUSE");
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: connect refuses a bad, wildcard or repeated endpoint with SocketConnectError", async () => {
  const sockets = manager();
  try {
    sockets.create("out", "push");
    const wildcard = throwsNamed(
      () => sockets.connect("out", "tcp://*:5555"),
      "SocketConnectError",
      /cannot connect socket 'out' to tcp:\/\/\*:5555/,
    ) as SocketConnectError;
    assert.ok(wildcard instanceof SocketConnectError);
    assert.equal(wildcard.endpoint, "tcp://*:5555");
    throwsNamed(() => sockets.connect("out", "nonsense"), "SocketConnectError");
    sockets.connect("out", "tcp://127.0.0.1:1");
    throwsNamed(
      () => sockets.connect("out", "tcp://127.0.0.1:1"),
      "SocketConnectError",
      /already connected/,
    );
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: ensureAndBind and ensureAndConnect do their work once, and messages flow", async () => {
  const sockets = manager();
  try {
    const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
    const binds = new EventLog(jobs);
    assert.equal(await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0"), jobs);
    // The resolved endpoint counts as bound too.
    assert.equal(await sockets.ensureAndBind("jobs", "pull", jobs.lastEndpoint!), jobs);
    assert.equal(binds.count("bind"), 0);
    const out = sockets.ensureAndConnect("out", "push", jobs.lastEndpoint!);
    assert.equal(sockets.ensureAndConnect("out", "push", jobs.lastEndpoint!), out);
    await out.send("once");
    assert.deepEqual(texts(await within(jobs.receive(), "the message")), ["once"]);
    // Two calls at once bind once (a second bind of the port would fail with EADDRINUSE).
    const freePort = `tcp://127.0.0.1:${freeTcpPort()}`;
    const [x, y] = await Promise.all([
      sockets.ensureAndBind("twice", "pull", freePort),
      sockets.ensureAndBind("twice", "pull", freePort),
    ]);
    assert.equal(x, y);
    // A second endpoint is a second bind / connect.
    const second = await sockets.bind("jobs", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("out", "push", second);
    assert.equal(binds.count("bind"), 1);
    binds.stop();
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: a failed ensureAndBind or ensureAndConnect leaves no socket it created behind", async () => {
  const sockets = manager();
  try {
    await rejectsNamed(sockets.ensureAndBind("jobs", "pull", "udp://x"), "SocketBindError");
    assert.equal(sockets.has("jobs"), false);
    throwsNamed(() => sockets.ensureAndConnect("out", "push", "tcp://*:1"), "SocketConnectError");
    assert.equal(sockets.has("out"), false);
    // A socket that was there before stays.
    const kept = sockets.create("kept", "pull");
    await rejectsNamed(sockets.ensureAndBind("kept", "pull", "udp://x"), "SocketBindError");
    assert.equal(sockets.get("kept"), kept);
    assert.equal(kept.closed, false);
    // And the call can be retried with a good endpoint.
    assert.ok(await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0") instanceof Pull);
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: bindToRandomPort binds a free port of the address given and resolves the endpoint", async () => {
  const sockets = manager();
  try {
    sockets.create("api", "rep");
    const endpoint = await sockets.bindToRandomPort("api", "tcp://127.0.0.1");
    const port = Number(/:(\d+)$/.exec(endpoint)![1]);
    assert.ok(port > 0 && port < 65536, endpoint);
    assert.equal(endpoint, `tcp://127.0.0.1:${port}`);
    sockets.create("everywhere", "pull");
    assert.match(await sockets.bindToRandomPort("everywhere"), /^tcp:\/\/0\.0\.0\.0:\d+$/);
    sockets.create("explicit", "pull");
    assert.match(await sockets.bindToRandomPort("explicit", "tcp://127.0.0.1:*"), /:\d+$/);
    // The port answers.
    const client = sockets.ensureAndConnect("client", "req", endpoint);
    await client.send("ping");
    assert.deepEqual(texts(await within(sockets.get("api").receive(), "the request")), ["ping"]);
    for (const address of ["tcp://127.0.0.1:5555", "ipc:///tmp/x.sock", "127.0.0.1"]) {
      const error = await rejectsNamed(
        sockets.bindToRandomPort("explicit", address),
        "SocketBindError",
        /expected tcp:\/\/HOST/,
      );
      assert.equal((error as SocketBindError).endpoint, address);
    }
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: close closes and forgets one socket; closeAll and await using close every one", async () => {
  const sockets = manager();
  const jobs = sockets.create("jobs", "pull");
  const out = sockets.create("out", "push");
  assert.equal(await sockets.close("jobs"), true);
  assert.equal(jobs.closed, true);
  assert.equal(await sockets.close("jobs"), false);
  assert.deepEqual(sockets.names, ["out"]);
  // The name is free again.
  const again = sockets.create("jobs", "pull");
  await sockets.closeAll();
  assert.equal(out.closed, true);
  assert.equal(again.closed, true);
  assert.deepEqual(sockets.names, []);

  let kept: Pull;
  {
    await using scoped = manager();
    kept = scoped.create("scoped", "pull");
  }
  assert.equal(kept.closed, true);
});

// ---- readiness ------------------------------------------------------------------

/** Three PULL sockets a, b, c under one manager, and a PUSH connected to each. */
async function threePulls(sockets: SocketManager): Promise<Record<string, Push>> {
  const senders: Record<string, Push> = {};
  for (const name of ["a", "b", "c"]) {
    const pull = await sockets.ensureAndBind(name, "pull", "tcp://127.0.0.1:0");
    senders[name] = new Push({ linger: 0 });
    senders[name].connect(pull.lastEndpoint!);
  }
  return senders;
}

Deno.test("manager: poll across three sockets wakes for the one that becomes ready and names it", async () => {
  const sockets = manager({ serializer: "raw" });
  const senders = await threePulls(sockets);
  try {
    // Nothing ready: empty lists at the timeout, not before.
    const started = performance.now();
    assert.deepEqual(await sockets.poll({ timeoutMs: 60 }), { readable: [], writable: [] });
    assert.ok(performance.now() - started >= 55, "poll returned before its timeout");

    // Waiting on all three: a message to b wakes the poll, and only b is named.
    const waiting = sockets.poll({ timeoutMs: WAIT_MS });
    await senders.b.send("for b");
    assert.deepEqual(await within(waiting, "poll to wake"), { readable: ["b"], writable: [] });

    // Two ready: both, in the manager's order; already ready: at once.
    await senders.c.send("for c");
    assert.equal(await sockets.waitUntilReady("c", "in", WAIT_MS), true);
    assert.deepEqual(await sockets.poll({ timeoutMs: 0 }), { readable: ["b", "c"], writable: [] });

    // names narrows the poll: a has nothing even though b and c have.
    assert.deepEqual(await sockets.poll({ timeoutMs: 20, names: ["a"] }), {
      readable: [],
      writable: [],
    });
    assert.deepEqual((await sockets.poll({ names: ["a", "c"] })).readable, ["c"]);

    // Receiving empties b.
    assert.deepEqual(texts([(await sockets.receiveSafe<Uint8Array>("b"))!]), ["for b"]);
    assert.deepEqual((await sockets.poll({ timeoutMs: 0 })).readable, ["c"]);
  } finally {
    await closeAll(...Object.values(senders));
    await sockets.closeAll();
  }
});

Deno.test("manager: poll counts each type in its directions, narrowed by direction; a signal ends it", async () => {
  const sockets = manager();
  try {
    const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("out", "push", jobs.lastEndpoint!);
    // The PUSH becomes writable once its peer attaches; the PULL is never writable.
    assert.deepEqual(await within(sockets.poll({ timeoutMs: WAIT_MS }), "push writable"), {
      readable: [],
      writable: ["out"],
    });
    // Asked for "in" only, the writable PUSH does not count.
    assert.deepEqual(await sockets.poll({ timeoutMs: 20, direction: "in" }), {
      readable: [],
      writable: [],
    });
    // A PUB is always writable.
    await sockets.ensureAndBind("events", "pub", "tcp://127.0.0.1:0");
    assert.deepEqual((await sockets.poll({ timeoutMs: 0, direction: "out" })).writable, [
      "out",
      "events",
    ]);
    // An abort ends a poll with nothing ready.
    const controller = new AbortController();
    const waiting = sockets.poll({ timeoutMs: -1, direction: "in", signal: controller.signal });
    controller.abort();
    assert.deepEqual(await within(waiting, "aborted poll"), { readable: [], writable: [] });
    // A socket closing under a poll wakes it; closed sockets are left out.
    const pending = sockets.poll({ timeoutMs: WAIT_MS, names: ["jobs"] });
    await jobs.close();
    assert.deepEqual(await within(pending, "poll of a closed socket"), {
      readable: [],
      writable: [],
    });
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: waitUntilReady resolves true once ready, false on timeout, ETERM on close", async () => {
  const sockets = manager();
  try {
    const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
    assert.equal(await sockets.waitUntilReady("jobs", "in", 20), false);
    sockets.create("out", "push");
    assert.equal(await sockets.waitUntilReady("out", "out", 0), false); // no peer yet
    const writable = sockets.waitUntilReady("out", "out", WAIT_MS);
    sockets.connect("out", jobs.lastEndpoint!);
    assert.equal(await within(writable, "push writable"), true);
    const readable = sockets.waitUntilReady("jobs", "in", WAIT_MS);
    await sockets.get("out").send("x");
    assert.equal(await within(readable, "pull readable"), true);
    await rejectsNamed(
      sockets.waitUntilReady("jobs", "sideways" as "in", 10),
      "TypeError",
      /direction must be "in" or "out"/,
    );
    const closing = rejectsWithCode(sockets.waitUntilReady("out", "in", WAIT_MS), "ETERM");
    await sockets.close("out");
    await closing;
  } finally {
    await sockets.closeAll();
  }
});

// ---- serializers, sendSafe, receiveSafe ----------------------------------------------

const VALUE = { pose: { x: 1.5, y: -2 }, ok: true, tags: ["a", "b"], none: null };

for (const serializer of ["json", "msgpack"] as const) {
  Deno.test(`manager [${serializer}]: sendSafe and receiveSafe carry a value over PUSH/PULL`, async () => {
    const sockets = manager({ serializer });
    try {
      const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
      sockets.ensureAndConnect("out", "push", jobs.lastEndpoint!);
      assert.equal(await sockets.sendSafe("out", VALUE), true);
      assert.deepEqual(await sockets.receiveSafe("jobs"), VALUE);
    } finally {
      await sockets.closeAll();
    }
  });
}

Deno.test("manager: the frames on the wire are plain JSON, plain msgpack, or the raw bytes", async () => {
  for (
    const [serializer, expected] of [
      ["json", utf8.encode(JSON.stringify(VALUE))],
      ["msgpack", encodeMsgpack(VALUE)],
      ["raw", utf8.encode("as is")],
    ] as const
  ) {
    const sockets = manager({ serializer });
    const pull = new Pull();
    try {
      await pull.bind("tcp://127.0.0.1:0");
      sockets.ensureAndConnect("out", "push", pull.lastEndpoint!);
      assert.equal(await sockets.sendSafe("out", serializer === "raw" ? "as is" : VALUE), true);
      const [frame] = await within(pull.receive(), `${serializer} frame`);
      assert.deepEqual(frame, expected, serializer);
    } finally {
      await pull.close();
      await sockets.closeAll();
    }
  }
});

Deno.test("manager: a serializer of your own; raw refuses what is not bytes; bad serializers are refused", async () => {
  const upper: Serializer = {
    encode: (value) => String(value).toUpperCase(),
    decode: (bytes) => `decoded:${new TextDecoder().decode(bytes)}`,
  };
  const sockets = manager({ serializer: upper });
  const raw = manager({ serializer: "raw" });
  try {
    assert.equal(sockets.serializer, upper);
    const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("out", "push", jobs.lastEndpoint!);
    await sockets.sendSafe("out", "hello");
    assert.equal(await sockets.receiveSafe("jobs"), "decoded:HELLO");

    raw.create("out", "push");
    await rejectsNamed(raw.sendSafe("out", { not: "bytes" }), "TypeError", /bytes or strings/);
  } finally {
    await sockets.closeAll();
    await raw.closeAll();
  }
  throwsNamed(
    () => new SocketManager({ serializer: "yaml" as "json" }),
    "TypeError",
    /unknown serializer 'yaml'/,
  );
  throwsNamed(
    () => new SocketManager({ serializer: { encode: () => "" } as unknown as Serializer }),
    "TypeError",
    /\{ encode, decode \}/,
  );
  throwsNamed(() => new SocketManager({ timeoutMs: -5 }), "TypeError", /timeoutMs/);
  // JSON cannot encode undefined: refused at once, nothing is sent.
  const json = manager();
  try {
    json.create("out", "push");
    await rejectsNamed(json.sendSafe("out", undefined), "TypeError", /cannot be encoded as JSON/);
  } finally {
    await json.closeAll();
  }
});

Deno.test("manager: sendSafe resolves false and receiveSafe undefined when the socket never becomes ready", async () => {
  const sockets = manager({ timeoutMs: 30 });
  try {
    sockets.create("out", "push"); // no peer: never writable
    assert.equal(await sockets.sendSafe("out", 1), false);
    assert.equal(await sockets.sendSafe("out", 1, { timeoutMs: 0 }), false);
    await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
    assert.equal(await sockets.receiveSafe("jobs"), undefined);
    // A REQ awaiting its reply cannot send again: false, not an EFSM error.
    const rep = await sockets.ensureAndBind("rep", "rep", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("req", "req", rep.lastEndpoint!);
    assert.equal(await sockets.sendSafe("req", "first", { timeoutMs: WAIT_MS }), true);
    assert.equal(await sockets.sendSafe("req", "second"), false);
    assert.equal(await sockets.receiveSafe("rep", { timeoutMs: WAIT_MS }), "first");
    assert.equal(await sockets.sendSafe("rep", "reply"), true);
    assert.equal(await sockets.receiveSafe("req", { timeoutMs: WAIT_MS }), "reply");
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: sendSafe puts an envelope before the value (DEALER to REP)", async () => {
  const sockets = manager();
  try {
    const rep = await sockets.ensureAndBind("rep", "rep", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("dealer", "dealer", rep.lastEndpoint!);
    assert.equal(await sockets.sendSafe("dealer", { n: 1 }, { envelope: [""] }), true);
    assert.deepEqual(await sockets.receiveSafe("rep"), { n: 1 });
    await sockets.sendSafe("rep", { n: 2 });
    // The dealer sees the delimiter, then the value: receiveSafe decodes the last frame.
    assert.deepEqual(await sockets.receiveSafe("dealer"), { n: 2 });
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: a frame the serializer cannot read is a SocketDecodeError; the next message comes through", async () => {
  const sockets = manager();
  const push = new Push({ linger: 0 });
  try {
    const jobs = await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
    push.connect(jobs.lastEndpoint!);
    await push.send("{not json");
    await push.send('{"fine":true}');
    const error = await rejectsNamed(
      sockets.receiveSafe("jobs"),
      "SocketDecodeError",
      /socket 'jobs' received a frame of 9 bytes its serializer cannot decode/,
    );
    assert.ok(error instanceof SocketDecodeError && error.cause instanceof SyntaxError);
    assert.deepEqual(await sockets.receiveSafe("jobs"), { fine: true });
  } finally {
    await push.close();
    await sockets.closeAll();
  }
});

// ---- publishSafe and subscribe ------------------------------------------------------

Deno.test("manager: publishSafe and subscribe carry Events { topic, data }; leaving the loop unsubscribes", async () => {
  const sockets = manager({ serializer: "msgpack" });
  try {
    const xpub = await sockets.ensureAndBind("events", "xpub", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("listener", "sub", xpub.lastEndpoint!);
    const events = sockets.subscribe("listener", "odom");
    await subscriptionSeen(xpub, "odom");
    assert.equal(await sockets.publishSafe("events", "battery", { volts: 24 }), true); // not wanted
    assert.equal(await sockets.publishSafe("events", "odom/base", { x: 1 }), true);
    assert.equal(await sockets.publishSafe("events", "odom", { x: 2 }), true);
    const received: Event[] = [];
    for await (const event of events) {
      assert.ok(event instanceof Event);
      received.push(event);
      if (received.length === 2) break;
    }
    assert.deepEqual(received.map(({ topic, data }) => ({ topic, data })), [
      { topic: "odom/base", data: { x: 1 } },
      { topic: "odom", data: { x: 2 } },
    ]);
    // The break dropped the subscription: the publisher is told.
    await subscriptionSeen(xpub, "odom", false);
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: subscribe to several topics; the loop ends on abort and on close", async () => {
  const sockets = manager();
  try {
    const xpub = await sockets.ensureAndBind("events", "xpub", "tcp://127.0.0.1:0");
    sockets.ensureAndConnect("listener", "sub", xpub.lastEndpoint!);
    const controller = new AbortController();
    const topics: string[] = [];
    const loop = (async () => {
      for await (
        const { topic } of sockets.subscribe("listener", ["a", "b"], { signal: controller.signal })
      ) {
        topics.push(topic);
        if (topics.length === 2) controller.abort();
      }
    })();
    await subscriptionSeen(xpub, "a");
    await subscriptionSeen(xpub, "b");
    await sockets.publishSafe("events", "c", 0);
    await sockets.publishSafe("events", "b", 1);
    await sockets.publishSafe("events", "a", 2);
    await within(loop, "the loop to end on abort");
    assert.deepEqual(topics, ["b", "a"]);

    const endless = (async () => {
      let n = 0;
      for await (const _ of sockets.subscribe("listener")) n++;
      return n;
    })();
    await subscriptionSeen(xpub, "");
    await sockets.close("listener");
    assert.equal(await within(endless, "the loop to end on close"), 0);
  } finally {
    await sockets.closeAll();
  }
});

Deno.test("manager: subscribe needs a SUB socket; an event without data or undecodable data is a SocketDecodeError", async () => {
  const sockets = manager();
  const xpub = new XPublisher({ linger: 0 });
  try {
    sockets.create("jobs", "pull");
    throwsNamed(() => sockets.subscribe("jobs", "x"), "TypeError", /needs a SUB socket/);
    assert.ok(sockets.create("xsub", "xsub") instanceof Subscriber); // XSUB subscribes too

    await xpub.bind("tcp://127.0.0.1:0");
    sockets.ensureAndConnect("listener", "sub", xpub.lastEndpoint!);
    const events = sockets.subscribe("listener", "t");
    await subscriptionSeen(xpub, "t");
    await xpub.send(["t", "1"]);
    assert.deepEqual((await within(events.next(), "first event")).value?.data, 1);
    await xpub.send("t-alone");
    await rejectsNamed(
      events.next(),
      "SocketDecodeError",
      /1 frame\(s\): expected \[topic, data\]/,
    );
    // The failed loop dropped its subscription; a new one carries on.
    await subscriptionSeen(xpub, "t", false);
    const again = sockets.subscribe("listener", "t");
    await subscriptionSeen(xpub, "t");
    await xpub.send(["t", "{bad"]);
    await rejectsNamed(again.next(), "SocketDecodeError", /cannot decode/);
  } finally {
    await xpub.close();
    await sockets.closeAll();
  }
});
