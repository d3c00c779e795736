/**
 * The NULL security mechanism (RFC 37, "The NULL Security Mechanism"): no
 * authentication, no confidentiality. Each side sends READY with its
 * metadata and waits for the peer's; an ERROR instead ends the handshake.
 *
 * @module
 */
import { type Command, decodeErrorReason, decodeMetadata, encodeMetadata } from "../command.ts";
import { ZmtpError } from "../errors.ts";
import type { Greeting } from "../greeting.ts";
import type { HandshakeRole, HandshakeStep, Mechanism, MechanismSession } from "./mechanism.ts";

class NullSession implements MechanismSession {
  // RFC 37: "When a peer uses the NULL security mechanism, the as-server
  // field MUST be zero", whichever side bound.
  readonly asServer = false;
  readonly framing = null;
  readonly #metadata: Record<string, string | Uint8Array>;

  constructor(role: HandshakeRole) {
    this.#metadata = role.metadata;
  }

  begin(): Command[] {
    return [{ name: "READY", data: encodeMetadata(this.#metadata) }];
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
    return { send: [], done: true, peerMetadata: decodeMetadata(command.data) };
  }
}

/**
 * The NULL mechanism, shared by every socket that configures no security.
 *
 * @example
 * ```ts
 * import { NULL_MECHANISM } from "./null.ts";
 * const session = NULL_MECHANISM.start({ server: true, metadata: { "Socket-Type": "REP" } });
 * session.begin()[0].name; // "READY"
 * ```
 */
export const NULL_MECHANISM: Mechanism = {
  name: "NULL",
  start: (role) => new NullSession(role),
};
