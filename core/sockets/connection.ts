/**
 * The ZMTP engine for one connection: greeting and NULL handshake, socket-type
 * check, batched writes, per-peer queues with high-water marks, heartbeats,
 * and the rule that bad input closes this connection only, with a reason.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type Command,
  decodeErrorReason,
  decodeMetadata,
  decodePing,
  Decoder,
  encodeErrorReason,
  encodeGreeting,
  encodeMetadata,
  encodePing,
  type FrameData,
  FrameWriter,
  getProperty,
  isCompatible,
  type SocketType,
  ZmtpError,
} from "../zmtp/mod.ts";
import { type ByteStream, writeAll } from "../transport/mod.ts";
import { Deque } from "./deque.ts";
import { Notifier } from "./notifier.ts";

const logger = getLogger(["zedge", "zmtp"]);
const latin1 = new TextDecoder("latin1");
const READ_BUFFER_SIZE = 64 * 1024;
type Timer = ReturnType<typeof setTimeout>;
/** Below this many queued bytes a write waits one macrotask for more. */
const BATCH_BYTES = 16 * 1024;

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The settings a connection reads from its socket (resolved numbers).
 *
 * @example
 * ```ts
 * import type { ConnectionSettings } from "./connection.ts";
 * const s: Partial<ConnectionSettings> = { sendHighWaterMark: 1000 };
 * ```
 */
export interface ConnectionSettings {
  /** Messages queued per peer for sending before send() waits (or PUB drops). */
  sendHighWaterMark: number;
  /** Messages queued per peer for receiving before that peer is read no further. */
  receiveHighWaterMark: number;
  /** Send a ZMTP PING this often, ms; 0 = no heartbeats. */
  heartbeatInterval: number;
  /** Close the connection after this long without traffic, ms; -1 = heartbeatInterval. */
  heartbeatTimeout: number;
  /** TTL asked of the peer (sent in PING), ms; 0 = none. */
  heartbeatTimeToLive: number;
  /** Close the connection if its handshake is not done by then, ms; 0 = never. */
  handshakeTimeout: number;
  /** Largest message accepted from the peer, bytes; -1 = no limit. */
  maxMessageSize: number;
}

/**
 * What a connection needs from the socket that owns it. The socket type's
 * policy lives behind these callbacks.
 *
 * @example
 * ```ts
 * import type { ConnectionOwner } from "./connection.ts";
 * // Implemented by core/sockets/socket.ts; see Socket.
 * type Owner = ConnectionOwner;
 * ```
 */
export interface ConnectionOwner {
  /** The owning socket's type, announced in the handshake. */
  readonly type: SocketType;
  /** Identity to announce in READY, for REQ/DEALER/ROUTER. */
  readonly announcedIdentity: Uint8Array | null;
  /** Limits and timers the connection applies. */
  readonly settings: ConnectionSettings;
  /** The handshake finished; return false to refuse this peer (it is closed). */
  connectionReady(conn: Connection): string | undefined;
  /** A message arrived from the peer. */
  connectionMessage(conn: Connection, frames: Uint8Array[]): void;
  /** The peer sent a SUBSCRIBE (`subscribe` true) or CANCEL command for `topic`. */
  connectionSubscription(conn: Connection, subscribe: boolean, topic: Uint8Array): void;
  /** A write finished, so the peer may have room again. */
  connectionWritable(conn: Connection): void;
  /** The connection closed; `wasReady` tells whether its handshake had finished. */
  connectionClosed(conn: Connection, reason: string, wasReady: boolean): void;
  /** A monitor-worthy failure (handshake or protocol). */
  connectionFailed(
    conn: Connection,
    type: "handshake:error" | "protocol:error",
    reason: string,
  ): void;
}

/**
 * One ZMTP connection over a byte stream.
 *
 * @example
 * ```ts
 * // Connections are created by sockets on bind/connect; users never make one.
 * import type { Connection } from "./connection.ts";
 * function describe(c: Connection) {
 *   return `${c.address} (${c.peerType ?? "handshaking"})`;
 * }
 * ```
 */
export class Connection {
  /** Peer address (accepted) or the endpoint dialed (connected). */
  readonly address: string;
  /** Whether we dialed this connection (true) or accepted it. */
  readonly outgoing: boolean;
  /** The peer's Socket-Type, once READY arrived. */
  peerType: string | null = null;
  /** The peer's Identity property (empty = none), once READY arrived. */
  peerIdentity: Uint8Array = new Uint8Array(0);
  /** ZMTP minor version the peer announced (0 means speak 3.0 to it). */
  peerMinor = 1;
  /** Routing id assigned by a ROUTER socket. */
  routingId: Uint8Array | null = null;
  /** Routing id as a map key. */
  routingKey = "";
  /** Messages received and not yet taken by the socket. */
  readonly inbox: Deque<Uint8Array[]> = new Deque();
  /** Free slot for socket-type state (PUB keeps its peer's subscriptions here). */
  policyState: unknown = undefined;
  /** Resolves once both the read loop and any write have stopped. */
  readonly done: Promise<void>;

  readonly #owner: ConnectionOwner;
  readonly #stream: ByteStream;
  readonly #writer = new FrameWriter();
  readonly #decoder: Decoder;
  readonly #resume = new Notifier();
  readonly #drained = new Notifier();
  #ready = false;
  #closed = false;
  /** Set once #fail ran: the connection reports one reason and ignores later input. */
  #failed = false;
  #writing = false;
  #unflushed = 0;
  #inFlight = 0;
  #handshakeTimer: Timer | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: Timer | undefined;
  #ttlTimer: Timer | undefined;
  #peerTtl = 0;
  #closeTimer: Timer | undefined;

  /** Wraps `stream` to the peer at `address` (`outgoing` when this side dialed) for `owner`. */
  constructor(owner: ConnectionOwner, stream: ByteStream, address: string, outgoing: boolean) {
    this.#owner = owner;
    this.#stream = stream;
    this.address = address;
    this.outgoing = outgoing;
    this.#decoder = new Decoder({
      greeting: (g) => {
        if (g.mechanism !== "NULL") {
          throw new ZmtpError(
            "unsupported-mechanism",
            `peer uses security mechanism ${g.mechanism}; zedge supports NULL`,
          );
        }
        this.peerMinor = g.major > 3 ? 1 : g.minor;
      },
      command: (command) => {
        if (!this.#failed) this.#command(command);
      },
      message: (frames) => {
        if (this.#failed) return;
        if (!this.#ready) throw new ZmtpError("protocol", "message frame before READY");
        this.#owner.connectionMessage(this, frames);
      },
    }, { maxMessageSize: owner.settings.maxMessageSize });

    const props: Record<string, string | Uint8Array> = { "Socket-Type": owner.type };
    if (owner.type === "REQ" || owner.type === "DEALER" || owner.type === "ROUTER") {
      props["Identity"] = owner.announcedIdentity ?? new Uint8Array(0);
    }
    this.#writer.writeRaw(encodeGreeting("NULL", !outgoing));
    this.#writer.writeCommand("READY", encodeMetadata(props));
    const { handshakeTimeout } = owner.settings;
    if (handshakeTimeout > 0) {
      this.#handshakeTimer = setTimeout(
        () => this.#fail("handshake:error", `handshake not done within ${handshakeTimeout} ms`),
        handshakeTimeout,
      );
    }
    this.#flush();
    this.done = this.#readLoop();
  }

  /** True once the handshake completed and until closed. */
  get ready(): boolean {
    return this.#ready && !this.#closed;
  }

  /** True once closed (for any reason). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Messages queued for this peer and not yet written to the transport. */
  get queued(): number {
    return this.#unflushed + this.#inFlight;
  }

  /** True when the peer can take another message without passing its high-water mark. */
  get hasRoom(): boolean {
    return this.#ready && !this.#closed &&
      this.#unflushed + this.#inFlight < limit(this.#owner.settings.sendHighWaterMark);
  }

  /** Queues a message to the peer (the caller has checked {@link hasRoom} if it cares). */
  send(frames: readonly FrameData[]): void {
    if (this.#closed) return;
    this.#writer.writeMessage(frames);
    this.#unflushed++;
    if (!this.#writing) this.#flush();
  }

  /** Queues a command (SUBSCRIBE, CANCEL, ...) to the peer. */
  sendCommand(name: string, data: Uint8Array): void {
    if (this.#closed) return;
    this.#writer.writeCommand(name, data);
    if (!this.#writing) this.#flush();
  }

  /** Sends a subscription in the 3.0 message form, which every ZMTP 3.x peer understands. */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    // libzmq 4.3 sends and accepts the 3.0 message form (0x01/0x00 + topic)
    // whatever the version, so that form is what every peer understands.
    const frame = new Uint8Array(topic.length + 1);
    frame[0] = subscribe ? 1 : 0;
    frame.set(topic, 1);
    this.send([frame]);
  }

  /** Takes the oldest received message, letting a paused reader resume. */
  take(): Uint8Array[] | undefined {
    const frames = this.inbox.shift();
    if (
      frames !== undefined && this.#resume.waiting > 0 &&
      this.inbox.length < limit(this.#owner.settings.receiveHighWaterMark)
    ) {
      this.#resume.notify();
    }
    return frames;
  }

  /**
   * Closes after flushing queued messages for up to `lingerMs` (-1 = until
   * flushed, 0 = drop them).
   */
  async shutdown(lingerMs: number): Promise<void> {
    if (!this.#closed && lingerMs !== 0 && (this.#writing || this.#writer.length > 0)) {
      const deadline = lingerMs < 0 ? Infinity : Date.now() + lingerMs;
      while (!this.#closed && (this.#writing || this.#writer.length > 0)) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        await this.#drained.wait(left === Infinity ? -1 : left);
      }
    }
    this.close("socket closed");
    await this.done;
  }

  /** Closes now; queued outgoing messages are dropped. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#handshakeTimer);
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#pongTimer);
    clearTimeout(this.#ttlTimer);
    clearTimeout(this.#closeTimer);
    try {
      this.#stream.close();
    } catch { /* already closed */ }
    this.#resume.close();
    this.#drained.close();
    logger.debug("connection {address} closed: {reason}", { address: this.address, reason });
    this.#owner.connectionClosed(this, reason, this.#ready);
  }

  #fail(type: "handshake:error" | "protocol:error", reason: string, tellPeer = false): void {
    if (this.#closed || this.#failed) return;
    this.#failed = true;
    logger.warn("closing connection {address}: {reason}", { address: this.address, reason });
    if (tellPeer) {
      // Best effort: the ERROR command tells a libzmq peer why, if it still listens.
      this.#writer.writeCommand("ERROR", encodeErrorReason(reason));
      if (!this.#writing) this.#flush();
    }
    this.#owner.connectionFailed(this, type, reason);
    // Let the ERROR command go out before the stream closes.
    if (tellPeer) this.#closeTimer = setTimeout(() => this.close(reason), 20);
    else this.close(reason);
  }

  /**
   * The peer went away. After the handshake that is a plain disconnect; before
   * it, a failed handshake (as libzmq reports it), so the monitor still learns
   * why an accepted connection never became a peer.
   */
  #lost(reason: string): void {
    // Already failed (and reported): just finish closing.
    if (this.#ready || this.#failed) this.close(reason);
    else this.#fail("handshake:error", reason);
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_SIZE);
    const hwm = () => limit(this.#owner.settings.receiveHighWaterMark);
    try {
      while (!this.#closed) {
        if (this.inbox.length >= hwm()) {
          await this.#resume.wait();
          continue;
        }
        let n: number | null;
        try {
          n = await this.#stream.read(buffer);
        } catch (error) {
          if (!this.#closed) this.#lost(`read failed: ${describe(error)}`);
          break;
        }
        if (n === null) {
          this.#lost(this.#ready ? "peer closed the connection" : "peer closed during handshake");
          break;
        }
        if (this.#pongTimer !== undefined) {
          clearTimeout(this.#pongTimer);
          this.#pongTimer = undefined;
        }
        // As libzmq: any traffic, not only PINGs, proves the peer alive.
        if (this.#ttlTimer !== undefined) this.#armTtl();
        try {
          this.#decoder.feed(buffer.subarray(0, n));
        } catch (error) {
          const reason = error instanceof ZmtpError
            ? `protocol error (${error.kind}): ${error.message}`
            : `internal error handling peer input: ${describe(error)}`;
          this.#fail(this.#ready ? "protocol:error" : "handshake:error", reason, true);
          break;
        }
      }
    } finally {
      while (this.#writing) await this.#drained.wait(100);
    }
  }

  #command(command: Command): void {
    if (!this.#ready) {
      if (command.name === "ERROR") {
        this.#fail("handshake:error", `peer refused: ${decodeErrorReason(command.data)}`);
        return;
      }
      if (command.name !== "READY") {
        throw new ZmtpError("protocol", `expected READY, got ${command.name}`);
      }
      this.#handshake(command.data);
      return;
    }
    switch (command.name) {
      case "PING": {
        const { ttlMs, context } = decodePing(command.data);
        this.sendCommand("PONG", context);
        if (ttlMs > 0) {
          this.#peerTtl = ttlMs;
          this.#armTtl();
        }
        return;
      }
      case "PONG":
        return;
      case "SUBSCRIBE":
        this.#owner.connectionSubscription(this, true, command.data);
        return;
      case "CANCEL":
        this.#owner.connectionSubscription(this, false, command.data);
        return;
      case "ERROR":
        this.#fail("protocol:error", `peer sent ERROR: ${decodeErrorReason(command.data)}`);
        return;
      case "READY":
        throw new ZmtpError("protocol", "second READY command");
      default:
        // RFC 37: unknown commands are ignored, so newer peers keep working.
        return;
    }
  }

  #handshake(data: Uint8Array): void {
    const meta = decodeMetadata(data);
    const typeBytes = getProperty(meta, "Socket-Type");
    if (!typeBytes) throw new ZmtpError("protocol", "READY without a Socket-Type property");
    const peerType = latin1.decode(typeBytes);
    if (!isCompatible(this.#owner.type, peerType)) {
      this.#fail(
        "handshake:error",
        `peer socket type ${peerType.slice(0, 20)} cannot talk to ${this.#owner.type}`,
        true,
      );
      return;
    }
    this.peerType = peerType;
    this.peerIdentity = getProperty(meta, "Identity")?.slice() ?? new Uint8Array(0);
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#ready = true;
    const refusal = this.#owner.connectionReady(this);
    if (refusal !== undefined) {
      this.#ready = false;
      this.#fail("handshake:error", `peer refused: ${refusal}`);
      return;
    }
    this.#startHeartbeats();
  }

  /** (Re)starts the countdown of the TTL the peer asked for in its PING. */
  #armTtl(): void {
    clearTimeout(this.#ttlTimer);
    const ttl = this.#peerTtl;
    this.#ttlTimer = setTimeout(
      () => this.#fail("protocol:error", `peer silent past its heartbeat TTL of ${ttl} ms`),
      ttl,
    );
  }

  #startHeartbeats(): void {
    const { heartbeatInterval, heartbeatTimeout, heartbeatTimeToLive } = this.#owner.settings;
    if (heartbeatInterval <= 0) return;
    const timeout = heartbeatTimeout > 0 ? heartbeatTimeout : heartbeatInterval;
    const ping = encodePing(heartbeatTimeToLive, new Uint8Array(0));
    this.#heartbeatTimer = setInterval(() => {
      this.sendCommand("PING", ping);
      // As libzmq: the timeout runs from a PING until anything at all arrives.
      this.#pongTimer ??= setTimeout(
        () => this.#fail("protocol:error", `no traffic within heartbeat timeout of ${timeout} ms`),
        timeout,
      );
    }, heartbeatInterval);
  }

  #flush(): void {
    if (this.#writing || this.#closed || this.#writer.length === 0) return;
    this.#writing = true;
    this.#writeLoop().finally(() => {
      this.#writing = false;
      // A message queued after the loop's last check but before this callback
      // saw #writing still true and did not flush: write it now.
      if (this.#writer.length > 0 && !this.#closed) this.#flush();
      else this.#drained.notify();
    });
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#writer.length > 0 && !this.#closed) {
        const bytes = this.#writer.take();
        this.#inFlight += this.#unflushed;
        this.#unflushed = 0;
        await writeAll(this.#stream, bytes);
        this.#writer.recycle(bytes);
        this.#inFlight = 0;
        this.#owner.connectionWritable(this);
        // A small remainder means the sender is still producing: give it one
        // macrotask to fill the buffer instead of paying a syscall per few
        // messages. The first write after a quiet spell still goes at once.
        const waiting = this.#writer.length;
        if (waiting > 0 && waiting < BATCH_BYTES) await nextMacrotask();
      }
    } catch (error) {
      if (!this.#closed) this.close(`write failed: ${describe(error)}`);
    }
  }
}

/** A high-water mark of 0 means "no limit", as in libzmq. */
function limit(highWaterMark: number): number {
  return highWaterMark === 0 ? Infinity : highWaterMark;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
