import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import type { SocketOptions } from "./options.ts";
import { type Message, Socket } from "./socket.ts";

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
  /** Creates a PAIR socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("PAIR", options);
  }

  /** Accepts only one peer at a time. */
  protected override attach(_conn: Connection): string | undefined {
    return this.peers.length === 0 ? undefined : "this PAIR socket already has a peer";
  }

  /** Sends to the single peer. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    return this.sendRoundRobin(frames);
  }

  /** Receives from the single peer. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFairQueued();
  }
}
