import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import type { OptionTable, SocketOptions } from "./options.ts";
import { FanOut } from "./policies/fan_out.ts";
import { Socket } from "./socket.ts";
import { parseSubscriptionMessage } from "./subscriptions.ts";

/** What every PUB send resolves with: it never waits (one promise, not one per message). */
const SENT: Promise<void> = Promise.resolve();

/**
 * PUB (RFC 29): sends each message to every subscriber whose prefixes match
 * its first frame, filtering here on the publisher. Never waits: a subscriber
 * over its high-water mark misses the message. Cannot receive.
 *
 * @example
 * ```ts
 * import { Publisher } from "../../mod.ts";
 * const pub = new Publisher();
 * await pub.bind("tcp://127.0.0.1:0");
 * await pub.send(["robot/arm/state", JSON.stringify({ joint: 1.2 })]);
 * pub.close();
 * ```
 */
export class Publisher extends Socket {
  /** @internal The subscribers, each with its subscription set. */
  protected readonly subscribers: FanOut = new FanOut({ filter: true });
  #dropped = 0;

  /**
   * Creates a PUB socket with the given options (XPublisher passes its own
   * type and the options only XPUB has).
   */
  constructor(
    options: SocketOptions = {},
    type: "PUB" | "XPUB" = "PUB",
    typeOptions: OptionTable = {},
  ) {
    super(type, options, typeOptions);
    this.use({ outbound: this.subscribers });
  }

  /** @internal Handles subscriptions and other messages from subscribers; queues none by itself. */
  protected override accept(conn: Connection, frames: Uint8Array[]): boolean {
    const subscription = parseSubscriptionMessage(frames);
    if (subscription === null) return this.otherMessage(conn, frames);
    this.subscriptionReceived(conn, subscription.subscribe, subscription.topic);
    return false;
  }

  /** @internal A message from a subscriber that is not a subscription: PUB drops it; XPUB delivers it. */
  protected otherMessage(_conn: Connection, _frames: Uint8Array[]): boolean {
    return false;
  }

  /** @internal Records a subscriber's SUBSCRIBE or CANCEL in its subscription set. */
  protected override subscriptionReceived(
    conn: Connection,
    subscribe: boolean,
    topic: Uint8Array,
  ): void {
    const subscriptions = this.subscribers.subscriptionsOf(conn);
    if (subscriptions === undefined) return;
    if (subscribe) subscriptions.add(topic);
    else subscriptions.remove(topic);
  }

  /**
   * Messages a matching subscriber missed because it was over its
   * sendHighWaterMark, counted once per subscriber that missed one. A
   * message nobody subscribed to is not counted: no one wanted it.
   *
   * @example
   * ```ts
   * import { Publisher } from "../../mod.ts";
   * const pub = new Publisher({ sendHighWaterMark: 100 });
   * await pub.send(["topic", "body"]);
   * pub.droppedMessages; // 0: no subscriber, nobody missed it
   * pub.close();
   * ```
   */
  get droppedMessages(): number {
    return this.#dropped;
  }

  /** @internal Sends to every subscriber whose subscriptions match the first frame, dropping for full ones. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    this.#dropped += this.subscribers.send(frames);
    return SENT;
  }
}
