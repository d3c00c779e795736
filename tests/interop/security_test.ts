/**
 * zedge against real libzmq (pyzmq and zeromq.js) with CURVE (RFC 25/26)
 * and PLAIN (RFC 24): REQ/REP, PUSH/PULL, PUB/SUB and DEALER/ROUTER, zedge
 * on either end, either end binding, either end the server — the same
 * conversations as the rest of the table (cases.ts), 10 MiB frames
 * included. The server's ZAP handler (zedge's Authenticator, or one in the
 * libzmq peer) lets in only the client's key or password. Then refusals both
 * ways: libzmq reads zedge's ERROR as an authentication failure, and zedge
 * names libzmq's. And keys that start with '-' (1 in 85 of them), which an
 * option parser takes for an option unless they are passed as --flag=KEY.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Authenticator,
  generateKeyPair,
  Pull,
  Push,
  type Socket,
  type SocketEvent,
  type SocketEventType,
} from "../../mod.ts";
import { within } from "../core/helpers.ts";
import { describe, utf8 } from "./frames.ts";
import { registerMatrix } from "./matrix.ts";
import { LibzmqPeer, RUNTIMES } from "./libzmq_peer.ts";
import { curveProfile, PLAIN } from "./security.ts";
import { peerSides } from "./sides.ts";
import { zedgeSides } from "./zedge_side.ts";

const CASE_NAMES = ["REQ-REP", "PUSH-PULL", "PUB-SUB", "DEALER-ROUTER"];
const CURVE = await curveProfile();

for (const runtime of RUNTIMES) {
  for (const profile of [CURVE, PLAIN]) {
    registerMatrix(CASE_NAMES, zedgeSides, peerSides(runtime), () => true, profile);
  }
}

/** A zedge socket's first event of `type`, or a failure listing what it saw. */
function firstEvent(socket: Socket, type: SocketEventType): Promise<SocketEvent> {
  const seen: string[] = [];
  const off = socket.events.on("*", (event) => seen.push(event.type));
  return within(socket.events.once(type), `a ${type} event (saw: ${seen.join(", ")})`).finally(off);
}

for (const runtime of RUNTIMES) {
  Deno.test(`interop ${runtime}: a libzmq client zedge's authenticator refuses sees an authentication failure`, async () => {
    const server = await generateKeyPair();
    const allowed = await generateKeyPair();
    const stranger = await generateKeyPair();
    const auth = new Authenticator({ curve: { allow: [allowed.publicKey] } });
    await auth.start();
    const pull = new Pull({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 });
    let peer: LibzmqPeer | undefined;
    try {
      await pull.bind("tcp://127.0.0.1:0");
      const refused = firstEvent(pull, "handshake:error");
      peer = await LibzmqPeer.start(runtime, {
        type: "PUSH",
        connect: [pull.lastEndpoint!],
        monitor: true,
        curveServerKey: server.publicKey,
        curvePublicKey: stranger.publicKey,
        curveSecretKey: stranger.secretKey,
      });
      assert.match((await refused).reason ?? "", /refused by the ZAP handler: 400/);
      // libzmq reads ERROR "400" as a ZAP authentication failure.
      const events = await peer.events("handshake:error:auth");
      assert.ok(events.some((e) => e.type === "handshake:error:auth"), JSON.stringify(events));
    } finally {
      await peer?.close();
      await pull.close();
      await auth.close();
    }
  });

  Deno.test(`interop ${runtime}: zedge refused by a libzmq server's ZAP handler says so`, async () => {
    const server = await generateKeyPair();
    const allowed = await generateKeyPair();
    const peer = await LibzmqPeer.start(runtime, {
      type: "PULL",
      bind: ["tcp://127.0.0.1:0"],
      curveServer: true,
      curveSecretKey: server.secretKey,
      zapAllowCurve: [allowed.publicKey],
    });
    const push = new Push({ curveServerKey: server.publicKey, linger: 0 });
    try {
      const refused = firstEvent(push, "handshake:error");
      push.connect(peer.endpoint);
      assert.match(
        (await refused).reason ?? "",
        /CURVE server refused: 400 \(the server's ZAP handler refused our key\)/,
      );
    } finally {
      await push.close();
      await peer.close();
    }
  });
}

/** A key pair whose public and secret keys both start with '-' (1 in 7,225 pairs). */
async function dashedKeyPair(): Promise<{ publicKey: string; secretKey: string }> {
  for (let tries = 0; tries < 1_000_000; tries++) {
    const pair = await generateKeyPair();
    if (pair.publicKey.startsWith("-") && pair.secretKey.startsWith("-")) return pair;
  }
  throw new Error("no key pair starting with '-' in a million");
}

const DASHED_SERVER = await dashedKeyPair();
const DASHED_CLIENT = await dashedKeyPair();

for (const runtime of RUNTIMES) {
  Deno.test(`interop ${runtime}: CURVE keys starting with '-' reach a libzmq client and server`, async () => {
    const auth = new Authenticator({ curve: { allow: [DASHED_CLIENT.publicKey] } });
    await auth.start();
    const pull = new Pull({
      curveServer: true,
      curveSecretKey: DASHED_SERVER.secretKey,
      linger: 0,
      receiveTimeout: 10_000,
    });
    const push = new Push({
      curveServerKey: DASHED_SERVER.publicKey,
      curvePublicKey: DASHED_CLIENT.publicKey,
      curveSecretKey: DASHED_CLIENT.secretKey,
      linger: 0,
    });
    let client: LibzmqPeer | undefined;
    let server: LibzmqPeer | undefined;
    try {
      // The libzmq peer as the client: its server key, public and secret key.
      await pull.bind("tcp://127.0.0.1:0");
      client = await LibzmqPeer.start(runtime, {
        type: "PUSH",
        connect: [pull.lastEndpoint!],
        curveServerKey: DASHED_SERVER.publicKey,
        curvePublicKey: DASHED_CLIENT.publicKey,
        curveSecretKey: DASHED_CLIENT.secretKey,
      });
      assert.ok(await client.send([utf8("from libzmq")]));
      assert.deepEqual(await describe(await pull.receive()), await describe([utf8("from libzmq")]));
      // The libzmq peer as the server: its secret key and its ZAP allow list.
      server = await LibzmqPeer.start(runtime, {
        type: "PULL",
        bind: ["tcp://127.0.0.1:0"],
        curveServer: true,
        curveSecretKey: DASHED_SERVER.secretKey,
        zapAllowCurve: [DASHED_CLIENT.publicKey],
      });
      push.connect(server.endpoint);
      await push.send("from zedge");
      assert.deepEqual(await server.receive(), await describe([utf8("from zedge")]));
    } finally {
      await client?.close();
      await server?.close();
      await push.close();
      await pull.close();
      await auth.close();
    }
  });
}
