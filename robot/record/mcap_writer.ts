/**
 * A zedge recording: an MCAP file (npm `@mcap/core`'s McapWriter), chunked
 * (1 MiB), zstd-compressed (node:zlib's zstd, built into Deno) and indexed,
 * so `McapIndexedReader` and Foxglove open it and seek in it.
 *
 * - Every topic is a channel of `json` messages with a `jsonschema` schema:
 *   the one the YAML declares, else the shape of its first message. A
 *   channel's metadata says the topic's zedge encoding (`zedge.encoding`),
 *   so a raw topic's `{ data: base64 }` plays back as bytes.
 * - The log records are a `foxglove.Log` channel, the components' states a
 *   channel of their own (the same names as in the live view).
 * - Each message's log time is when the supervisor received it, its publish
 *   time when its publisher sent it.
 * - Writes are queued and done in order (McapWriter needs one at a time); a
 *   queue grown past 10,000 records drops what comes (counted), so a slow
 *   disk costs the recording messages, never the recorder's memory.
 * - {@link RecordingWriter.close} writes the last chunk, the index and the
 *   footer: call it on Ctrl-C and the file is whole.
 *
 * @example
 * ```ts
 * import { RecordingWriter } from "./mcap_writer.ts";
 * import { encodeTopicMessage } from "../dataflow/codec.ts";
 * const writer = await RecordingWriter.create("/tmp/run.mcap", { robot: "kitchen-bot" });
 * writer.addTopicMessage(encodeTopicMessage("odom", { x: 1 }, "odometry", "msgpack"), Date.now());
 * await writer.close();
 * ```
 * @module
 */
import { McapWriter } from "@mcap/core";
import { Log as FOXGLOVE_LOG_SCHEMA } from "@foxglove/schemas/jsonschema.js";
import zlib from "node:zlib";
import { Deque } from "../../core/sockets/deque.ts";
import { VERSION } from "../../core/version.ts";
import { createPrivateFile } from "../../core/security/private_file.ts";
import type { TopicSchema } from "../spec.ts";
import { decodeTopicMessage, type TopicEncoding, topicEncodingOf } from "../dataflow/codec.ts";
import type { ComponentStateValue } from "../live/hub.ts";
import { LOG_TOPIC, STATES_TOPIC } from "../live/hub.ts";
import { inferJsonSchema } from "../live/json_schema.ts";
import { type JsonValue, toJsonValue } from "../live/json_value.ts";
import type { LogLine } from "../observe/view.ts";
import { foxgloveLog, nanoseconds, STATES_SCHEMA } from "../foxglove/messages.ts";

const utf8 = new TextEncoder();

/** Records waiting for the disk beyond which new ones are dropped. */
const MAX_QUEUED = 10_000;
/** Chunk size: what a crash (not a Ctrl-C) can cost at most, and the reader's unit of seeking. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The channel metadata key naming a topic's zedge encoding.
 *
 * @example
 * ```ts
 * import { ENCODING_KEY } from "./mcap_writer.ts";
 * console.log(ENCODING_KEY); // "zedge.encoding"
 * ```
 */
export const ENCODING_KEY = "zedge.encoding";

/**
 * Options of {@link RecordingWriter.create}.
 *
 * @example
 * ```ts
 * import type { RecordingOptions } from "./mcap_writer.ts";
 * const options: RecordingOptions = { robot: "kitchen-bot", compression: "zstd" };
 * ```
 */
export interface RecordingOptions {
  /** The robot recorded (kept in the file's `zedge` metadata). */
  robot?: string;
  /** Chunk compression (default zstd). */
  compression?: "zstd" | "none";
  /** Schemas the YAML declares, by topic. */
  schemas?: Record<string, TopicSchema>;
}

type Entry =
  | { kind: "topic"; frames: Uint8Array[]; receivedAt: number }
  | { kind: "log"; line: LogLine }
  | { kind: "states"; states: ComponentStateValue[]; time: number };

/** A file written from the start, its position kept (McapWriter asks for it). */
class FileWritable {
  readonly #file: Deno.FsFile;
  #position = 0n;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  position(): bigint {
    return this.#position;
  }

  async write(buffer: Uint8Array): Promise<void> {
    let written = 0;
    while (written < buffer.length) written += await this.#file.write(buffer.subarray(written));
    this.#position += BigInt(buffer.length);
  }
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { RecordingWriter } from "./mcap_writer.ts";
 * const writer = await RecordingWriter.create("/tmp/empty.mcap");
 * await writer.close();
 * ```
 */
export class RecordingWriter {
  readonly #file: Deno.FsFile;
  readonly #out: FileWritable;
  readonly #writer: McapWriter;
  readonly #schemas: Record<string, TopicSchema>;
  /** Topic → channel id. */
  readonly #channels = new Map<string, number>();
  readonly #sequences = new Map<number, number>();
  readonly #queue = new Deque<Entry>();
  #draining: Promise<void> | null = null;
  #failure: unknown = null;
  #closed: Promise<void> | null = null;
  #messages = 0;
  #dropped = 0;
  readonly #byTopic = new Map<string, number>();

  private constructor(file: Deno.FsFile, options: RecordingOptions) {
    this.#file = file;
    this.#out = new FileWritable(file);
    this.#schemas = options.schemas ?? {};
    this.#writer = new McapWriter({
      writable: this.#out,
      chunkSize: CHUNK_BYTES,
      compressChunk: (options.compression ?? "zstd") === "zstd"
        ? (data) => ({ compression: "zstd", compressedData: zstd(data) })
        : undefined,
    });
  }

  /**
   * Creates the file at `path` (replacing what is there, a symbolic link itself rather than what
   * it points to) readable by its owner alone, and writes the MCAP header: a recording holds the
   * robot's data, which its control socket keeps from other local users.
   */
  static async create(path: string, options: RecordingOptions = {}): Promise<RecordingWriter> {
    const file = await createPrivateFile(path, { replace: true });
    const recording = new RecordingWriter(file, options);
    try {
      await recording.#writer.start({ profile: "", library: `zedge ${VERSION}` });
      await recording.#writer.addMetadata({
        name: "zedge",
        metadata: new Map([
          ["robot", options.robot ?? ""],
          ["recorded", new Date().toISOString()],
        ]),
      });
    } catch (error) {
      file.close();
      throw error;
    }
    return recording;
  }

  /** Messages written (or queued to be), of every channel. */
  get messages(): number {
    return this.#messages;
  }

  /** Messages dropped because the disk did not keep up. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes in the file so far. */
  get bytes(): number {
    return Number(this.#out.position());
  }

  /** Messages per topic (the log and states channels included). */
  get byTopic(): ReadonlyMap<string, number> {
    return this.#byTopic;
  }

  /** Records waiting for the disk. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves once every record queued so far is written (to the chunk being built). */
  async drain(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
    if (this.#failure !== null) throw this.#failure;
  }

  /** A topic message, as published (topic, header, value frames), received at `receivedAt` (ms). */
  addTopicMessage(frames: Uint8Array[], receivedAt: number): void {
    this.#enqueue({ kind: "topic", frames, receivedAt });
  }

  /** A log record. */
  addLog(line: LogLine): void {
    this.#enqueue({ kind: "log", line });
  }

  /** Every component's state at `time` (ms). */
  addStates(states: ComponentStateValue[], time: number): void {
    this.#enqueue({ kind: "states", states, time });
  }

  #enqueue(entry: Entry): void {
    if (this.#closed !== null) return;
    if (this.#failure !== null) throw this.#failure;
    if (this.#queue.length >= MAX_QUEUED) {
      this.#dropped++;
      return;
    }
    this.#queue.push(entry);
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#write(this.#queue.shift()!);
    } catch (error) {
      this.#failure = error;
      this.#queue.clear();
    } finally {
      this.#draining = null;
    }
  }

  async #write(entry: Entry): Promise<void> {
    switch (entry.kind) {
      case "topic": {
        let decoded;
        let encoding: TopicEncoding;
        let json: JsonValue | undefined;
        let payload: Uint8Array;
        try {
          decoded = decodeTopicMessage(entry.frames);
          encoding = topicEncodingOf(entry.frames[1])!;
          if (encoding === "json") payload = entry.frames[2];
          else {
            json = toJsonValue(decoded.value, encoding);
            payload = utf8.encode(JSON.stringify(json));
          }
        } catch {
          return; // an unreadable message is not recorded
        }
        const channel = this.#channels.get(decoded.topic) ?? await this.#channel(
          decoded.topic,
          encoding,
          () => inferJsonSchema(json ?? toJsonValue(decoded.value, encoding)),
        );
        await this.#add(channel, decoded.topic, entry.receivedAt, decoded.time, payload);
        return;
      }
      case "log": {
        const channel = await this.#fixedChannel(LOG_TOPIC, "foxglove.Log", FOXGLOVE_LOG_SCHEMA);
        const payload = utf8.encode(JSON.stringify(foxgloveLog(entry.line)));
        await this.#add(channel, LOG_TOPIC, entry.line.time, entry.line.time, payload);
        return;
      }
      case "states": {
        const channel = await this.#fixedChannel(STATES_TOPIC, STATES_SCHEMA.title, STATES_SCHEMA);
        const payload = utf8.encode(JSON.stringify({ components: entry.states }));
        await this.#add(channel, STATES_TOPIC, entry.time, entry.time, payload);
        return;
      }
    }
  }

  async #add(
    channelId: number,
    topic: string,
    logMs: number,
    publishMs: number,
    data: Uint8Array,
  ): Promise<void> {
    const sequence = (this.#sequences.get(channelId) ?? 0) + 1;
    this.#sequences.set(channelId, sequence);
    await this.#writer.addMessage({
      channelId,
      sequence,
      logTime: nanoseconds(logMs),
      publishTime: nanoseconds(publishMs),
      data,
    });
    this.#messages++;
    this.#byTopic.set(topic, (this.#byTopic.get(topic) ?? 0) + 1);
  }

  async #channel(
    topic: string,
    encoding: TopicEncoding,
    infer: () => Record<string, unknown>,
  ): Promise<number> {
    const known = this.#channels.get(topic);
    if (known !== undefined) return known;
    const declared = this.#schemas[topic];
    return await this.#register(
      topic,
      declared?.schemaName ?? topic,
      declared?.schema ?? { title: topic, ...infer() },
      new Map([[ENCODING_KEY, encoding]]),
    );
  }

  async #fixedChannel(
    topic: string,
    name: string,
    schema: Record<string, unknown>,
  ): Promise<number> {
    return this.#channels.get(topic) ?? await this.#register(topic, name, schema, new Map());
  }

  async #register(
    topic: string,
    name: string,
    schema: Record<string, unknown>,
    metadata: Map<string, string>,
  ): Promise<number> {
    const schemaId = await this.#writer.registerSchema({
      name,
      encoding: "jsonschema",
      data: utf8.encode(JSON.stringify(schema)),
    });
    const id = await this.#writer.registerChannel({
      topic,
      messageEncoding: "json",
      schemaId,
      metadata,
    });
    this.#channels.set(topic, id);
    return id;
  }

  /**
   * Writes what is queued, the last chunk, the index and the footer, and
   * closes the file. Safe to call twice; throws what failed a write.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        while (this.#draining !== null) await this.#draining;
        if (this.#failure !== null) throw this.#failure;
        await this.#writer.end();
      } finally {
        this.#file.close();
      }
    })();
    return this.#closed;
  }
}

function zstd(data: Uint8Array): Uint8Array {
  const compressed = zlib.zstdCompressSync(data);
  return new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength);
}
