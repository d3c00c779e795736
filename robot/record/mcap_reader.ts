/**
 * Reading a recording to play it: any MCAP file whose channels carry
 * `json` messages — zedge's own, or one written by `McapWriter` — with
 * npm `@mcap/core`. An indexed file is read with `McapIndexedReader`, in
 * log-time order, decompressing chunks (zstd, lz4, bz2) with
 * `@mcap/support`; a file without a usable index (a recording cut short by
 * a crash) is read front to back with `McapStreamReader`, in file order,
 * as far as it goes.
 *
 * @example
 * ```ts
 * import { RecordingReader } from "./mcap_reader.ts";
 * const reader = await RecordingReader.open("run.mcap");
 * for await (const m of reader.messages()) console.log(m.topic, m.logTime);
 * reader.close();
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";
import { McapIndexedReader, McapStreamReader, type McapTypes } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import { ENCODING_KEY } from "./mcap_writer.ts";

/** How much of an unindexed file is read at a time. */
const STREAM_READ_BYTES = 1024 * 1024;

/**
 * One channel of a recording.
 *
 * @example
 * ```ts
 * import type { RecordedChannel } from "./mcap_reader.ts";
 * const c: RecordedChannel = { topic: "odom", messageEncoding: "json", encoding: "msgpack", messages: 6000 };
 * ```
 */
export interface RecordedChannel {
  /** Its topic. */
  topic: string;
  /** How its messages are encoded in the file (zedge plays `json`). */
  messageEncoding: string;
  /** The zedge encoding it was published in (null for a file zedge did not write). */
  encoding: string | null;
  /** Its messages, when the file's statistics say (null otherwise). */
  messages: number | null;
}

/**
 * One message of a recording.
 *
 * @example
 * ```ts
 * import type { RecordedMessage } from "./mcap_reader.ts";
 * const size = (m: RecordedMessage) => m.data.length;
 * ```
 */
export interface RecordedMessage {
  /** Its topic. */
  topic: string;
  /** When it was recorded, ns since the epoch. */
  logTime: bigint;
  /** When it was published, ns since the epoch. */
  publishTime: bigint;
  /** Its bytes. */
  data: Uint8Array;
  /** Its channel. */
  channel: RecordedChannel;
}

/**
 * A file that is not a recording zedge can read (the message says why).
 *
 * @example
 * ```ts
 * import { RecordingFormatError } from "./mcap_reader.ts";
 * const e = new RecordingFormatError("run.mcap: not an MCAP file");
 * ```
 */
export class RecordingFormatError extends ZedgeError {
  /** Always `"recording-format"`. */
  readonly code: string = "recording-format";
  /** Creates the error, saying why. */
  constructor(message: string) {
    super(message);
    this.name = "RecordingFormatError";
  }
}

/** The file as the indexed reader reads it: any range, on demand. */
class FileReadable {
  readonly #file: Deno.FsFile;
  readonly #size: bigint;

  constructor(file: Deno.FsFile, size: number) {
    this.#file = file;
    this.#size = BigInt(size);
  }

  size(): Promise<bigint> {
    return Promise.resolve(this.#size);
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    const buffer = new Uint8Array(Number(size));
    await this.#file.seek(Number(offset), Deno.SeekMode.Start);
    let filled = 0;
    while (filled < buffer.length) {
      const n = await this.#file.read(buffer.subarray(filled));
      if (n === null) throw new RecordingFormatError("the file ends early");
      filled += n;
    }
    return buffer;
  }
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { RecordingReader } from "./mcap_reader.ts";
 * const reader = await RecordingReader.open("run.mcap");
 * console.log(reader.channels.map((c) => c.topic), reader.indexed);
 * reader.close();
 * ```
 */
export class RecordingReader {
  /** The file, as named. */
  readonly path: string;
  /** Whether it has an index (else it is read in file order). */
  readonly indexed: boolean;
  readonly #file: Deno.FsFile;
  readonly #indexed: McapIndexedReader | null;
  readonly #handlers: McapTypes.DecompressHandlers;
  #channels: Map<number, RecordedChannel>;

  private constructor(
    path: string,
    file: Deno.FsFile,
    indexed: McapIndexedReader | null,
    handlers: McapTypes.DecompressHandlers,
    channels: Map<number, RecordedChannel>,
  ) {
    this.path = path;
    this.#file = file;
    this.#indexed = indexed;
    this.indexed = indexed !== null;
    this.#handlers = handlers;
    this.#channels = channels;
  }

  /** Opens `path`; throws {@link RecordingFormatError} for a file that is not MCAP. */
  static async open(path: string): Promise<RecordingReader> {
    const file = await Deno.open(path, { read: true });
    try {
      const size = (await file.stat()).size;
      const magic = new Uint8Array(8);
      if (size < 8 || (await file.read(magic)) !== 8 || !isMcapMagic(magic)) {
        throw new RecordingFormatError(`${path}: not an MCAP file`);
      }
      const handlers = await loadDecompressHandlers();
      let indexed: McapIndexedReader | null = null;
      try {
        indexed = await McapIndexedReader.Initialize({
          readable: new FileReadable(file, size),
          decompressHandlers: handlers,
        });
      } catch {
        indexed = null; // no index, or cut short: read it front to back
      }
      const channels = new Map<number, RecordedChannel>();
      if (indexed !== null) {
        for (const [id, channel] of indexed.channelsById) {
          const count = indexed.statistics?.channelMessageCounts.get(id);
          channels.set(id, describe(channel, count === undefined ? null : Number(count)));
        }
      }
      const reader = new RecordingReader(path, file, indexed, handlers, channels);
      if (indexed === null) await reader.#scanChannels();
      return reader;
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The recording's channels, by topic. */
  get channels(): RecordedChannel[] {
    return [...this.#channels.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** Messages on `topics` (all without), by log time (file order without an index). */
  async *messages(topics?: readonly string[]): AsyncGenerator<RecordedMessage> {
    const wanted = topics === undefined ? null : new Set(topics);
    if (this.#indexed !== null) {
      for await (const message of this.#indexed.readMessages({ topics })) {
        const channel = this.#channels.get(message.channelId);
        if (channel === undefined) continue;
        yield {
          topic: channel.topic,
          logTime: message.logTime,
          publishTime: message.publishTime,
          data: message.data,
          channel,
        };
      }
      return;
    }
    for await (const record of this.#records()) {
      if (record.type !== "Message") continue;
      const channel = this.#channels.get(record.channelId);
      if (channel === undefined || (wanted !== null && !wanted.has(channel.topic))) continue;
      yield {
        topic: channel.topic,
        logTime: record.logTime,
        publishTime: record.publishTime,
        data: record.data,
        channel,
      };
    }
  }

  /** Every record of the file, front to back, as far as it can be read. */
  async *#records(): AsyncGenerator<McapTypes.TypedMcapRecord> {
    const stream = new McapStreamReader({ decompressHandlers: this.#handlers });
    await this.#file.seek(0, Deno.SeekMode.Start);
    const buffer = new Uint8Array(STREAM_READ_BYTES);
    while (true) {
      const n = await this.#file.read(buffer);
      if (n === null) return;
      stream.append(buffer.slice(0, n));
      try {
        for (let record; (record = stream.nextRecord());) yield record;
      } catch {
        return; // a torn record at the end of a file cut short
      }
      if (stream.done()) return;
    }
  }

  async #scanChannels(): Promise<void> {
    const counts = new Map<number, number>();
    for await (const record of this.#records()) {
      if (record.type === "Channel") this.#channels.set(record.id, describe(record, null));
      else if (record.type === "Message") {
        counts.set(record.channelId, (counts.get(record.channelId) ?? 0) + 1);
      }
    }
    for (const [id, count] of counts) {
      const channel = this.#channels.get(id);
      if (channel !== undefined) channel.messages = count;
    }
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Closed already.
    }
  }
}

function describe(channel: McapTypes.Channel, messages: number | null): RecordedChannel {
  return {
    topic: channel.topic,
    messageEncoding: channel.messageEncoding,
    encoding: channel.metadata.get(ENCODING_KEY) ?? null,
    messages,
  };
}

/** MCAP's magic: 0x89 "MCAP" 0x30 "\r\n". */
function isMcapMagic(bytes: Uint8Array): boolean {
  const magic = [0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a];
  return magic.every((b, i) => bytes[i] === b);
}
