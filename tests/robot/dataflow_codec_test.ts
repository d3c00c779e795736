import assert from "node:assert/strict";
import {
  DataflowCodecError,
  decodeServiceReply,
  decodeServiceRequest,
  decodeTopicMessage,
  encodeServiceReply,
  encodeServiceRequest,
  encodeTopicMessage,
} from "../../robot/dataflow/codec.ts";

Deno.test("dataflow codec: topic messages round-trip in each encoding, with time and source", () => {
  const time = 1764620000123.25;
  for (
    const [encoding, value] of [
      ["msgpack", { x: 1.5, tags: ["a"] }],
      ["json", { x: 1.5, tags: ["a"] }],
      ["raw", new Uint8Array([0, 255, 7])],
    ] as const
  ) {
    const frames = encodeTopicMessage("odom.filtered", value, "filter", encoding, time);
    assert.equal(frames.length, 3);
    assert.equal(new TextDecoder().decode(frames[0]), "odom.filtered");
    assert.deepEqual(decodeTopicMessage(frames), {
      topic: "odom.filtered",
      value,
      time,
      source: "filter",
    });
  }
});

Deno.test("dataflow codec: malformed frames are refused with a DataflowCodecError", () => {
  const good = encodeTopicMessage("t", 1, "s", "msgpack");
  const badVersion = [good[0], Uint8Array.of(9, ...good[1].subarray(1)), good[2]];
  const badEncoding = [good[0], Uint8Array.of(1, 7, ...good[1].subarray(2)), good[2]];
  const short = [good[0], good[1].subarray(0, 4), good[2]];
  const badValue = [good[0], good[1], Uint8Array.of(0xc1)];
  for (const frames of [[good[0]], badVersion, badEncoding, short, badValue]) {
    assert.throws(() => decodeTopicMessage(frames), DataflowCodecError);
  }
  assert.throws(() => decodeServiceRequest([new Uint8Array(1)]), DataflowCodecError);
  const reply = encodeServiceReply({ rid: "r", ok: true, value: 1 });
  assert.throws(
    () => decodeServiceReply([reply[0], new TextEncoder().encode("maybe"), reply[2]]),
    DataflowCodecError,
  );
});

Deno.test("dataflow codec: service requests and replies round-trip", () => {
  assert.deepEqual(decodeServiceRequest(encodeServiceRequest("r1", "plan", { to: [1, 2] })), {
    rid: "r1",
    service: "plan",
    request: { to: [1, 2] },
  });
  const error = { rid: "r2", ok: false, error: { code: "handler-error", message: "no" } } as const;
  assert.deepEqual(decodeServiceReply(encodeServiceReply(error)), error);
});
