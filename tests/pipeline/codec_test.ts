import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import {
  addIndex,
  CodecError,
  countIndexes,
  decodeMessage,
  encodeMessage,
  type IndexRanges,
  PIPELINE_WIRE,
  type PipelineMessage,
  resultColumnsOf,
  ResultsFrameWriter,
  workEntriesOf,
  workItemOf,
} from "../../core/pipeline/codec.ts";

const samples: PipelineMessage[] = [
  { kind: "ready", name: "w1", types: ["a", "b"], credit: 3, wire: PIPELINE_WIRE },
  {
    kind: "credit",
    credit: 2,
    done: [{ type: "a", ranges: [1, 1] }, { type: "b", ranges: [0, 500, 2 ** 40, 3] }],
    failed: [{ type: "a", index: 2, reason: "boom ✗" }],
  },
  { kind: "heartbeat" },
  { kind: "bye" },
  {
    kind: "work",
    items: [{
      id: "a:1",
      type: "a",
      index: 1,
      ownId: false,
      payload: { x: [1, 2], b: new Uint8Array([9]) },
      attempt: 2,
      timeoutMs: 50,
    }, {
      id: "tile/7 ✓",
      type: "b",
      index: 0,
      ownId: true,
      payload: null,
      attempt: 1,
      timeoutMs: 0,
    }, { id: "a:9", type: "a", index: 9, ownId: false, payload: 0, attempt: 1, timeoutMs: 0 }],
  },
  { kind: "metadata", data: { map: "m" }, types: ["a"] },
  { kind: "reset" },
  { kind: "end" },
  {
    kind: "results",
    worker: "w1",
    results: [
      { id: "a:1", type: "a", index: 1, ownId: false, value: null },
      { id: "own", type: "b", index: 3, ownId: true, value: { n: [1] } },
    ],
  },
  {
    kind: "results",
    worker: "w1",
    results: [{ id: "a:1", type: "a", index: 1, ownId: false, value: 5 }],
    metadata: Object.assign(Object.create(null), { a: { map: "m" } }),
  },
  { kind: "hello", name: "c" },
  { kind: "ack", done: [{ type: "a", ranges: [1, 2] }], ids: [] },
  {
    kind: "ack",
    done: [],
    ids: ["own-1", "own-2"],
    data: { id: "own-2", type: "b", data: { pose: [1, 2] } },
  },
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
    [encode(["A", ["a:1"]]), /pipeline wire 1 ack message.*same zedge release/],
    [encode(["W", []]), /pipeline wire 1 work message/],
    [encode(["R"]), /missing field 1/],
    [encode(["R", "w", "not-a-list", 1]), /ready\[2\]: expected an array/],
    [encode(["R", "w", ["a"], -1]), /non-negative integer/],
    [encode(["R", "w", ["a"], 1, 2, "extra"]), /expected 5 fields, got 6/],
    [new Uint8Array([0x09]), /unknown binary message tag 9/],
    [encodeMessage(ackOf("a", [0, 1])).subarray(0, 9), /ack: frame ends inside a field/],
    [new Uint8Array([...encodeMessage(ackOf("a", [0, 1])), 0]), /1 bytes left over/],
    [workWithTypeRef(7), /unknown type reference 7/],
    [ackWithRange(-1), /non-negative integer/],
    [ackWithRange(0.5), /non-negative integer/],
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

function ackOf(type: string, ranges: number[]): PipelineMessage {
  return { kind: "ack", done: [{ type, ranges }], ids: [] };
}

/** A work frame of one item whose type reference is `ref` (one type in the table). */
function workWithTypeRef(ref: number): Uint8Array {
  const frame = encodeMessage({
    kind: "work",
    items: [{ id: "a:0", type: "a", index: 0, payload: null, attempt: 1, timeoutMs: 0 }],
  });
  // tag (1) + type count (4) + "a" (4 + 1) + item count (4): the item's type reference follows.
  new DataView(frame.buffer, frame.byteOffset).setUint32(14, ref, true);
  return frame;
}

/** An ACK frame whose one range starts at `start`. */
function ackWithRange(start: number): Uint8Array {
  const frame = encodeMessage(ackOf("a", [0, 1]));
  // tag (1) + group count (4) + "a" (4 + 1) + pair count (4): the range start follows.
  new DataView(frame.buffer, frame.byteOffset).setFloat64(14, start, true);
  return frame;
}

Deno.test("codec: indexes finished in order make one range", () => {
  const done: IndexRanges[] = [];
  for (const i of [0, 1, 2, 3, 10, 11, 4]) addIndex(done, "a", i);
  addIndex(done, "b", 0);
  addIndex(done, "b", 1);
  assert.deepEqual(done, [
    { type: "a", ranges: [0, 4, 10, 2, 4, 1] },
    { type: "b", ranges: [0, 2] },
  ]);
  assert.equal(countIndexes(done), 9);
  const bytes = encodeMessage({ kind: "ack", done, ids: [] });
  assert.ok(bytes.length < 100, `${bytes.length} bytes for 9 items`);
});

Deno.test("codec: undefined payloads travel as null", () => {
  const m = decodeMessage(encodeMessage({
    kind: "work",
    items: [{ id: "x:0", type: "x", index: 0, payload: undefined, attempt: 1, timeoutMs: 0 }],
  }));
  assert.equal(m.kind, "work");
  assert.equal((m as { items: { payload: unknown }[] }).items[0].payload, null);
});

Deno.test("codec: a READY without a wire version is a wire 1 worker", () => {
  const m = decodeMessage(encode(["R", "old", ["a"], 1]));
  assert.deepEqual(m, { kind: "ready", name: "old", types: ["a"], credit: 1 });
});

Deno.test("codec: a decoded results message also reads as columns, the same items", () => {
  const message: PipelineMessage = {
    kind: "results",
    worker: "w1",
    results: [
      { id: "a:1", type: "a", index: 1, ownId: false, value: null },
      { id: "own", type: "b", index: 3, ownId: true, value: { n: [1] } },
      { id: "a:2", type: "a", index: 2, ownId: false, value: null },
    ],
  };
  const decoded = decodeMessage(encodeMessage(message));
  const columns = resultColumnsOf(decoded)!;
  assert.equal(columns.count, 3);
  assert.deepEqual(
    Array.from({ length: 3 }, (_, i) => [
      columns.types[columns.typeRefs[i]],
      columns.indexes[i],
      columns.ownIds?.[i],
      columns.values?.[i],
    ]),
    [["a", 1, undefined, null], ["b", 3, "own", { n: [1] }], ["a", 2, undefined, null]],
  );
  assert.deepEqual(decoded, message);
  assert.equal(resultColumnsOf(message), undefined); // built in code: no columns
  assert.equal(resultColumnsOf(decodeMessage(encodeMessage({ kind: "end" }))), undefined);
});

Deno.test("codec: consecutive empty items travel as runs, a few bytes for any number", () => {
  const empty = (index: number, type = "a", attempt = 1) => ({
    id: `${type}:${index}`,
    type,
    index,
    ownId: false,
    payload: null,
    attempt,
    timeoutMs: 0,
  });
  // Breaks in the run: a gap, a payload, an own id, another attempt, another type.
  const items = [
    ...Array.from({ length: 1000 }, (_, i) => empty(i)),
    empty(1005),
    { ...empty(1006), payload: { x: 1 } },
    empty(1007),
    { ...empty(1008), id: "own", ownId: true },
    empty(1009, "a", 2),
    empty(1010, "b"),
    empty(1011, "b"),
  ];
  const work = encodeMessage({ kind: "work", items });
  assert.ok(work.length < 300, `${work.length} bytes`);
  assert.deepEqual(decodeMessage(work), { kind: "work", items });

  const results = items.map(({ id, type, index, ownId, payload }) => ({
    id,
    type,
    index,
    ownId,
    value: payload,
  }));
  const frame = encodeMessage({ kind: "results", worker: "w", results });
  assert.ok(frame.length < 250, `${frame.length} bytes`);
  const decoded = decodeMessage(frame);
  assert.deepEqual(decoded, { kind: "results", worker: "w", results });
  assert.equal(resultColumnsOf(decoded)!.count, items.length);
});

Deno.test("codec: a decoded work message reads as its entries, a run as one", () => {
  const items = [
    ...[5, 6, 7].map((index) => ({
      id: `a:${index}`,
      type: "a",
      index,
      ownId: false,
      payload: null,
      attempt: 2,
      timeoutMs: 50,
    })),
    { id: "own", type: "b", index: 9, ownId: true, payload: { x: 1 }, attempt: 1, timeoutMs: 0 },
  ];
  const decoded = decodeMessage(encodeMessage({ kind: "work", items }));
  const entries = workEntriesOf(decoded)!;
  assert.deepEqual(entries, [
    { type: "a", index: 5, count: 3, attempt: 2, timeoutMs: 50, ownId: undefined, payload: null },
    { type: "b", index: 9, count: 1, attempt: 1, timeoutMs: 0, ownId: "own", payload: { x: 1 } },
  ]);
  // Each item of an entry as the object the message's items hold.
  assert.deepEqual(workItemOf(entries[0], 6), items[1]);
  assert.deepEqual(workItemOf(entries[1], 9), items[3]);
  assert.deepEqual(decoded, { kind: "work", items });
  assert.equal(workEntriesOf({ kind: "work", items }), undefined); // built in code
});

Deno.test("codec: a results frame writer makes the frame encodeMessage makes, and starts over", () => {
  const results = [
    { id: "a:1", type: "a", index: 1, ownId: false, value: null },
    { id: "a:2", type: "a", index: 2, ownId: false, value: null },
    { id: "own", type: "b", index: 3, ownId: true, value: { n: [1] } },
    { id: "a:3", type: "a", index: 3, ownId: false, value: null },
  ];
  const metadata = { b: { scale: 2 } };
  const writer = new ResultsFrameWriter();
  for (const r of results) writer.add(r.type, r.index, r.ownId ? r.id : undefined, r.value);
  assert.equal(writer.count, 4);
  assert.deepEqual(writer.types, ["a", "b"]);
  const frame = writer.finish("w1", metadata);
  assert.deepEqual(frame, encodeMessage({ kind: "results", worker: "w1", results, metadata }));
  // Empty again; a value msgpack cannot encode throws with nothing added.
  assert.equal(writer.count, 0);
  assert.throws(() => writer.add("a", 7, undefined, () => 1));
  writer.add("c", 8, undefined, null);
  assert.deepEqual(decodeMessage(writer.finish("w1", undefined)), {
    kind: "results",
    worker: "w1",
    results: [{ id: "c:8", type: "c", index: 8, ownId: false, value: null }],
  });
});

Deno.test("codec: a run with an id or a value, of no items, or of too many is refused", () => {
  // work: tag, no types but one, 1 entry: ref 0, index 0, attempt 1, timeout 0, flags, count
  const workRun = (flags: number, count: number, index = 0) => {
    const bytes = new Uint8Array(1 + 4 + 4 + 1 + 4 + 4 + 8 + 4 + 4 + 1 + 4);
    const view = new DataView(bytes.buffer);
    let at = 0;
    bytes[at++] = 0x01;
    view.setUint32(at, 1, true), at += 4;
    view.setUint32(at, 1, true), at += 4;
    bytes[at++] = "a".charCodeAt(0);
    view.setUint32(at, 1, true), at += 4;
    view.setUint32(at, 0, true), at += 4;
    view.setFloat64(at, index, true), at += 8;
    view.setUint32(at, 1, true), at += 4;
    view.setUint32(at, 0, true), at += 4;
    bytes[at++] = flags;
    view.setUint32(at, count, true);
    return bytes;
  };
  assert.equal((decodeMessage(workRun(4, 3)) as { items: unknown[] }).items.length, 3);
  assert.throws(() => decodeMessage(workRun(4, 0)), /a run of no items/);
  assert.throws(() => decodeMessage(workRun(4 | 2, 3)), /no own id and no value/);
  assert.throws(() => decodeMessage(workRun(4, 2 ** 32 - 1)), /more than \d+ items in one frame/);
  assert.throws(() => decodeMessage(workRun(4, 10, 2 ** 53 - 4)), /run past 2\^53/);
});
