/**
 * The trade-offs of `immediate` off (core/sockets/policies/endpoint_pipe.ts):
 * round robin also queues to an endpoint that is down, and what waits
 * there does not hold close() or disconnect() up.
 */
import assert from "node:assert/strict";
import { Dealer, Pull, Push, Router } from "../../mod.ts";
import { closeAll, EventLog, freeTcpPort, text, texts, within } from "./helpers.ts";

Deno.test("immediate off: round robin queues to an endpoint that is down; immediate on sends only to the live one", async () => {
  for (const immediate of [false, true]) {
    const router = new Router();
    const dealer = new Dealer({ immediate, routingId: "d" });
    try {
      await router.bind("tcp://127.0.0.1:0");
      const down = `tcp://127.0.0.1:${freeTcpPort()}`;
      const log = new EventLog(dealer);
      dealer.connect(router.lastEndpoint!);
      dealer.connect(down);
      await log.wait("handshake");
      for (let i = 0; i < 4; i++) await dealer.send(String(i));
      const live = [];
      for (let i = 0; i < (immediate ? 4 : 2); i++) {
        const [, body] = await within(router.receive(), `message ${i} at the live peer`);
        live.push(text(body));
      }
      // Off: every other message went to the endpoint that is down, and waits there.
      assert.deepEqual(
        live,
        immediate ? ["0", "1", "2", "3"] : ["0", "2"],
        `immediate ${immediate}`,
      );
      assert.equal(await router.readable({ timeoutMs: 100 }), false, "nothing more arrives");
    } finally {
      await closeAll(dealer, router);
    }
  }
});

Deno.test("immediate off: close() with messages waiting for an endpoint that is down returns once it refuses", async () => {
  const push = new Push({ reconnectInterval: 10 }); // linger -1: no limit of its own
  const log = new EventLog(push);
  push.connect(`tcp://127.0.0.1:${freeTcpPort()}`);
  await push.send("waits");
  const started = Date.now();
  await within(push.close(), "close with a message waiting for a dead endpoint", 5000);
  assert.ok(Date.now() - started < 5000);
  assert.ok(log.count("connect:retry") >= 1, "it tried");
});

Deno.test("immediate off: a message that waited for an endpoint goes out once it comes up, and close() lingers for it", async () => {
  const endpoint = `tcp://127.0.0.1:${freeTcpPort()}`;
  const push = new Push({ reconnectInterval: 10 });
  const pull = new Pull();
  try {
    const log = new EventLog(push);
    push.connect(endpoint);
    await log.wait("connect:retry");
    await push.send("late");
    await pull.bind(endpoint);
    await log.wait("handshake");
    await push.close();
    assert.deepEqual(texts(await within(pull.receive(), "the waiting message")), ["late"]);
  } finally {
    await closeAll(push, pull);
  }
});

Deno.test("immediate off: disconnect() drops what waits for that endpoint and leaves the others", async () => {
  const pull = new Pull();
  const push = new Push({ reconnectInterval: 10 });
  try {
    await pull.bind("tcp://127.0.0.1:0");
    const down = `tcp://127.0.0.1:${freeTcpPort()}`;
    const log = new EventLog(push);
    push.connect(down);
    push.connect(pull.lastEndpoint!);
    await log.wait("handshake");
    for (let i = 0; i < 4; i++) await push.send(String(i)); // 0, 2 to the down one
    await push.disconnect(down);
    await pull.bind(down); // comes up after the disconnect: nothing goes there
    const got = [];
    for (let i = 0; i < 2; i++) got.push(texts(await within(pull.receive(), `message ${i}`))[0]);
    assert.deepEqual(got, ["1", "3"]);
    assert.equal(await pull.readable({ timeoutMs: 200 }), false, "the dropped ones never arrive");
  } finally {
    await closeAll(push, pull);
  }
});
