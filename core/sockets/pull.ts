import type { SocketOptions } from "./options.ts";
import { type Message, Socket } from "./socket.ts";

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
  /** Creates a PULL socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("PULL", options);
  }

  /** Receives fair-queued from all pushers. */
  protected override receiveFrames(): Promise<Message> {
    return this.receiveFairQueued();
  }
}
