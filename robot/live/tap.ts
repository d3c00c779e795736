/**
 * The supervisor's tap on its robot's topics: one SUB socket in the
 * supervisor's own isolate, connected to every publisher of the robot (the
 * nodes' PUBs over inproc, ipc or tcp, and the operator's), subscribed to
 * exactly the topics someone watches — a Foxglove client, a recording, a
 * `zedge topic echo` — and to nothing otherwise, so an unwatched robot
 * sends it nothing. Each message reaches the listeners of its topic as the
 * three frames it was published as (topic, header, value): decoding is
 * left to the listener that needs it.
 *
 * The publishers' high-water marks keep a slow tap from slowing the
 * robot: a tap that falls behind misses messages, as any subscriber does.
 *
 * @example
 * ```ts
 * import { TopicTap } from "./tap.ts";
 * const tap = new TopicTap(["inproc://zedge/kitchen-bot/odometry/topics"]);
 * const stop = tap.listen(["odom"], ({ topic, frames }) => console.log(topic, frames[2].length));
 * stop();
 * await tap.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Subscriber } from "../../core/sockets/mod.ts";
import { RepeatedText } from "../dataflow/codec.ts";

const log = getLogger(["zedge", "robot", "tap"]);

/** Messages the tap's SUB queues before its publishers drop for it. */
const RECEIVE_HIGH_WATER_MARK = 10_000;

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
 * Called with every message of the topics it listens to.
 *
 * @example
 * ```ts
 * import type { TapListener } from "./tap.ts";
 * const count = { n: 0 };
 * const listener: TapListener = () => count.n++;
 * ```
 */
export type TapListener = (message: TappedMessage) => void;

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { TopicTap } from "./tap.ts";
 * const tap = new TopicTap([]);
 * console.log(tap.subscriptions); // []
 * await tap.close();
 * ```
 */
export class TopicTap {
  readonly #endpoints: string[];
  #sub: Subscriber | null = null;
  #receiving: Promise<void> | null = null;
  readonly #everything = new Set<TapListener>();
  readonly #byTopic = new Map<string, Set<TapListener>>();
  /** Listeners per SUB subscription ("" for everything): subscribed while above zero. */
  readonly #counts = new Map<string, number>();
  readonly #topics = new RepeatedText();
  #received = 0;
  #closed = false;

  /** Taps the publishers at `endpoints` (connected on the first {@link listen}). */
  constructor(endpoints: readonly string[]) {
    this.#endpoints = [...new Set(endpoints)];
  }

  /** Topics subscribed now (`*` for everything), sorted. */
  get subscriptions(): string[] {
    return [...this.#counts.keys()].map((t) => t === "" ? "*" : t).sort();
  }

  /** Messages received since the tap started. */
  get received(): number {
    return this.#received;
  }

  /**
   * Calls `listener` with every message on `topics` (null: every topic)
   * until the returned function is called.
   */
  listen(topics: readonly string[] | null, listener: TapListener): () => void {
    if (this.#closed) return () => {};
    const sub = this.#socket();
    const wanted = topics === null ? [""] : [...new Set(topics)];
    for (const topic of wanted) {
      if (topic === "") this.#everything.add(listener);
      else {
        let set = this.#byTopic.get(topic);
        if (set === undefined) this.#byTopic.set(topic, set = new Set());
        set.add(listener);
      }
      const count = this.#counts.get(topic) ?? 0;
      this.#counts.set(topic, count + 1);
      if (count === 0) sub.subscribe(topic);
    }
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      for (const topic of wanted) {
        if (topic === "") this.#everything.delete(listener);
        else {
          const set = this.#byTopic.get(topic);
          set?.delete(listener);
          if (set?.size === 0) this.#byTopic.delete(topic);
        }
        const count = (this.#counts.get(topic) ?? 1) - 1;
        if (count > 0) this.#counts.set(topic, count);
        else {
          this.#counts.delete(topic);
          if (!this.#closed) this.#sub?.unsubscribe(topic);
        }
      }
    };
  }

  #socket(): Subscriber {
    if (this.#sub !== null) return this.#sub;
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: RECEIVE_HIGH_WATER_MARK });
    for (const endpoint of this.#endpoints) sub.connect(endpoint);
    this.#sub = sub;
    this.#receiving = this.#receive(sub);
    return sub;
  }

  async #receive(sub: Subscriber): Promise<void> {
    try {
      for await (const frames of sub) {
        if (frames.length !== 3) continue;
        let topic: string;
        try {
          topic = this.#topics.decode(frames[0]);
        } catch {
          continue; // not UTF-8: not a topic message
        }
        this.#received++;
        const message: TappedMessage = { topic, frames, receivedAt: Date.now() };
        // A prefix subscription ("odom") also lets "odom2" through: listeners get their topic only.
        const listeners = this.#byTopic.get(topic);
        if (listeners !== undefined) { for (const listener of listeners) call(listener, message); }
        for (const listener of this.#everything) call(listener, message);
      }
    } catch (error) {
      if (!this.#closed) log.warn("the topic tap stopped: {error}", { error });
    }
  }

  /** Closes the socket; listeners hear nothing more. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#everything.clear();
    this.#byTopic.clear();
    this.#counts.clear();
    await this.#sub?.close();
    await this.#receiving;
  }
}

function call(listener: TapListener, message: TappedMessage): void {
  try {
    listener(message);
  } catch (error) {
    log.warn("a topic listener threw: {error}", { error });
  }
}
