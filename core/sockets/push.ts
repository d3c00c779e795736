import type { FrameData } from "../zmtp/mod.ts";
import type { SocketOptions } from "./options.ts";
import { RoundRobin } from "./policies/round_robin.ts";
import { Socket } from "./socket.ts";

/**
 * PUSH (RFC 30): sends each message to the next PULL peer with room, in turn;
 * waits while none has room. Cannot receive.
 *
 * @example
 * ```ts
 * import { Pull, Push } from "../../mod.ts";
 * const pull = new Pull();
 * await pull.bind("tcp://127.0.0.1:0");
 * const push = new Push();
 * push.connect(pull.lastEndpoint!);
 * await push.send(["job", "42"]);
 * const [kind, id] = await pull.receive();
 * push.close(); pull.close();
 * ```
 */
export class Push extends Socket {
  readonly #pullers = new RoundRobin();

  /** Creates a PUSH socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("PUSH", options);
    this.use({ outbound: this.#pullers });
  }

  /** @internal Sends to the pullers round-robin. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    return this.sendRoundRobin(this.#pullers, frames);
  }
}
