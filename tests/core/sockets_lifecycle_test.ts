/**
 * Socket lifecycle over tcp, ipc and inproc: PAIR exclusivity, send/receive
 * timeouts, close() and ETERM, lastEndpoint, EADDRINUSE, options (constructor
 * and properties) and monitor events.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  Subscriber,
  XPublisher,
} from "../../mod.ts";
import {
  closeAll,
  EventLog,
  freeTcpPort,
  rejectsWithCode,
  texts,
  throwsWithCode,
  TRANSPORTS,
  waitFor,
  within,
} from "./helpers.ts";

for (const transport of TRANSPORTS) {
  const t = `[${transport.name}]`;

  Deno.test(`pair ${t}: exchanges both ways and refuses a second peer`, async () => {
    const a = new Pair();
    const b = new Pair();
    const intruder = new Pair({ reconnectInterval: 10, receiveTimeout: 50 });
    try {
      const aLog = new EventLog(a);
      const intruderLog = new EventLog(intruder);
      await a.bind(transport.bindEndpoint());
      b.connect(a.lastEndpoint!);
      await aLog.wait("handshake");
      intruder.connect(a.lastEndpoint!);
      // The intruder is dropped again and again; `a` keeps its one peer.
      await intruderLog.wait("disconnect", 2);
      assert.equal(aLog.count("handshake"), 1);
      // The refusing side says why, once per attempt.
      const refused = await aLog.wait("handshake:error");
      assert.match(refused.reason ?? "", /already has a peer/);
      for (let i = 0; i < 3; i++) {
        await a.send(["to b", String(i)]);
        assert.deepEqual(texts(await within(b.receive(), "a→b")), ["to b", String(i)]);
        await b.send(["to a", String(i)]);
        assert.deepEqual(texts(await within(a.receive(), "b→a")), ["to a", String(i)]);
      }
      await rejectsWithCode(intruder.receive(), "EAGAIN");
      // Once b leaves, a new peer is accepted.
      const bGone = aLog.count("disconnect");
      await b.close();
      await aLog.wait("disconnect", bGone + 1);
      await aLog.wait("handshake", 2);
      await a.send("to the newcomer");
      intruder.receiveTimeout = -1;
      assert.deepEqual(texts(await within(intruder.receive(), "the newcomer's message")), [
        "to the newcomer",
      ]);
    } finally {
      await closeAll(intruder, b, a);
    }
  });

  Deno.test(`timeouts ${t}: sendTimeout and receiveTimeout raise EAGAIN`, async () => {
    const push = new Push({ sendTimeout: 30 });
    const pull = new Pull({ receiveTimeout: 30 });
    const dealer = new Dealer({ sendTimeout: 0 });
    try {
      await pull.bind(transport.bindEndpoint());
      await rejectsWithCode(push.send("nobody listens"), "EAGAIN"); // no peer at all
      await rejectsWithCode(dealer.send("no wait"), "EAGAIN"); // 0 = fail at once
      await rejectsWithCode(pull.receive(), "EAGAIN");
      // The sockets stay usable after a timeout.
      push.connect(pull.lastEndpoint!);
      await within(push.send("now someone does"), "a send once connected");
      pull.receiveTimeout = -1;
      assert.deepEqual(texts(await within(pull.receive(), "the message")), ["now someone does"]);
    } finally {
      await closeAll(push, pull, dealer);
    }
  });

  Deno.test(`close ${t}: pending receive and send fail with ETERM; for await ends`, async () => {
    const pull = new Pull();
    const push = new Push();
    const iterated = new Pull();
    const feeder = new Push();
    try {
      await pull.bind(transport.bindEndpoint());
      await iterated.bind(transport.bindEndpoint());
      const pendingReceive = pull.receive();
      const pendingSend = push.send("nowhere to go"); // no peers: waits
      const seen: string[] = [];
      feeder.connect(iterated.lastEndpoint!);
      const loop = (async () => {
        for await (const frames of iterated) seen.push(...texts(frames));
        return "ended";
      })();
      await feeder.send("one");
      await feeder.send("two");
      await waitFor(() => seen.length === 2, "two messages through for await");
      await feeder.close();
      assert.equal(pull.closed, false);
      const closing = pull.close();
      assert.equal(pull.closed, true);
      await rejectsWithCode(pendingReceive, "ETERM");
      await closing;
      await push.close();
      await rejectsWithCode(pendingSend, "ETERM");
      await iterated.close();
      assert.equal(await within(loop, "for await to end"), "ended");
      assert.deepEqual(seen, ["one", "two"]);
      // Everything after close fails with ETERM; close is idempotent.
      await rejectsWithCode(pull.receive(), "ETERM");
      await rejectsWithCode(push.send("x"), "ETERM");
      await rejectsWithCode(pull.bind(transport.bindEndpoint()), "ETERM");
      throwsWithCode(() => push.connect("inproc://anything"), "ETERM");
      await pull.close();
      await pull.close();
    } finally {
      await closeAll(pull, push, iterated, feeder);
    }
  });

  Deno.test(`close ${t}: linger -1 delivers queued messages before close() resolves`, async () => {
    const pull = new Pull();
    const push = new Push(); // linger defaults to -1
    try {
      await pull.bind(transport.bindEndpoint());
      const log = new EventLog(push);
      push.connect(pull.lastEndpoint!);
      await log.wait("handshake");
      const big = new Uint8Array(64 * 1024);
      for (let i = 0; i < 50; i++) await push.send([String(i), big]);
      await push.close();
      for (let i = 0; i < 50; i++) {
        const [index, body] = await within(pull.receive(), `message ${i} after the sender closed`);
        assert.equal(new TextDecoder().decode(index), String(i));
        assert.equal(body.length, big.length);
      }
    } finally {
      await closeAll(push, pull);
    }
  });

  Deno.test(`events ${t}: bind, accept, connect, handshake, disconnect, close`, async () => {
    const server = new Pull();
    const client = new Push();
    const serverLog = new EventLog(server);
    const clientLog = new EventLog(client);
    try {
      await server.bind(transport.bindEndpoint());
      const endpoint = server.lastEndpoint!;
      assert.deepEqual(serverLog.events[0], { type: "bind", address: endpoint });
      client.connect(endpoint);
      await serverLog.wait("handshake");
      await clientLog.wait("handshake");
      await client.send("x");
      await within(server.receive(), "a message");
      await client.close();
      const disconnect = await serverLog.wait("disconnect");
      assert.ok(disconnect.reason && disconnect.reason.length > 0, "disconnect has a reason");
      assert.deepEqual(clientLog.types(), ["connect", "handshake", "disconnect", "close"]);
      assert.equal(clientLog.of("connect")[0].address, endpoint);
      assert.equal(clientLog.of("handshake")[0].address, endpoint);
      assert.equal(clientLog.of("disconnect")[0].reason, "socket closed");
      const accepted = serverLog.of("accept")[0].address;
      if (transport.name === "tcp") assert.match(accepted, /^tcp:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(serverLog.of("handshake")[0].address, accepted);
      assert.equal(disconnect.address, accepted);
      await server.close();
      assert.deepEqual(serverLog.types(), ["bind", "accept", "handshake", "disconnect", "close"]);
      assert.equal(serverLog.of("close")[0].address, endpoint);
    } finally {
      await closeAll(client, server);
    }
  });

  Deno.test(`events ${t}: incompatible socket types give handshake:error with a reason`, async () => {
    const pull = new Pull();
    const pub = new Publisher({ reconnectInterval: 10 });
    try {
      const pullLog = new EventLog(pull);
      const pubLog = new EventLog(pub);
      await pull.bind(transport.bindEndpoint());
      pub.connect(pull.lastEndpoint!);
      const error = await pullLog.wait("handshake:error");
      assert.match(error.reason!, /PUB cannot talk to PULL/);
      const refused = await pubLog.wait("handshake:error");
      assert.match(refused.reason!, /PULL cannot talk to PUB|peer refused/);
      await pullLog.wait("handshake:error", 2); // it retries, and is refused again
      assert.equal(pullLog.count("handshake"), 0);
      assert.equal(pubLog.count("handshake"), 0);
    } finally {
      await closeAll(pub, pull);
    }
  });

  Deno.test(`events ${t}: connect before bind retries until the peer appears`, async () => {
    const endpoint = transport.name === "tcp"
      ? `tcp://127.0.0.1:${freeTcpPort()}`
      : transport.bindEndpoint();
    const push = new Push({ reconnectInterval: 10 });
    const pull = new Pull();
    try {
      const log = new EventLog(push);
      push.connect(endpoint);
      const retry = await log.wait("connect:retry");
      assert.equal(retry.address, endpoint);
      assert.ok(retry.reason);
      await pull.bind(endpoint);
      await log.wait("handshake");
      await push.send("late binder");
      assert.deepEqual(texts(await within(pull.receive(), "the message")), ["late binder"]);
    } finally {
      await closeAll(push, pull);
    }
  });

  Deno.test(`endpoints ${t}: unbind and disconnect`, async () => {
    const pull = new Pull();
    const push = new Push({ sendTimeout: 50 });
    try {
      const pullLog = new EventLog(pull);
      const pushLog = new EventLog(push);
      await pull.bind(transport.bindEndpoint());
      const endpoint = pull.lastEndpoint!;
      push.connect(endpoint);
      await pushLog.wait("handshake");
      throwsWithCode(() => push.connect(endpoint), "EINVAL"); // already connected
      await push.disconnect(endpoint);
      await rejectsWithCode(push.send("gone"), "EAGAIN");
      await rejectsWithCode(push.disconnect(endpoint), "EINVAL");
      await pull.unbind(endpoint);
      assert.equal(pullLog.count("unbind"), 1);
      await rejectsWithCode(pull.unbind(endpoint), "EINVAL");
      // The endpoint is free again.
      await pull.bind(endpoint);
      push.connect(endpoint);
      await pushLog.wait("handshake", 2);
      await push.send("back");
      assert.deepEqual(texts(await within(pull.receive(), "the message")), ["back"]);
    } finally {
      await closeAll(push, pull);
    }
  });
}

Deno.test("lastEndpoint: null before bind, resolved port after binding port 0 or *", async () => {
  const sockets = [new Pull(), new Pull(), new Pull(), new Pull(), new Pull()];
  const [a, b, c, d, e] = sockets;
  try {
    assert.equal(a.lastEndpoint, null);
    await a.bind("tcp://127.0.0.1:0");
    assert.match(a.lastEndpoint!, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(a.lastEndpoint, "tcp://127.0.0.1:0");
    await b.bind("tcp://127.0.0.1:*");
    assert.match(b.lastEndpoint!, /^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    await c.bind("tcp://*:0");
    assert.match(c.lastEndpoint!, /^tcp:\/\/0\.0\.0\.0:[1-9]\d*$/);
    await d.bind("tcp://[::1]:0");
    assert.match(d.lastEndpoint!, /^tcp:\/\/\[::1\]:[1-9]\d*$/);
    const first = e.lastEndpoint;
    await e.bind("inproc://last-endpoint-a");
    await e.bind("inproc://last-endpoint-b");
    assert.equal(first, null);
    assert.equal(e.lastEndpoint, "inproc://last-endpoint-b");
    // The resolved endpoints are connectable, the wildcard one through loopback.
    const wildcardPort = c.lastEndpoint!.split(":").at(-1);
    for (
      const target of [
        a.lastEndpoint!,
        b.lastEndpoint!,
        `tcp://127.0.0.1:${wildcardPort}`,
        d.lastEndpoint!,
      ]
    ) {
      const push = new Push();
      try {
        push.connect(target);
        await push.send(target);
      } finally {
        await push.close();
      }
    }
    for (
      const [sock, target] of [[a, a.lastEndpoint!], [b, b.lastEndpoint!], [
        d,
        d.lastEndpoint!,
      ]] as const
    ) {
      assert.deepEqual(texts(await within(sock.receive(), `a message via ${target}`)), [target]);
    }
    assert.equal(
      texts(await within(c.receive(), "a message via the wildcard"))[0].startsWith(
        "tcp://127.0.0.1:",
      ),
      true,
    );
  } finally {
    await closeAll(...sockets);
  }
});

Deno.test("bind: EADDRINUSE on a second bind of the same tcp port or inproc name", async () => {
  const first = new Pull();
  const second = new Pull();
  try {
    await first.bind("tcp://127.0.0.1:0");
    const error = await rejectsWithCode(second.bind(first.lastEndpoint!), "EADDRINUSE");
    assert.ok(error.message.includes(first.lastEndpoint!), error.message);
    await rejectsWithCode(first.bind(first.lastEndpoint!), "EADDRINUSE"); // same socket twice
    await first.bind("inproc://double-bind");
    await rejectsWithCode(second.bind("inproc://double-bind"), "EADDRINUSE");
    assert.equal(second.lastEndpoint, null);
    // After the holder closes, the name is free.
    await first.close();
    await second.bind("inproc://double-bind");
  } finally {
    await closeAll(first, second);
  }
});

// What each option does is tested in options_test.ts; here, that both ways
// of setting one read back, and the defaults.
Deno.test("options: constructor object and properties read back; defaults are libzmq's", async () => {
  const push = new Push({
    sendHighWaterMark: 5,
    receiveHighWaterMark: 6,
    linger: 0,
    reconnectInterval: 7,
    reconnectMaxInterval: 800,
    heartbeatInterval: 9,
    heartbeatTimeout: 10,
    heartbeatTimeToLive: 11,
    handshakeTimeout: 12,
    maxMessageSize: 13,
    sendTimeout: 14,
    receiveTimeout: 15,
    routingId: "rid",
  });
  const pull = new Pull();
  try {
    assert.deepEqual(
      [
        push.sendHighWaterMark,
        push.receiveHighWaterMark,
        push.linger,
        push.reconnectInterval,
        push.reconnectMaxInterval,
        push.heartbeatInterval,
        push.heartbeatTimeout,
        push.heartbeatTimeToLive,
        push.handshakeTimeout,
        push.maxMessageSize,
        push.sendTimeout,
        push.receiveTimeout,
      ],
      [5, 6, 0, 7, 800, 9, 10, 11, 12, 13, 14, 15],
    );
    assert.deepEqual(push.routingId, new TextEncoder().encode("rid"));
    // Defaults (libzmq's).
    assert.deepEqual(
      [
        pull.sendHighWaterMark,
        pull.receiveHighWaterMark,
        pull.linger,
        pull.reconnectInterval,
        pull.handshakeTimeout,
      ],
      [1000, 1000, -1, 100, 30000],
    );
    assert.equal(pull.routingId, null);
    pull.receiveTimeout = 20;
    assert.equal(pull.receiveTimeout, 20);
    pull.routingId = new Uint8Array([1, 2]);
    assert.deepEqual(pull.routingId, new Uint8Array([1, 2]));
    // Type-specific options.
    const req = new Request({ relaxed: true, correlate: true });
    const router = new Router({ mandatory: true, handover: true });
    const xpub = new XPublisher({ verbose: true });
    assert.deepEqual(
      [req.relaxed, req.correlate, router.mandatory, router.handover, xpub.verbose],
      [
        true,
        true,
        true,
        true,
        true,
      ],
    );
    req.relaxed = false;
    assert.equal(req.relaxed, false);
    await closeAll(req, router, xpub);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("options: invalid values are EINVAL errors naming the option", async () => {
  const pull = new Pull({ linger: 5 });
  const push = new Push();
  try {
    const invalid: [() => unknown, RegExp][] = [
      [() => new Push({ linger: 1.5 }), /linger/],
      [() => new Push({ sendHighWaterMark: -1 }), /sendHighWaterMark/],
      [() => new Push({ receiveTimeout: -2 }), /receiveTimeout/],
      [() => new Push({ handshakeTimeout: -1 }), /handshakeTimeout/],
      [() => new Push({ maxMessageSize: "big" as unknown as number }), /maxMessageSize/],
      [() => new Push({ routingId: "" }), /routingId/],
      [() => new Push({ routingId: new Uint8Array([0, 1]) }), /routingId/],
      [() => new Push({ routingId: "x".repeat(256) }), /routingId/],
      [() => new Push({ relaxed: true } as never), /unknown option 'relaxed'/],
      [() => new Subscriber({ bogus: 1 } as never), /unknown option 'bogus'/],
      [() => pull.sendTimeout = Infinity, /sendTimeout/],
      [() => pull.linger = Number.NaN, /linger/],
      [() => pull.linger = -7, /linger/],
    ];
    for (const [make, why] of invalid) {
      const error = throwsWithCode(make, "EINVAL");
      assert.match(error.message, why);
    }
    // A property assignment that failed leaves the old value.
    assert.equal(pull.linger, 5);
    assert.equal(pull.sendTimeout, -1);
    // Directions a socket type does not have.
    await rejectsWithCode(pull.send("pull cannot send"), "ENOTSUP");
    await rejectsWithCode(push.receive(), "ENOTSUP");
    await rejectsWithCode(push.send([]), "EINVAL");
    await rejectsWithCode(push.send([1 as unknown as string]), "EINVAL");
  } finally {
    await closeAll(pull, push);
  }
});

Deno.test("reply: a request without the empty delimiter is dropped", async () => {
  const rep = new Reply();
  const dealer = new Dealer();
  try {
    await rep.bind("inproc://reply-no-delimiter");
    dealer.connect(rep.lastEndpoint!);
    await dealer.send(["no", "delimiter"]);
    await dealer.send(["", "proper"]);
    assert.deepEqual(texts(await within(rep.receive(), "the proper request")), ["proper"]);
    await rep.send("answer");
    assert.deepEqual(texts(await within(dealer.receive(), "the reply")), ["", "answer"]);
  } finally {
    await closeAll(dealer, rep);
  }
});
