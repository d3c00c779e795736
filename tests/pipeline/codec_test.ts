import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import {
  CodecError,
  decodeMessage,
  encodeMessage,
  type PipelineMessage,
} from "../../core/pipeline/codec.ts";

const samples: PipelineMessage[] = [
  { kind: "ready", name: "w1", types: ["a", "b"], credit: 3 },
  { kind: "credit", credit: 2, done: ["a:1"], failed: [{ id: "a:2", reason: "boom" }] },
  { kind: "heartbeat" },
  { kind: "bye" },
  {
    kind: "work",
    items: [{
      id: "a:1",
      type: "a",
      payload: { x: [1, 2], b: new Uint8Array([9]) },
      attempt: 2,
      timeoutMs: 50,
    }],
  },
  { kind: "metadata", data: { map: "m" }, types: ["a"] },
  { kind: "reset" },
  { kind: "end" },
  { kind: "results", worker: "w1", results: [{ id: "a:1", type: "a", value: null }] },
  { kind: "hello", name: "c" },
  { kind: "ack", ids: ["a:1", "a:2"] },
  {
    kind: "finished",
    summary: {
      total: 2,
      done: 1,
      failed: [{ id: "a:2", type: "a", reason: "boom", attempts: 4 }],
      skipped: [{ type: "b", reason: "parent failed" }],
      retries: 3,
      resumed: 0,
      elapsedMs: 12,
    },
  },
  { kind: "finished-ack" },
  { kind: "meta-request" },
  { kind: "meta-reply", data: [1, "two"] },
  { kind: "svc-ready", name: "s", services: ["plan"] },
  { kind: "svc-ready", name: "s", services: ["plan"], running: "17" },
  { kind: "svc-request", rid: "r1", service: "plan", body: { to: 1 } },
  { kind: "svc-reply", rid: "r1", ok: false, body: "handler-error", error: "bad" },
];

Deno.test("codec: every message kind round-trips", () => {
  for (const message of samples) {
    assert.deepEqual(decodeMessage(encodeMessage(message)), message);
  }
});

Deno.test("codec: malformed and unknown input is refused with a reason", () => {
  const bad: [Uint8Array, RegExp][] = [
    [new Uint8Array([0xc1]), /not msgpack/],
    [new Uint8Array([]), /not msgpack/],
    [encode({ kind: "ack" }), /array starting with a kind/],
    [encode([]), /array starting with a kind/],
    [encode(["ZZ"]), /unknown message kind "ZZ"/],
    [encode(["A"]), /missing field 1/],
    [encode(["A", "not-a-list"]), /A\[1\]|ack\[1\]: expected an array/],
    [encode(["A", [""]]), /id must be/],
    [encode(["R", "w", ["a"], -1]), /non-negative integer/],
    [encode(["R", "w", ["a"], 1, "extra"]), /expected 4 fields, got 5/],
    [encode(["W", [["a:1", "a", null, 1]]]), /array of 5 elements/],
    [encode(["SP", "r", "yes", null, ""]), /boolean/],
    [encode(["F", { total: 1 }]), /failed and skipped must be arrays/],
  ];
  for (const [bytes, pattern] of bad) {
    assert.throws(() => decodeMessage(bytes), (e: unknown) => {
      assert.ok(e instanceof CodecError, `expected CodecError, got ${e}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
  }
});

Deno.test("codec: undefined payloads travel as null", () => {
  const m = decodeMessage(encodeMessage({
    kind: "work",
    items: [{ id: "x:0", type: "x", payload: undefined, attempt: 1, timeoutMs: 0 }],
  }));
  assert.equal(m.kind, "work");
  assert.equal((m as { items: { payload: unknown }[] }).items[0].payload, null);
});
