import type { Connection } from "./connection.ts";
import { Deque } from "./deque.ts";
import type { SocketOptions } from "./options.ts";
import { Publisher } from "./publisher.ts";
import type { Message } from "./socket.ts";
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

/**
 * XPUB (RFC 29): a publisher whose receive() yields the subscriptions its
 * subscribers make, as one frame `0x01 + prefix` (subscribe) or `0x00 + prefix`
 * (unsubscribe, also when the last subscriber of a prefix leaves).
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
  /** See {@link XPublisherOptions.verbose}. */
  verbose: boolean;
  readonly #totals = new SubscriptionSet();
  readonly #received = new Deque<Message>();

  /** Creates an XPUB socket with the given options. */
  constructor(options: XPublisherOptions = {}) {
    super(options, "XPUB");
    this.verbose = options.verbose ?? false;
  }

  /** Claims the XPUB option `verbose`. */
  protected override acceptsOption(name: string): boolean {
    return name === "verbose";
  }

  /** Records the subscription and delivers it as a message when it is new (or always, when verbose). */
  protected override subscriptionReceived(
    conn: Connection,
    subscribe: boolean,
    topic: Uint8Array,
  ): void {
    const subs = conn.policyState as SubscriptionSet;
    if (subscribe) {
      // #totals counts peers per prefix, so a peer repeating itself counts once.
      const first = subs.add(topic) && this.#totals.add(topic);
      if (first || this.verbose) this.#deliver(1, topic);
    } else if (subs.remove(topic) && this.#totals.remove(topic)) {
      this.#deliver(0, topic);
    }
  }

  /** Delivers a subscriber's non-subscription message to receive(). */
  protected override otherMessage(frames: Uint8Array[]): void {
    this.#received.push(frames);
    this.readable.notify();
  }

  /** Delivers unsubscribe messages for topics no remaining peer subscribes to. */
  protected override detach(conn: Connection): void {
    for (const topic of (conn.policyState as SubscriptionSet).topics()) {
      if (this.#totals.remove(topic)) this.#deliver(0, topic);
    }
  }

  #deliver(flag: 0 | 1, topic: Uint8Array): void {
    const frame = new Uint8Array(topic.length + 1);
    frame[0] = flag;
    frame.set(topic, 1);
    this.#received.push([frame]);
    this.readable.notify();
  }

  /** Receives subscription messages and other messages from subscribers. */
  protected override async receiveFrames(): Promise<Message> {
    let deadline = -1;
    for (;;) {
      const frames = this.#received.shift();
      if (frames !== undefined) return frames;
      deadline = await this.waitReadable(deadline);
    }
  }
}
