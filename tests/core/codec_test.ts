/**
 * ZMTP codec vectors: greeting, frame boundaries, every command zedge speaks,
 * 3.0-style subscriptions, chunking invariance of the decoder, the maximum
 * message size, and endpoint parsing.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Command,
  decodeCommand,
  decodeErrorReason,
  decodeMetadata,
  decodePing,
  Decoder,
  type DecoderOptions,
  encodeCommand,
  encodeErrorReason,
  encodeGreeting,
  encodeMessage,
  encodeMetadata,
  encodePing,
  FLAG_COMMAND,
  FLAG_LONG,
  FLAG_MORE,
  FrameWriter,
  getProperty,
  type Greeting,
  GREETING_LENGTH,
  isCompatible,
  isSocketType,
  MAX_COMMAND_SIZE,
  parseGreeting,
  ZmtpError,
  type ZmtpErrorKind,
} from "../../core/zmtp/mod.ts";
import { parseSubscriptionMessage } from "../../core/sockets/subscriptions.ts";
import { EndpointError, formatTcpEndpoint, parseEndpoint } from "../../core/transport/mod.ts";
import { Pull, Push } from "../../mod.ts";
import { rejectsWithCode, throwsWithCode } from "./helpers.ts";
import { Random, testSeed } from "./random.ts";

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const u8 = (...parts: (number | string | number[] | Uint8Array)[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "number" ? [p] : typeof p === "string" ? ascii(p) : [...p]),
  );

/** A greeting written byte by byte, independent of encodeGreeting. */
function handMadeGreeting(major: number, minor: number, mechanism = "NULL", asServer = 0) {
  const g = new Uint8Array(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = major;
  g[11] = minor;
  g.set(ascii(mechanism), 12);
  g[32] = asServer;
  return g;
}

type Event =
  | { kind: "greeting"; greeting: Greeting }
  | { kind: "command"; name: string; data: Uint8Array }
  | { kind: "message"; frames: Uint8Array[] };

/** Feeds `chunks` to a fresh decoder and returns what it reported, and how it failed. */
function decode(chunks: Uint8Array[], options?: DecoderOptions) {
  const events: Event[] = [];
  const decoder = new Decoder({
    greeting: (greeting) => events.push({ kind: "greeting", greeting }),
    command: (c: Command) => events.push({ kind: "command", name: c.name, data: c.data }),
    message: (frames) => events.push({ kind: "message", frames }),
  }, options);
  let error: ZmtpError | null = null;
  for (const chunk of chunks) {
    try {
      decoder.feed(chunk);
    } catch (e) {
      if (!(e instanceof ZmtpError)) throw e;
      error = e;
      break;
    }
  }
  return { events, error, decoder };
}

function expectZmtpError(fn: () => unknown, kind: ZmtpErrorKind, message?: RegExp): ZmtpError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ZmtpError, `expected ZmtpError(${kind}), got ${String(error)}`);
    assert.equal(error.kind, kind, `wrong kind; message: ${error.message}`);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ZmtpError(${kind}), nothing thrown`);
}

// ---- greeting ------------------------------------------------------------------

Deno.test("greeting: encodeGreeting writes the RFC 23 layout", () => {
  const g = encodeGreeting();
  assert.equal(g.length, GREETING_LENGTH);
  assert.deepEqual(
    g,
    u8(
      0xff,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x7f,
      3,
      1,
      "NULL",
      new Array(16).fill(0),
      0,
      new Array(31).fill(0),
    ),
  );
  const server = encodeGreeting("PLAIN", true);
  assert.equal(server[32], 1);
  assert.deepEqual(server.subarray(12, 17), u8("PLAIN"));
  assert.ok(server.subarray(17, 32).every((b) => b === 0));
  assert.throws(() => encodeGreeting("X".repeat(21)), RangeError);
});

Deno.test("greeting: parseGreeting round-trips and reads 3.0 and 3.1 peers", () => {
  assert.deepEqual(parseGreeting(encodeGreeting("NULL", false)), {
    major: 3,
    minor: 1,
    mechanism: "NULL",
    asServer: false,
  });
  assert.deepEqual(parseGreeting(encodeGreeting("CURVE", true)), {
    major: 3,
    minor: 1,
    mechanism: "CURVE",
    asServer: true,
  });
  assert.deepEqual(parseGreeting(handMadeGreeting(3, 0)), {
    major: 3,
    minor: 0,
    mechanism: "NULL",
    asServer: false,
  });
  // A future 4.x peer is read too (it will talk down to 3.x per RFC 23).
  assert.equal(parseGreeting(handMadeGreeting(4, 2)).major, 4);
  // A 20-byte mechanism name fills the field with no NUL at all.
  assert.equal(parseGreeting(handMadeGreeting(3, 1, "A".repeat(20))).mechanism, "A".repeat(20));
});

Deno.test("greeting: the decoder accepts 3.0 and 3.1 peers and then reads frames", () => {
  for (const minor of [0, 1]) {
    const stream = u8(
      handMadeGreeting(3, minor),
      encodeMessage(["hello"]),
    );
    const { events, error } = decode([stream]);
    assert.equal(error, null);
    assert.deepEqual(events, [
      { kind: "greeting", greeting: { major: 3, minor, mechanism: "NULL", asServer: false } },
      { kind: "message", frames: [u8("hello")] },
    ]);
  }
});

Deno.test("greeting: ZMTP 1.x and 2.x peers are refused", () => {
  // ZMTP 2.0 (RFC 15): signature, revision 0x01, socket type, identity.
  const zmtp20 = u8(0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x05, 0x00, 0x00);
  let result = decode([zmtp20]);
  assert.equal(result.error?.kind, "unsupported-version");
  assert.match(result.error!.message, /ZMTP 1\.x/);
  // Refused as soon as the version byte arrives, not after 64 bytes.
  result = decode([zmtp20.subarray(0, 11)]);
  assert.equal(result.error?.kind, "unsupported-version");
  // Major version 2 inside an otherwise 3.x-shaped greeting.
  result = decode([handMadeGreeting(2, 0)]);
  assert.equal(result.error?.kind, "unsupported-version");
  assert.equal(result.events.length, 0);
  expectZmtpError(() => parseGreeting(handMadeGreeting(2, 1)), "unsupported-version");
  // ZMTP 1.0 starts with a length byte, not 0xFF: refused at the first byte.
  result = decode([u8(0x01, 0x00)]);
  assert.equal(result.error?.kind, "bad-signature");
});

Deno.test("greeting: a bad signature is refused after the first byte", () => {
  for (const first of [0x00, 0x47, /* "G" of an HTTP GET */ 0x16, /* TLS */ 0xfe]) {
    const { error, events } = decode([u8(first)]);
    assert.equal(error?.kind, "bad-signature", `first byte 0x${first.toString(16)}`);
    assert.match(error!.message, /expected 0xFF/);
    assert.equal(events.length, 0);
  }
  // 0xFF alone is a valid start: the decoder waits for more.
  assert.equal(decode([u8(0xff)]).error, null);
  // Byte 10 (index 9) must have its low bit set.
  const badByte9 = handMadeGreeting(3, 1);
  badByte9[9] = 0x7e;
  assert.equal(decode([badByte9.subarray(0, 10)]).error?.kind, "bad-signature");
  expectZmtpError(() => parseGreeting(badByte9), "bad-signature");
  // After a failure the decoder refuses everything, even good input.
  const { decoder } = decode([u8(0x47)]);
  expectZmtpError(() => decoder.feed(encodeGreeting()), "protocol", /already failed/);
});

Deno.test("greeting: malformed mechanism fields and short greetings are refused", () => {
  const notPadded = handMadeGreeting(3, 1, "NULL");
  notPadded[20] = 0x41; // "NULL\0\0\0\0A..."
  expectZmtpError(() => parseGreeting(notPadded), "unsupported-mechanism", /NUL-padded/);
  expectZmtpError(
    () => parseGreeting(handMadeGreeting(3, 1, "null")),
    "unsupported-mechanism",
    /invalid characters/,
  );
  expectZmtpError(() => parseGreeting(encodeGreeting().subarray(0, 63)), "protocol", /63 bytes/);
  // Through the decoder, the same mechanism field error surfaces.
  assert.equal(decode([notPadded]).error?.kind, "unsupported-mechanism");
});

// ---- frames ---------------------------------------------------------------------

Deno.test("frames: short/long boundary at 255/256 bytes", () => {
  for (const size of [0, 1, 254, 255]) {
    const body = new Uint8Array(size).fill(0xab);
    const encoded = encodeMessage([body]);
    assert.equal(encoded.length, 2 + size, `short frame of ${size}`);
    assert.equal(encoded[0], 0);
    assert.equal(encoded[1], size);
    assert.deepEqual(encoded.subarray(2), body);
  }
  for (const size of [256, 257, 65535, 65536, 70000]) {
    const body = new Uint8Array(size).fill(0xcd);
    const encoded = encodeMessage([body]);
    assert.equal(encoded.length, 9 + size, `long frame of ${size}`);
    assert.equal(encoded[0], FLAG_LONG);
    const view = new DataView(encoded.buffer, encoded.byteOffset);
    assert.equal(view.getBigUint64(1), BigInt(size));
    assert.deepEqual(encoded.subarray(9), body);
  }
  // The exact bytes at the boundary.
  assert.deepEqual(
    encodeMessage([new Uint8Array(256)]).subarray(0, 9),
    u8(2, 0, 0, 0, 0, 0, 0, 1, 0),
  );
});

Deno.test("frames: strings are UTF-8, including at the short/long boundary", () => {
  // 85 three-byte characters = 255 bytes: the largest short frame.
  const short = "€".repeat(85);
  const longer = "€".repeat(86);
  const a = encodeMessage([short]);
  assert.equal(a[0], 0);
  assert.equal(a[1], 255);
  assert.deepEqual(a.subarray(2), new TextEncoder().encode(short));
  const b = encodeMessage([longer]);
  assert.equal(b[0], FLAG_LONG);
  assert.equal(b.length, 9 + 258);
  assert.deepEqual(b.subarray(9), new TextEncoder().encode(longer));
  const { events } = decode([encodeGreeting(), encodeMessage([short, longer, "", "ascii"])]);
  assert.deepEqual(
    (events[1] as { frames: Uint8Array[] }).frames.map((f) => new TextDecoder().decode(f)),
    [short, longer, "", "ascii"],
  );
});

Deno.test("frames: MORE is set on every frame but the last", () => {
  const encoded = encodeMessage(["a", "", new Uint8Array(300), "z"]);
  assert.deepEqual(encoded.subarray(0, 5), u8(FLAG_MORE, 1, "a", FLAG_MORE, 0));
  assert.equal(encoded[5], FLAG_MORE | FLAG_LONG);
  const lastAt = 5 + 9 + 300;
  assert.deepEqual(encoded.subarray(lastAt), u8(0, 1, "z"));
  assert.deepEqual(encodeMessage(["only"]), u8(0, 4, "only"));
  assert.deepEqual(encodeMessage([""]), u8(0, 0));
});

Deno.test("frames: the decoder rebuilds multipart messages with empty frames", () => {
  const frames = [u8(), u8("a"), u8(), new Uint8Array(256).fill(7), u8()];
  const { events, error } = decode([encodeGreeting(), encodeMessage(frames), encodeMessage([""])]);
  assert.equal(error, null);
  assert.deepEqual(events.slice(1), [
    { kind: "message", frames },
    { kind: "message", frames: [u8()] },
  ]);
});

Deno.test("frames: reserved flag bits and MORE on a command are refused", () => {
  for (const flags of [0x08, 0x10, 0x80, 0xff]) {
    const { error } = decode([encodeGreeting(), u8(flags, 0)]);
    assert.equal(error?.kind, "bad-flags", `flags 0x${flags.toString(16)}`);
  }
  const { error } = decode([encodeGreeting(), u8(FLAG_COMMAND | FLAG_MORE, 5, 4, "PING")]);
  assert.equal(error?.kind, "bad-flags");
  assert.match(error!.message, /MORE/);
});

Deno.test("frames: sizes of 2^31 and more are refused before any allocation", () => {
  for (
    const size of [
      u8(0x80, 0, 0, 0, 0, 0, 0, 0), // 2^63
      u8(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
      u8(0, 0, 0, 1, 0, 0, 0, 0), // 2^32
      u8(0, 0, 0, 0, 0x80, 0, 0, 0), // 2^31
    ]
  ) {
    const { error } = decode([encodeGreeting(), u8(FLAG_LONG, size)]);
    assert.equal(error?.kind, "frame-too-large");
  }
  // 2^31 - 1 is within the hard limit: the decoder waits for the body.
  assert.equal(
    decode([encodeGreeting(), u8(FLAG_LONG, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff)]).error,
    null,
  );
});

Deno.test("frames: FrameWriter holds no buffer until written, and shrink() gives big ones back", () => {
  const writer = new FrameWriter();
  assert.equal(writer.capacity, 0, "a fresh writer allocates nothing");
  writer.writeMessage(["small"]);
  assert.ok(writer.capacity <= 256, `capacity ${writer.capacity} for one small message`);
  writer.recycle(writer.take());
  writer.shrink();
  assert.ok(writer.capacity <= 256, "a small buffer is kept for the next small message");
  // A burst grows the buffers; once idle they are given back.
  for (let i = 0; i < 1000; i++) writer.writeMessage([new Uint8Array(100)]);
  writer.recycle(writer.take());
  writer.writeMessage([new Uint8Array(50_000)]);
  writer.recycle(writer.take());
  assert.ok(writer.capacity > 64 * 1024, `capacity ${writer.capacity} after a burst`);
  writer.shrink();
  assert.equal(writer.capacity, 0);
  // A writer with bytes still waiting keeps the buffer they are in.
  writer.writeMessage([new Uint8Array(10_000)]);
  writer.shrink();
  assert.equal(writer.length, 10_009);
  writer.release();
  assert.equal(writer.capacity, 0);
  assert.equal(writer.length, 0);
});

Deno.test("frames: FrameWriter batches messages, commands and raw bytes in order", () => {
  const writer = new FrameWriter();
  writer.writeRaw(encodeGreeting());
  writer.writeCommand("PING", encodePing(0, new Uint8Array(0)));
  writer.writeMessage(["x", "y"]);
  writer.writeFrame("z", 0);
  const first = writer.take();
  assert.equal(writer.length, 0);
  const { events, error } = decode([first]);
  assert.equal(error, null);
  assert.deepEqual(events.map((e) => e.kind), ["greeting", "command", "message", "message"]);
  writer.recycle(first);
  // A recycled buffer is reused without corrupting what comes next.
  writer.writeMessage([new Uint8Array(100_000).fill(9)]);
  const second = writer.take();
  const big = decode([encodeGreeting(), second]).events[1] as { frames: Uint8Array[] };
  assert.equal(big.frames[0].length, 100_000);
  assert.ok(big.frames[0].every((b) => b === 9));
});

// ---- commands ------------------------------------------------------------------

Deno.test("commands: READY with Socket-Type and Identity matches the RFC 37 bytes", () => {
  const writer = new FrameWriter();
  writer.writeCommand("READY", encodeMetadata({ "Socket-Type": "DEALER", Identity: "" }));
  const frame = writer.take();
  assert.deepEqual(
    frame,
    u8(
      0x04,
      41,
      5,
      "READY",
      11,
      "Socket-Type",
      0,
      0,
      0,
      6,
      "DEALER",
      8,
      "Identity",
      0,
      0,
      0,
      0,
    ),
  );
  const { events } = decode([encodeGreeting(), frame]);
  const ready = events[1] as { kind: "command"; name: string; data: Uint8Array };
  assert.equal(ready.name, "READY");
  const meta = decodeMetadata(ready.data);
  assert.deepEqual(getProperty(meta, "socket-type"), u8("DEALER"));
  assert.deepEqual(getProperty(meta, "IDENTITY"), u8());
  assert.equal(getProperty(meta, "Resource"), undefined);
  // Binary identities and long values survive.
  const identity = new Uint8Array([0, 1, 2, 255]);
  const value = "v".repeat(70_000);
  const round = decodeMetadata(encodeMetadata({ Identity: identity, "X-Long": value }));
  assert.deepEqual(round.get("Identity"), identity);
  assert.equal(round.get("X-Long")!.length, 70_000);
});

Deno.test("commands: malformed metadata is refused with bad-command", () => {
  const good = encodeMetadata({ "Socket-Type": "PUB" });
  expectZmtpError(
    () => decodeMetadata(good.subarray(0, good.length - 1)),
    "bad-command",
    /claims 3 bytes/,
  );
  expectZmtpError(() => decodeMetadata(good.subarray(0, 5)), "bad-command", /truncated/);
  expectZmtpError(() => decodeMetadata(u8(0, 0, 0, 0, 0)), "bad-command", /truncated/);
  const huge = u8(1, "A", 0xff, 0xff, 0xff, 0xff, "x");
  expectZmtpError(() => decodeMetadata(huge), "bad-command", /4294967295/);
  assert.equal(decodeMetadata(new Uint8Array(0)).size, 0);
  assert.throws(() => encodeMetadata({ "": "x" }), RangeError);
});

Deno.test("commands: ERROR carries a length-prefixed reason", () => {
  assert.deepEqual(encodeCommand("ERROR", encodeErrorReason("nope")), u8(5, "ERROR", 4, "nope"));
  assert.equal(decodeErrorReason(encodeErrorReason("Invalid socket type")), "Invalid socket type");
  assert.equal(decodeErrorReason(new Uint8Array(0)), "");
  // Truncated body: tolerated, reads what is there.
  assert.equal(decodeErrorReason(u8(10, "abc")), "abc");
  // Reasons longer than 255 bytes are cut at 255.
  const long = encodeErrorReason("r".repeat(400));
  assert.equal(long[0], 255);
  assert.equal(long.length, 256);
  const { events } = decode([encodeGreeting(), frameOf("ERROR", encodeErrorReason("bye"))]);
  const error = events[1] as { name: string; data: Uint8Array };
  assert.equal(error.name, "ERROR");
  assert.equal(decodeErrorReason(error.data), "bye");
});

Deno.test("commands: SUBSCRIBE and CANCEL carry the raw topic", () => {
  const topic = u8("robot/", 0, 0xff);
  assert.deepEqual(frameOf("SUBSCRIBE", topic), u8(4, 1 + 9 + 8, 9, "SUBSCRIBE", topic));
  assert.deepEqual(frameOf("CANCEL", topic), u8(4, 1 + 6 + 8, 6, "CANCEL", topic));
  const { events } = decode([
    encodeGreeting(),
    frameOf("SUBSCRIBE", topic),
    frameOf("CANCEL", topic),
    frameOf("SUBSCRIBE", u8()),
  ]);
  assert.deepEqual(events.slice(1), [
    { kind: "command", name: "SUBSCRIBE", data: topic },
    { kind: "command", name: "CANCEL", data: topic },
    { kind: "command", name: "SUBSCRIBE", data: u8() },
  ]);
});

Deno.test("commands: PING carries TTL (deciseconds) and up to 16 bytes of context; PONG echoes it", () => {
  const context = u8("ctx-1234");
  assert.deepEqual(encodePing(3000, context), u8(0, 30, "ctx-1234"));
  assert.deepEqual(frameOf("PING", encodePing(25_500, u8())), u8(4, 7, 4, "PING", 0, 255));
  assert.deepEqual(encodePing(10_000_000, u8()), u8(0xff, 0xff), "TTL clamps to 16 bits");
  assert.deepEqual(encodePing(-5, u8()), u8(0, 0), "negative TTL clamps to 0");
  assert.equal(encodePing(0, new Uint8Array(40)).length, 18, "context truncated to 16 bytes");
  const ping = decodePing(encodePing(1500, context));
  assert.equal(ping.ttlMs, 1500);
  assert.deepEqual(ping.context, context);
  assert.equal(decodePing(u8(0xff, 0xff)).ttlMs, 6_553_500);
  expectZmtpError(() => decodePing(u8(0)), "bad-command", /shorter/);
  expectZmtpError(() => decodePing(new Uint8Array(19)), "bad-command", /longer than 16/);
  assert.deepEqual(frameOf("PONG", context), u8(4, 13, 4, "PONG", "ctx-1234"));
  const { events } = decode([
    encodeGreeting(),
    frameOf("PING", encodePing(100, context)),
    frameOf("PONG", context),
  ]);
  assert.deepEqual(events.slice(1), [
    { kind: "command", name: "PING", data: u8(0, 1, "ctx-1234") },
    { kind: "command", name: "PONG", data: context },
  ]);
});

Deno.test("commands: malformed command frames are refused with bad-command", () => {
  expectZmtpError(() => decodeCommand(u8()), "bad-command", /empty/);
  expectZmtpError(() => decodeCommand(u8(0, "X")), "bad-command", /name length 0/);
  expectZmtpError(() => decodeCommand(u8(9, "PING")), "bad-command", /does not fit/);
  expectZmtpError(() => decodeCommand(u8(4, "P NG")), "bad-command", /not a valid name/);
  expectZmtpError(() => decodeCommand(u8(4, "1PNG")), "bad-command", /not a valid name/);
  assert.deepEqual(decodeCommand(u8(4, "PING", 0, 1)), { name: "PING", data: u8(0, 1) });
  // Unknown but well-formed names decode (RFC 37 says ignore them).
  assert.equal(decodeCommand(encodeCommand("X-FUTURE", u8(1))).name, "X-FUTURE");
  const { error } = decode([encodeGreeting(), u8(FLAG_COMMAND, 0)]);
  assert.equal(error?.kind, "bad-command");
});

Deno.test("commands: socket type names and compatibility follow RFC 23", () => {
  const pairs: [string, string, boolean][] = [
    ["REQ", "REP", true],
    ["REQ", "ROUTER", true],
    ["REQ", "DEALER", false],
    ["DEALER", "DEALER", true],
    ["PUB", "SUB", true],
    ["PUB", "XSUB", true],
    ["PUB", "PUSH", false],
    ["PUSH", "PULL", true],
    ["PUSH", "PUB", false],
    ["PAIR", "PAIR", true],
    ["PAIR", "pair", false],
    ["XPUB", "SUB", true],
  ];
  for (const [local, peer, ok] of pairs) {
    assert.ok(isSocketType(local));
    assert.equal(isCompatible(local, peer), ok, `${local} ↔ ${peer}`);
  }
  assert.equal(isSocketType("STREAM"), false);
  assert.equal(isSocketType("toString"), false);
});

// ---- 3.0-style subscription messages ----------------------------------------------

Deno.test("subscriptions: 3.0 messages 0x01/0x00 + topic", () => {
  assert.deepEqual(parseSubscriptionMessage([u8(1, "news")]), {
    subscribe: true,
    topic: u8("news"),
  });
  assert.deepEqual(parseSubscriptionMessage([u8(0, "news")]), {
    subscribe: false,
    topic: u8("news"),
  });
  assert.deepEqual(parseSubscriptionMessage([u8(1)]), { subscribe: true, topic: u8() });
  assert.deepEqual(parseSubscriptionMessage([u8(0)]), { subscribe: false, topic: u8() });
  assert.equal(parseSubscriptionMessage([u8(2, "news")]), null);
  assert.equal(parseSubscriptionMessage([u8()]), null);
  assert.equal(parseSubscriptionMessage([u8(1, "a"), u8("b")]), null, "multipart is data");
  assert.equal(parseSubscriptionMessage([]), null);
});

// ---- chunking invariance ------------------------------------------------------------

/** A stream exercising every construct: greeting, commands, short/long/multipart/empty frames. */
function sampleStream(): Uint8Array {
  const w = new FrameWriter();
  w.writeRaw(encodeGreeting("NULL", true));
  w.writeCommand("READY", encodeMetadata({ "Socket-Type": "ROUTER", Identity: u8(0, 7) }));
  w.writeMessage(["hello"]);
  w.writeMessage(["", "a", "", ""]);
  w.writeMessage([new Uint8Array(255).fill(1), new Uint8Array(256).fill(2)]);
  w.writeCommand("PING", encodePing(1200, u8("ctx")));
  w.writeMessage([new Uint8Array(70_000).map((_, i) => i & 0xff)]);
  w.writeCommand("SUBSCRIBE", u8("topic"));
  w.writeCommand("PONG", u8("ctx"));
  w.writeMessage(["€uro", new Uint8Array(0)]);
  w.writeCommand("CANCEL", u8());
  w.writeMessage([""]);
  return w.take().slice();
}

Deno.test("decoder: every chunking of a stream gives identical results", () => {
  const seed = testSeed();
  console.log(`chunking seed ${seed} (ZEDGE_TEST_SEED=${seed} replays it)`);
  const rng = new Random(seed);
  const stream = sampleStream();
  const reference = decode([stream]);
  assert.equal(reference.error, null);
  assert.equal(reference.events.length, 12);
  const oneByOne = decode([...stream].map((b) => u8(b)));
  assert.deepEqual(oneByOne.events, reference.events, "1 byte at a time");
  for (let i = 0; i < 200; i++) {
    const chunks = rng.chunks(stream);
    assert.deepEqual(decode(chunks).events, reference.events, `random split #${i} (seed ${seed})`);
  }
  // Splits exactly at every frame-header offset of the small prefix.
  for (let cut = 1; cut < 200; cut++) {
    const chunked = decode([stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(chunked.events, reference.events, `two chunks cut at ${cut}`);
  }
});

Deno.test("decoder: frames handed out are copies, safe when the caller reuses its buffer", () => {
  const stream = sampleStream();
  const reference = decode([stream]).events;
  const events: Event[] = [];
  const decoder = new Decoder({
    greeting: (greeting) => events.push({ kind: "greeting", greeting }),
    command: (c) => events.push({ kind: "command", name: c.name, data: c.data }),
    message: (frames) => events.push({ kind: "message", frames }),
  });
  // One 1 KiB buffer, overwritten with the next bytes (and then garbage) after every feed.
  const buffer = new Uint8Array(1024);
  for (let at = 0; at < stream.length; at += 1024) {
    const n = Math.min(1024, stream.length - at);
    buffer.set(stream.subarray(at, at + n));
    decoder.feed(buffer.subarray(0, n));
    buffer.fill(0xee);
  }
  assert.deepEqual(events, reference);
});

// ---- maxMessageSize ------------------------------------------------------------------

Deno.test("decoder: maxMessageSize bounds a message's total size, frames and commands alike", () => {
  const options = { maxMessageSize: 100 };
  const head = encodeGreeting();
  let result = decode([head, encodeMessage([new Uint8Array(100)])], options);
  assert.equal(result.error, null);
  assert.equal(result.events.length, 2);
  result = decode([head, encodeMessage([new Uint8Array(101)])], options);
  assert.equal(result.error?.kind, "frame-too-large");
  assert.match(result.error!.message, /101 bytes exceeds the maximum message size of 100/);
  // The limit is on the sum of a multipart message's frames.
  result = decode([head, encodeMessage([new Uint8Array(60), new Uint8Array(40)])], options);
  assert.equal(result.error, null);
  result = decode([head, encodeMessage([new Uint8Array(60), new Uint8Array(41)])], options);
  assert.equal(result.error?.kind, "frame-too-large");
  // The count restarts with each message.
  result = decode(
    [head, encodeMessage([new Uint8Array(90)]), encodeMessage([new Uint8Array(90)])],
    options,
  );
  assert.equal(result.error, null);
  assert.equal(result.events.length, 3);
  // Refused from the header alone: the body never needs to arrive.
  result = decode([head, u8(FLAG_LONG, 0, 0, 0, 0, 0, 0x10, 0, 0)], options);
  assert.equal(result.error?.kind, "frame-too-large");
  // maxMessageSize 0 still allows empty messages.
  result = decode([head, encodeMessage(["", ""])], { maxMessageSize: 0 });
  assert.equal(result.error, null);
});

Deno.test("decoder: commands have their own cap, whatever maxMessageSize says", () => {
  const head = encodeGreeting();
  // A message limit below the size of a READY must not break the handshake...
  let result = decode([head, frameOf("READY", new Uint8Array(200))], { maxMessageSize: 5 });
  assert.equal(result.error, null);
  assert.equal(result.events.length, 2);
  // ...and no limit at all must not let a peer park a huge command.
  const capped = decode([head, frameOf("X-BIG", new Uint8Array(MAX_COMMAND_SIZE + 1))]);
  assert.equal(capped.error?.kind, "frame-too-large");
  assert.match(capped.error!.message, /command frame .* exceeds the command limit/);
  result = decode([head, frameOf("X-BIG", new Uint8Array(MAX_COMMAND_SIZE - 6))]);
  assert.equal(result.error, null);
  // Refused from the header alone: a 2^31 - 1 command never needs to arrive.
  result = decode([head, u8(FLAG_COMMAND | FLAG_LONG, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff)]);
  assert.equal(result.error?.kind, "frame-too-large");
  // The cap is an option of its own.
  result = decode([head, frameOf("X-BIG", new Uint8Array(200))], { maxCommandSize: 100 });
  assert.equal(result.error?.kind, "frame-too-large");
});

Deno.test("decoder: in the handshake phase a message frame is refused from its header", () => {
  const head = encodeGreeting();
  const events: string[] = [];
  const decoder = new Decoder({
    greeting: () => events.push("greeting"),
    command: (c) => events.push(c.name),
    message: () => events.push("message"),
  }, { handshake: true });
  decoder.feed(head);
  decoder.feed(frameOf("READY", new Uint8Array(0)));
  // A 2^31 - 1 message announced before the handshake completes: nothing waits for its body.
  expectZmtpError(
    () => decoder.feed(u8(FLAG_LONG, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff)),
    "protocol",
    /message frame before READY/,
  );
  assert.deepEqual(events, ["greeting", "READY"]);
  // After startTraffic() messages flow.
  const open = new Decoder({
    greeting() {},
    command() {},
    message: () => events.push("message"),
  }, { handshake: true });
  open.feed(head);
  open.startTraffic();
  open.feed(encodeMessage(["hello"]));
  assert.equal(events.at(-1), "message");
});

Deno.test("decoder: release() drops what a peer parked", () => {
  const decoder = new Decoder({ greeting() {}, command() {}, message() {} });
  decoder.feed(encodeGreeting());
  decoder.feed(u8(FLAG_LONG, 0, 0, 0, 0, 0, 0x10, 0, 0)); // 1 MiB frame coming
  decoder.feed(new Uint8Array(300_000));
  assert.equal(decoder.buffered, 300_000);
  decoder.release();
  assert.equal(decoder.buffered, 0);
  expectZmtpError(() => decoder.feed(new Uint8Array(1)), "protocol");
});

// ---- endpoints -------------------------------------------------------------------------

Deno.test("endpoints: valid tcp, ipc and inproc endpoints parse", () => {
  const cases: [string, unknown][] = [
    ["tcp://127.0.0.1:5555", {
      transport: "tcp",
      host: "127.0.0.1",
      port: 5555,
      wildcardHost: false,
    }],
    ["tcp://[::1]:80", { transport: "tcp", host: "::1", port: 80, wildcardHost: false }],
    ["tcp://[fe80::1:2]:65535", {
      transport: "tcp",
      host: "fe80::1:2",
      port: 65535,
      wildcardHost: false,
    }],
    ["tcp://*:0", { transport: "tcp", host: "0.0.0.0", port: 0, wildcardHost: true }],
    ["tcp://*:*", { transport: "tcp", host: "0.0.0.0", port: 0, wildcardHost: true }],
    ["tcp://127.0.0.1:*", { transport: "tcp", host: "127.0.0.1", port: 0, wildcardHost: false }],
    ["tcp://localhost:1234", {
      transport: "tcp",
      host: "localhost",
      port: 1234,
      wildcardHost: false,
    }],
    ["tcp://robot-1.local:0", {
      transport: "tcp",
      host: "robot-1.local",
      port: 0,
      wildcardHost: false,
    }],
    ["ipc:///tmp/robot.sock", { transport: "ipc", path: "/tmp/robot.sock" }],
    ["ipc://relative.sock", { transport: "ipc", path: "relative.sock" }],
    ["inproc://jobs", { transport: "inproc", name: "jobs" }],
    ["inproc://a/b:c", { transport: "inproc", name: "a/b:c" }],
  ];
  for (const [endpoint, expected] of cases) {
    assert.deepEqual(parseEndpoint(endpoint), expected, endpoint);
  }
  assert.equal(formatTcpEndpoint("::1", 80), "tcp://[::1]:80");
  assert.equal(formatTcpEndpoint("10.0.0.1", 9), "tcp://10.0.0.1:9");
  assert.equal(formatTcpEndpoint("[::1]", 80), "tcp://[::1]:80");
});

Deno.test("endpoints: garbage is refused with an error quoting the endpoint", () => {
  const bad: [string, RegExp][] = [
    ["", /TRANSPORT:\/\/ADDRESS/],
    ["127.0.0.1:5555", /TRANSPORT:\/\/ADDRESS/],
    ["TCP://host:1", /TRANSPORT:\/\/ADDRESS/],
    ["udp://host:1", /unsupported transport 'udp'/],
    ["tcp://", /missing ':port'/],
    ["tcp://host", /missing ':port'/],
    ["tcp://:5555", /missing host/],
    ["tcp://host:", /port '' is not/],
    ["tcp://host:65536", /port '65536'/],
    ["tcp://host:123456", /port '123456'/],
    ["tcp://host:-1", /port '-1'/],
    ["tcp://host:http", /port 'http'/],
    ["tcp://host: 80", /port ' 80'/],
    ["tcp://::1:80", /\[addr\]:port/],
    ["tcp://[::1]80", /\[addr\]:port/],
    ["tcp://[::1", /\[addr\]:port/],
    ["tcp://[]:80", /missing host/],
    ["tcp://10.0.0.1;10.0.0.2:80", /source-address/],
    ["ipc://", /ipc path is empty/],
    ["ipc://@abstract", /abstract/],
    ["inproc://", /inproc name is empty/],
  ];
  for (const [endpoint, why] of bad) {
    assert.throws(() => parseEndpoint(endpoint), (error: unknown) => {
      assert.ok(error instanceof EndpointError, `${endpoint}: ${String(error)}`);
      assert.ok(
        error.message.includes(`'${endpoint}'`),
        `message quotes ${endpoint}: ${error.message}`,
      );
      assert.match(error.message, why, endpoint);
      return true;
    });
  }
  assert.throws(() => parseEndpoint(42 as unknown as string), EndpointError);
});

Deno.test("endpoints: sockets report bad endpoints as EINVAL", async () => {
  const push = new Push();
  const pull = new Pull();
  try {
    throwsWithCode(() => push.connect("tcp://*:5555"), "EINVAL");
    throwsWithCode(() => push.connect("tcp://host"), "EINVAL");
    throwsWithCode(() => push.connect("carrier-pigeon://x"), "EINVAL");
    await rejectsWithCode(pull.bind("tcp://127.0.0.1:99999"), "EINVAL");
    await rejectsWithCode(pull.bind("garbage"), "EINVAL");
    assert.equal(pull.lastEndpoint, null);
  } finally {
    await push.close();
    await pull.close();
  }
});

function frameOf(name: string, data: Uint8Array): Uint8Array {
  const writer = new FrameWriter();
  writer.writeCommand(name, data);
  return writer.take().slice();
}

Deno.test("decoder refuses a message with more frames than MAX_FRAMES_PER_MESSAGE", async () => {
  const { MAX_FRAMES_PER_MESSAGE, ZmtpError } = await import("../../core/zmtp/mod.ts");
  let messages = 0;
  const decoder = new Decoder({ greeting() {}, command() {}, message: () => messages++ });
  decoder.feed(encodeGreeting());
  // Exactly the limit is fine...
  const ok = new Uint8Array(MAX_FRAMES_PER_MESSAGE * 2);
  for (let i = 0; i < MAX_FRAMES_PER_MESSAGE - 1; i++) ok[i * 2] = FLAG_MORE;
  decoder.feed(ok);
  assert.equal(messages, 1);
  // ...one more empty MORE frame is refused, before the message completes.
  const tooMany = new Uint8Array((MAX_FRAMES_PER_MESSAGE + 1) * 2);
  for (let i = 0; i < MAX_FRAMES_PER_MESSAGE; i++) tooMany[i * 2] = FLAG_MORE;
  assert.throws(
    () => decoder.feed(tooMany),
    (e: unknown) => e instanceof ZmtpError && e.kind === "too-many-frames",
  );
  assert.equal(messages, 1);
});
