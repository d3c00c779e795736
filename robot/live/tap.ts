/**
 * The supervisor's tap on its robot's topics: for each thing that watches
 * — a Foxglove channel, a recording, a `zedge topic echo` — a SUB socket in
 * the supervisor's own isolate, connected to the publishers of exactly the
 * topics it watches (the nodes' PUBs over inproc, ipc or tcp, and the
 * operator's) and subscribed to those topics; nothing when nobody watches.
 * Each message reaches the listener as the three frames it was published
 * as (topic, header, value): decoding is left to the listener that needs it.
 * Only the header's source is the tap's word, not the sender's: the
 * component whose endpoint the message came in on; and a publisher is
 * heard on the topics it declared only.
 *
 * A listener that cannot keep up returns a promise, and its socket reads
 * nothing more until it settles: the publishers' high-water marks then drop
 * what that watcher misses, as for any slow subscriber, without work for
 * the publisher beyond the drop and without queueing in the supervisor.
 * Each watcher has its own socket, so a slow recording never holds up a
 * Foxglove channel.
 *
 * @example
 * ```ts
 * import { TopicTap } from "./tap.ts";
 * const tap = new TopicTap({ odom: ["inproc://zedge/kitchen-bot/odometry/topics"] });
 * const stop = tap.listen(["odom"], ({ topic, frames }) => console.log(topic, frames[2].length));
 * stop();
 * await tap.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Subscriber } from "../../core/sockets/mod.ts";
import { RepeatedText, withSource } from "../dataflow/codec.ts";

const log = getLogger(["zedge", "robot", "tap"]);

/** Messages a watcher's socket queues before its publishers drop for it. */
const RECEIVE_HIGH_WATER_MARK = 1000;

/**
 * One message as the tap hands it on.
 *
 * @example
 * ```ts
 * import type { TappedMessage } from "./tap.ts";
 * const size = (m: TappedMessage) => m.frames[2].length;
 * ```
 */
export interface TappedMessage {
  /** The topic. */
  topic: string;
  /** The frames as published: topic, header, value (see `dataflow/codec.ts`). */
  frames: Uint8Array[];
  /** When the supervisor received it, in ms since the epoch. */
  receivedAt: number;
}

/**
 * Called with every message of the topics it listens to; a promise it
 * returns holds the next message back until it settles.
 *
 * @example
 * ```ts
 * import type { TapListener } from "./tap.ts";
 * const count = { n: 0 };
 * const listener: TapListener = () => {
 *   count.n++;
 * };
 * ```
 */
export type TapListener = (message: TappedMessage) => void | Promise<void>;

/** One watcher: its socket and what it watches. */
interface Watch {
  topics: string[] | null;
  sub: Subscriber;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { TopicTap } from "./tap.ts";
 * const tap = new TopicTap({});
 * console.log(tap.subscriptions); // []
 * await tap.close();
 * ```
 */
export class TopicTap {
  /** Topic → its publishers' endpoints. */
  readonly #publishers: Map<string, string[]>;
  /** Endpoint → who binds it (the source its messages are stamped with). */
  readonly #sources: Map<string, string>;
  readonly #watches = new Set<Watch>();
  #received = 0;
  #closed = false;

  /**
   * Taps the publishers of each topic (`publishers`: topic → their
   * endpoints; `sources`: endpoint → the component that binds it).
   */
  constructor(
    publishers: Readonly<Record<string, readonly string[]>>,
    sources: Readonly<Record<string, string>> = {},
  ) {
    this.#sources = new Map(Object.entries(sources));
    this.#publishers = new Map(
      Object.entries(publishers).map(([topic, endpoints]) => [topic, [...new Set(endpoints)]]),
    );
  }

  /** Topics watched now (`*` for every topic), sorted, each once. */
  get subscriptions(): string[] {
    const topics = new Set<string>();
    for (const watch of this.#watches) for (const t of watch.topics ?? ["*"]) topics.add(t);
    return [...topics].sort();
  }

  /** Messages received since the tap started, every watcher together. */
  get received(): number {
    return this.#received;
  }

  /**
   * Calls `listener` with every message on `topics` (null: every topic of
   * the robot) until the returned function is called.
   */
  listen(topics: readonly string[] | null, listener: TapListener): () => void {
    if (this.#closed) return () => {};
    const wanted = topics === null ? null : [...new Set(topics)];
    const endpoints = new Set<string>();
    for (const [topic, publishers] of this.#publishers) {
      if (wanted === null || wanted.includes(topic)) publishers.forEach((e) => endpoints.add(e));
    }
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: RECEIVE_HIGH_WATER_MARK });
    for (const topic of wanted ?? [""]) sub.subscribe(topic);
    for (const endpoint of endpoints) sub.connect(endpoint);
    const watch: Watch = { topics: wanted, sub };
    this.#watches.add(watch);
    this.#receive(watch, listener);
    return () => {
      if (!this.#watches.delete(watch)) return;
      sub.close().catch(() => {});
    };
  }

  async #receive(watch: Watch, listener: TapListener): Promise<void> {
    const names = new RepeatedText();
    // A prefix subscription ("odom") also lets "odom2" through: a watcher gets its topics only.
    const exact = watch.topics === null ? null : new Set(watch.topics);
    try {
      for await (const frames of watch.sub) {
        if (frames.length !== 3) continue;
        let topic: string;
        try {
          topic = names.decode(frames[0]);
        } catch {
          continue; // not UTF-8: not a topic message
        }
        if (exact !== null && !exact.has(topic)) continue;
        const from = watch.sub.lastPublisher ?? "";
        // A publisher is heard on the topics it declared only.
        if (!this.#publishers.get(topic)?.includes(from)) continue;
        const source = this.#sources.get(from);
        if (source !== undefined) frames[1] = withSource(frames[1], source);
        this.#received++;
        try {
          const held = listener({ topic, frames, receivedAt: Date.now() });
          if (held !== undefined) await held;
        } catch (error) {
          log.warn("a topic listener threw: {error}", { error });
        }
      }
    } catch (error) {
      if (!this.#closed && this.#watches.has(watch)) {
        log.warn("a topic watcher stopped: {error}", { error });
      }
    }
  }

  /** Closes every watcher's socket; listeners hear nothing more. */
  async close(): Promise<void> {
    this.#closed = true;
    const watches = [...this.#watches];
    this.#watches.clear();
    await Promise.all(watches.map((w) => w.sub.close()));
  }
}
