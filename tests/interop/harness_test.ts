/**
 * Proves the interop harness itself: the same table that checks zedge runs
 * pyzmq (libzmq 4.3.4) against zeromq.js (libzmq 4.3.5). A failure here is a
 * harness bug, not a zedge bug. One variant per case (pyzmq as `a`, zeromq.js
 * binding, TCP) keeps it cheap; the zedge suites run every variant. The same
 * for CURVE and PLAIN, each peer once the server. Then it proves the
 * assertions bite: sides that mangle frames must fail the table.
 *
 * @module
 */
import assert, { AssertionError } from "node:assert/strict";
import { CASES } from "./cases.ts";
import type { FrameDescription } from "./frames.ts";
import { expandCases, registerMatrix, runVariant } from "./matrix.ts";
import { curveProfile, PLAIN } from "./security.ts";
import { peerSides, type Side, type SideFactory } from "./sides.ts";

registerMatrix(
  CASES.map((c) => c.name),
  peerSides("pyzmq"),
  peerSides("zeromq.js"),
  (variant) => variant.tested === "a" && variant.binder === "b" && variant.transport === "tcp",
);

// The peers' security flags, proven the same way: pyzmq and zeromq.js talk
// CURVE and PLAIN to each other, each once the server.
for (const profile of [await curveProfile(), PLAIN]) {
  registerMatrix(
    ["PUSH-PULL", "REQ-REP"],
    peerSides("pyzmq"),
    peerSides("zeromq.js"),
    (variant) => variant.tested === "a" && variant.binder === "b",
    profile,
  );
}

/** Wraps a factory so its sides mangle what they send and what they report receiving. */
function mangling(
  factory: SideFactory,
  mangle: { send?: (frames: Uint8Array[]) => Uint8Array[]; receive?: Mangle },
): SideFactory {
  return {
    label: `mangled ${factory.label}`,
    async open(spec, attach) {
      const { side, endpoint } = await factory.open(spec, attach);
      const wrapped: Side = {
        name: side.name,
        spec: side.spec,
        send: (frames, options) => side.send(mangle.send?.(frames) ?? frames, options),
        receive: async (timeoutMs) => {
          const got = await side.receive(timeoutMs);
          return got && mangle.receive ? mangle.receive(got) : got;
        },
        subscribe: (prefix) => side.subscribe(prefix),
        unsubscribe: (prefix) => side.unsubscribe(prefix),
        close: () => side.close(),
      };
      return { side: wrapped, endpoint };
    },
  };
}

type Mangle = (frames: FrameDescription[]) => FrameDescription[];

function firstVariant(name: string) {
  return expandCases(CASES.filter((c) => c.name === name))[0];
}

Deno.test("harness: the table fails a side that drops empty frames it sends", async () => {
  const dropEmpty = (frames: Uint8Array[]) => {
    const kept = frames.filter((f) => f.length > 0);
    return kept.length > 0 ? kept : frames;
  };
  await assert.rejects(
    runVariant(
      firstVariant("PUSH-PULL"),
      mangling(peerSides("pyzmq"), { send: dropEmpty }),
      peerSides("zeromq.js"),
    ),
    (error) =>
      error instanceof AssertionError &&
      /zeromq\.js PULL received the wrong message \(empty frames\)/.test(error.message),
  );
});

Deno.test("harness: the table fails a side that loses a frame it receives", async () => {
  const dropLast: Mangle = (frames) => frames.length > 1 ? frames.slice(0, -1) : frames;
  await assert.rejects(
    runVariant(
      firstVariant("DEALER-ROUTER"),
      mangling(peerSides("zeromq.js"), { receive: dropLast }),
      peerSides("pyzmq"),
    ),
    (error) =>
      error instanceof AssertionError &&
      /zeromq\.js DEALER received the wrong message \(reply: one frame\)/.test(error.message),
  );
});

Deno.test("harness: the table fails a side that corrupts one byte of 10 MiB", async () => {
  const flipLast = (frames: Uint8Array[]) =>
    frames.map((frame) => {
      if (frame.length < 1024 * 1024) return frame;
      const copy = frame.slice();
      copy[copy.length - 1] ^= 1;
      return copy;
    });
  await assert.rejects(
    runVariant(
      firstVariant("PAIR-PAIR"),
      mangling(peerSides("pyzmq"), { send: flipLast }),
      peerSides("zeromq.js"),
    ),
    (error) =>
      error instanceof AssertionError &&
      /zeromq\.js PAIR received the wrong message \(a→b: 10 MiB\)/.test(error.message),
  );
});
