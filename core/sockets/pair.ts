import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import type { Message } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { FairQueue } from "./policies/fair_queue.ts";
import { RoundRobin } from "./policies/round_robin.ts";
import { Socket } from "./socket.ts";

/**
 * PAIR (RFC 31): exactly one peer; a second peer is refused.
 *
 * @example
 * ```ts
 * import { Pair } from "../../mod.ts";
 * const a = new Pair();
 * await a.bind("inproc://pair-example");
 * const b = new Pair();
 * b.connect("inproc://pair-example");
 * await b.send("ping");
 * await a.receive(); // ["ping"]
 * a.close(); b.close();
 * ```
 */
export class Pair extends Socket {
  readonly #inbound = new FairQueue();
  // A round robin over at most one peer: it waits while that peer has no room.
  readonly #outbound = new RoundRobin();

  /** Creates a PAIR socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("PAIR", options);
    this.use({ inbound: this.#inbound, outbound: this.#outbound });
  }

  /** @internal Accepts only one peer at a time. */
  protected override attach(_conn: Connection): string | undefined {
    return this.peerCount === 0 ? undefined : "this PAIR socket already has a peer";
  }

  /** @internal Sends to the single peer. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    return this.sendRoundRobin(this.#outbound, frames);
  }

  /** @internal Receives from the single peer. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFrom(this.#inbound);
  }
}
