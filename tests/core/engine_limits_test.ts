/**
 * What a hostile peer can make the engine hold: PONGs for a PING flood,
 * replies it never reads, frames it announces huge, commands and handshakes
 * that are not what they claim. Each limit is checked from the wire with a
 * raw peer, against a real socket.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeGreeting, encodePing, FrameWriter } from "../../core/zmtp/mod.ts";
import { Pull, Push, Reply } from "../../mod.ts";
import { closeAll, EventLog, handshakeBytes, RawPeer, texts, waitFor, within } from "./helpers.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const frames = (build: (w: FrameWriter) => void) => {
  const writer = new FrameWriter();
  build(writer);
  return writer.take().slice();
};

Deno.test("limits: a PING flood is answered by one pending PONG, not one per PING", async () => {
  const pull = new Pull();
  const good = new Push();
  try {
    const log = new EventLog(pull);
    await pull.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(pull.lastEndpoint!);
    try {
      await raw.write(handshakeBytes("PUSH"));
      await log.wait("handshake");
      const pings = 100_000;
      const ping = frames((w) => w.writeCommand("PING", encodePing(0, ascii("flood"))));
      const flood = new Uint8Array(ping.length * pings);
      for (let i = 0; i < pings; i++) flood.set(ping, i * ping.length);
      await raw.write(flood);
      // PONGs go out in order: once the last PING's comes back, every
      // earlier one that was going to come has come.
      await raw.write(frames((w) => w.writeCommand("PING", encodePing(0, ascii("last")))));
      await waitFor(
        () =>
          raw.commands.some((c) =>
            c.name === "PONG" && new TextDecoder().decode(c.data) === "last"
          ),
        "the PONG to the last PING",
      );
      const pongs = raw.commands.filter((c) => c.name === "PONG").length;
      assert.ok(pongs < pings / 10, `${pongs} PONGs for ${pings} PINGs`);
      assert.equal(log.count("protocol:error"), 0);
      // The connection and the socket still work.
      await raw.write(frames((w) => w.writeMessage(["after the flood"])));
      assert.deepEqual(texts(await within(pull.receive(), "the raw peer's message")), [
        "after the flood",
      ]);
      good.connect(pull.lastEndpoint!);
      await good.send("good");
      assert.deepEqual(texts(await within(pull.receive(), "the good peer's message")), ["good"]);
    } finally {
      await raw.dispose();
    }
  } finally {
    await closeAll(good, pull);
  }
});

Deno.test("limits: a peer that never reads its replies is not read further", async () => {
  const rep = new Reply({ sendHighWaterMark: 10, receiveHighWaterMark: 10 });
  try {
    const log = new EventLog(rep);
    await rep.bind("tcp://127.0.0.1:0");
    const raw = await RawPeer.connect(rep.lastEndpoint!, { reading: false });
    try {
      await raw.write(handshakeBytes("DEALER"));
      await log.wait("handshake");
      const requests = 5_000;
      const body = new Uint8Array(1024);
      const sending = (async () => {
        for (let i = 0; i < requests; i++) {
          await raw.write(frames((w) => w.writeMessage(["", String(i), body])));
        }
      })();
      const reply = new Uint8Array(16 * 1024);
      let served = 0;
      const serve = async () => {
        for (;;) {
          // A request within 500 ms, or the server has stopped reading this peer.
          if (!(await rep.readable({ timeoutMs: 500 }))) return;
          const [index] = await rep.receive();
          await rep.send([index, reply]);
          served++;
        }
      };
      await serve();
      // Before any limit, kernel buffers (a few MB) and the two 10-message
      // queues: far fewer than all the requests.
      assert.ok(served < requests, `served all ${served} requests to a peer that never reads`);
      // Once the peer reads, it is served again, and nothing was lost.
      raw.startReading();
      const serving = (async () => {
        while (served < requests) {
          const [index] = await within(rep.receive(), `request ${served}`);
          await rep.send([index, reply]);
          served++;
        }
      })();
      await within(sending, "the raw peer's requests to be taken");
      await within(serving, "every request to be served");
      await waitFor(() => raw.messages.length === requests, `${requests} replies`);
      assert.deepEqual(
        raw.messages.map((m) => new TextDecoder().decode(m[1])),
        [...Array(requests).keys()].map(String),
      );
    } finally {
      await raw.dispose();
    }
  } finally {
    await rep.close();
  }
});
