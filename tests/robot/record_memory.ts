/**
 * Fixture of record_memory_test.ts: ten minutes of a 100 Hz, 1 KiB topic
 * (60,000 messages), as the supervisor's stream hands them to `zedge robot
 * record`, written into a recording as fast as the disk takes them, with
 * the live memory (V8 heap and external buffers after forced GCs) sampled
 * every 6,000 messages; prints one JSON line: the memory before, the peak
 * of the samples, the messages written and the file's size. Run with
 * `--v8-flags=--expose-gc`.
 *
 * Modes: `recorder` (the RecordingWriter alone), `retained` (every message
 * also kept, as a recorder that queued them would: the control that shows
 * the measurement catches growth).
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc tests/robot/record_memory.ts recorder /tmp/run.mcap
 * ```
 *
 * @module
 */
import { encodeTopicMessage } from "../../robot/dataflow/codec.ts";
import { RecordingWriter } from "../../robot/record/mcap_writer.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

const mode = Deno.args[0] as "recorder" | "retained";
const path = Deno.args[1];
const MESSAGES = 60_000; // 10 minutes at 100 Hz
const SAMPLE_EVERY = 6_000;
/** Messages handed over before the writer is waited for: a stream's burst. */
const BURST = 100;

function live(): number {
  gc!();
  gc!();
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}

const writer = await RecordingWriter.create(path, { robot: "memory" });
const retained: Uint8Array[][] = [];
const text = "x".repeat(1000);
const start = Date.now();
// A first chunk written and compressed before measuring: buffers that stay the same size.
for (let i = 0; i < 2000; i++) {
  writer.addTopicMessage(
    encodeTopicMessage("blob", { seq: i, text }, "blob", "json", start + i * 10),
    start + i * 10,
  );
  if (i % BURST === 0) await writer.drain();
}
await writer.drain();
const before = live();
let peak = before;
for (let i = 0; i < MESSAGES; i++) {
  const time = start + (2000 + i) * 10;
  const frames = encodeTopicMessage("blob", { seq: 2000 + i, text }, "blob", "json", time);
  writer.addTopicMessage(frames, time);
  if (mode === "retained") retained.push(frames);
  if (i % BURST === BURST - 1) await writer.drain();
  if (i % SAMPLE_EVERY === SAMPLE_EVERY - 1) peak = Math.max(peak, live());
}
await writer.close();
console.log(JSON.stringify({
  mode,
  before,
  peak,
  messages: writer.messages,
  dropped: writer.dropped,
  bytes: (await Deno.stat(path)).size,
  kept: retained.length,
}));
