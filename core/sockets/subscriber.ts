import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import type { PackedMessage } from "./inbox.ts";
import type { RunFilter } from "./message_batch.ts";
import type { Message } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { FanOut } from "./policies/fan_out.ts";
import { Socket } from "./socket.ts";
import { SubscriptionSet, topicBytes } from "./subscriptions.ts";

/**
 * SUB (RFC 29): receives the messages whose first frame starts with one of
 * its prefixes. Subscriptions are sent to every publisher, and sent again
 * after a reconnect. Cannot send.
 *
 * @example
 * ```ts
 * import { Subscriber } from "../../mod.ts";
 * const sub = new Subscriber({ receiveTimeout: 1000 });
 * sub.connect("tcp://127.0.0.1:5556");
 * sub.subscribe("robot/arm/", "robot/base/");
 * // const [topic, body] = await sub.receive();
 * sub.close();
 * ```
 */
export class Subscriber extends Socket {
  /** @internal Prefixes this socket subscribed to. */
  protected readonly subscriptions: SubscriptionSet = new SubscriptionSet();
  /** @internal The publishers: subscriptions go to all of them (and XSUB's messages, unfiltered). */
  protected readonly publishers: FanOut = new FanOut({ filter: false });
  readonly #inbound = new FairQueue();

  /** Creates a SUB socket (or, for XSubscriber, an XSUB one) with the given options. */
  constructor(options: SocketOptions = {}, type: "SUB" | "XSUB" = "SUB") {
    super(type, options);
    this.use({ inbound: this.#inbound, others: [this.publishers] });
  }

  /** Subscribes to messages starting with any of `prefixes`; no argument = everything. */
  subscribe(...prefixes: FrameData[]): void {
    for (const prefix of prefixes.length === 0 ? [""] : prefixes) {
      const topic = topicBytes(prefix);
      if (this.subscriptions.add(topic)) this.#broadcast(true, topic);
    }
  }

  /** Drops subscriptions made with {@link subscribe}; no argument = the "everything" one. */
  unsubscribe(...prefixes: FrameData[]): void {
    for (const prefix of prefixes.length === 0 ? [""] : prefixes) {
      const topic = topicBytes(prefix);
      if (this.subscriptions.remove(topic)) this.#broadcast(false, topic);
    }
  }

  #broadcast(subscribe: boolean, topic: Uint8Array): void {
    for (const conn of this.publishers.peers()) conn.sendSubscription(subscribe, topic);
  }

  /** @internal Sends the current subscriptions to a new publisher. */
  protected override attach(conn: Connection): string | undefined {
    for (const topic of this.subscriptions.topics()) conn.sendSubscription(true, topic);
    return undefined;
  }

  /** @internal Queues only messages matching a subscription. */
  protected override accept(_conn: Connection, frames: Uint8Array[]): boolean {
    return this.subscriptions.matches(frames[0]);
  }

  /** The same test as {@link accept}, on a message as it lies in a batch. */
  readonly #matchesAt: RunFilter = (data, start, length) =>
    this.subscriptions.matchesAt(data, start, length);

  /** @internal A SUB's test reads the first frame only: a batch's messages are queued in place. */
  protected override runFilter(): RunFilter | null {
    // XSUB delivers what a SUB would drop (its own accept()): one by one.
    return this.type === "SUB" ? this.#matchesAt : null;
  }

  /**
   * Where the message the last `receive()` (or `tryReceive()`) returned came from: the endpoint
   * this socket connected to (or the peer's address, on a bound SUB); null
   * before the first. Read it before the next receive. Who sent a message is
   * known by the link it came in on, not by anything the sender wrote.
   *
   * @example
   * ```ts
   * import { Subscriber } from "../../mod.ts";
   * const sub = new Subscriber();
   * sub.lastPublisher; // null: nothing received yet
   * sub.close();
   * ```
   */
  get lastPublisher(): string | null {
    return this.#inbound.lastAddress;
  }

  /** @internal The next message fair-queued from all publishers, if one is queued. */
  protected override receiveNow(): Message | undefined {
    return this.#inbound.take();
  }

  /** @internal The next message fair-queued from all publishers, read in place. */
  protected override receiveNowInto(message: PackedMessage): boolean {
    return this.#inbound.takeInto(message);
  }

  /** @internal Receives fair-queued from all publishers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFrom(this.#inbound);
  }
}
