/**
 * The ZMTP engine for one connection: greeting, the mechanism's handshake
 * (with the ZAP check a server mechanism asks for), socket-type check,
 * the mechanism's framing once traffic flows, the read loop with the per-peer receive queue and its
 * high-water mark, commands, and the rule that bad input closes this
 * connection only, with a reason. Writes go through its Outbox (batched,
 * ordered), heartbeat timers through its Heartbeat.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type Command,
  decodeCommand,
  decodeErrorReason,
  decodePing,
  Decoder,
  encodeErrorReason,
  encodeGreeting,
  type FrameCodec,
  type FrameData,
  getProperty,
  type HandshakeStep,
  isCompatible,
  MAX_FRAMES_PER_MESSAGE,
  type Mechanism,
  type MechanismSession,
  type Metadata,
  type SocketType,
  type ZapCredentials,
  type ZapVerdict,
  ZmtpError,
} from "../zmtp/mod.ts";
import {
  type ByteStream,
  isMessageStream,
  type MessageBatch,
  type MessageStream,
} from "../transport/mod.ts";
import { Heartbeat, type HeartbeatSettings } from "./heartbeat.ts";
import { ACCEPT_ALL, readRuns, type RunFilter } from "./message_batch.ts";
import { Inbox, MessageRun, type PackedMessage } from "./inbox.ts";
import { Notifier } from "./notifier.ts";
import { Outbox } from "./outbox.ts";
import type { ReadAheadBudget } from "./read_ahead.ts";
import { type SocketTraffic, UNCOUNTED_TRAFFIC } from "./traffic.ts";

const logger = getLogger(["zedge", "zmtp"]);
const latin1 = new TextDecoder("latin1");
/**
 * Read buffer sizes: a quiet connection (an idle one, request/reply
 * traffic) reads into the small buffer, a busy one into the large one. The
 * decoder copies what it keeps, so a buffer is reused from read to read.
 */
const READ_BUFFER_MIN = 2 * 1024;
const READ_BUFFER_MAX = 64 * 1024;
/**
 * A peer's queued messages may average this many frames before its reading
 * pauses, as it does at the receive high-water mark: the mark counts
 * messages (as libzmq's does), and a message of 65535 empty frames is
 * 131 KB on the wire but about 7.5 MB of frame objects, so a mark of 1000
 * let one peer queue 7.5 GB.
 */
const READ_AHEAD_FRAMES_PER_MESSAGE = 16;
/** How long a connection that told its peer ERROR lets that command go out before closing. */
const ERROR_LINGER_MS = 20;

/**
 * The settings a connection reads from its socket (resolved numbers).
 *
 * @example
 * ```ts
 * import type { ConnectionSettings } from "./connection.ts";
 * const s: Partial<ConnectionSettings> = { sendHighWaterMark: 1000 };
 * ```
 */
export interface ConnectionSettings extends HeartbeatSettings {
  /** Messages queued per peer for sending before send() waits (or PUB drops); 0 = no limit. */
  sendHighWaterMark: number;
  /** Messages queued per peer for receiving before that peer is read no further; 0 = no limit. */
  receiveHighWaterMark: number;
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
 * // Implemented inside core/sockets/socket.ts; see Socket.
 * type Owner = ConnectionOwner;
 * ```
 */
export interface ConnectionOwner {
  /** The owning socket's type, announced in the handshake. */
  readonly type: SocketType;
  /** Identity to announce in READY, for REQ/DEALER/ROUTER. */
  readonly identity: Uint8Array | null;
  /** Limits and timers the connection applies. */
  readonly settings: ConnectionSettings;
  /** The security mechanism a new connection speaks (read once per connection). */
  readonly mechanism: Mechanism;
  /** The socket-wide read-ahead budget its connections share (default: none; see read_ahead.ts). */
  readonly readAhead?: ReadAheadBudget;
  /** Where the connection counts its messages sent and its bytes (default: nowhere). */
  readonly traffic?: SocketTraffic;
  /**
   * Asks the ZAP handler (RFC 27) about the peer of `conn`, for a server
   * mechanism; resolves `{ status: "none" }` when no handler is bound.
   */
  authenticate(conn: Connection, credentials: ZapCredentials): Promise<ZapVerdict>;
  /**
   * The handshake finished and the peer's type fits: return a reason to
   * refuse this peer (it is then closed with that reason), or undefined to
   * take it on.
   */
  connectionReady(conn: Connection): string | undefined;
  /** A message arrived from the peer. */
  connectionMessage(conn: Connection, frames: Uint8Array[]): void;
  /**
   * Whether the socket queues a batch's messages as they lie in it (see
   * inbox.ts): the test a message's first frame must pass to be queued, or
   * null to take them one by one through {@link connectionMessage}.
   */
  runFilter?(): RunFilter | null;
  /** Consecutive messages of a batch, each passed the run filter: queue them all. */
  connectionRun?(conn: Connection, run: MessageRun): void;
  /** The peer sent a SUBSCRIBE (`subscribe` true) or CANCEL command for `topic`. */
  connectionSubscription(conn: Connection, subscribe: boolean, topic: Uint8Array): void;
  /** A write finished, so the peer may have room again. */
  connectionWritable(conn: Connection): void;
  /** The connection closed; `wasReady` tells whether its handshake had finished. */
  connectionClosed(conn: Connection, reason: string, wasReady: boolean): void;
  /** A monitor-worthy failure (handshake or protocol). The connection is no longer ready. */
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
  /**
   * The User-Id the ZAP handler gave the peer (a CURVE client's Z85 key, a
   * PLAIN user name; empty without ZAP), as libzmq's message property.
   */
  userId = "";
  /** Messages received and not yet taken by the socket. */
  readonly inbox: Inbox = new Inbox();
  /**
   * True while this peer is in its socket's fair-queue turns (see
   * policies/fair_queue.ts; one emptied by takeFrom or clear may linger there).
   * A mark on the peer, not a Set of peers: a Set that gains and loses its
   * one member per request had V8 rebuild its table every few messages.
   */
  inTurn = false;
  /** Resolves once both the read loop and any write have stopped. */
  readonly done: Promise<void>;

  readonly #owner: ConnectionOwner;
  readonly #stream: ByteStream;
  readonly #out: Outbox;
  readonly #decoder: Decoder;
  readonly #session: MechanismSession;
  readonly #heartbeat: Heartbeat;
  readonly #traffic: SocketTraffic;
  readonly #resume = new Notifier();
  /** ZMTP minor version the peer announced. */
  #peerMinor = 1;
  #ready = false;
  #handshaken = false;
  #closed = false;
  /** True while the read loop waits for the socket's read-ahead budget to wake it. */
  #onBudget = false;
  /** Set once #fail ran: the connection reports one reason and ignores later input. */
  #failed = false;
  /**
   * What is left of a batch taken message by message (see #takeBatch): its
   * runs and its commands' bodies, in order, handed on as the inbox has room.
   */
  #batchLeft: (MessageRun | Uint8Array)[] = [];
  /** Frames of a message a framing mechanism is still assembling. */
  #boxedParts: Uint8Array[] = [];
  #boxedSize = 0;
  /** The mechanism's framing, once the handshake is done (null: frames as they are). */
  #framing: FrameCodec | null = null;
  readonly #mechanismName: string;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Wraps `stream` to the peer at `address` (`outgoing` when this side dialed) for `owner`. */
  constructor(owner: ConnectionOwner, stream: ByteStream, address: string, outgoing: boolean) {
    this.#owner = owner;
    this.#stream = stream;
    this.address = address;
    this.outgoing = outgoing;
    const settings = owner.settings;
    const mechanism = owner.mechanism;
    this.#mechanismName = mechanism.name;
    const traffic = owner.traffic ?? UNCOUNTED_TRAFFIC;
    this.#traffic = traffic;
    this.#out = new Outbox(stream, {
      wrote: (bytes) => {
        traffic.bytesSent += bytes;
        this.#owner.connectionWritable(this);
      },
      failed: (error) => this.close(`write failed: ${describe(error)}`),
    });
    this.#heartbeat = new Heartbeat(settings, {
      ping: (data) => this.sendCommand("PING", data),
      expire: (reason) => this.#fail("protocol:error", reason),
    });
    this.#decoder = new Decoder({
      greeting: (greeting) => {
        this.#session.checkGreeting(greeting);
        this.#peerMinor = greeting.major > 3 ? 1 : greeting.minor;
      },
      command: (command) => {
        if (!this.#failed) this.#command(command);
      },
      message: (frames) => {
        if (this.#failed) return;
        if (this.#framing === null) this.#owner.connectionMessage(this, frames);
        else for (const frame of frames) this.#openFrame(this.#framing, frame);
      },
    }, { maxMessageSize: settings.maxMessageSize, handshake: true });

    const metadata: Record<string, string | Uint8Array> = { "Socket-Type": owner.type };
    if (owner.type === "REQ" || owner.type === "DEALER" || owner.type === "ROUTER") {
      metadata["Identity"] = owner.identity ?? new Uint8Array(0);
    }
    // RFC 37: with NULL the side that binds is the server.
    this.#session = mechanism.start({ server: !outgoing, metadata });
    this.#out.raw(encodeGreeting(mechanism.name, this.#session.asServer));
    this.#step(this.#session.begin());
    this.#out.flush(); // the greeting and the opening commands in one write
    const { handshakeTimeout } = settings;
    if (handshakeTimeout > 0) {
      this.#handshakeTimer = setTimeout(
        () => this.#fail("handshake:error", `handshake not done within ${handshakeTimeout} ms`),
        handshakeTimeout,
      );
    }
    this.done = this.#readLoop();
  }

  /** True once the handshake completed and until the connection fails or closes. */
  get ready(): boolean {
    return this.#ready && !this.#closed && !this.#failed;
  }

  /** True once the handshake completed, even if the connection has closed since. */
  get handshaken(): boolean {
    return this.#handshaken;
  }

  /** True once closed (for any reason). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The ZMTP minor version the peer announced (0: a ZMTP 3.0 peer, spoken to in 3.0 terms). */
  get peerMinor(): number {
    return this.#peerMinor;
  }

  /** Messages queued for this peer and not yet written to the transport. */
  get queued(): number {
    return this.#out.queued;
  }

  /** True when the peer can take another message without passing its high-water mark. */
  get hasRoom(): boolean {
    return this.ready && this.#out.queued < limit(this.#owner.settings.sendHighWaterMark);
  }

  /** Queues a message to the peer (the caller has checked {@link hasRoom} if it cares). */
  send(frames: readonly FrameData[]): void {
    if (this.#closed) return;
    this.#traffic.messagesSent++;
    this.#out.message(frames);
  }

  /** Queues a command (SUBSCRIBE, CANCEL, ...) to the peer. */
  sendCommand(name: string, data: Uint8Array): void {
    if (!this.#closed) this.#out.command(name, data);
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
    if (frames === undefined) return undefined;
    if (this.#resume.waiting > 0) this.#resumeIfRoom();
    this.#owner.readAhead?.taken();
    return frames;
  }

  /** Reads the oldest received message into `message` in place (see inbox.ts); false when none. */
  takeInto(message: PackedMessage): boolean {
    if (!this.inbox.shiftInto(message)) return false;
    if (this.#resume.waiting > 0) this.#resumeIfRoom();
    this.#owner.readAhead?.taken();
    return true;
  }

  /**
   * Drops every received message not yet taken; returns how many. A reader
   * paused at the receive high-water mark resumes, or it would never read
   * again.
   */
  discardInbox(): number {
    const count = this.inbox.length;
    this.inbox.clear();
    if (count > 0 && this.#resume.waiting > 0) this.#resumeIfRoom();
    if (count > 0) this.#owner.readAhead?.taken();
    return count;
  }

  /**
   * Closes after flushing queued messages for up to `lingerMs` (-1 = until
   * flushed, 0 = drop them).
   */
  async shutdown(lingerMs: number): Promise<void> {
    if (!this.#closed && lingerMs !== 0) await this.#out.drained(lingerMs);
    this.close("socket closed");
    await this.done;
  }

  /** Closes now; queued outgoing messages are dropped. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#closeTimer);
    this.#heartbeat.stop();
    try {
      this.#stream.close();
    } catch { /* already closed */ }
    this.#resume.close();
    // Whatever the peer parked here (a partial frame, a partial message)
    // and our unsent output are garbage from now on, whoever still holds
    // this connection object.
    this.#decoder.release();
    this.#batchLeft = [];
    this.#out.close();
    logger.debug("connection {address} closed: {reason}", { address: this.address, reason });
    this.#owner.connectionClosed(this, reason, this.#ready);
  }

  readonly #wakeReader = (): void => this.#resume.notify();

  /** True while this peer's queued messages (or their frames) are at the receive high-water mark. */
  #inboxFull(): boolean {
    const mark = limit(this.#owner.settings.receiveHighWaterMark);
    const inbox = this.inbox;
    return inbox.length >= mark || inbox.frames >= mark * READ_AHEAD_FRAMES_PER_MESSAGE;
  }

  #resumeIfRoom(): void {
    if (this.#inboxFull()) return;
    // Parked on the socket's budget: the budget wakes it. Below its own mark
    // otherwise: the read loop looks at the budget next (and parks on it
    // while it is spent).
    if (this.#onBudget) return;
    this.#resume.notify();
  }

  /** Closes with `reason`; `peerReason`, when given, goes to the peer in an ERROR command first. */
  #fail(type: "handshake:error" | "protocol:error", reason: string, peerReason?: string): void {
    if (this.#closed || this.#failed) return;
    this.#failed = true;
    logger.warn("closing connection {address}: {reason}", { address: this.address, reason });
    if (peerReason !== undefined) {
      // Best effort: the ERROR command tells a libzmq peer why, if it still listens.
      this.#out.command("ERROR", encodeErrorReason(peerReason));
    }
    this.#owner.connectionFailed(this, type, reason);
    // Let the ERROR command go out before the stream closes.
    if (peerReason !== undefined) {
      this.#closeTimer = setTimeout(() => this.close(reason), ERROR_LINGER_MS);
    } else this.close(reason);
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
    let buffer = new Uint8Array(READ_BUFFER_MIN);
    const messages: MessageStream | null = isMessageStream(this.#stream) ? this.#stream : null;
    /** Bytes the last read put in `buffer`, and how far they have been decoded. */
    let read = 0;
    let unread = 0;
    /** Set after a turn of decoding: go behind the connections waiting on the budget. */
    let yieldTurn = false;
    try {
      while (!this.#closed) {
        if (this.#inboxFull()) {
          await this.#resume.wait();
          continue;
        }
        if (this.#batchLeft.length > 0) {
          try {
            this.#handOnBatch();
          } catch (error) {
            this.#refuseInput(error);
            break;
          }
          continue;
        }
        // The socket as a whole holds its read-ahead: while it is spent, no
        // connection reads; the budget wakes them in turn (see read_ahead.ts).
        const budget = this.#owner.readAhead;
        if (budget !== undefined && (budget.exhausted || yieldTurn)) {
          yieldTurn = false;
          budget.park(this.#wakeReader);
          this.#onBudget = true;
          await this.#resume.wait();
          this.#onBudget = false;
          continue;
        }
        // A peer that does not read what we owe it (replies a REP sends
        // regardless of room, PONGs) is not read either, so it cannot make
        // our output grow without bound.
        if (this.#out.queued > limit(this.#owner.settings.sendHighWaterMark)) {
          await this.#out.progressed();
          continue;
        }
        // Bytes read and not yet decoded: among many peers, each turn decodes
        // about what the budget has room for, and the rest waits here as raw
        // bytes (no message objects) until the budget lets this connection on.
        if (unread < read) {
          const size = budget === undefined
            ? read - unread
            : budget.readSize(read, READ_BUFFER_MIN);
          const start = unread;
          const end = Math.min(read, unread + size);
          unread = end;
          this.#traffic.bytesReceived += end - start;
          try {
            // The range, not a view of it: a view per read costs as much as decoding its message.
            this.#decoder.feed(buffer, start, end);
          } catch (error) {
            this.#refuseInput(error);
            break;
          }
          // Its turn is over while others wait, once it has given the fair
          // queue something (the application's takes wake the budget again).
          yieldTurn = budget !== undefined && budget.waiting && budget.queued > 0;
          continue;
        }
        // Two sizes: a read that filled the small buffer means traffic, so
        // the next gets the large one; a read that would have fitted the
        // small one means the connection is quiet again.
        if (read === buffer.length && read < READ_BUFFER_MAX) {
          buffer = new Uint8Array(READ_BUFFER_MAX);
        } else if (read > 0 && read <= READ_BUFFER_MIN / 2 && buffer.length > READ_BUFFER_MIN) {
          buffer = new Uint8Array(READ_BUFFER_MIN);
        }
        let got: number | MessageBatch | null;
        try {
          // One read op takes all the buffer holds, whatever the budget: an op
          // costs about the same for 2 KiB as for 64 KiB, and what the budget
          // has no room for stays raw (above).
          got = messages !== null
            ? await messages.readSome(
              budget === undefined
                ? buffer
                : buffer.subarray(0, budget.readSize(buffer.length, READ_BUFFER_MIN)),
            )
            : await this.#stream.read(buffer);
        } catch (error) {
          if (!this.#closed) this.#lost(`read failed: ${describe(error)}`);
          break;
        }
        if (got === null) {
          this.#lost(this.#ready ? "peer closed the connection" : "peer closed during handshake");
          break;
        }
        if (typeof got !== "number") {
          read = unread = 0;
          try {
            this.#takeBatch(got);
          } catch (error) {
            this.#refuseInput(error);
            break;
          }
          continue;
        }
        this.#heartbeat.traffic();
        read = got;
        unread = 0;
      }
    } finally {
      await this.#out.settled();
    }
  }

  /** Whole messages from a zedge peer in this process (see message_batch.ts). */
  #takeBatch(batch: MessageBatch): void {
    this.#heartbeat.traffic();
    this.#traffic.bytesReceived += batch.data.byteLength + batch.sizes.byteLength;
    // The peer switches only once its handshake is done, after the bytes that did it.
    if (!this.#ready || this.#framing !== null) {
      throw new ZmtpError("protocol", "whole messages before the handshake or under a framing");
    }
    const command = (body: Uint8Array) => {
      if (!this.#failed) this.#control(decodeCommand(body));
    };
    const owner = this.#owner;
    const accepts = owner.runFilter?.() ?? null;
    if (accepts === null) {
      // Each message is made into its frames as it is handed on, which a batch could do for
      // millions at once (8 bytes of sizes each, some 180 of objects): as the inbox has room
      // instead, as bytes are decoded. Checked whole first; what came before a bad part
      // is still handed on.
      const left = this.#batchLeft;
      try {
        readRuns(batch, owner.settings.maxMessageSize, {
          accepts: ACCEPT_ALL,
          run: (run) => left.push(run),
          command: (body) => left.push(body),
        });
      } finally {
        this.#handOnBatch();
      }
      return;
    }
    // No view nor queue entry per message: the batch's messages are queued as they lie.
    readRuns(batch, owner.settings.maxMessageSize, {
      accepts,
      run: (run) => {
        if (!this.#failed) owner.connectionRun!(this, run);
      },
      command,
    });
  }

  /** Hands on what is left of a batch (messages and commands, in order) while the inbox has room. */
  #handOnBatch(): void {
    const left = this.#batchLeft;
    while (left.length > 0) {
      // A connection that failed takes nothing more from its peer.
      if (this.#failed) {
        left.length = 0;
        return;
      }
      const head = left[0];
      if (!(head instanceof MessageRun)) {
        left.shift();
        this.#control(decodeCommand(head));
        continue;
      }
      while (head.count > 0) {
        if (this.#inboxFull()) return;
        this.#owner.connectionMessage(this, head.next());
        if (this.#failed) break;
      }
      if (head.count === 0) left.shift();
    }
  }

  /**
   * Bad input: close with the reason, telling the peer what the error says
   * to (the reason itself unless it says otherwise; nothing when the peer
   * ended things itself).
   */
  #refuseInput(error: unknown): void {
    const type = this.#ready ? "protocol:error" : "handshake:error";
    if (!(error instanceof ZmtpError)) {
      const reason = `internal error handling peer input: ${describe(error)}`;
      this.#fail(type, reason, reason);
      return;
    }
    const reason = error.kind === "refused" || error.kind === "denied"
      ? error.message
      : `protocol error (${error.kind}): ${error.message}`;
    this.#fail(
      type,
      reason,
      error.peerReason === undefined ? reason : error.peerReason ?? undefined,
    );
  }

  /** Sends a handshake step's commands, then finishes, or has the peer authenticated. */
  #step(step: HandshakeStep): void {
    this.#writeCommands(step.send);
    if (step.done) this.#handshake(step.peerMetadata);
    else if (step.authenticate !== undefined) this.#authenticate(step.authenticate);
  }

  /**
   * Has the ZAP handler check the peer's credentials; the handshake stays
   * where it is (the handshake timeout still runs) until the verdict.
   */
  #authenticate(credentials: ZapCredentials): void {
    const verdict = this.#owner.authenticate(this, credentials).catch((error): ZapVerdict => ({
      status: "500",
      text: `the ZAP request failed: ${describe(error)}`,
      userId: "",
    }));
    verdict.then((verdict) => {
      if (this.#closed || this.#failed) return;
      if (verdict.status === "200") this.userId = verdict.userId;
      try {
        this.#step(this.#session.authenticated!(verdict));
      } catch (error) {
        this.#refuseInput(error);
      }
    });
  }

  #command(command: Command): void {
    if (!this.#ready) {
      this.#step(this.#session.receive(command));
      return;
    }
    if (this.#framing !== null && !this.#framing.clearCommands) {
      throw new ZmtpError(
        "protocol",
        `a clear ${command.name} command after the ${this.#mechanismName} handshake: every ` +
          "frame must come boxed",
        { peerReason: null },
      );
    }
    this.#control(command);
  }

  /** A frame the mechanism boxed: a command, or one frame of a message. */
  #openFrame(framing: FrameCodec, frame: Uint8Array): void {
    const opened = framing.openFrame(frame);
    if (opened.command) this.#control(decodeCommand(opened.body));
    else this.#assemble(opened.body, opened.more);
  }

  /** A command once traffic flows (heartbeats, subscriptions, ERROR). */
  #control(command: Command): void {
    switch (command.name) {
      case "PING": {
        const { ttlMs, context } = decodePing(command.data);
        this.#out.owePong(context);
        this.#heartbeat.peerPinged(ttlMs);
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
        throw new ZmtpError("refused", `peer sent ERROR: ${decodeErrorReason(command.data)}`);
      case "READY":
        throw new ZmtpError("protocol", "second READY command");
      default:
        // RFC 37: unknown commands are ignored, so newer peers keep working.
        return;
    }
  }

  /**
   * For a mechanism that carries message frames in commands: assembles the
   * opened frames into messages, under the same limits as plain frames.
   */
  #assemble(body: Uint8Array, more: boolean): void {
    const parts = this.#boxedParts;
    parts.push(body);
    this.#boxedSize += body.length;
    const max = this.#owner.settings.maxMessageSize;
    if (max >= 0 && this.#boxedSize > max) {
      throw new ZmtpError(
        "frame-too-large",
        `message of ${this.#boxedSize} bytes exceeds the maximum message size of ${max}`,
      );
    }
    if (parts.length > MAX_FRAMES_PER_MESSAGE) {
      throw new ZmtpError(
        "too-many-frames",
        `message has more than ${MAX_FRAMES_PER_MESSAGE} frames`,
      );
    }
    if (!more) {
      this.#boxedParts = [];
      this.#boxedSize = 0;
      this.#owner.connectionMessage(this, parts);
    }
  }

  #writeCommands(commands: readonly Command[]): void {
    for (const { name, data } of commands) this.#out.command(name, data);
  }

  #handshake(meta: Metadata): void {
    const typeBytes = getProperty(meta, "Socket-Type");
    if (!typeBytes) throw new ZmtpError("protocol", "READY without a Socket-Type property");
    const peerType = latin1.decode(typeBytes);
    if (!isCompatible(this.#owner.type, peerType)) {
      const reason = `peer socket type ${peerType.slice(0, 20)} cannot talk to ${this.#owner.type}`;
      this.#fail("handshake:error", reason, reason);
      return;
    }
    this.peerType = peerType;
    this.peerIdentity = getProperty(meta, "Identity")?.slice() ?? new Uint8Array(0);
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    // From here on every frame goes through the mechanism's framing (CURVE
    // boxes commands too), and a box is larger than the frame it carries.
    const framing = this.#framing = this.#out.framing = this.#session.framing;
    const max = this.#owner.settings.maxMessageSize;
    if (framing !== null && max >= 0) {
      this.#decoder.startTraffic({ maxMessageSize: max + framing.frameOverhead });
    } else this.#decoder.startTraffic();
    // Both ends are zedge in one process (a stream that carries batches exists only there): with
    // nothing to box, messages go whole from here on, with no ZMTP framing to encode or parse.
    if (framing === null && isMessageStream(this.#stream)) {
      this.#out.sendWholeMessages(this.#stream);
    }
    this.#ready = true;
    const refusal = this.#owner.connectionReady(this);
    if (refusal !== undefined) {
      this.#ready = false;
      this.#fail("handshake:error", `peer refused: ${refusal}`);
      return;
    }
    this.#handshaken = true;
    // PING and PONG came with ZMTP 3.1 (RFC 37); a 3.0 peer is not sent
    // commands it may not know.
    if (this.#peerMinor >= 1) this.#heartbeat.start();
  }
}

/** A high-water mark of 0 means "no limit", as in libzmq. */
function limit(highWaterMark: number): number {
  return highWaterMark === 0 ? Infinity : highWaterMark;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
