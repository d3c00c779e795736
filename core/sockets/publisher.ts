import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import type { SocketOptions } from "./options.ts";
import { Socket } from "./socket.ts";
import { parseSubscriptionMessage, SubscriptionSet } from "./subscriptions.ts";

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
  /** Creates a PUB socket (or, for XPublisher, an XPUB one) with the given options. */
  constructor(options: SocketOptions = {}, type: "PUB" | "XPUB" = "PUB") {
    super(type, options);
  }

  /** Starts each new subscriber with an empty subscription set. */
  protected override attach(conn: Connection): string | undefined {
    conn.policyState = new SubscriptionSet();
    return undefined;
  }

  /** Handles subscriptions and other messages from subscribers; never queues them. */
  protected override accept(conn: Connection, frames: Uint8Array[]): boolean {
    const subscription = parseSubscriptionMessage(frames);
    if (subscription) this.subscriptionReceived(conn, subscription.subscribe, subscription.topic);
    else this.otherMessage(frames);
    return false;
  }

  /** A message from a subscriber that is not a subscription (XPUB delivers it). */
  protected otherMessage(_frames: Uint8Array[]): void {}

  /** Records a subscriber's SUBSCRIBE or CANCEL in its subscription set. */
  protected override subscriptionReceived(
    conn: Connection,
    subscribe: boolean,
    topic: Uint8Array,
  ): void {
    const subs = conn.policyState as SubscriptionSet;
    if (subscribe) subs.add(topic);
    else subs.remove(topic);
  }

  /** Sends to every subscriber whose subscriptions match the first frame, dropping for full ones. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    const first = frames[0];
    for (const conn of this.peers) {
      if (conn.hasRoom && (conn.policyState as SubscriptionSet).matches(first)) conn.send(frames);
    }
    return Promise.resolve();
  }
}
