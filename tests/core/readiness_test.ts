/**
 * Readiness signals: readable()/writable() resolve when a socket becomes
 * readable (a message it would return is queued) or writable (a send would
 * be taken at once), at once when it already is, false on a timeout or an
 * abort, ETERM on close; readableNow/writableNow say the same synchronously,
 * following each socket type's own state (REQ awaiting a reply, REP between
 * requests, PUB never waiting).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Dealer,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  Subscriber,
  XSubscriber,
} from "../../mod.ts";
import {
  closeAll,
  EventLog,
  rejectsWithCode,
  texts,
  TRANSPORTS,
  WAIT_MS,
  within,
} from "./helpers.ts";

for (const transport of TRANSPORTS) {
  Deno.test(`readiness [${transport.name}]: a PULL becomes readable when a message is queued`, async () => {
    const pull = new Pull();
    const push = new Push();
    try {
      await pull.bind(transport.bindEndpoint());
      assert.equal(pull.readableNow, false);
      const waiting = pull.readable();
      push.connect(pull.lastEndpoint!);
      await push.send("hello");
      assert.equal(await within(waiting, "readable()"), true);
      assert.equal(pull.readableNow, true);
      // Already readable: resolves at once, and takes nothing.
      assert.equal(await pull.readable({ timeoutMs: 0 }), true);
      assert.deepEqual(texts(await pull.receive()), ["hello"]);
      assert.equal(pull.readableNow, false);
    } finally {
      await closeAll(push, pull);
    }
  });
}

Deno.test("readiness: false on a timeout or an abort, ETERM on close", async () => {
  const pull = new Pull();
  try {
    assert.equal(await pull.readable({ timeoutMs: 20 }), false);
    const controller = new AbortController();
    const aborted = pull.readable({ signal: controller.signal });
    controller.abort();
    assert.equal(await within(aborted, "the aborted wait"), false);
    assert.equal(await pull.readable({ signal: AbortSignal.abort() }), false);
    const pending = pull.readable();
    await pull.close();
    await rejectsWithCode(pending, "ETERM");
    await rejectsWithCode(pull.readable(), "ETERM");
    await rejectsWithCode(pull.writable(), "ETERM");
  } finally {
    await pull.close();
  }
});

Deno.test("readiness: a PUSH is writable while a peer has room", async () => {
  const pull = new Pull({ receiveHighWaterMark: 1 });
  const push = new Push({ sendHighWaterMark: 1 });
  try {
    assert.equal(push.writableNow, false, "no peer yet");
    assert.equal(pull.writableNow, false, "a PULL never sends");
    await pull.bind("tcp://127.0.0.1:0");
    const attached = push.writable();
    push.connect(pull.lastEndpoint!);
    assert.equal(await within(attached, "writable() once a peer attached"), true);
    // Fill the pipeline (queue and kernel buffers) until the PUSH stays
    // unwritable: writable() then waits too...
    const body = new Uint8Array(256 * 1024);
    let sent = 0;
    do await push.send([String(sent++), body]); while (await push.writable({ timeoutMs: 50 }));
    assert.equal(push.writableNow, false);
    const room = push.writable();
    // ...until the reader makes room.
    for (let i = 0; i < sent; i++) await within(pull.receive(), `message ${i}`);
    assert.equal(await within(room, "writable() once the reader drained"), true);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("readiness: REQ and REP follow their send/receive alternation", async () => {
  const rep = new Reply();
  const req = new Request();
  try {
    await rep.bind("inproc://readiness-reqrep");
    const log = new EventLog(req);
    req.connect(rep.lastEndpoint!);
    await log.wait("handshake");
    assert.equal(req.writableNow, true);
    assert.equal(req.readableNow, false, "nothing asked, nothing to read");
    assert.equal(rep.writableNow, false, "nothing to answer yet");
    await req.send("ping");
    assert.equal(req.writableNow, false, "a strict REQ waits for its reply");
    assert.equal(await within(rep.readable(), "the request"), true);
    const [ping] = await rep.receive();
    assert.equal(rep.writableNow, true, "a request waits for its reply");
    assert.equal(rep.readableNow, false, "a REP must answer before reading on");
    // A request queued meanwhile makes REP readable once it has answered.
    const second = new Request();
    try {
      second.connect(rep.lastEndpoint!);
      await second.send("second");
      const afterReply = rep.readable();
      await rep.send(ping);
      assert.equal(await within(afterReply, "readable() after the reply"), true);
      assert.equal(await within(req.readable(), "the reply"), true);
      assert.deepEqual(texts(await req.receive()), ["ping"]);
      assert.equal(req.writableNow, true);
    } finally {
      await second.close();
    }
  } finally {
    await closeAll(req, rep);
  }
});

Deno.test("readiness: PUB and XSUB never wait; a lax ROUTER neither; a mandatory one needs a peer", async () => {
  const pub = new Publisher();
  const xsub = new XSubscriber();
  const sub = new Subscriber();
  const lax = new Router();
  const mandatory = new Router({ mandatory: true });
  const dealer = new Dealer();
  try {
    assert.equal(pub.writableNow, true);
    assert.equal(await pub.writable({ timeoutMs: 0 }), true);
    assert.equal(xsub.writableNow, true);
    assert.equal(sub.writableNow, false);
    assert.equal(pub.readableNow, false);
    assert.equal(lax.writableNow, true);
    assert.equal(mandatory.writableNow, false);
    await mandatory.bind("inproc://readiness-mandatory");
    const peer = mandatory.writable();
    dealer.connect("inproc://readiness-mandatory");
    assert.equal(await within(peer, "a peer for the mandatory ROUTER"), true);
  } finally {
    await closeAll(pub, xsub, sub, lax, mandatory, dealer);
  }
});

Deno.test("readiness: many waiters on one socket all wake, and a timed-out one leaves no timer", async () => {
  const pull = new Pull();
  const push = new Push();
  try {
    await pull.bind("inproc://readiness-many");
    const waiters = Array.from({ length: 5 }, () => pull.readable({ timeoutMs: WAIT_MS }));
    assert.equal(await pull.readable({ timeoutMs: 1 }), false);
    push.connect(pull.lastEndpoint!);
    await push.send("one");
    assert.deepEqual(await within(Promise.all(waiters), "every waiter"), [
      true,
      true,
      true,
      true,
      true,
    ]);
  } finally {
    await closeAll(push, pull);
  }
});
