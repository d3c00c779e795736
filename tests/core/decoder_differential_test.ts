/**
 * The decoder as the read loop drives it (connection.ts): one read buffer
 * reused from read to read, each read decoded in ranges (`feed(buffer,
 * start, end)`, as the socket's read-ahead budget splits it), the
 * handshake phase ended by READY in the middle of a read, small reads
 * copied into the slab, frames held by the application across many reads.
 * Every message that comes out must be byte for byte the one sent, however
 * the stream was cut: the read buffer is overwritten after each feed and
 * every frame is compared at the end, so a frame that shared memory with
 * the buffer or with a reused part of the slab shows. Then the same over a
 * real TCP connection, written in random pieces by a raw peer.
 *
 * The seed is fixed (`ZEDGE_TEST_SEED=n` runs another).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pull } from "../../mod.ts";
import {
  type Command,
  Decoder,
  encodeGreeting,
  encodeMetadata,
  encodePing,
  FrameWriter,
} from "../../core/zmtp/mod.ts";
import { Random } from "./random.ts";
import { closeAll, RawPeer } from "./helpers.ts";

const SEED = Number(Deno.env.get("ZEDGE_TEST_SEED") ?? "20261207");
const CASES = 3000;

/** A frame size: mostly small, often at the 1-byte/8-byte size boundary, sometimes large. */
function frameSize(rng: Random): number {
  switch (rng.int(6)) {
    case 0:
      return 0;
    case 1:
      return 1 + rng.int(16);
    case 2:
      return 250 + rng.int(12); // 255 is the last short size
    case 3:
      return rng.int(300);
    case 4:
      return rng.chance(0.1) ? 60_000 + rng.int(20_000) : rng.int(3000);
    default:
      return rng.int(64);
  }
}

/** Random messages (1 to 5 frames), each frame's bytes random. */
function messages(rng: Random, count: number): Uint8Array[][] {
  return Array.from({ length: count }, () => {
    const frames = 1 + (rng.chance(0.7) ? 0 : rng.int(5));
    return Array.from({ length: frames }, () => rng.bytes(frameSize(rng)));
  });
}

/** A peer's whole stream: greeting, READY, then the messages with PINGs among them. */
function stream(rng: Random, sent: Uint8Array[][]): Uint8Array {
  const writer = new FrameWriter();
  writer.writeRaw(encodeGreeting("NULL", false));
  writer.writeCommand("READY", encodeMetadata({ "Socket-Type": "PUSH" }));
  for (const message of sent) {
    if (rng.chance(0.05)) writer.writeCommand("PING", encodePing(0, rng.bytes(rng.int(8))));
    writer.writeMessage(message);
  }
  return writer.take().slice();
}

Deno.test(`decoder: ${CASES} random streams fed as the read loop feeds them come out byte for byte`, () => {
  const rng = new Random(SEED);
  for (let c = 0; c < CASES; c++) {
    const sent = messages(rng, 1 + rng.int(12));
    const bytes = stream(rng, sent);
    const received: Uint8Array[][] = [];
    const commands: string[] = [];
    const decoder: Decoder = new Decoder({
      greeting() {},
      command(command: Command) {
        commands.push(command.name);
        // As the connection does: traffic starts inside the feed that carried READY.
        if (command.name === "READY") decoder.startTraffic();
      },
      message: (frames) => received.push(frames),
    }, { handshake: true, maxMessageSize: -1 });
    // One buffer for every read, of the sizes the read loop uses (or tiny, to split everything).
    const buffer = new Uint8Array(rng.pick([1, 2, 7, 64, 2048, 65536]));
    let at = 0;
    while (at < bytes.length) {
      const read = Math.min(1 + rng.int(buffer.length), bytes.length - at);
      buffer.set(bytes.subarray(at, at + read));
      at += read;
      // The budget may have this read decoded in pieces.
      let start = 0;
      while (start < read) {
        const end = rng.chance(0.5) ? read : start + 1 + rng.int(read - start);
        decoder.feed(buffer, start, end);
        start = end;
      }
      buffer.fill(0xaa); // the next read overwrites it
    }
    assert.equal(commands.filter((name) => name === "READY").length, 1, `case ${c}`);
    assert.equal(received.length, sent.length, `case ${c}: messages`);
    for (let m = 0; m < sent.length; m++) {
      assert.deepEqual(received[m], sent[m], `case ${c} (seed ${SEED}): message ${m}`);
    }
    assert.equal(decoder.buffered, 0, `case ${c}: nothing left parked`);
  }
});

Deno.test("decoder: random messages written in random pieces over TCP reach a PULL byte for byte", async () => {
  const rng = new Random(SEED + 1);
  const pull = new Pull({ receiveTimeout: 10_000 });
  let peer: RawPeer | null = null;
  try {
    await pull.bind("tcp://127.0.0.1:0");
    const sent = messages(rng, 2000);
    peer = await RawPeer.connect(pull.lastEndpoint!);
    const bytes = stream(rng, sent);
    // Writes of 1 byte to 4 KiB, so the reads on the other side start and end anywhere; read
    // meanwhile, or the PULL's high-water mark would hold the writes back for good.
    const writer = peer;
    const writing = (async () => {
      for (let at = 0; at < bytes.length;) {
        const size = Math.min(
          rng.chance(0.3) ? 1 + rng.int(3) : 1 + rng.int(4096),
          bytes.length - at,
        );
        await writer.write(bytes.subarray(at, at + size));
        at += size;
      }
    })();
    for (let m = 0; m < sent.length; m++) {
      assert.deepEqual(await pull.receive(), sent[m], `message ${m} (seed ${SEED + 1})`);
    }
    await writing;
  } finally {
    await peer?.dispose();
    await closeAll(pull);
  }
});
