import type { Message } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { Socket } from "./socket.ts";

/**
 * PULL (RFC 30): receives from its PUSH peers, fair-queued. Cannot send.
 *
 * @example
 * ```ts
 * import { Pull } from "../../mod.ts";
 * const pull = new Pull({ receiveTimeout: 1000 });
 * await pull.bind("tcp://127.0.0.1:0");
 * for await (const [frame] of pull) {
 *   console.log(new TextDecoder().decode(frame));
 *   break;
 * }
 * pull.close();
 * ```
 */
export class Pull extends Socket {
  readonly #inbound = new FairQueue();

  /** Creates a PULL socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("PULL", options);
    this.use({ inbound: this.#inbound });
  }

  /** @internal The next message fair-queued from all pushers, if one is queued. */
  protected override receiveNow(): Message | undefined {
    return this.#inbound.take();
  }

  /** @internal Receives fair-queued from all pushers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFrom(this.#inbound);
  }
}
