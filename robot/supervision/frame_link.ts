/**
 * Messages between two processes over one byte stream (a unix socket
 * between the supervisor and a component's host process): each message is
 * V8's structured-clone serialisation (`node:v8`), the same data
 * `postMessage` carries, behind a 4-byte length. A `MessagePort` in a
 * message's `port` field (inproc's dial and accept, see inproc_bridge.ts)
 * cannot cross a process, so the link relays it: the sender keeps the
 * port and forwards what arrives on it, the receiver gets the other end of
 * a fresh `MessageChannel` whose traffic the link carries back.
 *
 * @example
 * ```ts
 * import { FrameLink } from "./frame_link.ts";
 * declare const conn: Deno.Conn;
 * const link = new FrameLink(conn, (message, component) => console.log(component, message), () => {}, "s");
 * link.send("planner", { op: "stop" });
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { deserialize, serialize } from "node:v8";

const log = getLogger(["zedge", "supervisor"]);

/** What travels in one frame. */
type Frame =
  | { m: unknown; c: string; portId?: string }
  | { p: string; data: unknown };

/**
 * What goes in place of a message that cannot cross the link (see
 * {@link FrameLink.send}): the supervisor refuses it, naming `reason`.
 *
 * @example
 * ```ts
 * import { unsendable } from "./frame_link.ts";
 * unsendable(new RangeError("too big")).op; // "unsendable"
 * ```
 */
export function unsendable(error: unknown): { op: "unsendable"; reason: string } {
  return { op: "unsendable", reason: String(error).slice(0, 1000) };
}

/**
 * Largest message frame sent (not relayed inproc data), in bytes: far over
 * what the protocol's messages hold (robot/protocol.ts's sizes).
 */
const MAX_MESSAGE_FRAME = 16 * 1024 * 1024;

/** Largest frame accepted (a message or an inproc chunk), in bytes. */
const MAX_FRAME = 256 * 1024 * 1024;

/**
 * One end of a message link over a byte stream (see the module documentation).
 *
 * @example
 * ```ts
 * import { FrameLink } from "./frame_link.ts";
 * declare const conn: Deno.Conn;
 * new FrameLink(conn, (m) => console.log(m), () => {}, "h").send("planner", { op: "ready" });
 * ```
 */
export class FrameLink {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #onMessage: (message: unknown, component: string) => void;
  readonly #ports = new Map<string, MessagePort>();
  readonly #side: string;
  #nextPort = 0;
  #closed = false;

  /** `side` prefixes the ids of ports this end relays (the two ends differ). */
  constructor(
    stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
    onMessage: (message: unknown, component: string) => void,
    onClose: () => void,
    side: string,
  ) {
    this.#writer = stream.writable.getWriter();
    this.#onMessage = onMessage;
    this.#side = side;
    this.#read(stream.readable).catch(() => {}).finally(() => {
      this.#closed = true;
      for (const port of this.#ports.values()) port.close();
      this.#ports.clear();
      onClose();
    });
  }

  /**
   * Sends a message to or from `component` (a host may hold several); a `MessagePort` in its
   * `port` field is relayed. One that cannot cross (not serializable, or over the frame limit)
   * arrives as {@link unsendable}'s message.
   */
  send(component: string, message: unknown): void {
    if (this.#closed) return;
    const port = (message as { port?: unknown } | null)?.port;
    if (port instanceof MessagePort) {
      const portId = `${this.#side}${this.#nextPort++}`;
      this.#relay(portId, port);
      this.#write({ m: { ...(message as object), port: undefined }, c: component, portId });
      return;
    }
    this.#write({ m: message, c: component });
  }

  /** Closes the stream (the other end sees it close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close().catch(() => {});
  }

  #relay(portId: string, port: MessagePort): void {
    this.#ports.set(portId, port);
    port.onmessage = (event) => {
      try {
        this.#write({ p: portId, data: event.data });
      } catch {
        // What cannot cross a process (a SharedArrayBuffer: a component's isolate may post
        // anything on its end) is dropped, never thrown in the relaying process.
      }
    };
  }

  #write(frame: Frame): void {
    let body: Uint8Array;
    try {
      body = serialize(frame);
      // A component's message to the supervisor is small (a log record, its figures): one
      // larger is refused here, in its host, before the supervisor holds its bytes. Relayed
      // inproc data may be as big as the messages the component's sockets take.
      const limit = "p" in frame ? MAX_FRAME : MAX_MESSAGE_FRAME;
      if (body.length > limit) {
        throw new RangeError(`${body.length} bytes, over the link's ${limit} for a message`);
      }
    } catch (error) {
      // What a component posted may not cross (a SharedArrayBuffer, a message over the limit,
      // which the reader would end the link for): the other end hears why instead.
      if ("p" in frame) return;
      body = serialize({ m: unsendable(error), c: frame.c } satisfies Frame);
    }
    // One write per frame (a system call each): the length and the body in one buffer.
    const bytes = new Uint8Array(4 + body.length);
    new DataView(bytes.buffer).setUint32(0, body.length);
    bytes.set(body, 4);
    this.#writer.write(bytes).catch(() => {});
  }

  /**
   * Reads frames as they arrive. Each frame's bytes are copied once, into
   * a buffer of its size (none when it lies whole in one chunk): joining
   * every chunk to what came before made a 64 MiB message cost minutes of
   * the supervisor's CPU, and a component's code can post one.
   */
  async #read(readable: ReadableStream<Uint8Array>): Promise<void> {
    const header = new Uint8Array(4);
    const headerView = new DataView(header.buffer);
    let headerFilled = 0;
    let frame: Uint8Array | null = null;
    let filled = 0;
    for await (const chunk of readable) {
      let at = 0;
      while (at < chunk.length) {
        if (frame === null) {
          let size: number;
          if (headerFilled === 0 && chunk.length - at >= 4) {
            size = new DataView(chunk.buffer, chunk.byteOffset + at).getUint32(0);
            at += 4;
          } else {
            // The length itself is cut between chunks.
            const take = Math.min(4 - headerFilled, chunk.length - at);
            header.set(chunk.subarray(at, at + take), headerFilled);
            headerFilled += take;
            at += take;
            if (headerFilled < 4) break;
            headerFilled = 0;
            size = headerView.getUint32(0);
          }
          if (size > MAX_FRAME) throw new Error(`frame of ${size} bytes`);
          if (chunk.length - at >= size) {
            this.#take(chunk.subarray(at, at + size));
            at += size;
            continue;
          }
          frame = new Uint8Array(size);
          filled = 0;
        }
        const take = Math.min(frame.length - filled, chunk.length - at);
        frame.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === frame.length) {
          const whole = frame;
          frame = null;
          this.#take(whole);
        }
      }
    }
  }

  /**
   * One frame's bytes: bytes that do not deserialize end the link (the peer
   * is broken); a handler's throw is logged, and the link reads on.
   */
  #take(bytes: Uint8Array): void {
    const frame = deserialize(bytes) as Frame;
    try {
      this.#deliver(frame);
    } catch (error) {
      log.error("a message on the host link could not be handled: {error}", { error });
    }
  }

  #deliver(frame: Frame): void {
    if ("p" in frame) {
      this.#ports.get(frame.p)?.postMessage(frame.data);
      return;
    }
    if (frame.portId === undefined) {
      this.#onMessage(frame.m, frame.c);
      return;
    }
    const { port1, port2 } = new MessageChannel();
    this.#relay(frame.portId, port1);
    this.#onMessage({ ...(frame.m as object), port: port2 }, frame.c);
  }
}
