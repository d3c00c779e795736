/**
 * A peer that sends messages of many empty frames: two bytes each on the
 * wire, a view object each once decoded (about 115 bytes). A receiver that
 * counted only messages against its high-water mark read 1000 of them
 * ahead, 65535 frames each: 7.5 MB of memory per 131 KB sent, and one peer
 * took a process past its heap limit with about 100 MB. Each peer's
 * queued frames are bounded too, so reading pauses as it does at the mark,
 * and every message still arrives whole once the application reads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pull } from "../../mod.ts";
import { closeAll, handshakeBytes, RawPeer, settled } from "./helpers.ts";

const FRAMES = 65535;
const MESSAGES = 20;

Deno.test("a peer's messages of 65535 empty frames are read ahead by frames, not 1000 of them", async () => {
  const pull = new Pull({ receiveTimeout: 10_000 });
  let peer: RawPeer | null = null;
  try {
    await pull.bind("tcp://127.0.0.1:0");
    peer = await RawPeer.connect(pull.lastEndpoint!);
    await peer.write(handshakeBytes("PUSH"));
    const message = new Uint8Array(FRAMES * 2);
    for (let f = 0; f < FRAMES - 1; f++) message[f * 2] = 1; // MORE on all but the last
    const writer = peer;
    const writing = (async () => {
      for (let m = 0; m < MESSAGES; m++) await writer.write(message);
    })();
    // The application reads nothing: the PULL reads until its read-ahead is spent, then stops.
    const readAhead = await settled(() => pull.traffic.messagesReceived, 300);
    assert.ok(readAhead <= 2, `${readAhead} messages of ${FRAMES} frames were read ahead`);
    for (let m = 0; m < MESSAGES; m++) {
      const frames = await pull.receive();
      assert.equal(frames.length, FRAMES, `message ${m}`);
      assert.ok(frames.every((frame) => frame.length === 0), `message ${m}`);
    }
    await writing;
  } finally {
    await peer?.dispose();
    await closeAll(pull);
  }
});
