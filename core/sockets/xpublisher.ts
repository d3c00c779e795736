import type { Connection } from "./connection.ts";
import type { Message } from "./message.ts";
import type { OptionTable, SocketOptions } from "./options.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { Publisher } from "./publisher.ts";
import { SubscriptionSet } from "./subscriptions.ts";

/**
 * Options of an {@link XPublisher}.
 *
 * @example
 * ```ts
 * import type { XPublisherOptions } from "./xpublisher.ts";
 * const o: XPublisherOptions = { verbose: true };
 * ```
 */
export interface XPublisherOptions extends SocketOptions {
  /** Deliver every subscription, not only the first for each prefix. */
  verbose?: boolean;
}

/** The XPublisher socket's own options (their kind and default), beside `SOCKET_OPTIONS`'s. */
export const XPUB_OPTIONS: OptionTable = { verbose: { kind: "boolean", default: false } };

/**
 * XPUB (RFC 29): a publisher whose receive() yields the subscriptions its
 * subscribers make, as one frame `0x01 + prefix` (subscribe) or `0x00 + prefix`
 * (unsubscribe, also when the last subscriber of a prefix leaves), and any
 * other message a subscriber sends. What it yields waits in the sending
 * peer's queue, under receiveHighWaterMark like any socket's.
 *
 * @example
 * ```ts
 * import { Subscriber, XPublisher } from "../../mod.ts";
 * const xpub = new XPublisher();
 * await xpub.bind("tcp://127.0.0.1:0");
 * const sub = new Subscriber();
 * sub.connect(xpub.lastEndpoint!);
 * sub.subscribe("alerts");
 * const [frame] = await xpub.receive(); // [1, ..."alerts"]
 * sub.close(); xpub.close();
 * ```
 */
export class XPublisher extends Publisher {
  /** Subscribers per prefix, across peers (a peer repeating itself counts once). */
  readonly #totals = new SubscriptionSet();
  readonly #inbound = new FairQueue();

  /** Creates an XPUB socket with the given options. */
  constructor(options: XPublisherOptions = {}) {
    super(options, "XPUB", XPUB_OPTIONS);
    this.use({ inbound: this.#inbound });
  }

  /** Deliver every subscription, not only the first for each prefix. */
  get verbose(): boolean {
    return this.optionValue("verbose");
  }
  set verbose(value: boolean) {
    this.setOptionValue("verbose", value);
  }

  /** @internal Records the subscription and delivers it as a message when it is new (or always, when verbose). */
  protected override subscriptionReceived(
    conn: Connection,
    subscribe: boolean,
    topic: Uint8Array,
  ): void {
    const subs = this.subscribers.subscriptionsOf(conn);
    if (subs === undefined) return;
    if (subscribe) {
      const first = subs.add(topic) && this.#totals.add(topic);
      if (first || this.verbose) this.#deliver(conn, 1, topic);
    } else if (subs.remove(topic) && this.#totals.remove(topic)) {
      this.#deliver(conn, 0, topic);
    }
  }

  /** @internal Delivers a subscriber's non-subscription message to receive(). */
  protected override otherMessage(_conn: Connection, _frames: Uint8Array[]): boolean {
    return true;
  }

  /** @internal Delivers unsubscribe messages for topics no remaining peer subscribes to. */
  protected override detach(conn: Connection): void {
    for (const topic of this.subscribers.subscriptionsOf(conn)?.topics() ?? []) {
      if (this.#totals.remove(topic)) this.#deliver(conn, 0, topic);
    }
  }

  #deliver(conn: Connection, flag: 0 | 1, topic: Uint8Array): void {
    const frame = new Uint8Array(topic.length + 1);
    frame[0] = flag;
    frame.set(topic, 1);
    this.queueMessage(conn, [frame]);
  }

  /** @internal Receives subscription messages and other messages from subscribers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFrom(this.#inbound);
  }
}
