/**
 * The mechanism seam: a connection asks its mechanism for the greeting's
 * name and as-server flag, the handshake commands, and (when it has one) how
 * message frames travel. A toy mechanism that boxes every frame into a
 * frame of its own, as CURVE does, proves the path CURVE takes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Connection, type ConnectionOwner } from "../../core/sockets/connection.ts";
import { dialInproc, listenInproc } from "../../core/transport/inproc.ts";
import type { ByteStream } from "../../core/transport/mod.ts";
import {
  type Command,
  decodeMetadata,
  Decoder,
  encodeMetadata,
  type FrameCodec,
  type Mechanism,
  NULL_MECHANISM,
  ZmtpError,
} from "../../core/zmtp/mod.ts";
import { waitFor } from "./helpers.ts";

const MASK = 0x5a;
const mask = (bytes: Uint8Array) => bytes.map((b) => b ^ MASK);

/**
 * Boxes each frame into a single frame of its own, as CURVE's MESSAGE: a
 * MORE byte, then the masked body (so the wire's MORE flag is never set);
 * commands (PING, SUBSCRIBE) pass through unboxed.
 */
const BOXING: FrameCodec = {
  frameOverhead: 1,
  clearCommands: true,
  writeMessage(writer, frames) {
    frames.forEach((frame, i) => {
      const body = typeof frame === "string" ? new TextEncoder().encode(frame) : frame;
      const data = new Uint8Array(1 + body.length);
      data[0] = i < frames.length - 1 ? 1 : 0;
      data.set(mask(body), 1);
      writer.writeFrame(data, 0);
    });
  },
  writeCommand: (writer, name, data) => writer.writeCommand(name, data),
  openFrame(frame) {
    if (frame.length < 1) throw new ZmtpError("bad-command", "empty box");
    return { more: frame[0] === 1, body: mask(frame.subarray(1)), command: false };
  },
};

/** HELLO with the metadata both ways, then boxed frames. */
const TOY: Mechanism = {
  name: "TOYBOX",
  start: (role) => ({
    asServer: role.server,
    framing: BOXING,
    begin: () => ({
      send: [{ name: "HELLO", data: encodeMetadata(role.metadata) } satisfies Command],
      done: false,
    }),
    checkGreeting(greeting) {
      if (greeting.mechanism !== "TOYBOX") {
        throw new ZmtpError("unsupported-mechanism", `peer uses ${greeting.mechanism}`);
      }
    },
    receive(command) {
      if (command.name !== "HELLO") throw new ZmtpError("protocol", `got ${command.name}`);
      return { send: [], done: true, peerMetadata: decodeMetadata(command.data) };
    },
  }),
};

/** A stream that also hands every written chunk to `tap`. */
function tapped(stream: ByteStream, tap: (bytes: Uint8Array) => void): ByteStream {
  return {
    read: (buffer) => stream.read(buffer),
    write: (data) => {
      tap(data.slice());
      return stream.write(data);
    },
    close: () => stream.close(),
  };
}

function owner(mechanism: Mechanism, received: Uint8Array[][], failures: string[]) {
  const settings = {
    sendHighWaterMark: 1000,
    receiveHighWaterMark: 1000,
    heartbeatInterval: 0,
    heartbeatTimeout: -1,
    heartbeatTimeToLive: 0,
    handshakeTimeout: 5000,
    maxMessageSize: -1,
  };
  return {
    type: "PAIR",
    identity: null,
    settings,
    mechanism,
    authenticate: () => Promise.resolve({ status: "none" }),
    connectionReady: () => undefined,
    connectionMessage: (_conn, frames) => received.push(frames),
    connectionSubscription: () => {},
    connectionWritable: () => {},
    connectionClosed: () => {},
    connectionFailed: (_conn, _type, reason) => failures.push(reason),
  } satisfies ConnectionOwner;
}

async function pair(a: Mechanism, b: Mechanism, name: string) {
  const listener = listenInproc(name);
  const wire: Uint8Array[] = [];
  const dialed = tapped(dialInproc(name), (bytes) => wire.push(bytes));
  const { stream: accepted } = await listener.accept();
  listener.close();
  const received: Uint8Array[][] = [];
  const failures: string[] = [];
  const client = new Connection(owner(a, [], failures), dialed, name, true);
  const server = new Connection(owner(b, received, failures), accepted, name, false);
  return { client, server, received, failures, wire };
}

Deno.test("mechanism: the handshake and framing come from the mechanism", async () => {
  const { client, server, received, failures, wire } = await pair(TOY, TOY, "mechanism-toy");
  try {
    await waitFor(() => client.ready && server.ready, "both handshakes");
    client.send(["first", new Uint8Array([1, 2, 3]), ""]);
    client.send(["second"]);
    await waitFor(() => received.length === 2, "two boxed messages");
    assert.deepEqual(received[0], [
      new TextEncoder().encode("first"),
      new Uint8Array([1, 2, 3]),
      new Uint8Array(0),
    ]);
    assert.equal(new TextDecoder().decode(received[1][0]), "second");
    assert.deepEqual(failures, []);
    // On the wire: the toy's name in the greeting, HELLO, then one
    // single-frame box per frame, none of them in clear.
    const bytes = new Uint8Array(wire.reduce((n, w) => n + w.length, 0));
    wire.reduce((at, w) => (bytes.set(w, at), at + w.length), 0);
    const seen: string[] = [];
    const decoder = new Decoder({
      greeting: (g) => seen.push(`greeting ${g.mechanism}`),
      command: (c) => seen.push(c.name),
      message: (frames) =>
        seen.push(
          frames.length === 1 &&
            !["first", "second"].includes(new TextDecoder().decode(frames[0].subarray(1)))
            ? "box"
            : "clear message",
        ),
    });
    decoder.feed(bytes);
    assert.deepEqual(seen, [
      "greeting TOYBOX",
      "HELLO",
      "box",
      "box",
      "box",
      "box",
    ]);
  } finally {
    client.close("done");
    server.close("done");
    await Promise.all([client.done, server.done]);
  }
});

Deno.test("mechanism: a peer speaking another mechanism is refused with the names", async () => {
  const { client, server, failures } = await pair(TOY, NULL_MECHANISM, "mechanism-mismatch");
  try {
    await waitFor(() => client.closed && server.closed, "both sides to give up");
    assert.ok(
      failures.some((f) => /security mechanism TOYBOX; this socket uses NULL/.test(f)),
      failures.join("; "),
    );
  } finally {
    client.close("done");
    server.close("done");
    await Promise.all([client.done, server.done]);
  }
});
