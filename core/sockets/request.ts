import type { FrameData } from "../zmtp/mod.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { SocketOptions } from "./options.ts";
import { type Message, Socket } from "./socket.ts";

/**
 * Options of a {@link Request}.
 *
 * @example
 * ```ts
 * import type { RequestOptions } from "./request.ts";
 * const o: RequestOptions = { relaxed: true, correlate: true };
 * ```
 */
export interface RequestOptions extends SocketOptions {
  /** Allow a new request before the reply to the last one arrived (the old reply is then ignored). */
  relaxed?: boolean;
  /** Prefix each request with an id and accept only the reply carrying it. */
  correlate?: boolean;
}

/**
 * REQ (RFC 28): strictly alternating send and receive, round-robin over
 * peers, with the empty delimiter frame added and removed for you.
 *
 * @example
 * ```ts
 * import { Reply, Request } from "../../mod.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * const req = new Request({ receiveTimeout: 2000 });
 * req.connect(rep.lastEndpoint!);
 * await req.send("ping");
 * await rep.receive(); // ["ping"]
 * await rep.send("pong");
 * await req.receive(); // ["pong"]
 * req.close(); rep.close();
 * ```
 */
export class Request extends Socket {
  /** See {@link RequestOptions.relaxed}. */
  relaxed: boolean;
  /** See {@link RequestOptions.correlate}. */
  correlate: boolean;
  #awaiting: Connection | null = null;
  #sending = false;
  #requestId = (Math.random() * 0x7fffffff) >>> 0;

  /** Creates a REQ socket with the given options. */
  constructor(options: RequestOptions = {}) {
    super("REQ", options);
    this.relaxed = options.relaxed ?? false;
    this.correlate = options.correlate ?? false;
  }

  /** Claims the REQ options `relaxed` and `correlate`. */
  protected override acceptsOption(name: string): boolean {
    return name === "relaxed" || name === "correlate";
  }

  /** Sends a request round-robin, with an envelope (and request id when correlating). */
  protected override async sendFrames(frames: FrameData[]): Promise<void> {
    if (this.#sending || (this.#awaiting !== null && !this.relaxed)) {
      throw new ZmqError("EFSM", "a REQ socket must receive the reply before sending again");
    }
    this.#awaiting = null;
    // A new request makes anything still queued from earlier peers stale.
    for (const source of this.sources) source.inbox.clear();
    let envelope: FrameData[];
    if (this.correlate) {
      this.#requestId = (this.#requestId + 1) >>> 0;
      const id = new Uint8Array(4);
      new DataView(id.buffer).setUint32(0, this.#requestId);
      envelope = [id, ""];
    } else {
      envelope = [""];
    }
    this.#sending = true;
    try {
      const request = [...envelope, ...frames];
      this.#awaiting = this.trySendRoundRobin(request) ??
        await this.sendRoundRobinWaiting(request);
    } finally {
      this.#sending = false;
    }
  }

  /** Queues only the reply to the outstanding request, stripping its envelope. */
  protected override accept(conn: Connection, frames: Uint8Array[]): boolean {
    if (conn !== this.#awaiting) return false;
    if (this.correlate) {
      if (frames.length < 2 || frames[0].length !== 4 || frames[1].length !== 0) return false;
      if (new DataView(frames[0].buffer, frames[0].byteOffset).getUint32(0) !== this.#requestId) {
        return false;
      }
      frames.splice(0, 2);
    } else {
      if (frames.length < 1 || frames[0].length !== 0) return false;
      frames.shift();
    }
    return true;
  }

  /** Receives the reply to the outstanding request. */
  protected override async receiveFrames(): Promise<Message> {
    const conn = this.#awaiting;
    if (conn === null) {
      throw new ZmqError("EFSM", "a REQ socket must send a request before receiving");
    }
    let deadline = -1;
    for (;;) {
      const frames = this.takeNext(conn);
      if (frames !== undefined) {
        this.#awaiting = null;
        return frames;
      }
      deadline = await this.waitReadable(deadline);
      if (this.#awaiting !== conn) {
        throw new ZmqError("EFSM", "the request was superseded by a newer one (relaxed mode)");
      }
    }
  }
}
