import type { FrameData } from "../zmtp/mod.ts";
import type { SocketOptions } from "./options.ts";
import { Subscriber } from "./subscriber.ts";
import { topicBytes } from "./subscriptions.ts";

/**
 * XSUB (RFC 29): a subscriber that subscribes by *sending* `0x01 + prefix`
 * (or `0x00 + prefix` to unsubscribe), as an XPUB/XSUB proxy forwards them.
 * Other messages it sends go to every publisher.
 *
 * @example
 * ```ts
 * import { XSubscriber } from "../../mod.ts";
 * const xsub = new XSubscriber();
 * xsub.connect("tcp://127.0.0.1:5556");
 * await xsub.send(new Uint8Array([1, ...new TextEncoder().encode("alerts")]));
 * xsub.close();
 * ```
 */
export class XSubscriber extends Subscriber {
  /** Creates an XSUB socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super(options, "XSUB");
  }

  /** Always true: a send never waits (a publisher over its high-water mark misses it). */
  override get writableNow(): boolean {
    return true;
  }

  /** @internal Sends a message upstream to all publishers; subscription messages update the subscriptions. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    const first = topicBytes(frames[0]);
    if (frames.length === 1 && first.length > 0 && first[0] <= 1) {
      const topic = first.subarray(1);
      if (first[0] === 1) this.subscribe(topic);
      else this.unsubscribe(topic);
      return Promise.resolve();
    }
    this.publishers.send(frames);
    return Promise.resolve();
  }
}
