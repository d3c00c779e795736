/**
 * The libzmq peers' non-script roles (send, recv, echo), their argument
 * checking and their monitor, driven from zedge sockets: both runtimes must
 * behave identically, since one table drives either.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Dealer, Pull, Push, Reply } from "../../mod.ts";
import { describe, pattern, toHex, toSpec, utf8 } from "./frames.ts";
import { LibzmqPeer, type PeerArgs, peerCommand, RUNTIMES } from "./libzmq_peer.ts";

const ANY_PORT = "tcp://127.0.0.1:0";
const MESSAGE = [utf8("hello"), new Uint8Array(0), pattern(70_000)];

Deno.test("peerCommand builds the same flags for both runtimes", () => {
  const args: PeerArgs = {
    type: "ROUTER",
    bind: ["tcp://127.0.0.1:0"],
    role: "send",
    count: 3,
    message: [toSpec(utf8("A")), toSpec(pattern(300))],
    routingId: utf8("r1"),
    subscribe: [utf8("A"), utf8("")],
    routerMandatory: true,
    monitor: true,
  };
  const flags = [
    "--type",
    "ROUTER",
    "--bind",
    "tcp://127.0.0.1:0",
    "--role",
    "send",
    "--count",
    "3",
    "--message",
    '["41",{"pattern":300}]',
    "--routing-id",
    "7231",
    "--subscribe",
    "41",
    "--subscribe",
    "",
    "--router-mandatory",
    "--monitor",
  ];
  const python = peerCommand("pyzmq", args);
  assert.equal(python.command, "/usr/bin/python3");
  assert.match(python.args[0], /tests\/peers\/python\/libzmq_peer\.py$/);
  assert.deepEqual(python.args.slice(1), flags);
  const node = peerCommand("zeromq.js", args);
  assert.equal(node.command, "node");
  assert.match(node.args[0], /tests\/peers\/node\/libzmq_peer\.mjs$/);
  assert.deepEqual(node.args.slice(1), flags);
});

Deno.test("peerCommand passes keys and passwords as --flag=VALUE, so a leading '-' is no option", () => {
  const key = "-" + "0".repeat(39);
  const flags = [
    "--type",
    "PUSH",
    "--curve-server",
    `--curve-public-key=${key}`,
    `--curve-secret-key=${key}`,
    `--curve-server-key=${key}`,
    "--plain-username=-u",
    "--plain-password=-p=w",
    "--zap-domain=-d",
    "--zap-allow-plain=-u=-p",
    `--zap-allow-curve=${key}`,
  ];
  for (const runtime of RUNTIMES) {
    const { args } = peerCommand(runtime, {
      type: "PUSH",
      curveServer: true,
      curvePublicKey: key,
      curveSecretKey: key,
      curveServerKey: key,
      plainUsername: "-u",
      plainPassword: "-p=w",
      zapDomain: "-d",
      zapAllowPlain: ["-u=-p"],
      zapAllowCurve: [key],
    });
    assert.deepEqual(args.slice(1), flags);
  }
});

for (const runtime of RUNTIMES) {
  Deno.test(`${runtime} peer: send role delivers --count messages`, async () => {
    const pull = new Pull({ linger: 0, receiveTimeout: 10_000 });
    await pull.bind(ANY_PORT);
    const peer = await LibzmqPeer.start(runtime, {
      type: "PUSH",
      connect: [pull.lastEndpoint!],
      role: "send",
      count: 3,
      message: MESSAGE.map(toSpec),
    });
    try {
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await describe(await pull.receive()), await describe(MESSAGE));
      }
      assert.deepEqual(await peer.next(10_000), { event: "sent", count: 3 });
      assert.deepEqual(await peer.next(10_000), { event: "done" });
      assert.equal(await peer.wait(), 0);
    } finally {
      await peer.kill();
      await pull.close();
    }
  });

  Deno.test(`${runtime} peer: recv role prints each message`, async () => {
    const push = new Push({ linger: 0 });
    await push.bind(ANY_PORT);
    const peer = await LibzmqPeer.start(runtime, {
      type: "PULL",
      connect: [push.lastEndpoint!],
      role: "recv",
      count: 2,
    });
    try {
      await push.send(MESSAGE);
      await push.send("second");
      assert.deepEqual(await peer.next(10_000), {
        event: "recv",
        frames: await describe(MESSAGE),
      });
      assert.deepEqual(await peer.next(10_000), { event: "recv", frames: [toHex(utf8("second"))] });
      assert.deepEqual(await peer.next(10_000), { event: "done" });
      assert.equal(await peer.wait(), 0);
    } finally {
      await peer.kill();
      await push.close();
    }
  });

  Deno.test(`${runtime} peer: echo role answers a DEALER through its ROUTER`, async () => {
    const peer = await LibzmqPeer.start(runtime, {
      type: "ROUTER",
      bind: [ANY_PORT],
      role: "echo",
      count: 2,
    });
    const dealer = new Dealer({ linger: 0, routingId: "d-echo", receiveTimeout: 10_000 });
    try {
      dealer.connect(peer.endpoint);
      for (const message of [MESSAGE, [utf8("again")]]) {
        await dealer.send(message);
        assert.deepEqual(await describe(await dealer.receive()), await describe(message));
        assert.deepEqual(await peer.next(10_000), {
          event: "recv",
          frames: await describe([utf8("d-echo"), ...message]),
        });
      }
      assert.deepEqual(await peer.next(10_000), { event: "done" });
    } finally {
      await peer.kill();
      await dealer.close();
    }
  });

  Deno.test(`${runtime} peer: a REQ in the send role prints each reply`, async () => {
    const rep = new Reply({ linger: 0, receiveTimeout: 10_000 });
    await rep.bind(ANY_PORT);
    const peer = await LibzmqPeer.start(runtime, {
      type: "REQ",
      connect: [rep.lastEndpoint!],
      role: "send",
      count: 2,
      message: [toSpec(utf8("ping"))],
    });
    try {
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(await rep.receive(), [utf8("ping")]);
        await rep.send(["pong", String(i)]);
        assert.deepEqual(await peer.next(10_000), {
          event: "recv",
          frames: [toHex(utf8("pong")), toHex(utf8(String(i)))],
        });
      }
      assert.deepEqual(await peer.next(10_000), { event: "sent", count: 2 });
    } finally {
      await peer.kill();
      await rep.close();
    }
  });

  Deno.test(`${runtime} peer: bad arguments and commands are reported, not crashed on`, async () => {
    await assert.rejects(
      LibzmqPeer.start(runtime, { type: "BOGUS" as "REQ", bind: [ANY_PORT] }),
      /did not start: bad arguments: .*type/,
    );
    await assert.rejects(
      LibzmqPeer.start(runtime, { type: "PULL", bind: [ANY_PORT], role: "echo" }),
      /did not start: bad arguments: --role echo/,
    );
    const peer = await LibzmqPeer.start(runtime, { type: "PULL", bind: [ANY_PORT] });
    try {
      await assert.rejects(peer.request({ op: "fly" }), /unknown op "fly"/);
      await assert.rejects(
        peer.request({ op: "send", frames: ["zz"] }),
        /send\.frames\[0\]: not a hex string/,
      );
      await assert.rejects(peer.events(), /events need --monitor/);
      assert.equal(await peer.receive(50), null);
    } finally {
      await peer.close();
    }
  });

  Deno.test(`${runtime} peer: the monitor reports a zedge connection`, async () => {
    const peer = await LibzmqPeer.start(runtime, {
      type: "PULL",
      bind: [ANY_PORT],
      monitor: true,
    });
    const push = new Push({ linger: 0 });
    try {
      push.connect(peer.endpoint);
      const events = await peer.events("handshake", 10_000);
      assert.deepEqual(
        events.map((e) => e.type),
        ["bind", "accept", "handshake"],
      );
      assert.ok(events.every((e) => e.address === peer.endpoint), JSON.stringify(events));
    } finally {
      await push.close();
      await peer.close();
    }
  });
}
