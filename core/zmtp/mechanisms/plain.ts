/**
 * The PLAIN security mechanism (RFC 24): the client names a user and a
 * password in clear text, the server has its ZAP handler check them (RFC
 * 27). No confidentiality — for trusted networks, or under a VPN.
 *
 * ```
 * C: HELLO username password   S: WELCOME (or ERROR)
 * C: INITIATE metadata         S: READY metadata
 * ```
 *
 * As in libzmq, a PLAIN server without a ZAP handler refuses every client:
 * a password nobody checks protects nothing.
 *
 * @module
 */
import { type Command, decodeErrorReason, decodeMetadata, encodeMetadata } from "../command.ts";
import { ZmtpError } from "../errors.ts";
import type { Greeting } from "../greeting.ts";
import type {
  HandshakeRole,
  HandshakeStep,
  Mechanism,
  MechanismSession,
  ZapVerdict,
} from "./mechanism.ts";
import { bothRoles, checkPeerRole } from "./roles.ts";
import { refuseUnlessAllowed } from "./zap_verdict.ts";

const encoder = new TextEncoder();

/**
 * A PLAIN client's credentials.
 *
 * @example
 * ```ts
 * import type { PlainCredentials } from "./plain.ts";
 * const credentials: PlainCredentials = { username: "robot", password: "secret" };
 * ```
 */
export interface PlainCredentials {
  /** At most 255 bytes of UTF-8. */
  username: string;
  /** At most 255 bytes of UTF-8. */
  password: string;
}

function peerError(command: Command, expected: string): never {
  if (command.name === "HELLO") throw new ZmtpError("protocol", bothRoles("PLAIN", "client"));
  if (command.name === "ERROR") {
    throw new ZmtpError("refused", `PLAIN server refused: ${decodeErrorReason(command.data)}`);
  }
  throw new ZmtpError("protocol", `expected ${expected}, got ${command.name}`);
}

/** Encodes a length-prefixed field (RFC 24: `OCTET *VCHAR`), refusing over 255 bytes. */
function shortField(what: string, value: string): Uint8Array {
  const bytes = encoder.encode(value);
  if (bytes.length > 255) throw new RangeError(`PLAIN ${what} is longer than 255 bytes`);
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

class PlainClient implements MechanismSession {
  readonly asServer = false;
  readonly framing = null;
  readonly #metadata: Record<string, string | Uint8Array>;
  readonly #hello: Uint8Array;
  #state: "welcome" | "ready" = "welcome";

  constructor(role: HandshakeRole, credentials: PlainCredentials) {
    this.#metadata = role.metadata;
    const user = shortField("username", credentials.username);
    const password = shortField("password", credentials.password);
    this.#hello = new Uint8Array(user.length + password.length);
    this.#hello.set(user);
    this.#hello.set(password, user.length);
  }

  begin(): HandshakeStep {
    return { send: [{ name: "HELLO", data: this.#hello }], done: false };
  }

  checkGreeting(greeting: Greeting): void {
    checkPeerRole(greeting, "PLAIN", false);
  }

  receive(command: Command): HandshakeStep {
    if (this.#state === "welcome") {
      if (command.name !== "WELCOME") peerError(command, "WELCOME");
      if (command.data.length !== 0) {
        throw new ZmtpError("bad-command", "PLAIN WELCOME carries data; it must be empty");
      }
      this.#state = "ready";
      return {
        send: [{ name: "INITIATE", data: encodeMetadata(this.#metadata) }],
        done: false,
      };
    }
    if (command.name !== "READY") peerError(command, "READY");
    return { send: [], done: true, peerMetadata: decodeMetadata(command.data) };
  }
}

class PlainServer implements MechanismSession {
  readonly asServer = true;
  readonly framing = null;
  readonly #metadata: Record<string, string | Uint8Array>;
  #state: "hello" | "authenticating" | "initiate" = "hello";

  constructor(role: HandshakeRole) {
    this.#metadata = role.metadata;
  }

  begin(): HandshakeStep {
    return { send: [], done: false };
  }

  checkGreeting(greeting: Greeting): void {
    checkPeerRole(greeting, "PLAIN", true);
  }

  receive(command: Command): HandshakeStep {
    if (command.name === "ERROR") {
      // RFC 24: a client never sends ERROR; libzmq treats it as a protocol error.
      throw new ZmtpError("refused", `PLAIN client sent ERROR: ${decodeErrorReason(command.data)}`);
    }
    switch (this.#state) {
      case "hello": {
        if (command.name !== "HELLO") peerError(command, "HELLO");
        const [username, password] = parseHello(command.data);
        this.#state = "authenticating";
        return {
          send: [],
          done: false,
          authenticate: { mechanism: "PLAIN", credentials: [username, password] },
        };
      }
      case "authenticating":
        throw new ZmtpError(
          "protocol",
          `${command.name} arrived while the PLAIN credentials were being checked`,
        );
      case "initiate":
        if (command.name !== "INITIATE") peerError(command, "INITIATE");
        return {
          send: [{ name: "READY", data: encodeMetadata(this.#metadata) }],
          done: true,
          peerMetadata: decodeMetadata(command.data),
        };
    }
  }

  authenticated(verdict: ZapVerdict): HandshakeStep {
    refuseUnlessAllowed(verdict, "PLAIN", { requireHandler: true });
    this.#state = "initiate";
    return { send: [{ name: "WELCOME", data: new Uint8Array(0) }], done: false };
  }
}

/** HELLO's body: a length-prefixed username, then a length-prefixed password, nothing more. */
function parseHello(data: Uint8Array): [Uint8Array, Uint8Array] {
  const userLength = data[0];
  if (data.length < 1 || data.length < 2 + userLength) {
    throw new ZmtpError("bad-command", `PLAIN HELLO of ${data.length} bytes is truncated`);
  }
  const passwordLength = data[1 + userLength];
  if (data.length !== 2 + userLength + passwordLength) {
    throw new ZmtpError(
      "bad-command",
      `PLAIN HELLO of ${data.length} bytes does not hold a ${userLength}-byte username and ` +
        `a ${passwordLength}-byte password`,
    );
  }
  return [
    data.slice(1, 1 + userLength),
    data.slice(2 + userLength, 2 + userLength + passwordLength),
  ];
}

/**
 * The PLAIN mechanism for a client with these credentials.
 *
 * @example
 * ```ts
 * import { plainClient } from "./plain.ts";
 * const mechanism = plainClient({ username: "robot", password: "secret" });
 * mechanism.start({ server: false, metadata: { "Socket-Type": "REQ" } }).begin().send[0].name; // "HELLO"
 * ```
 */
export function plainClient(credentials: PlainCredentials): Mechanism {
  shortField("username", credentials.username);
  shortField("password", credentials.password);
  return { name: "PLAIN", start: (role) => new PlainClient(role, credentials) };
}

/**
 * The PLAIN mechanism for a server (its ZAP handler checks the passwords).
 *
 * @example
 * ```ts
 * import { PLAIN_SERVER } from "./plain.ts";
 * PLAIN_SERVER.start({ server: true, metadata: { "Socket-Type": "REP" } }).asServer; // true
 * ```
 */
export const PLAIN_SERVER: Mechanism = {
  name: "PLAIN",
  start: (role) => new PlainServer(role),
};
