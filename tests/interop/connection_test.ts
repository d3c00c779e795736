/**
 * Connection lifecycle against real libzmq: a zedge socket and a libzmq
 * socket of incompatible types never complete a handshake, and zedge
 * reconnects (re-subscribing a SUB) when a libzmq peer is killed and
 * restarted on the same endpoint.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type SocketEvent, ZmqError } from "../../mod.ts";
import { expectMessage, syncPublisher } from "./cases.ts";
import { utf8 } from "./frames.ts";
import {
  LibzmqPeer,
  type PeerEvent,
  type Runtime,
  RUNTIMES,
  type SocketType,
} from "./libzmq_peer.ts";
import { PeerSide } from "./sides.ts";
import { createZedgeSocket, ZedgeSide } from "./zedge_side.ts";

const ANY_PORT = "tcp://127.0.0.1:0";
const EVENT_TIMEOUT_MS = 10_000;

/** Pairs that ZMTP forbids (RFC 37's valid-peer table), zedge type first. */
const INCOMPATIBLE: readonly { zedge: SocketType; libzmq: SocketType; zedgeBinds: boolean }[] = [
  { zedge: "REQ", libzmq: "PUB", zedgeBinds: false },
  { zedge: "PUSH", libzmq: "PUSH", zedgeBinds: false },
  { zedge: "SUB", libzmq: "REP", zedgeBinds: false },
  { zedge: "DEALER", libzmq: "PAIR", zedgeBinds: false },
  { zedge: "PULL", libzmq: "REQ", zedgeBinds: true },
];

/** Resolves with the first event `matches` accepts, or rejects after `timeoutMs`. */
function nextEvent(
  events: SocketEvent[],
  subscribe: (listener: (event: SocketEvent) => void) => () => void,
  matches: (event: SocketEvent) => boolean,
  timeoutMs: number,
  what: string,
): Promise<SocketEvent> {
  const earlier = events.find(matches);
  if (earlier) return Promise.resolve(earlier);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what} within ${timeoutMs} ms; zedge events: ${eventTypes(events)}`));
    }, timeoutMs);
    const off = subscribe((event) => {
      if (!matches(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

function eventTypes(events: readonly (SocketEvent | PeerEvent)[]): string {
  return events.map((e) => e.type).join(", ") || "none";
}

async function checkIncompatible(
  runtime: Runtime,
  pair: (typeof INCOMPATIBLE)[number],
): Promise<void> {
  const socket = createZedgeSocket({ type: pair.zedge });
  const seen: SocketEvent[] = [];
  const offAll = socket.events.on("*", (event) => seen.push(event));
  let peer: LibzmqPeer | null = null;
  try {
    if (pair.zedgeBinds) {
      await socket.bind(ANY_PORT);
      peer = await LibzmqPeer.start(runtime, {
        type: pair.libzmq,
        connect: [socket.lastEndpoint!],
        monitor: true,
      });
    } else {
      peer = await LibzmqPeer.start(runtime, {
        type: pair.libzmq,
        bind: [ANY_PORT],
        monitor: true,
      });
      socket.connect(peer.endpoint);
    }
    const peerEvents = await peer.events("disconnect", EVENT_TIMEOUT_MS);
    assert.ok(
      peerEvents.some((e) => e.type === "disconnect"),
      `${peer.name} never closed the connection: its events were ${eventTypes(peerEvents)}`,
    );
    assert.ok(
      !peerEvents.some((e) => e.type === "handshake"),
      `${peer.name} completed a handshake with zedge ${pair.zedge}: ${eventTypes(peerEvents)}`,
    );
    if (!pair.zedgeBinds) {
      // zedge noticed the closed connection and dials again: a fresh "connect".
      const connects = seen.filter((e) => e.type === "connect").length;
      await nextEvent(
        [],
        (listener) => socket.events.on("connect", listener),
        () => true,
        EVENT_TIMEOUT_MS,
        `zedge ${pair.zedge} never redialed after ${connects} rejected connection(s)`,
      );
    }
    assert.ok(
      !seen.some((e) => e.type === "handshake"),
      `zedge ${pair.zedge} completed a handshake with ${peer.name}: ${eventTypes(seen)}`,
    );
    if (pair.zedge !== "SUB" && pair.zedge !== "PULL") {
      socket.sendTimeout = 200;
      if (pair.zedgeBinds) {
        // No peer ever attached, so a send has nowhere to go.
        await assert.rejects(
          socket.send("must not be delivered"),
          (error) => error instanceof ZmqError && error.code === "EAGAIN",
        );
      } else {
        // immediate off (libzmq's default): the connect()ed endpoint takes
        // it, to wait for a handshake that never comes, as libzmq's would.
        await socket.send("must not be delivered");
      }
    }
  } finally {
    offAll();
    await socket.close();
    await peer?.close();
  }
}

for (const runtime of RUNTIMES) {
  Deno.test(`interop zedge ⇄ ${runtime}: incompatible socket types never handshake`, async (t) => {
    for (const pair of INCOMPATIBLE) {
      const name = pair.zedgeBinds
        ? `${runtime} ${pair.libzmq} connecting to zedge ${pair.zedge}`
        : `zedge ${pair.zedge} connecting to ${runtime} ${pair.libzmq}`;
      await t.step(name, () => checkIncompatible(runtime, pair));
    }
  });

  Deno.test(`interop zedge ⇄ ${runtime}: zedge reconnects to a restarted peer`, async (t) => {
    await t.step(`zedge DEALER → ${runtime} ROUTER, ROUTER killed and restarted`, async () => {
      const spec = { type: "DEALER", routingId: "dealer-r" } as const;
      const dealer = new ZedgeSide(createZedgeSocket(spec), spec);
      const seen: SocketEvent[] = [];
      const off = dealer.socket.events.on("*", (event) => seen.push(event));
      let peer = await LibzmqPeer.start(runtime, { type: "ROUTER", bind: [ANY_PORT] });
      const endpoint = peer.endpoint;
      try {
        dealer.socket.connect(endpoint);
        for (const round of ["before restart", "after restart"]) {
          const router = new PeerSide(peer, { type: "ROUTER" });
          await dealer.send([utf8(round)]);
          await expectMessage(router, [utf8("dealer-r"), utf8(round)], round);
          await router.send([utf8("dealer-r"), utf8("re"), utf8(round)]);
          await expectMessage(dealer, [utf8("re"), utf8(round)], `reply ${round}`);
          if (round === "after restart") break;

          const handshakes = seen.filter((e) => e.type === "handshake").length;
          await peer.kill();
          await nextEvent(
            seen,
            (listener) => dealer.socket.events.on("disconnect", listener),
            (e) => e.type === "disconnect",
            EVENT_TIMEOUT_MS,
            `zedge never noticed that ${peer.name} (pid ${peer.pid}) was killed`,
          );
          peer = await LibzmqPeer.start(runtime, { type: "ROUTER", bind: [endpoint] });
          await nextEvent(
            seen.filter((e) => e.type === "handshake").slice(handshakes),
            (listener) => dealer.socket.events.on("handshake", listener),
            () => true,
            EVENT_TIMEOUT_MS,
            `zedge never reconnected to the restarted ${peer.name} at ${endpoint}`,
          );
        }
      } finally {
        off();
        await dealer.close();
        await peer.close();
      }
    });

    await t.step(`zedge SUB ← ${runtime} PUB, PUB restarted: subscriptions resent`, async () => {
      const sub = new ZedgeSide(createZedgeSocket({ type: "SUB" }), { type: "SUB" });
      const seen: SocketEvent[] = [];
      const off = sub.socket.events.on("*", (event) => seen.push(event));
      let peer = await LibzmqPeer.start(runtime, { type: "PUB", bind: [ANY_PORT] });
      const endpoint = peer.endpoint;
      try {
        await sub.subscribe(utf8("A"));
        sub.socket.connect(endpoint);
        for (const round of ["before restart", "after restart"]) {
          const pub = new PeerSide(peer, { type: "PUB" });
          // The probes carry prefix A: they only arrive if the (new) PUB has the subscription.
          await syncPublisher(pub, sub, `A-sync ${round}`);
          await pub.send([utf8("B"), utf8("filtered")]);
          await pub.send([utf8("A"), utf8(round)]);
          await expectMessage(sub, [utf8("A"), utf8(round)], round);
          if (round === "after restart") break;

          await peer.kill();
          await nextEvent(
            seen,
            (listener) => sub.socket.events.on("disconnect", listener),
            (e) => e.type === "disconnect",
            EVENT_TIMEOUT_MS,
            `zedge never noticed that ${peer.name} was killed`,
          );
          peer = await LibzmqPeer.start(runtime, { type: "PUB", bind: [endpoint] });
        }
      } finally {
        off();
        await sub.close();
        await peer.close();
      }
    });
  });
}
