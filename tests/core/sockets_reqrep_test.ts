/**
 * REQ/REP and DEALER/ROUTER over tcp, ipc and inproc: strict alternation and
 * EFSM, relaxed and correlate, routing ids (given and generated), ROUTER
 * mandatory and EHOSTUNREACH, and the ROUTER↔DEALER proxy.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeGreeting, encodeMetadata, FrameWriter } from "../../core/zmtp/mod.ts";
import { Dealer, proxy, Reply, Request, Router } from "../../mod.ts";
import {
  bytes,
  closeAll,
  EventLog,
  RawPeer,
  rejectsWithCode,
  text,
  texts,
  TRANSPORTS,
  WAIT_MS,
  waitFor,
  within,
} from "./helpers.ts";

for (const transport of TRANSPORTS) {
  const t = `[${transport.name}]`;

  Deno.test(`req/rep ${t}: strict alternation, EFSM out of turn`, async () => {
    const rep = new Reply();
    const req = new Request();
    try {
      await rep.bind(transport.bindEndpoint());
      req.connect(rep.lastEndpoint!);
      await rejectsWithCode(req.receive(), "EFSM"); // nothing sent yet
      await rejectsWithCode(rep.send("unasked"), "EFSM"); // nothing received yet
      for (let i = 0; i < 3; i++) {
        await req.send(["ping", String(i)]);
        await rejectsWithCode(req.send("again"), "EFSM");
        assert.deepEqual(texts(await within(rep.receive(), "the request")), ["ping", String(i)]);
        await rejectsWithCode(rep.receive(), "EFSM"); // must reply first
        await rep.send(["pong", String(i)]);
        await rejectsWithCode(rep.send("twice"), "EFSM");
        assert.deepEqual(texts(await within(req.receive(), "the reply")), ["pong", String(i)]);
        await rejectsWithCode(req.receive(), "EFSM");
      }
    } finally {
      await closeAll(req, rep);
    }
  });

  Deno.test(`req/rep ${t}: a request round-robins across two replies`, async () => {
    const req = new Request();
    const reps = [new Reply(), new Reply()];
    try {
      const log = new EventLog(req);
      await req.bind(transport.bindEndpoint());
      for (const rep of reps) rep.connect(req.lastEndpoint!);
      await log.wait("handshake", 2);
      const served: string[][] = [[], []];
      const servers = reps.map(async (rep, index) => {
        for await (const [body] of rep) {
          served[index].push(text(body));
          await rep.send(`${text(body)} by ${index}`);
        }
      });
      const replies: string[] = [];
      for (let i = 0; i < 6; i++) {
        await req.send(`r${i}`);
        replies.push(text((await within(req.receive(), "a reply"))[0]));
      }
      assert.equal(served[0].length, 3, JSON.stringify(served));
      assert.equal(served[1].length, 3, JSON.stringify(served));
      // Alternating servers, and each reply matches its request.
      for (let i = 0; i < 6; i++) assert.match(replies[i], new RegExp(`^r${i} by [01]$`));
      for (let i = 0; i < 6; i += 2) assert.notEqual(replies[i].at(-1), replies[i + 1].at(-1));
      await closeAll(...reps);
      await Promise.all(servers);
    } finally {
      await closeAll(req, ...reps);
    }
  });

  Deno.test(`req/rep ${t}: a strict REQ stays stuck after a receive timeout; a relaxed one moves on`, async () => {
    const rep = new Reply();
    const strict = new Request({ receiveTimeout: 30 });
    const relaxed = new Request({ receiveTimeout: 30, relaxed: true });
    try {
      await rep.bind(transport.bindEndpoint());
      strict.connect(rep.lastEndpoint!);
      relaxed.connect(rep.lastEndpoint!);
      await strict.send("s1");
      await rejectsWithCode(strict.receive(), "EAGAIN");
      await rejectsWithCode(strict.send("s2"), "EFSM");
      // The strict REQ still gets its reply once the server answers.
      assert.deepEqual(texts(await within(rep.receive(), "s1")), ["s1"]);
      await rep.send("s1-reply");
      strict.receiveTimeout = -1;
      assert.deepEqual(texts(await within(strict.receive(), "the late reply")), ["s1-reply"]);

      await relaxed.send("x1");
      await rejectsWithCode(relaxed.receive(), "EAGAIN");
      await relaxed.send("x2"); // allowed: relaxed
      await relaxed.send("x3"); // even without ever receiving
      assert.deepEqual(texts(await within(rep.receive(), "x1")), ["x1"]);
      await rep.send("ignored");
      assert.deepEqual(texts(await within(rep.receive(), "x2")), ["x2"]);
      await rep.send("ignored");
      assert.deepEqual(texts(await within(rep.receive(), "x3")), ["x3"]);
      await rep.send("x3-reply");
    } finally {
      await closeAll(strict, relaxed, rep);
    }
  });

  Deno.test(`req/rep ${t}: relaxed + correlate drops the reply to a superseded request`, async () => {
    const router = new Router();
    const rep = new Reply();
    const req = new Request({ relaxed: true, correlate: true });
    try {
      await rep.bind(transport.bindEndpoint());
      req.connect(rep.lastEndpoint!);
      await req.send("r1");
      assert.deepEqual(texts(await within(rep.receive(), "r1")), ["r1"]);
      await req.send("r2"); // r1 is now stale
      await rep.send("reply-to-r1");
      assert.deepEqual(texts(await within(rep.receive(), "r2")), ["r2"]);
      await rep.send("reply-to-r2");
      assert.deepEqual(texts(await within(req.receive(), "the r2 reply")), ["reply-to-r2"]);
      // On the wire the request carries a 4-byte request id before the delimiter.
      await router.bind(transport.bindEndpoint());
      const plain = new Request({ correlate: true });
      plain.connect(router.lastEndpoint!);
      try {
        await plain.send("body");
        const [id, requestId, delimiter, body] = await within(
          router.receive(),
          "a correlated request",
        );
        assert.equal(id.length, 5);
        assert.equal(requestId.length, 4);
        assert.equal(delimiter.length, 0);
        assert.equal(text(body), "body");
        // A reply with the wrong request id is ignored; the right one is delivered.
        const wrong = requestId.slice();
        wrong[3] ^= 0xff;
        await router.send([id, wrong, "", "forged"]);
        await router.send([id, requestId, "", "genuine"]);
        assert.deepEqual(texts(await within(plain.receive(), "the genuine reply")), ["genuine"]);
      } finally {
        await plain.close();
      }
    } finally {
      await closeAll(req, rep, router);
    }
  });

  Deno.test(`dealer/router ${t}: peer-given routing ids address replies`, async () => {
    const router = new Router();
    const alice = new Dealer({ routingId: "alice" });
    const bob = new Dealer();
    bob.routingId = new Uint8Array([0x62, 0xff, 0x00]); // binary ids are fine (not starting with 0)
    try {
      const log = new EventLog(router);
      await router.bind(transport.bindEndpoint());
      alice.connect(router.lastEndpoint!);
      bob.connect(router.lastEndpoint!);
      await log.wait("handshake", 2);
      await alice.send(["hello", ""]);
      await bob.send("hi");
      const seen = new Map<string, string[]>();
      for (let i = 0; i < 2; i++) {
        const [id, ...body] = await within(router.receive(), "a dealer message");
        seen.set([...id].join(","), texts(body));
      }
      assert.deepEqual(seen.get([...bytes("alice")].join(",")), ["hello", ""]);
      assert.deepEqual(seen.get("98,255,0"), ["hi"]);
      await router.send([new Uint8Array([0x62, 0xff, 0x00]), "to bob"]);
      await router.send(["alice", "to alice", ""]); // a string id works too
      assert.deepEqual(texts(await within(bob.receive(), "bob's message")), ["to bob"]);
      assert.deepEqual(texts(await within(alice.receive(), "alice's message")), ["to alice", ""]);
    } finally {
      await closeAll(alice, bob, router);
    }
  });

  Deno.test(`dealer/router ${t}: generated routing ids are distinct 5-byte ids starting with 0`, async () => {
    const router = new Router();
    const dealers = [new Dealer(), new Dealer(), new Dealer()];
    try {
      await router.bind(transport.bindEndpoint());
      for (const dealer of dealers) dealer.connect(router.lastEndpoint!);
      for (let i = 0; i < dealers.length; i++) await dealers[i].send(`from ${i}`);
      const ids = new Map<string, Uint8Array>();
      for (let i = 0; i < dealers.length; i++) {
        const [id, body] = await within(router.receive(), "a dealer message");
        assert.equal(id.length, 5);
        assert.equal(id[0], 0);
        ids.set(text(body), id);
      }
      assert.equal(new Set([...ids.values()].map((id) => id.join(","))).size, 3);
      for (let i = 0; i < dealers.length; i++) {
        await router.send([ids.get(`from ${i}`)!, `back to ${i}`]);
      }
      for (let i = 0; i < dealers.length; i++) {
        assert.deepEqual(texts(await within(dealers[i].receive(), "the routed reply")), [
          `back to ${i}`,
        ]);
      }
    } finally {
      await closeAll(...dealers, router);
    }
  });

  Deno.test(`dealer/router ${t}: mandatory ROUTER fails unknown ids with EHOSTUNREACH`, async () => {
    const router = new Router({ mandatory: true });
    const lax = new Router();
    const dealer = new Dealer({ routingId: "d1" });
    try {
      await router.bind(transport.bindEndpoint());
      await lax.bind(transport.bindEndpoint());
      const log = new EventLog(router);
      await rejectsWithCode(router.send(["nobody", "x"]), "EHOSTUNREACH");
      await lax.send(["nobody", "x"]); // silently dropped without mandatory
      dealer.connect(router.lastEndpoint!);
      await log.wait("handshake");
      await router.send(["d1", "hello"]);
      assert.deepEqual(texts(await within(dealer.receive(), "hello")), ["hello"]);
      await rejectsWithCode(router.send(["d2", "x"]), "EHOSTUNREACH");
      await rejectsWithCode(router.send(["only-an-id"]), "EINVAL");
      // Once the peer leaves, its id is unknown again.
      await dealer.close();
      await log.wait("disconnect");
      await rejectsWithCode(router.send(["d1", "gone"]), "EHOSTUNREACH");
    } finally {
      await closeAll(dealer, router, lax);
    }
  });

  Deno.test(`dealer/router ${t}: REQ through a ROUTER sees the envelope`, async () => {
    const router = new Router();
    const req = new Request({ routingId: "client-7" });
    try {
      await router.bind(transport.bindEndpoint());
      req.connect(router.lastEndpoint!);
      await req.send(["a", "", "b"]);
      const frames = await within(router.receive(), "the request");
      assert.deepEqual(texts(frames), ["client-7", "", "a", "", "b"]);
      await router.send([frames[0], "", "reply", ""]);
      assert.deepEqual(texts(await within(req.receive(), "the reply")), ["reply", ""]);
    } finally {
      await closeAll(req, router);
    }
  });

  Deno.test(`proxy ${t}: ROUTER↔DEALER broker carries request/reply both ways`, async () => {
    const frontend = new Router();
    const backend = new Dealer();
    const clients = [new Request(), new Request()];
    const worker = new Reply();
    try {
      await frontend.bind(transport.bindEndpoint());
      await backend.bind(transport.bindEndpoint());
      const running = proxy(frontend, backend);
      worker.connect(backend.lastEndpoint!);
      for (const client of clients) client.connect(frontend.lastEndpoint!);
      const serving = (async () => {
        for await (const frames of worker) await worker.send(["done", ...frames]);
      })();
      for (let round = 0; round < 3; round++) {
        await Promise.all(clients.map((c, i) => c.send(["job", `${i}.${round}`])));
        for (let i = 0; i < clients.length; i++) {
          assert.deepEqual(texts(await within(clients[i].receive(), "a brokered reply")), [
            "done",
            "job",
            `${i}.${round}`,
          ]);
        }
      }
      await closeAll(frontend, backend);
      await within(running, "the proxy to stop once its sockets close");
      await worker.close();
      await serving;
    } finally {
      await closeAll(...clients, worker, frontend, backend);
    }
  });
}

Deno.test("dealer/router: a second peer claiming a taken routing id is refused", async () => {
  const router = new Router();
  const first = new Dealer({ routingId: "same" });
  const second = new Dealer({ routingId: "same", reconnectInterval: 20 });
  try {
    const log = new EventLog(router);
    const secondLog = new EventLog(second);
    await router.bind("inproc://router-duplicate-id");
    first.connect(router.lastEndpoint!);
    await log.wait("handshake");
    second.connect(router.lastEndpoint!);
    // The second is dropped each time it tries; the first keeps its id.
    await secondLog.wait("disconnect", 2);
    assert.equal(log.count("handshake"), 1);
    const refused = await log.wait("handshake:error");
    assert.match(refused.reason ?? "", /routing id already in use/);
    await router.send(["same", "to the first"]);
    assert.deepEqual(texts(await within(first.receive(), "the message")), ["to the first"]);
  } finally {
    await closeAll(first, second, router);
  }
});

Deno.test("dealer/router: with handover a new peer takes over a routing id", async () => {
  const router = new Router({ handover: true });
  const first = new Dealer({ routingId: "same", reconnectInterval: 10_000 });
  const second = new Dealer({ routingId: "same" });
  try {
    const log = new EventLog(router);
    await router.bind("inproc://router-handover");
    first.connect(router.lastEndpoint!);
    await log.wait("handshake");
    second.connect(router.lastEndpoint!);
    await log.wait("handshake", 2);
    await waitFor(() => log.count("disconnect") === 1, "the first holder to be dropped");
    await router.send(["same", "to the second"]);
    assert.deepEqual(texts(await within(second.receive(), "the message")), ["to the second"]);
  } finally {
    await closeAll(first, second, router);
  }
});

Deno.test("dealer/router: an id starting with 0 is refused, so no peer can take a generated one", async () => {
  const router = new Router({ handover: true });
  const dealer = new Dealer(); // gets a generated id: 0 + 4 bytes
  try {
    const log = new EventLog(router);
    await router.bind("tcp://127.0.0.1:0");
    dealer.connect(router.lastEndpoint!);
    await dealer.send("hello");
    const [generated] = await within(router.receive(), "the dealer's message");
    assert.equal(generated[0], 0);
    // A peer announcing that very id, on a router that lets new peers take ids over.
    const raw = await RawPeer.connect(router.lastEndpoint!);
    try {
      const writer = new FrameWriter();
      writer.writeRaw(encodeGreeting());
      writer.writeCommand(
        "READY",
        encodeMetadata({ "Socket-Type": "DEALER", Identity: generated.slice() }),
      );
      await raw.write(writer.take().slice());
      const refused = await log.wait("handshake:error", 1, raw.address);
      assert.match(refused.reason ?? "", /starting with a zero byte are reserved/);
      await raw.waitEnded();
    } finally {
      await raw.dispose();
    }
    // The dealer kept its id.
    assert.equal(log.count("disconnect"), 0);
    await router.send([generated, "still yours"]);
    assert.deepEqual(texts(await within(dealer.receive(), "the routed message")), ["still yours"]);
  } finally {
    await closeAll(dealer, router);
  }
});

Deno.test("reply: a lone empty frame is a body without a delimiter, and is dropped", async () => {
  const rep = new Reply();
  const dealer = new Dealer();
  try {
    await rep.bind("inproc://reply-final-empty");
    dealer.connect(rep.lastEndpoint!);
    await dealer.send(""); // one empty frame: no MORE, so no delimiter
    await dealer.send(["", ""]); // a delimiter and an empty body
    assert.deepEqual(texts(await within(rep.receive(), "the proper request")), [""]);
    await rep.send("answer");
    assert.deepEqual(texts(await within(dealer.receive(), "the reply")), ["", "answer"]);
  } finally {
    await closeAll(dealer, rep);
  }
});

Deno.test("req/rep: a relaxed REQ paused at its receive high-water mark is not wedged by a new request", async () => {
  const router = new Router();
  const req = new Request({ relaxed: true, receiveHighWaterMark: 1 });
  try {
    await router.bind("tcp://127.0.0.1:0");
    req.connect(router.lastEndpoint!);
    await req.send("r1");
    const [id, , r1] = await within(router.receive(), "r1");
    assert.equal(text(r1), "r1");
    // The reply fills the REQ's one-message queue, which stops its reader...
    await router.send([id, "", "a1"]);
    assert.equal(await req.readable({ timeoutMs: WAIT_MS }), true);
    // ...and a new request (relaxed) throws that stale reply away.
    await req.send("r2");
    const [, , r2] = await within(router.receive(), "r2");
    assert.equal(text(r2), "r2");
    await router.send([id, "", "a2"]);
    assert.deepEqual(texts(await within(req.receive(), "the reply to r2")), ["a2"]);
  } finally {
    await closeAll(req, router);
  }
});

Deno.test("proxy: a message the other side cannot take is dropped, and the proxy carries on", async () => {
  const frontend = new Router();
  const backend = new Dealer();
  const client = new Request();
  const worker = new Dealer();
  try {
    await frontend.bind("tcp://127.0.0.1:0");
    await backend.bind("tcp://127.0.0.1:0");
    let failure: unknown = null;
    const running = proxy(frontend, backend).catch((error) => failure = error);
    worker.connect(backend.lastEndpoint!);
    client.connect(frontend.lastEndpoint!);
    await client.send("job");
    const request = await within(worker.receive(), "the brokered request");
    // One frame towards the ROUTER: no routing id and body, so it cannot be routed.
    await worker.send("malformed");
    await worker.send(request.map((frame, i) => i === request.length - 1 ? "done" : frame));
    assert.deepEqual(texts(await within(client.receive(), "the reply")), ["done"]);
    assert.equal(failure, null);
    await closeAll(frontend, backend);
    await within(running, "the proxy to stop once its sockets close");
    assert.equal(failure, null);
  } finally {
    await closeAll(client, worker, frontend, backend);
  }
});

Deno.test("proxy: once it has failed, neither direction forwards any more", async () => {
  const frontend = new Dealer({ sendTimeout: 0 });
  const backend = new Dealer({ sendTimeout: 0 });
  const client = new Dealer({ receiveTimeout: 200 });
  const worker = new Dealer();
  try {
    await frontend.bind("tcp://127.0.0.1:0");
    await backend.bind("tcp://127.0.0.1:0");
    const log = new EventLog(frontend);
    const running = proxy(frontend, backend);
    client.connect(frontend.lastEndpoint!);
    await log.wait("handshake");
    // No worker yet: the backend cannot take the request at once, and the proxy fails.
    await client.send("nobody to take this");
    await rejectsWithCode(within(running, "the proxy to fail"), "EAGAIN");
    // A worker that turns up later is not served by the failed proxy.
    worker.connect(backend.lastEndpoint!);
    await worker.send("too late");
    await rejectsWithCode(client.receive(), "EAGAIN");
  } finally {
    await closeAll(client, worker, frontend, backend);
  }
});
