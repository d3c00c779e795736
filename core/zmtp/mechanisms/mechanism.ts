/**
 * The seam between the ZMTP engine and a security mechanism (RFC 37,
 * "Authentication and Confidentiality"). A mechanism decides what goes into
 * the greeting's mechanism and as-server fields, which commands make up the
 * handshake, and how message frames travel once it is done. NULL is the only
 * mechanism today; PLAIN (RFC 24) and CURVE (RFC 25/26) plug in here.
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
 * One step of a handshake: the commands to send now, and whether the
 * handshake is over.
 *
 * @example
 * ```ts
 * import type { HandshakeStep } from "./mechanism.ts";
 * const waiting: HandshakeStep = { send: [], done: false };
 * ```
 */
export type HandshakeStep =
  | { send: Command[]; done: false }
  | {
    send: Command[];
    done: true;
    /** The metadata the peer announced. */
    peerMetadata: Metadata;
  };

/**
 * How message frames travel after the handshake, for mechanisms that
 * transform them (CURVE boxes each frame into a MESSAGE command). NULL has
 * none: frames go as they are, at no cost.
 *
 * @example
 * ```ts
 * import type { FrameCodec } from "./mechanism.ts";
 * import type { FrameWriter } from "../frame.ts";
 * const clear: FrameCodec = {
 *   maxCommandSize: 16 * 1024,
 *   writeMessage: (writer: FrameWriter, frames) => writer.writeMessage(frames),
 *   openFrame: () => null,
 * };
 * ```
 */
export interface FrameCodec {
  /** The command cap once traffic flows (a boxed frame is a command). */
  readonly maxCommandSize: number;
  /** Encodes one outgoing message into `writer`. */
  writeMessage(writer: FrameWriter, frames: readonly FrameData[]): void;
  /**
   * Opens a command that carries a message frame; returns null when the
   * command is not one (PING, SUBSCRIBE, ...). Throws `ZmtpError` when the
   * frame does not authenticate.
   */
  openFrame(command: Command): { body: Uint8Array; more: boolean } | null;
}

/**
 * One connection's handshake, created by {@link Mechanism.start}.
 *
 * @example
 * ```ts
 * import { NULL_MECHANISM } from "./null.ts";
 * const session = NULL_MECHANISM.start({ server: false, metadata: { "Socket-Type": "PUSH" } });
 * session.asServer; // false: NULL has no roles on the wire
 * session.begin().map((c) => c.name); // ["READY"]
 * ```
 */
export interface MechanismSession {
  /** The greeting's as-server flag. */
  readonly asServer: boolean;
  /** The commands that open the handshake, sent right after the greeting. */
  begin(): Command[];
  /** Checks the peer's greeting; throws `ZmtpError` when it cannot be spoken to. */
  checkGreeting(greeting: Greeting): void;
  /**
   * Takes one command received during the handshake. Throws `ZmtpError` for
   * anything out of place, including an ERROR from the peer.
   */
  receive(command: Command): HandshakeStep;
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
