// MCAP recordings: what zedge writes reads back with npm @mcap/core's own
// McapIndexedReader (chunked, zstd, indexed, every message in order), a file
// written by McapWriter plays with its timing, and a recording cut short (a
// crash, not a Ctrl-C) still plays as far as it goes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { McapIndexedReader, McapWriter } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import { encodeTopicMessage } from "../../robot/dataflow/codec.ts";
import { RecordingReader } from "../../robot/record/mcap_reader.ts";
import { RecordingWriter } from "../../robot/record/mcap_writer.ts";
import { playableChannels, playRecording } from "../../robot/record/player.ts";
import { tempDir } from "../core/helpers.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The file as McapIndexedReader reads it. */
async function indexedReader(path: string) {
  const bytes = await Deno.readFile(path);
  return await McapIndexedReader.Initialize({
    readable: {
      size: () => Promise.resolve(BigInt(bytes.length)),
      read: (offset, size) =>
        Promise.resolve(bytes.subarray(Number(offset), Number(offset + size))),
    },
    decompressHandlers: await loadDecompressHandlers(),
  });
}

Deno.test("a zedge recording opens with McapIndexedReader: zstd chunks, an index, every message in order", async () => {
  const dir = await tempDir("zedge-mcap-");
  const path = join(dir, "run.mcap");
  const writer = await RecordingWriter.create(path, {
    robot: "test-bot",
    schemas: { pose: { schemaName: "Pose2D", schema: { type: "object" } } },
  });
  const t0 = Date.UTC(2026, 0, 1);
  const payload = "x".repeat(1024); // 3000 × 1 KiB: more than one 1 MiB chunk
  for (let i = 0; i < 3000; i++) {
    writer.addTopicMessage(
      encodeTopicMessage(
        "odom",
        { i, x: i / 10, blob: new Uint8Array([i & 255]), note: payload },
        "odometry",
        "msgpack",
        t0 + i,
      ),
      t0 + i + 0.5,
    );
    if (i % 100 === 0) {
      writer.addTopicMessage(
        encodeTopicMessage("pose", { i, text: payload }, "loc", "json", t0 + i),
        t0 + i + 0.5,
      );
      writer.addTopicMessage(
        encodeTopicMessage("image", new Uint8Array([1, 2, i & 255]), "cam", "raw", t0 + i),
        t0 + i + 0.5,
      );
    }
  }
  writer.addLog({ seq: 1, time: t0 + 10, component: "planner", level: "warning", message: "slow" });
  writer.addStates([{
    name: "planner",
    kind: "node",
    state: "running",
    restarts: 0,
    lastError: null,
  }], t0 + 20);
  await writer.close();
  assert.equal(writer.messages, 3000 + 30 + 30 + 2);

  const reader = await indexedReader(path);
  assert.ok(reader.chunkIndexes.length >= 2, `chunks: ${reader.chunkIndexes.length}`);
  assert.ok(reader.chunkIndexes.every((c) => c.compression === "zstd"));
  assert.equal(reader.statistics?.messageCount, 3062n);
  const topics = new Map([...reader.channelsById.values()].map((c) => [c.topic, c]));
  assert.deepEqual([...topics.keys()].sort(), [
    "/zedge/log",
    "/zedge/states",
    "image",
    "odom",
    "pose",
  ]);
  assert.equal(topics.get("odom")!.messageEncoding, "json");
  assert.equal(topics.get("odom")!.metadata.get("zedge.encoding"), "msgpack");
  assert.equal(topics.get("image")!.metadata.get("zedge.encoding"), "raw");
  const schemaOf = (topic: string) => reader.schemasById.get(topics.get(topic)!.schemaId)!;
  assert.equal(schemaOf("pose").name, "Pose2D");
  assert.equal(schemaOf("/zedge/log").name, "foxglove.Log");
  assert.equal(schemaOf("odom").encoding, "jsonschema");
  assert.deepEqual(JSON.parse(fromUtf8.decode(schemaOf("odom").data)).properties.blob, {
    type: "string",
  });

  let last = -1n;
  const odom: number[] = [];
  for await (const message of reader.readMessages({ topics: ["odom"] })) {
    assert.ok(message.logTime >= last);
    last = message.logTime;
    const value = JSON.parse(fromUtf8.decode(message.data));
    odom.push(value.i);
    if (value.i === 7) {
      assert.equal(value.blob, "Bw==");
      assert.equal(message.publishTime, BigInt(t0 + 7) * 1_000_000n);
      assert.equal(message.logTime, BigInt(t0 + 7) * 1_000_000n + 500_000n);
    }
  }
  assert.deepEqual(odom, Array.from({ length: 3000 }, (_, i) => i));
  const [log] = await Array.fromAsync(reader.readMessages({ topics: ["/zedge/log"] }));
  assert.deepEqual(JSON.parse(fromUtf8.decode(log.data)).level, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a file written by McapWriter with json messages plays with its timing, remapped, looped", async () => {
  const dir = await tempDir("zedge-mcap-");
  const path = join(dir, "foreign.mcap");
  const file = await Deno.open(path, { write: true, create: true });
  let position = 0n;
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: async (buffer) => {
        await file.write(buffer);
        position += BigInt(buffer.length);
      },
    },
  });
  await writer.start({ profile: "", library: "a test" });
  const schemaId = await writer.registerSchema({
    name: "Scan",
    encoding: "jsonschema",
    data: utf8.encode("{}"),
  });
  const scan = await writer.registerChannel({
    topic: "scan",
    messageEncoding: "json",
    schemaId,
    metadata: new Map(),
  });
  const cdr = await writer.registerChannel({
    topic: "imu",
    messageEncoding: "cdr",
    schemaId: 0,
    metadata: new Map(),
  });
  const base = 1_000_000_000_000n;
  for (let i = 0; i < 10; i++) {
    const time = base + BigInt(i) * 40_000_000n; // 40 ms apart
    await writer.addMessage({
      channelId: scan,
      sequence: i,
      logTime: time,
      publishTime: time,
      data: utf8.encode(JSON.stringify({ i })),
    });
    await writer.addMessage({
      channelId: cdr,
      sequence: i,
      logTime: time,
      publishTime: time,
      data: new Uint8Array(4),
    });
  }
  await writer.end();
  file.close();

  const reader = await RecordingReader.open(path);
  assert.ok(reader.indexed);
  assert.deepEqual(playableChannels(reader.channels).skipped, [
    { topic: "imu", why: "its messages are cdr, zedge plays json" },
  ]);
  const played: { topic: string; i: number; at: number }[] = [];
  const start = performance.now();
  const outcome = await playRecording(reader, {
    rate: 2,
    loop: true,
    remap: { scan: "scan.replayed" },
    publish: (topic, value) => {
      played.push({ topic, i: (value as { i: number }).i, at: performance.now() - start });
      if (played.length === 20) controller.abort();
    },
    signal: (controller = new AbortController()).signal,
  });
  reader.close();
  assert.deepEqual(played.map((p) => p.i), [...Array(10).keys(), ...Array(10).keys()]);
  assert.ok(played.every((p) => p.topic === "scan.replayed"));
  assert.equal(outcome.loops, 2);
  // Never early: message i of a loop is due 20 ms × i after that loop's first (rate 2).
  for (let i = 1; i < 10; i++) {
    assert.ok(played[i].at - played[0].at >= i * 20 - 1, `message ${i} at ${played[i].at}`);
  }
  await Deno.remove(dir, { recursive: true });
});
let controller: AbortController;

Deno.test("a recording cut short (no index, a torn chunk) plays as far as it goes", async () => {
  const dir = await tempDir("zedge-mcap-");
  const path = join(dir, "run.mcap");
  const writer = await RecordingWriter.create(path);
  for (let i = 0; i < 4000; i++) {
    writer.addTopicMessage(
      encodeTopicMessage("odom", { i, pad: "y".repeat(600) }, "o", "json"),
      Date.now(),
    );
  }
  await writer.close();
  const whole = await Deno.readFile(path);
  // As a crash leaves it: the summary and footer missing, the last chunk torn.
  const cut = join(dir, "cut.mcap");
  await Deno.writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.7)));
  const reader = await RecordingReader.open(cut);
  assert.equal(reader.indexed, false);
  const seen: number[] = [];
  for await (const m of reader.messages()) seen.push(JSON.parse(fromUtf8.decode(m.data)).i);
  reader.close();
  assert.ok(seen.length > 1000 && seen.length < 4000, `${seen.length} messages`);
  assert.deepEqual(seen, [...Array(seen.length).keys()]);

  await Deno.writeTextFile(join(dir, "not.mcap"), "hello");
  await assert.rejects(() => RecordingReader.open(join(dir, "not.mcap")), /not an MCAP file/);
  await Deno.remove(dir, { recursive: true });
});
