/**
 * Fuzzes the ZMTP decoder with random byte streams and mutated valid streams
 * (bit flips, truncations, insertions, deletions, duplicated ranges, corrupted
 * flags and size fields), fed in random chunkings.
 *
 * Properties checked for every case:
 * - the only exception that ever escapes is a ZmtpError (also from the
 *   metadata/PING/ERROR parsers the engine runs on received commands);
 * - the outcome (events and error kind) is the same whatever the chunking;
 * - a failed decoder refuses further input with a ZmtpError;
 * - no message exceeds maxMessageSize and no more bytes come out than went in.
 *
 * Then the CURVE handshake: real sessions exchange HELLO, WELCOME, INITIATE,
 * READY and boxed frames, and each case hands the receiving side one of
 * them mutated (bit flips, truncation, extension, overwritten ranges, the
 * wrong command name). Only a ZmtpError may escape, and no mutated command
 * may be accepted unless all it changed was HELLO's unauthenticated padding
 * or the top bit of its key C' (which X25519 ignores). What a case changed
 * is found by comparing bytes, not from where it wrote: a mutation that
 * wrote back the same bytes is the command as sent, and must be accepted;
 * a frame whose mutated copy was refused must still open afterwards.
 *
 * `ZEDGE_TEST_SEED=n` replays a run; `ZEDGE_FUZZ_CASES=n` changes its length.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Command,
  curveClient,
  curveServer,
  decodeErrorReason,
  decodeMetadata,
  decodePing,
  Decoder,
  encodeErrorReason,
  encodeGreeting,
  encodeMetadata,
  encodePing,
  FrameWriter,
  type HandshakeStep,
  loadCurveCrypto,
  type MechanismSession,
  ZmtpError,
} from "../../core/zmtp/mod.ts";
import { Random, testSeed } from "./random.ts";

const CASES = Number(Deno.env.get("ZEDGE_FUZZ_CASES") ?? "100000");
const MAX_SIZES = [-1, -1, 0, 16, 64, 255, 256, 1000];

/** A valid stream plus where each frame header starts (for size-field corruption). */
interface Built {
  bytes: Uint8Array;
  headers: number[];
}

/** Builds a stream by hand (independent of FrameWriter). */
class StreamBuilder {
  readonly #parts: Uint8Array[] = [];
  readonly headers: number[] = [];
  #length = 0;

  raw(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  frame(flags: number, body: Uint8Array): void {
    this.headers.push(this.#length);
    if (body.length > 255) {
      const head = new Uint8Array(9);
      head[0] = flags | 0x02;
      new DataView(head.buffer).setUint32(5, body.length);
      this.raw(head);
    } else {
      this.raw(new Uint8Array([flags, body.length]));
    }
    this.raw(body);
  }

  command(name: string, data: Uint8Array): void {
    const body = new Uint8Array(1 + name.length + data.length);
    body[0] = name.length;
    for (let i = 0; i < name.length; i++) body[1 + i] = name.charCodeAt(i);
    body.set(data, 1 + name.length);
    this.frame(0x04, body);
  }

  build(): Built {
    const bytes = new Uint8Array(this.#length);
    let at = 0;
    for (const part of this.#parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return { bytes, headers: this.headers };
  }
}

const TYPES = [
  "REQ",
  "REP",
  "DEALER",
  "ROUTER",
  "PUB",
  "SUB",
  "XPUB",
  "XSUB",
  "PUSH",
  "PULL",
  "PAIR",
];

function frameSize(rng: Random): number {
  const r = rng.int(100);
  if (r < 60) return rng.int(24);
  if (r < 80) return 250 + rng.int(12); // around the short/long boundary
  if (r < 95) return rng.int(600);
  return rng.int(3000);
}

function validStream(rng: Random): Built {
  const b = new StreamBuilder();
  const greeting = encodeGreeting("NULL", rng.chance(0.5));
  if (rng.chance(0.3)) greeting[11] = 0; // a 3.0 peer
  b.raw(greeting);
  const meta: Record<string, string | Uint8Array> = { "Socket-Type": rng.pick(TYPES) };
  if (rng.chance(0.5)) meta.Identity = rng.bytes(rng.int(8));
  if (rng.chance(0.2)) meta["X-Extra"] = rng.bytes(rng.int(300));
  b.command("READY", encodeMetadata(meta));
  const items = rng.int(8);
  for (let i = 0; i < items; i++) {
    switch (rng.int(8)) {
      case 0:
        b.command("PING", encodePing(rng.int(70_000), rng.bytes(rng.int(17))));
        break;
      case 1:
        b.command("PONG", rng.bytes(rng.int(17)));
        break;
      case 2:
        b.command(rng.chance(0.5) ? "SUBSCRIBE" : "CANCEL", rng.bytes(rng.int(20)));
        break;
      case 3:
        b.command("ERROR", encodeErrorReason("reason " + rng.int(1000)));
        break;
      default: {
        const frames = 1 + rng.int(4);
        for (let f = 0; f < frames; f++) {
          b.frame(f < frames - 1 ? 0x01 : 0, rng.bytes(frameSize(rng)));
        }
      }
    }
  }
  return b.build();
}

function splice(data: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length - remove + insert.length);
  out.set(data.subarray(0, at));
  out.set(insert, at);
  out.set(data.subarray(at + remove), at + insert.length);
  return out;
}

function mutate(rng: Random, built: Built): Uint8Array {
  let data: Uint8Array = built.bytes.slice();
  const mutations = 1 + rng.int(3);
  for (let m = 0; m < mutations; m++) {
    if (data.length === 0) break;
    switch (rng.int(8)) {
      case 0: { // bit flips
        const flips = 1 + rng.int(8);
        for (let i = 0; i < flips; i++) data[rng.int(data.length)] ^= 1 << rng.int(8);
        break;
      }
      case 1: // truncation
        data = data.slice(0, rng.int(data.length));
        break;
      case 2: // insertion of random bytes
        data = splice(data, rng.int(data.length + 1), 0, rng.bytes(1 + rng.int(32)));
        break;
      case 3: { // deletion of a range
        const at = rng.int(data.length);
        data = splice(data, at, Math.min(data.length - at, 1 + rng.int(32)), new Uint8Array(0));
        break;
      }
      case 4: { // duplication of a range
        const at = rng.int(data.length);
        const len = Math.min(data.length - at, 1 + rng.int(64));
        data = splice(data, rng.int(data.length + 1), 0, data.slice(at, at + len));
        break;
      }
      case 5:
      case 6: { // size-field corruption at a real frame header
        const at = rng.pick(built.headers);
        if (at === undefined || at + 1 >= data.length) break;
        const long = (data[at] & 0x02) !== 0;
        const choice = rng.int(6);
        if (choice === 0) data[at] ^= 0x02; // LONG flag toggled: size field reinterpreted
        else if (!long || choice === 1) data[at + 1] = rng.next() & 0xff;
        else if (at + 9 <= data.length) {
          const view = new DataView(data.buffer, data.byteOffset + at + 1, 8);
          if (choice === 2) view.setBigUint64(0, 1n << 63n); // 2^63
          else if (choice === 3) view.setBigUint64(0, 0xffffffffffffffffn);
          else if (choice === 4) view.setUint32(4, 0x7fffffff); // 2 GiB - 1: allowed, never arrives
          else view.setUint32(4, rng.next());
        }
        break;
      }
      case 7: { // flags byte corruption at a real frame header
        const at = rng.pick(built.headers);
        if (at !== undefined && at < data.length) data[at] = rng.next() & 0xff;
        break;
      }
    }
  }
  return data;
}

function randomStream(rng: Random): Uint8Array {
  const body = rng.bytes(rng.int(400));
  switch (rng.int(4)) {
    case 0:
      return body;
    case 1: {
      const out = new Uint8Array(body.length + 1);
      out[0] = 0xff;
      out.set(body, 1);
      return out;
    }
    case 2: { // valid greeting, random frames
      const g = encodeGreeting();
      const out = new Uint8Array(64 + body.length);
      out.set(g);
      out.set(body, 64);
      return out;
    }
    default: { // valid handshake, then random frames
      const b = new StreamBuilder();
      b.raw(encodeGreeting());
      b.command("READY", encodeMetadata({ "Socket-Type": "PUSH" }));
      b.raw(body);
      return b.build().bytes;
    }
  }
}

/** A compact, order-sensitive description of what a decoder produced. */
interface Outcome {
  trace: string[];
  error: string | null;
  outBytes: number;
}

function checksum(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 0x01000193);
  return h >>> 0;
}

function run(chunks: Uint8Array[], maxMessageSize: number): Outcome {
  const trace: string[] = [];
  let outBytes = 0;
  const decoder = new Decoder({
    greeting: (g) => trace.push(`G${g.major}.${g.minor}:${g.mechanism}:${g.asServer}`),
    command: (c) => {
      outBytes += c.data.length;
      trace.push(`C${c.name}:${c.data.length}:${checksum(c.data)}`);
      // What the engine does with commands must fail only with ZmtpError too.
      if (c.name === "READY") decodeMetadata(c.data);
      else if (c.name === "PING") decodePing(c.data);
      else if (c.name === "ERROR") decodeErrorReason(c.data);
    },
    message: (frames) => {
      let size = 0;
      for (const f of frames) size += f.length;
      if (maxMessageSize >= 0 && size > maxMessageSize) {
        throw new Error(`message of ${size} bytes passed maxMessageSize ${maxMessageSize}`);
      }
      outBytes += size;
      trace.push(`M${frames.map((f) => `${f.length}:${checksum(f)}`).join(",")}`);
    },
  }, { maxMessageSize });
  let error: string | null = null;
  for (const chunk of chunks) {
    try {
      decoder.feed(chunk);
    } catch (e) {
      if (!(e instanceof ZmtpError)) throw e;
      error = e.kind;
      break;
    }
  }
  if (error !== null) {
    // A failed decoder stays failed, with a ZmtpError.
    try {
      decoder.feed(new Uint8Array([0]));
      throw new Error("decoder accepted input after failing");
    } catch (e) {
      if (!(e instanceof ZmtpError)) throw e;
    }
  }
  return { trace, error, outBytes };
}

function hex(data: Uint8Array, max = 256): string {
  return [...data.subarray(0, max)].map((b) => b.toString(16).padStart(2, "0")).join("") +
    (data.length > max ? `… (${data.length} bytes)` : "");
}

Deno.test(`fuzz: decoder survives ${CASES} random and mutated streams in random chunkings`, () => {
  const seed = testSeed();
  console.log(`fuzz seed ${seed} (ZEDGE_TEST_SEED=${seed} replays it), ${CASES} cases`);
  const master = new Random(seed);
  const externalBefore = Deno.memoryUsage().external;
  let failures = 0;
  let inBytes = 0;
  const errorKinds = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < CASES; i++) {
    const caseSeed = master.next();
    const rng = new Random(caseSeed);
    const kind = rng.int(10);
    const stream = kind < 3
      ? randomStream(rng)
      : kind < 9
      ? mutate(rng, validStream(rng))
      : validStream(rng).bytes;
    const max = rng.pick(MAX_SIZES);
    inBytes += stream.length;
    try {
      const whole = run([stream], max);
      const chunked = run(rng.chunks(stream), max);
      assert.deepEqual(chunked, whole, "outcome depends on chunking");
      if (i % 16 === 0) {
        const bytewise = run([...stream].map((b) => new Uint8Array([b])), max);
        assert.deepEqual(bytewise, whole, "outcome differs when fed 1 byte at a time");
      }
      assert.ok(whole.outBytes <= stream.length, "decoder produced more bytes than it read");
      errorKinds.set(whole.error ?? "ok", (errorKinds.get(whole.error ?? "ok") ?? 0) + 1);
    } catch (error) {
      failures++;
      console.error(
        `case ${i} (case seed ${caseSeed}, maxMessageSize ${max}) failed: ${String(error)}\n` +
          `stream: ${hex(stream)}`,
      );
      if (failures >= 5) break;
    }
  }
  const elapsed = performance.now() - started;
  const externalGrowth = Deno.memoryUsage().external - externalBefore;
  console.log(
    `${CASES} cases, ${(inBytes / 1e6).toFixed(1)} MB in ${
      (elapsed / 1000).toFixed(1)
    } s; outcomes: ${JSON.stringify(Object.fromEntries(errorKinds))}; external memory growth ${
      (externalGrowth / 1e6).toFixed(1)
    } MB`,
  );
  assert.equal(failures, 0, `fuzzing failed (seed ${seed}); see the cases above`);
  // Every outcome class was reached, so the generators really probe the decoder.
  const kinds = [
    "ok",
    "bad-signature",
    "unsupported-version",
    "unsupported-mechanism",
    "bad-flags",
    "frame-too-large",
    "bad-command",
  ];
  for (const kind of kinds) {
    assert.ok((errorKinds.get(kind) ?? 0) > 0, `no case ended with '${kind}'`);
  }
});

Deno.test("fuzz: frames claiming huge sizes are never allocated up front", () => {
  // 64 decoders each told a 2 GiB - 1 frame is coming (the largest the
  // decoder accepts) and given 4 KiB of it. Pre-allocating would need 128 GiB.
  const before = Deno.memoryUsage().external;
  const decoders: Decoder[] = [];
  const header = new Uint8Array([0x02, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
  for (let i = 0; i < 64; i++) {
    const decoder = new Decoder({ greeting() {}, command() {}, message() {} });
    decoder.feed(encodeGreeting());
    decoder.feed(header);
    decoder.feed(new Uint8Array(4096));
    decoders.push(decoder);
  }
  const growth = Deno.memoryUsage().external - before;
  assert.ok(growth < 64 * 1024 * 1024, `external memory grew by ${growth} bytes`);
  assert.equal(decoders.length, 64);
  // With a maxMessageSize, such a header is refused on sight.
  const limited = new Decoder({ greeting() {}, command() {}, message() {} }, {
    maxMessageSize: 1 << 20,
  });
  limited.feed(encodeGreeting());
  assert.throws(
    () => limited.feed(header),
    (e: unknown) => e instanceof ZmtpError && e.kind === "frame-too-large",
  );
  // And a 2^63 claim is refused even without one.
  const unlimited = new Decoder({ greeting() {}, command() {}, message() {} });
  unlimited.feed(encodeGreeting());
  assert.throws(
    () => unlimited.feed(new Uint8Array([0x02, 0x80, 0, 0, 0, 0, 0, 0, 0])),
    (e: unknown) => e instanceof ZmtpError && e.kind === "frame-too-large",
  );
});

// ---- CURVE handshake commands ----------------------------------------------

const CURVE_CASES = Math.max(200, Math.round(CASES / 50));
const crypto = await loadCurveCrypto();
const serverKeys = crypto.keyPair();
const clientKeys = crypto.keyPair();

/** A fresh client and server session, and the handshake they exchange. */
function curveHandshake() {
  const client = curveClient(crypto, { ...clientKeys, serverKey: serverKeys.publicKey })
    .start({ server: false, metadata: { "Socket-Type": "PUSH" } });
  const server = curveServer(crypto, serverKeys.secretKey)
    .start({ server: true, metadata: { "Socket-Type": "PULL" } });
  return { client, server };
}

function only(step: HandshakeStep): Command {
  assert.equal(step.send.length, 1);
  return step.send[0];
}

type Stage = "HELLO" | "WELCOME" | "INITIATE" | "READY" | "MESSAGE";
const STAGES: Stage[] = ["HELLO", "WELCOME", "INITIATE", "READY", "MESSAGE"];
/** HELLO's anti-amplification padding: bytes CurveZMQ does not authenticate. */
const HELLO_PADDING = { from: 2, to: 74 };
/**
 * The last byte of HELLO's client transient key C' (bytes 74-105). X25519
 * ignores its top bit (RFC 7748, section 5: implementations MUST mask it),
 * so C' with that bit flipped is the same key: the HELLO box opens, in
 * libsodium and so in libzmq too. Nothing comes of it: the handshake then
 * fails at INITIATE, whose vouch names the C' the client sent.
 */
const HELLO_KEY_LAST = 105;

/** One changed byte (`bits`: which bits), or at -1 for a changed length or name. */
interface Change {
  at: number;
  bits: number;
}

/** Whether a change touches only what CurveZMQ leaves unauthenticated. */
function harmless(stage: Stage, { at, bits }: Change): boolean {
  if (stage !== "HELLO") return false;
  return (at >= HELLO_PADDING.from && at < HELLO_PADDING.to) ||
    (at === HELLO_KEY_LAST && bits === 0x80);
}

function mutateBytes(rng: Random, data: Uint8Array): Uint8Array {
  const out = data.slice();
  switch (rng.int(4)) {
    case 0: // bit flips (two on one bit cancel out)
      for (let i = 0, n = 1 + rng.int(4); i < n; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
      return out;
    case 1: // truncation
      return out.slice(0, rng.int(out.length));
    case 2: // extension
      return concat(out, rng.bytes(1 + rng.int(40)));
    default: { // a random range overwritten (a random byte may equal the one it replaces)
      const at = rng.int(out.length);
      out.set(rng.bytes(Math.min(out.length - at, 1 + rng.int(48))), at);
      return out;
    }
  }
}

/**
 * Where `mutated` differs from `original`: each changed byte, or one
 * change at -1 when its length did. A mutation that happened to write back
 * the same bytes changes nothing, and an unchanged box must open.
 */
function changedBytes(original: Uint8Array, mutated: Uint8Array): Change[] {
  if (mutated.length !== original.length) return [{ at: -1, bits: 0 }];
  const changed: Change[] = [];
  for (let i = 0; i < original.length; i++) {
    if (mutated[i] !== original[i]) changed.push({ at: i, bits: mutated[i] ^ original[i] });
  }
  return changed;
}

function describeChanges(changes: Change[]): string {
  return changes.map(({ at, bits }) =>
    at < 0 ? "length or name" : `${at} (^0x${bits.toString(16)})`
  ).join(", ");
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Runs a handshake up to `stage`, hands the receiving side a mutated copy
 * of that stage's command (or, for MESSAGE, of a boxed frame), and says
 * whether it was accepted. Anything but a ZmtpError escaping fails the test.
 */
function fuzzStage(
  rng: Random,
  stage: Stage,
): { accepted: boolean; silent: boolean; touched: Change[] } {
  const { client, server } = curveHandshake();
  const hello = only(client.begin());
  const attempt = (receiver: MechanismSession, command: Command, original: Command) => {
    const mutated = rng.chance(0.1)
      ? {
        data: original.data,
        name: rng.pick(["HELLO", "WELCOME", "INITIATE", "READY", "ERROR", "MESSAGE"]),
      }
      : { data: mutateBytes(rng, command.data), name: command.name };
    const touched = mutated.name === original.name
      ? changedBytes(original.data, mutated.data)
      : [{ at: -1, bits: 0 }];
    try {
      receiver.receive({ name: mutated.name, data: mutated.data });
      return { accepted: true, silent: false, touched };
    } catch (error) {
      if (!(error instanceof ZmtpError)) throw error;
      return { accepted: false, silent: error.peerReason === null, touched };
    }
  };
  if (stage === "HELLO") return attempt(server, hello, hello);
  const welcome = only(server.receive(hello));
  if (stage === "WELCOME") return attempt(client, welcome, welcome);
  const initiate = only(client.receive(welcome));
  if (stage === "INITIATE") return attempt(server, initiate, initiate);
  const step = server.receive(initiate);
  assert.ok(!step.done && step.authenticate !== undefined);
  const ready = only(server.authenticated!({ status: "none" }));
  if (stage === "READY") return attempt(client, ready, ready);
  client.receive(ready);
  // MESSAGE: a frame boxed by the client, opened by the server.
  const writer = new FrameWriter();
  client.framing!.writeMessage(writer, [rng.bytes(rng.int(64))]);
  const wire = writer.take();
  const frame = wire.subarray(wire[0] & 0x02 ? 9 : 2);
  const data = mutateBytes(rng, frame);
  const touched = changedBytes(frame, data);
  try {
    server.framing!.openFrame(data);
    return { accepted: true, silent: false, touched };
  } catch (error) {
    if (!(error instanceof ZmtpError)) throw error;
    // The refusal was the mutation's doing, and a forged nonce did not move
    // the counter: the frame as sent still opens.
    assert.doesNotThrow(
      () => server.framing!.openFrame(frame),
      "the frame as sent no longer opens after a mutated copy was refused",
    );
    return { accepted: false, silent: error.peerReason === null, touched };
  }
}

Deno.test(`fuzz: ${CURVE_CASES} mutated CURVE handshake commands and boxes are refused, never let through`, () => {
  const seed = testSeed();
  console.log(`curve fuzz seed ${seed} (ZEDGE_TEST_SEED=${seed} replays it), ${CURVE_CASES} cases`);
  const master = new Random(seed);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < CURVE_CASES; i++) {
    const caseSeed = master.next();
    const rng = new Random(caseSeed);
    const stage = STAGES[i % STAGES.length];
    const { accepted, silent, touched } = fuzzStage(rng, stage);
    const unchanged = touched.length === 0;
    const key = `${stage} ${unchanged ? "unchanged" : accepted ? "accepted" : "refused"}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    // A mutation that left every byte as it was is the command as sent.
    assert.ok(accepted || !unchanged, `case seed ${caseSeed}: an unchanged ${stage} was refused`);
    if (accepted) {
      // Only an unchanged command, or one changed where HELLO is not
      // authenticated, may pass: every other bit is under a box or checked.
      assert.ok(
        touched.every((change) => harmless(stage, change)),
        `case seed ${caseSeed}: a mutated ${stage} was accepted (bytes ${
          describeChanges(touched)
        })`,
      );
    } else {
      // RFC 26: a malformed command or a box that does not open is never
      // answered with ERROR (and a client never sends one at all).
      assert.ok(silent, `case seed ${caseSeed}: a refused ${stage} would be answered with ERROR`);
    }
  }
  console.log(`curve fuzz outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  for (const stage of STAGES) {
    assert.ok((outcomes.get(`${stage} refused`) ?? 0) > 0, `no ${stage} case was refused`);
  }
});
