import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { SocketOptions } from "./options.ts";
import { type Message, Socket } from "./socket.ts";

/**
 * REP (RFC 28): receives a request (fair-queued), then must send exactly one
 * reply, which goes back to the requester with its envelope restored.
 *
 * @example
 * ```ts
 * import { Reply } from "../../mod.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * // for await (const [request] of rep) await rep.send(request); // an echo server
 * rep.close();
 * ```
 */
export class Reply extends Socket {
  #pending: { conn: Connection; envelope: Uint8Array[] } | null = null;

  /** Creates a REP socket with the given options. */
  constructor(options: SocketOptions = {}) {
    super("REP", options);
  }

  /** Queues only requests that carry an envelope delimiter; drops malformed ones. */
  protected override accept(_conn: Connection, frames: Uint8Array[]): boolean {
    // A request without the empty delimiter is malformed: drop it, as libzmq does.
    return frames.some((frame) => frame.length === 0);
  }

  /** Receives the next request body, remembering its envelope for the reply. */
  protected override async receiveFrames(): Promise<Message> {
    if (this.#pending !== null) {
      throw new ZmqError("EFSM", "a REP socket must send the reply before receiving again");
    }
    let deadline = -1;
    for (;;) {
      const frames = this.takeNext();
      if (frames !== undefined) {
        const split = frames.findIndex((frame) => frame.length === 0);
        this.#pending = { conn: this.lastSource!, envelope: frames.slice(0, split + 1) };
        return frames.slice(split + 1);
      }
      deadline = await this.waitReadable(deadline);
    }
  }

  /** Sends the reply to the peer whose request was last received. */
  protected override sendFrames(frames: FrameData[]): Promise<void> {
    const pending = this.#pending;
    if (pending === null) {
      return Promise.reject(
        new ZmqError("EFSM", "a REP socket must receive a request before replying"),
      );
    }
    this.#pending = null;
    // The requester may be gone; its reply is then dropped, as in libzmq.
    if (pending.conn.ready) pending.conn.send([...pending.envelope, ...frames]);
    return Promise.resolve();
  }
}
