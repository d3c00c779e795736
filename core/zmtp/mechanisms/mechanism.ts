/**
 * The seam between the ZMTP engine and a security mechanism (RFC 37,
 * "Authentication and Confidentiality"). A mechanism decides what goes into
 * the greeting's mechanism and as-server fields, which commands make up the
 * handshake, which credentials a server has the ZAP handler check (RFC 27),
 * and how message frames travel once it is done: NULL, PLAIN (RFC 24) and
 * CURVE (RFC 25/26).
 *
 * Like the rest of the codec it is pure: commands in, commands out, never an
 * await. The connection does the I/O.
 *
 * @module
 */
import type { Command, Metadata } from "../command.ts";
import type { FrameData, FrameWriter } from "../frame.ts";
import type { Greeting } from "../greeting.ts";

/**
 * What one side of a connection tells its mechanism when the connection
 * starts.
 *
 * @example
 * ```ts
 * import type { HandshakeRole } from "./mechanism.ts";
 * const role: HandshakeRole = { server: true, metadata: { "Socket-Type": "PULL" } };
 * ```
 */
export interface HandshakeRole {
  /**
   * True on the side that takes the server role: for NULL the side that
   * bound (RFC 37); PLAIN and CURVE make it a configured role.
   */
  server: boolean;
  /** The metadata this side announces (Socket-Type, Identity, ...). */
  metadata: Record<string, string | Uint8Array>;
}

/**
 * What a server-side mechanism asks the ZAP handler (RFC 27) to check: the
 * mechanism's name and the client's credentials (none for NULL, username
 * and password for PLAIN, the client's long-term public key for CURVE). The
 * connection adds the domain, the peer's address and the identity.
 *
 * @example
 * ```ts
 * import type { ZapCredentials } from "./mechanism.ts";
 * const plain: ZapCredentials = {
 *   mechanism: "PLAIN",
 *   credentials: [new TextEncoder().encode("admin"), new TextEncoder().encode("secret")],
 * };
 * ```
 */
export interface ZapCredentials {
  mechanism: string;
  credentials: Uint8Array[];
}

/**
 * The ZAP handler's answer (RFC 27 status codes: 200 success, 300 temporary
 * failure, 400 authentication failure, 500 internal error), or `none` when
 * no handler is bound: each mechanism then decides as libzmq does (NULL and
 * CURVE accept, PLAIN refuses).
 *
 * @example
 * ```ts
 * import type { ZapVerdict } from "./mechanism.ts";
 * const refused: ZapVerdict = { status: "400", text: "No access", userId: "" };
 * ```
 */
export type ZapVerdict =
  | { status: "none" }
  | { status: "200" | "300" | "400" | "500"; text: string; userId: string };

/**
 * One step of a handshake: the commands to send now, and whether the
 * handshake is over — or, on a server, the credentials to have checked
 * before it goes on ({@link MechanismSession.authenticated} continues it).
 *
 * @example
 * ```ts
 * import type { HandshakeStep } from "./mechanism.ts";
 * const waiting: HandshakeStep = { send: [], done: false };
 * ```
 */
export type HandshakeStep =
  | { send: Command[]; done: false; authenticate?: ZapCredentials }
  | {
    send: Command[];
    done: true;
    /** The metadata the peer announced. */
    peerMetadata: Metadata;
  };

/**
 * How frames travel after the handshake, for mechanisms that transform
 * them (CURVE boxes each frame into a MESSAGE). NULL and PLAIN have none:
 * frames go as they are, at no cost. Once a connection has one, every frame
 * it receives goes through {@link openFrame}, and every frame it sends
 * through {@link writeMessage} or {@link writeCommand}.
 *
 * @example
 * ```ts
 * import type { FrameCodec } from "./mechanism.ts";
 * import type { FrameWriter } from "../frame.ts";
 * const clear: FrameCodec = {
 *   frameOverhead: 0,
 *   clearCommands: true,
 *   writeMessage: (writer: FrameWriter, frames) => writer.writeMessage(frames),
 *   writeCommand: (writer: FrameWriter, name, data) => writer.writeCommand(name, data),
 *   openFrame: (body) => ({ body, more: false, command: false }),
 * };
 * ```
 */
export interface FrameCodec {
  /**
   * Bytes a boxed frame adds to the frame it carries: the frame limit once
   * traffic flows is the message limit plus this.
   */
  readonly frameOverhead: number;
  /**
   * Whether command frames may still arrive as they are (PING, SUBSCRIBE
   * unboxed). CURVE boxes commands too, so a clear one is a protocol error.
   */
  readonly clearCommands: boolean;
  /** Encodes one outgoing message into `writer`. */
  writeMessage(writer: FrameWriter, frames: readonly FrameData[]): void;
  /** Encodes one outgoing command (PING, SUBSCRIBE, ERROR, ...) into `writer`. */
  writeCommand(writer: FrameWriter, name: string, data: Uint8Array): void;
  /**
   * Opens one received frame: a frame of a message (with its MORE flag), or
   * a command (`command: true`, the body being a command frame's body).
   * Throws `ZmtpError` when the frame does not authenticate.
   */
  openFrame(frame: Uint8Array): { body: Uint8Array; more: boolean; command: boolean };
}

/**
 * One connection's handshake, created by {@link Mechanism.start}.
 *
 * @example
 * ```ts
 * import { NULL_MECHANISM } from "./null.ts";
 * const session = NULL_MECHANISM.start({ server: false, metadata: { "Socket-Type": "PUSH" } });
 * session.asServer; // false: NULL has no roles on the wire
 * session.begin().send.map((c) => c.name); // ["READY"]
 * ```
 */
export interface MechanismSession {
  /** The greeting's as-server flag. */
  readonly asServer: boolean;
  /** The first step, taken right after the greeting (its commands go with it). */
  begin(): HandshakeStep;
  /** Checks the peer's greeting; throws `ZmtpError` when it cannot be spoken to. */
  checkGreeting(greeting: Greeting): void;
  /**
   * Takes one command received during the handshake. Throws `ZmtpError` for
   * anything out of place, including an ERROR from the peer.
   */
  receive(command: Command): HandshakeStep;
  /**
   * Continues after a step that asked for authentication, with the ZAP
   * handler's verdict. Throws `ZmtpError` to refuse the peer (its
   * `peerReason` says what ERROR, if any, tells it).
   */
  authenticated?(verdict: ZapVerdict): HandshakeStep;
  /** How message frames travel after the handshake; null = unchanged. */
  readonly framing: FrameCodec | null;
}

/**
 * A security mechanism: its greeting name and a factory of per-connection
 * handshakes. A socket holds one and gives it to every connection.
 *
 * @example
 * ```ts
 * import type { Mechanism } from "./mechanism.ts";
 * import { NULL_MECHANISM } from "./null.ts";
 * const mechanism: Mechanism = NULL_MECHANISM;
 * mechanism.name; // "NULL"
 * ```
 */
export interface Mechanism {
  /** The name sent in the greeting (at most 20 bytes: A-Z, 0-9, '-', '_'). */
  readonly name: string;
  /** Starts the handshake of one connection. */
  start(role: HandshakeRole): MechanismSession;
}
