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
import { deserialize, serialize } from "node:v8";

/** What travels in one frame. */
type Frame =
  | { m: unknown; c: string; portId?: string }
  | { p: string; data: unknown };

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
   * `port` field is relayed.
   */
  send(component: string, message: unknown): void {
    if (this.#closed) return;
    const port = (message as { port?: unknown }).port;
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
    const body = serialize(frame);
    const bytes = new Uint8Array(4 + body.length);
    new DataView(bytes.buffer).setUint32(0, body.length);
    bytes.set(body, 4);
    this.#writer.write(bytes).catch(() => {});
  }

  async #read(readable: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = new Uint8Array(0);
    for await (const chunk of readable) {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer = joined;
      let at = 0;
      while (buffer.length - at >= 4) {
        const size = new DataView(buffer.buffer, at).getUint32(0);
        if (size > MAX_FRAME) throw new Error(`frame of ${size} bytes`);
        if (buffer.length - at - 4 < size) break;
        this.#deliver(deserialize(buffer.subarray(at + 4, at + 4 + size)) as Frame);
        at += 4 + size;
      }
      buffer = buffer.slice(at);
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
