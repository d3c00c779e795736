/**
 * The interop table: every socket-type pairing with the conversation that
 * proves it, written once against {@link Side} so either end can be zedge or
 * libzmq. Each conversation asserts the exact frames that arrive on both ends.
 *
 * @module
 */
import { AssertionError } from "node:assert/strict";
import { describe, type FrameDescription, fromHex, pattern, summarize, utf8 } from "./frames.ts";
import type { SocketType } from "./libzmq_peer.ts";
import type { Side, SocketSpec } from "./sides.ts";

/**
 * A message the conversations send, with a name for failure messages.
 *
 * @example
 * ```ts
 * import type { Payload } from "./cases.ts";
 * import { utf8 } from "./frames.ts";
 * const payload: Payload = { name: "greeting", frames: [utf8("hi"), new Uint8Array()] };
 * ```
 */
export interface Payload {
  name: string;
  frames: Uint8Array[];
}

const MiB = 1024 * 1024;

/**
 * The messages every conversation carries: empty frames first, in the middle
 * and last; frames of 255 and 256 bytes (ZMTP's short/long frame boundary);
 * and a 10 MiB frame.
 *
 * @example
 * ```ts
 * import { PAYLOADS } from "./cases.ts";
 * console.log(PAYLOADS.map((p) => p.name));
 * ```
 */
export const PAYLOADS: readonly Payload[] = [
  { name: "one frame", frames: [utf8("hello")] },
  { name: "empty frames", frames: [utf8(""), utf8("middle"), utf8(""), utf8("")] },
  { name: "a lone empty frame", frames: [utf8("")] },
  { name: "255 + 256 bytes", frames: [pattern(255), pattern(256), utf8("tail")] },
  { name: "10 MiB", frames: [pattern(10 * MiB)] },
];

/**
 * How long a conversation waits for any one message before failing.
 *
 * @example
 * ```ts
 * import { RECEIVE_TIMEOUT_MS } from "./cases.ts";
 * console.log(RECEIVE_TIMEOUT_MS); // 15000
 * ```
 */
export const RECEIVE_TIMEOUT_MS = 15_000;

/**
 * A pairing of two socket types and the conversation between them.
 *
 * @example
 * ```ts
 * import { expectMessage, type PairCase } from "./cases.ts";
 * const pushPull: PairCase = {
 *   name: "PUSH-PULL",
 *   a: { type: "PUSH" },
 *   b: { type: "PULL" },
 *   async exchange(push, pull, payloads) {
 *     for (const { frames } of payloads) await push.send(frames);
 *     for (const { name, frames } of payloads) await expectMessage(pull, frames, name);
 *   },
 * };
 * ```
 */
export interface PairCase {
  /** "REQ-ROUTER" and the like; unique in the table. */
  name: string;
  /** The side that speaks first. */
  a: SocketSpec;
  b: SocketSpec;
  /** Also run over ipc:// (the rest of the table runs over TCP only). */
  ipc?: boolean;
  /** Runs the conversation; throws an AssertionError naming the first wrong message. */
  exchange(a: Side, b: Side, payloads: readonly Payload[]): Promise<void>;
}

const EMPTY = new Uint8Array(0);

/** The reply to a request: a marker frame, then the request's frames in reverse order. */
function reply(frames: Uint8Array[]): Uint8Array[] {
  return [utf8("re"), ...frames.toReversed()];
}

/**
 * Receives one message on `receiver` and asserts it is exactly `expected`.
 *
 * @example
 * ```ts
 * import { expectMessage } from "./cases.ts";
 * import { utf8 } from "./frames.ts";
 * import type { Side } from "./sides.ts";
 * declare const pull: Side;
 * await expectMessage(pull, [utf8("hello")], "one frame");
 * ```
 */
export async function expectMessage(
  receiver: Side,
  expected: Uint8Array[],
  what: string,
): Promise<void> {
  const want = await describe(expected);
  const got = await receiver.receive(RECEIVE_TIMEOUT_MS);
  assertFrames(receiver, got, want, what);
}

function assertFrames(
  receiver: Side,
  got: FrameDescription[] | null,
  want: FrameDescription[],
  what: string,
): void {
  if (got === null) {
    throw new AssertionError({
      message: `${receiver.name} received nothing within ${RECEIVE_TIMEOUT_MS} ms ` +
        `(${what}); expected ${summarize(want)}`,
    });
  }
  const same = got.length === want.length &&
    got.every((frame, i) => JSON.stringify(frame) === JSON.stringify(want[i]));
  if (!same) {
    const index = got.findIndex((frame, i) => JSON.stringify(frame) !== JSON.stringify(want[i]));
    throw new AssertionError({
      message: `${receiver.name} received the wrong message (${what}):\n` +
        `  got      ${got.length} frames ${summarize(got)}\n` +
        `  expected ${want.length} frames ${summarize(want)}\n` +
        `  first difference at frame ${index < 0 ? want.length : index}`,
      actual: got,
      expected: want,
      operator: "deepStrictEqual",
    });
  }
}

/**
 * Receives a message from a peer whose routing id the receiver generated:
 * asserts `[id, ...expectedBody]` with a non-empty id and returns the id.
 */
async function expectFromUnknown(
  receiver: Side,
  expectedBody: Uint8Array[],
  what: string,
): Promise<Uint8Array> {
  const got = await receiver.receive(RECEIVE_TIMEOUT_MS);
  const want = await describe(expectedBody);
  const id = got?.[0];
  if (typeof id !== "string" || id.length === 0) {
    throw new AssertionError({
      message: `${receiver.name} (${what}): expected a generated routing id first, got ` +
        summarize(got),
    });
  }
  assertFrames(receiver, got!.slice(1), want, `${what}, after routing id ${id}`);
  return fromHex(id);
}

/**
 * A PUB has no way to say when a subscription reached it, so the publisher
 * sends probes on a subscribed prefix until one arrives, then an end marker,
 * and the subscriber skips probes until the marker. After that, everything
 * the subscriber asked for before the probe's prefix is in force: a
 * connection carries subscriptions in order.
 *
 * @example
 * ```ts
 * import { syncPublisher } from "./cases.ts";
 * import type { Side } from "./sides.ts";
 * declare const pub: Side, sub: Side; // sub subscribed to "Z"
 * await syncPublisher(pub, sub, "Zsync");
 * ```
 */
export async function syncPublisher(pub: Side, sub: Side, probe: string): Promise<void> {
  const probeFrames = [utf8(probe)];
  const marker = await describe([utf8(`${probe}!`)]);
  for (let attempt = 0;; attempt++) {
    if (attempt === 100) {
      throw new AssertionError({
        message: `${sub.name} never received ${pub.name}'s probe ${JSON.stringify(probe)} ` +
          `after 100 tries: the subscription did not reach the publisher`,
      });
    }
    await pub.send(probeFrames);
    if (await sub.receive(100) !== null) break;
  }
  await pub.send([utf8(`${probe}!`)]);
  for (let skipped = 0; skipped < 200; skipped++) {
    const got = await sub.receive(RECEIVE_TIMEOUT_MS);
    if (got === null) break;
    if (JSON.stringify(got) === JSON.stringify(marker)) return;
  }
  throw new AssertionError({
    message: `${sub.name} never received the probe end marker ${JSON.stringify(`${probe}!`)}`,
  });
}

const A = utf8("A");
const Z_END = [utf8("Zend")];

/** Sends each payload under topic B (filtered), A (delivered) and "Alpha" (delivered). */
async function publishTopics(pub: Side, payloads: readonly Payload[]): Promise<void> {
  for (const payload of payloads) {
    await pub.send([utf8("B"), ...payload.frames]);
    await pub.send([A, ...payload.frames]);
    await pub.send([utf8("a-lower-case"), utf8("filtered")]);
  }
  await pub.send([utf8("Alpha"), EMPTY]);
  await pub.send(Z_END);
}

async function expectTopics(sub: Side, payloads: readonly Payload[]): Promise<void> {
  for (const payload of payloads) {
    await expectMessage(sub, [A, ...payload.frames], `topic A, ${payload.name}`);
  }
  await expectMessage(sub, [utf8("Alpha"), EMPTY], `topic "Alpha" matches prefix A`);
  await expectMessage(sub, Z_END, `end marker (B and a-lower-case filtered out)`);
}

/** PUB (or XPUB used as one) → SUB or XSUB, with probes because a PUB cannot confirm. */
async function publishToSubscriber(pub: Side, sub: Side, payloads: readonly Payload[]) {
  await sub.subscribe(A);
  await sub.subscribe(utf8("Z"));
  await syncPublisher(pub, sub, "Zsync");
  await publishTopics(pub, payloads);
  await expectTopics(sub, payloads);
  // Unsubscribing A, then subscribing Y: once a Y probe arrives, A is gone.
  await sub.unsubscribe(A);
  await sub.subscribe(utf8("Y"));
  await syncPublisher(pub, sub, "Ysync");
  await pub.send([A, utf8("after unsubscribe")]);
  await pub.send([utf8("Zend2")]);
  await expectMessage(sub, [utf8("Zend2")], "after unsubscribing A only Z arrives");
}

/** XPUB → SUB or XSUB: the XPUB sees each (un)subscription as a message. */
async function xpublishToSubscriber(xpub: Side, sub: Side, payloads: readonly Payload[]) {
  await sub.subscribe(A);
  await expectMessage(xpub, [utf8("\x01A")], "subscription to A");
  await sub.subscribe(utf8("Z"));
  await expectMessage(xpub, [utf8("\x01Z")], "subscription to Z");
  await publishTopics(xpub, payloads);
  await expectTopics(sub, payloads);
  await sub.unsubscribe(A);
  await expectMessage(xpub, [utf8("\x00A")], "unsubscription from A");
  await xpub.send([A, utf8("after unsubscribe")]);
  await xpub.send([utf8("Zend2")]);
  await expectMessage(sub, [utf8("Zend2")], "after unsubscribing A only Z arrives");
}

function spec(type: SocketType, options: Omit<SocketSpec, "type"> = {}): SocketSpec {
  return { type, ...options };
}

/** Encodes an ASCII routing id. */
const id = utf8;

/**
 * The table. Asymmetric pairs run with zedge on either side; symmetric ones
 * (same type both ends) with zedge as `a`. Every case runs with either end
 * binding.
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * console.log(CASES.map((c) => c.name).join(" "));
 * ```
 */
export const CASES: readonly PairCase[] = [
  {
    name: "REQ-REP",
    a: spec("REQ"),
    b: spec("REP"),
    ipc: true,
    async exchange(req, rep, payloads) {
      for (const { name, frames } of payloads) {
        await req.send(frames);
        await expectMessage(rep, frames, `request: ${name}`);
        await rep.send(reply(frames));
        await expectMessage(req, reply(frames), `reply: ${name}`);
      }
    },
  },
  {
    name: "REQ-ROUTER",
    a: spec("REQ", { routingId: "req-1" }),
    b: spec("ROUTER"),
    async exchange(req, router, payloads) {
      for (const { name, frames } of payloads) {
        await req.send(frames);
        await expectMessage(router, [id("req-1"), EMPTY, ...frames], `request: ${name}`);
        await router.send([id("req-1"), EMPTY, ...reply(frames)]);
        await expectMessage(req, reply(frames), `reply: ${name}`);
      }
    },
  },
  {
    name: "REQ-ROUTER generated id",
    a: spec("REQ"),
    b: spec("ROUTER"),
    async exchange(req, router, payloads) {
      for (const { name, frames } of payloads) {
        await req.send(frames);
        const peer = await expectFromUnknown(router, [EMPTY, ...frames], `request: ${name}`);
        await router.send([peer, EMPTY, ...reply(frames)]);
        await expectMessage(req, reply(frames), `reply: ${name}`);
      }
    },
  },
  {
    name: "DEALER-REP",
    a: spec("DEALER"),
    b: spec("REP"),
    async exchange(dealer, rep, payloads) {
      for (const { name, frames } of payloads) {
        await dealer.send([EMPTY, ...frames]);
        await expectMessage(rep, frames, `request: ${name}`);
        await rep.send(reply(frames));
        await expectMessage(dealer, [EMPTY, ...reply(frames)], `reply: ${name}`);
      }
    },
  },
  {
    name: "DEALER-ROUTER",
    a: spec("DEALER", { routingId: "dealer-1" }),
    b: spec("ROUTER"),
    ipc: true,
    async exchange(dealer, router, payloads) {
      // Asynchronous: all requests go out before any is answered.
      for (const { frames } of payloads) await dealer.send(frames);
      for (const { name, frames } of payloads) {
        await expectMessage(router, [id("dealer-1"), ...frames], `request: ${name}`);
      }
      for (const { frames } of payloads) await router.send([id("dealer-1"), ...reply(frames)]);
      for (const { name, frames } of payloads) {
        await expectMessage(dealer, reply(frames), `reply: ${name}`);
      }
    },
  },
  {
    name: "DEALER-DEALER",
    a: spec("DEALER"),
    b: spec("DEALER"),
    async exchange(a, b, payloads) {
      for (const { name, frames } of payloads) {
        await a.send(frames);
        await expectMessage(b, frames, `a→b: ${name}`);
        await b.send(reply(frames));
        await expectMessage(a, reply(frames), `b→a: ${name}`);
      }
    },
  },
  {
    name: "ROUTER-ROUTER",
    a: spec("ROUTER", { routingId: "router-a", mandatory: true }),
    b: spec("ROUTER", { routingId: "router-b", mandatory: true }),
    async exchange(a, b, payloads) {
      for (const { name, frames } of payloads) {
        // retry: a send before the handshake finished is unroutable (mandatory).
        await a.send([id("router-b"), ...frames], { retry: true });
        await expectMessage(b, [id("router-a"), ...frames], `a→b: ${name}`);
        await b.send([id("router-a"), ...reply(frames)], { retry: true });
        await expectMessage(a, [id("router-b"), ...reply(frames)], `b→a: ${name}`);
      }
    },
  },
  {
    name: "PUB-SUB",
    a: spec("PUB"),
    b: spec("SUB"),
    ipc: true,
    exchange: publishToSubscriber,
  },
  {
    name: "PUB-XSUB",
    a: spec("PUB"),
    b: spec("XSUB"),
    exchange: publishToSubscriber,
  },
  {
    name: "XPUB-SUB",
    a: spec("XPUB"),
    b: spec("SUB"),
    exchange: xpublishToSubscriber,
  },
  {
    name: "XPUB-XSUB",
    a: spec("XPUB"),
    b: spec("XSUB"),
    exchange: xpublishToSubscriber,
  },
  {
    name: "PUSH-PULL",
    a: spec("PUSH"),
    b: spec("PULL"),
    ipc: true,
    async exchange(push, pull, payloads) {
      for (const { frames } of payloads) await push.send(frames);
      for (const { name, frames } of payloads) await expectMessage(pull, frames, name);
    },
  },
  {
    name: "PAIR-PAIR",
    a: spec("PAIR"),
    b: spec("PAIR"),
    ipc: true,
    async exchange(a, b, payloads) {
      for (const { name, frames } of payloads) {
        await a.send(frames);
        await expectMessage(b, frames, `a→b: ${name}`);
        await b.send(reply(frames));
        await expectMessage(a, reply(frames), `b→a: ${name}`);
      }
    },
  },
];
