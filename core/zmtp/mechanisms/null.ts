/**
 * The NULL security mechanism (RFC 37, "The NULL Security Mechanism"): no
 * authentication, no confidentiality. Each side sends READY with its
 * metadata and waits for the peer's; an ERROR instead ends the handshake.
 *
 * With a ZAP domain (RFC 27, as libzmq's `ZMQ_ZAP_DOMAIN`), the side that
 * bound first asks the ZAP handler about the peer's address, and sends
 * READY only when the handler agrees: this is how IP allow and deny lists
 * apply to NULL.
 *
 * @module
 */
import {
  type Command,
  decodeErrorReason,
  decodeMetadata,
  encodeMetadata,
  type Metadata,
} from "../command.ts";
import { ZmtpError } from "../errors.ts";
import type { Greeting } from "../greeting.ts";
import type {
  HandshakeRole,
  HandshakeStep,
  Mechanism,
  MechanismSession,
  ZapVerdict,
} from "./mechanism.ts";
import { refuseUnlessAllowed } from "./zap_verdict.ts";

class NullSession implements MechanismSession {
  // RFC 37: "When a peer uses the NULL security mechanism, the as-server
  // field MUST be zero", whichever side bound.
  readonly asServer = false;
  readonly framing = null;
  readonly #metadata: Record<string, string | Uint8Array>;
  readonly #authenticate: boolean;
  #allowed: boolean;
  #peerMetadata: Metadata | null = null;

  constructor(role: HandshakeRole, authenticate: boolean) {
    this.#metadata = role.metadata;
    this.#authenticate = authenticate && role.server;
    this.#allowed = !this.#authenticate;
  }

  #ready(): Command {
    return { name: "READY", data: encodeMetadata(this.#metadata) };
  }

  begin(): HandshakeStep {
    if (this.#authenticate) {
      return { send: [], done: false, authenticate: { mechanism: "NULL", credentials: [] } };
    }
    return { send: [this.#ready()], done: false };
  }

  checkGreeting(greeting: Greeting): void {
    if (greeting.mechanism !== "NULL") {
      throw new ZmtpError(
        "unsupported-mechanism",
        `peer uses security mechanism ${greeting.mechanism}; this socket uses NULL`,
      );
    }
  }

  receive(command: Command): HandshakeStep {
    if (command.name === "ERROR") {
      throw new ZmtpError("refused", `peer refused: ${decodeErrorReason(command.data)}`);
    }
    if (command.name !== "READY") {
      throw new ZmtpError("protocol", `expected READY, got ${command.name}`);
    }
    if (this.#peerMetadata !== null) throw new ZmtpError("protocol", "second READY command");
    const peerMetadata = decodeMetadata(command.data);
    // Still waiting for the ZAP handler: the peer's READY waits with us.
    if (!this.#allowed) {
      this.#peerMetadata = peerMetadata;
      return { send: [], done: false };
    }
    return { send: [], done: true, peerMetadata };
  }

  authenticated(verdict: ZapVerdict): HandshakeStep {
    refuseUnlessAllowed(verdict, "NULL");
    this.#allowed = true;
    const send = [this.#ready()];
    const peerMetadata = this.#peerMetadata;
    return peerMetadata === null ? { send, done: false } : { send, done: true, peerMetadata };
  }
}

/**
 * The NULL mechanism, shared by every socket that configures no security.
 *
 * @example
 * ```ts
 * import { NULL_MECHANISM } from "./null.ts";
 * const session = NULL_MECHANISM.start({ server: true, metadata: { "Socket-Type": "REP" } });
 * session.begin().send[0].name; // "READY"
 * ```
 */
export const NULL_MECHANISM: Mechanism = {
  name: "NULL",
  start: (role) => new NullSession(role, false),
};

/**
 * NULL whose binding side asks the ZAP handler first (a socket with a
 * `zapDomain`).
 *
 * @example
 * ```ts
 * import { NULL_WITH_ZAP } from "./null.ts";
 * const session = NULL_WITH_ZAP.start({ server: true, metadata: { "Socket-Type": "PULL" } });
 * session.begin().send.length; // 0: READY waits for the ZAP handler's verdict
 * ```
 */
export const NULL_WITH_ZAP: Mechanism = {
  name: "NULL",
  start: (role) => new NullSession(role, true),
};
