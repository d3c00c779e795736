/**
 * Playing a recording with its timing: each message is published when as
 * much time has passed since the first as had passed when it was recorded
 * (its log time), divided by `rate`; a publisher that falls behind catches
 * up at once rather than drifting. `loop` starts over at the end. The robot's
 * own channels (`/zedge/log`, `/zedge/states`) are not played, nor channels
 * whose messages are not `json`; `remap` plays a topic under another name.
 *
 * @example
 * ```ts
 * import { RecordingReader } from "./mcap_reader.ts";
 * import { playRecording } from "./player.ts";
 * const reader = await RecordingReader.open("run.mcap");
 * await playRecording(reader, {
 *   rate: 2,
 *   publish: (topic, value) => console.log(topic, value),
 * });
 * reader.close();
 * ```
 * @module
 */
import { abortableDelay } from "../../core/abortable_delay.ts";
import type { RecordedChannel, RecordedMessage, RecordingReader } from "./mcap_reader.ts";

const fromUtf8 = new TextDecoder();

/**
 * Options of {@link playRecording}.
 *
 * @example
 * ```ts
 * import type { PlayOptions } from "./player.ts";
 * const options: PlayOptions = { rate: 0.5, loop: true, topics: ["scan"], publish: () => {} };
 * ```
 */
export interface PlayOptions {
  /** Speed: 2 plays twice as fast (default 1). */
  rate?: number;
  /** Start over at the end, until stopped. */
  loop?: boolean;
  /** The recorded topics to play (default: every playable one). */
  topics?: readonly string[];
  /** Recorded topic → the topic it is published on. */
  remap?: Readonly<Record<string, string>>;
  /** Stops playing. */
  signal?: AbortSignal;
  /** Publishes one message (JSON value) on `topic` (remapped already). */
  publish: (topic: string, value: unknown, message: RecordedMessage) => void | Promise<void>;
}

/**
 * Which of a recording's channels {@link playRecording} plays, and why
 * the others are skipped.
 *
 * @example
 * ```ts
 * import { RecordingReader } from "./mcap_reader.ts";
 * import { playableChannels } from "./player.ts";
 * const reader = await RecordingReader.open("run.mcap");
 * const { play, skipped } = playableChannels(reader.channels);
 * ```
 */
export function playableChannels(
  channels: readonly RecordedChannel[],
  topics?: readonly string[],
): { play: RecordedChannel[]; skipped: { topic: string; why: string }[] } {
  const play: RecordedChannel[] = [];
  const skipped: { topic: string; why: string }[] = [];
  for (const channel of channels) {
    if (topics !== undefined && !topics.includes(channel.topic)) continue;
    if (channel.topic.startsWith("/zedge/")) {
      if (topics !== undefined) {
        skipped.push({ topic: channel.topic, why: "the robot's own channel" });
      }
    } else if (channel.messageEncoding !== "json") {
      skipped.push({
        topic: channel.topic,
        why: `its messages are ${channel.messageEncoding || "unencoded"}, zedge plays json`,
      });
    } else play.push(channel);
  }
  return { play, skipped };
}

/**
 * Plays `reader`'s playable channels (see the module documentation) and
 * resolves with how many messages were published once it ends (or is
 * stopped). A message that is not JSON is skipped and counted.
 *
 * @example
 * ```ts
 * import { RecordingReader } from "./mcap_reader.ts";
 * import { playRecording } from "./player.ts";
 * const reader = await RecordingReader.open("run.mcap");
 * const { played } = await playRecording(reader, { publish: () => {} });
 * ```
 */
export async function playRecording(
  reader: RecordingReader,
  options: PlayOptions,
): Promise<{ played: number; unreadable: number; loops: number }> {
  const rate = options.rate ?? 1;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError("rate must be above 0");
  const topics = playableChannels(reader.channels, options.topics).play.map((c) => c.topic);
  const signal = options.signal ?? new AbortController().signal;
  let played = 0;
  let unreadable = 0;
  let loops = 0;
  if (topics.length === 0) return { played, unreadable, loops };
  do {
    loops++;
    let start = 0;
    let first: bigint | null = null;
    for await (const message of reader.messages(topics)) {
      if (signal.aborted) return { played, unreadable, loops };
      if (first === null) {
        first = message.logTime;
        start = performance.now();
      }
      const due = start + Number(message.logTime - first) / 1e6 / rate;
      const wait = due - performance.now();
      if (wait >= 1) {
        try {
          await abortableDelay(wait, signal);
        } catch {
          return { played, unreadable, loops };
        }
      }
      let value: unknown;
      try {
        value = JSON.parse(fromUtf8.decode(message.data));
      } catch {
        unreadable++;
        continue;
      }
      await options.publish(options.remap?.[message.topic] ?? message.topic, value, message);
      played++;
    }
  } while (options.loop && !signal.aborted);
  return { played, unreadable, loops };
}
