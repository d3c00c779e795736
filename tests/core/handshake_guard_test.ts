/**
 * maxHandshakes and maxHandshakesPerAddress (core/sockets/handshake_guard.ts):
 * connections that open and never complete a handshake (a hostile host
 * without the CURVE server's key) hold at most that many of the socket's
 * descriptors; the oldest waiting is closed to make room, and an honest
 * peer still gets through during the flood.
 */
import assert from "node:assert/strict";
import { Dealer, Router } from "../../mod.ts";
import { ROLE_HANDSHAKE_LIMITS } from "../../core/limits.ts";
import { HandshakeGuard } from "../../core/sockets/handshake_guard.ts";
import { silentConnections, waitFor } from "./helpers.ts";

/** The port a socket bound on tcp://127.0.0.1:0 got. */
function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
}

Deno.test("a flood of silent connections holds at most maxHandshakes; an honest peer gets through", async () => {
  const router = new Router({ linger: 0, maxHandshakes: 50 });
  const failures: string[] = [];
  router.events.on("handshake:error", (event) => failures.push(event.reason ?? ""));
  await router.bind("tcp://127.0.0.1:0");
  const endpoint = router.lastEndpoint!;
  const flood = await silentConnections(portOf(endpoint), 300);
  const dealer = new Dealer({ linger: 0, receiveTimeout: 10_000 });
  try {
    // Every connection past the 50 newest was closed by the server, the oldest first.
    await waitFor(() => flood.closedByServer === 250, "the server to close 250 of 300");
    assert.equal(failures.filter((r) => /make room: 50 connections/.test(r)).length, 250);
    // An honest peer's handshake completes among the 50 waiting.
    dealer.connect(endpoint);
    await dealer.send("ping");
    const [from, body] = await router.receive();
    await router.send([from, body]);
    assert.equal(new TextDecoder().decode((await dealer.receive())[0]), "ping");
  } finally {
    flood.close();
    await dealer.close();
    await router.close();
  }
});

Deno.test("maxHandshakesPerAddress bounds one address's waiting connections", async () => {
  const router = new Router({ linger: 0, maxHandshakesPerAddress: 10 });
  await router.bind("tcp://127.0.0.1:0");
  const endpoint = router.lastEndpoint!;
  const flood = await silentConnections(portOf(endpoint), 60);
  try {
    await waitFor(() => flood.closedByServer === 50, "the server to close 50 of 60");
  } finally {
    flood.close();
    await router.close();
  }
});

Deno.test("without the options a socket bounds nothing, as libzmq", async () => {
  const router = new Router({ linger: 0 });
  assert.deepEqual([router.maxHandshakes, router.maxHandshakesPerAddress], [0, 0]);
  router.maxHandshakes = ROLE_HANDSHAKE_LIMITS.maxHandshakes;
  assert.equal(router.maxHandshakes, 128);
  assert.throws(() => router.maxHandshakesPerAddress = -1, /maxHandshakesPerAddress/);
  await router.close();
});

Deno.test("the guard closes the oldest waiting, per address first, and forgets the settled", () => {
  const closed: string[] = [];
  const guard = new HandshakeGuard<string>(
    () => ({ total: 3, perAddress: 2 }),
    (conn) => closed.push(conn),
  );
  guard.admit("a1", "tcp://10.0.0.1:1");
  guard.admit("b1", "tcp://[fe80::1]:1");
  guard.admit("a2", "tcp://10.0.0.1:2");
  guard.admit("a3", "tcp://10.0.0.1:3"); // a1 goes: 3 from 10.0.0.1
  assert.deepEqual(closed, ["a1"]);
  guard.settled("b1");
  guard.admit("b2", "tcp://[fe80::1]:2");
  guard.admit("c1", "tcp://10.0.0.3:1"); // 4 waiting: the oldest (a2) goes
  assert.deepEqual(closed, ["a1", "a2"]);
  assert.equal(guard.waiting, 3);
});
