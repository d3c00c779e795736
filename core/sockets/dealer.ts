import type { FrameData } from "../zmtp/mod.ts";
import type { Message } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { RoundRobin } from "./policies/round_robin.ts";
import { Socket } from "./socket.ts";

/**
 * DEALER (RFC 28): asynchronous request/reply. Sends round-robin to peers with
 * room, receives fair-queued, adds no envelope.
 *
 * @example
 * ```ts
 * import { Dealer, Router } from "../../mod.ts";
 * const router = new Router();
 * await router.bind("tcp://127.0.0.1:0");
 * const dealer = new Dealer({ routingId: "worker-1" });
 * dealer.connect(router.lastEndpoint!);
 * await dealer.send("ready");
 * const [id, body] = await router.receive(); // id = "worker-1"
 * await router.send([id, "job"]);
 * await dealer.receive(); // ["job"]
 * dealer.close(); router.close();
 * ```
 */
export class Dealer extends Socket {
  readonly #inbound = new FairQueue();
  readonly #outbound = new RoundRobin();

  /** Creates a DEALER socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("DEALER", options);
    this.use({ inbound: this.#inbound, outbound: this.#outbound });
  }

  /** @internal Sends to the peers round-robin. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    return this.sendRoundRobin(this.#outbound, frames);
  }

  /** @internal Receives fair-queued from all peers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFrom(this.#inbound);
  }
}
