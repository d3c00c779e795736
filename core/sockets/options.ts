/**
 * Socket options from one table: each option's kind, default (libzmq's,
 * unless noted) and lower bound. The table validates constructor objects
 * and property assignments alike; the properties themselves are get/set
 * pairs declared on the socket classes (`Socket` in socket.ts, a type's own
 * in its class), so "go to definition" lands on them.
 *
 * @module
 */
import { z85Decode, z85Encode } from "../zmtp/mod.ts";
import { ZmqError } from "./errors.ts";

/**
 * Options every socket type accepts, as a constructor object or as
 * properties. Times are milliseconds; -1 means "no limit".
 *
 * @example
 * ```ts
 * import { Dealer } from "../../mod.ts";
 * const dealer = new Dealer({ routingId: "arm-1", receiveTimeout: 2000, heartbeatInterval: 1000 });
 * dealer.close();
 * ```
 */
export interface SocketOptions {
  /** Messages queued per peer for sending before send() waits (or PUB drops); 0 = no limit. Default 1000. */
  sendHighWaterMark?: number;
  /** Messages queued per peer for receiving before that peer is read no further; 0 = no limit. Default 1000. */
  receiveHighWaterMark?: number;
  /** How long close() keeps flushing queued messages to connected peers; -1 = until sent. Default -1. */
  linger?: number;
  /** First delay before reconnecting a connect()ed endpoint. Default 100. */
  reconnectInterval?: number;
  /** Upper bound of exponential reconnect backoff; 0 = always reconnectInterval. Default 0. */
  reconnectMaxInterval?: number;
  /** Send a ZMTP PING this often (to ZMTP 3.1 peers); 0 = no heartbeats. Default 0. Applies to new connections. */
  heartbeatInterval?: number;
  /** Close a connection that sent nothing for this long after a PING; default = heartbeatInterval. */
  heartbeatTimeout?: number;
  /** TTL we ask the peer to apply to us (sent in PING); 0 = none. Default 0. */
  heartbeatTimeToLive?: number;
  /** Close a connection whose ZMTP handshake is not done by then; 0 = never. Default 30000. */
  handshakeTimeout?: number;
  /**
   * Accepted connections that may be in their handshake at once; over it,
   * the oldest still waiting is closed. 0 = no limit (libzmq has none).
   * Default 0. A socket bound where a hostile host can reach it sets it:
   * each waiting connection holds a descriptor for up to handshakeTimeout.
   */
  maxHandshakes?: number;
  /**
   * As maxHandshakes, for the connections from one address (a TCP peer's
   * host). 0 = no limit. Default 0.
   */
  maxHandshakesPerAddress?: number;
  /**
   * Give up a connect() attempt after this long and try again after the reconnect interval
   * (libzmq's ZMQ_CONNECT_TIMEOUT); 0 = wait as long as the OS does. Default 0. Across a silent
   * partition the OS retries a SYN for minutes at growing intervals, so a link that must come
   * back soon after the network heals sets this (peer links do).
   */
  connectTimeout?: number;
  /**
   * Largest message accepted from a peer, in bytes; a larger one closes that
   * connection. -1 = no limit. Commands and the handshake have their own small
   * cap whatever this says. Applies to new connections.
   */
  maxMessageSize?: number;
  /** Identity sent to ROUTER peers (REQ, DEALER, ROUTER). At most 255 bytes, not starting with 0. */
  routingId?: string | Uint8Array;
  /** send() fails with EAGAIN after this long; -1 = wait forever. Default -1. */
  sendTimeout?: number;
  /** receive() fails with EAGAIN after this long; -1 = wait forever. Default -1. */
  receiveTimeout?: number;
  /**
   * Send only to peers through their handshake (libzmq's `ZMQ_IMMEDIATE`).
   * Off (libzmq's default), a connect()ed endpoint of a PUSH, DEALER or REQ
   * is a peer from connect() on: what round robin gives it waits (up to
   * sendHighWaterMark) until a connection to it is through its handshake,
   * so a REQ whose server is down or refuses its key times out in
   * receive(), as with libzmq. The cost: round robin also queues to an
   * endpoint that is down. On, send() waits (up to sendTimeout) for a peer
   * that is through its handshake, and only such peers get messages.
   * Applies to later connect() calls. Default false.
   */
  immediate?: boolean;
  /**
   * Be the CURVE server (RFC 25/26) of the connections (needs
   * curveSecretKey): clients must know its public key. Default false.
   */
  curveServer?: boolean;
  /**
   * This socket's long-term CURVE public key: Z85 (40 characters) or 32
   * bytes; reads back as Z85. A client may leave it out: it is derived from
   * curveSecretKey.
   */
  curvePublicKey?: string | Uint8Array | null;
  /** This socket's long-term CURVE secret key: Z85 or 32 bytes; reads back as Z85. */
  curveSecretKey?: string | Uint8Array | null;
  /**
   * The server's public key: setting it makes this socket a CURVE client
   * (with curveSecretKey, or a key pair of its own for this socket when
   * none is given). Z85 or 32 bytes; reads back as Z85.
   */
  curveServerKey?: string | Uint8Array | null;
  /** Be the PLAIN server (RFC 24): an Authenticator (ZAP) checks the passwords. Default false. */
  plainServer?: boolean;
  /** Setting it makes this socket a PLAIN client with this user name (at most 255 bytes). */
  plainUsername?: string | null;
  /** The PLAIN client's password (at most 255 bytes). */
  plainPassword?: string | null;
  /**
   * The ZAP domain (RFC 27) a server's authentication requests name; for
   * NULL, setting one makes the binding side ask the ZAP handler (IP allow
   * and deny lists). At most 255 bytes. Default "".
   */
  zapDomain?: string;
}

/**
 * The security options alone (CURVE, PLAIN, ZAP domain), as the layers above
 * the sockets (task servers and clients, pipeline roles) take them and hand
 * them to every socket they make.
 *
 * @example
 * ```ts
 * import type { SecurityOptions } from "./options.ts";
 * const client: SecurityOptions = { curveServerKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" };
 * ```
 */
export type SecurityOptions = Pick<
  SocketOptions,
  | "curveServer"
  | "curvePublicKey"
  | "curveSecretKey"
  | "curveServerKey"
  | "plainServer"
  | "plainUsername"
  | "plainPassword"
  | "zapDomain"
>;

/**
 * How one option is checked and what it defaults to.
 *
 * @example
 * ```ts
 * import type { OptionSpec } from "./options.ts";
 * const linger: OptionSpec = { kind: "integer", default: -1, min: -1 };
 * const relaxed: OptionSpec = { kind: "boolean", default: false };
 * ```
 */
export type OptionSpec =
  | { kind: "integer"; default: number; min: number }
  | { kind: "boolean"; default: boolean }
  | { kind: "text"; default: string | null }
  | { kind: "curveKey" }
  | { kind: "routingId" };

/**
 * Option name → spec, for one socket type or for all of them.
 *
 * @example
 * ```ts
 * import type { OptionTable } from "./options.ts";
 * const table: OptionTable = { verbose: { kind: "boolean", default: false } };
 * ```
 */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

const integer = (defaultValue: number, min: number): OptionSpec => ({
  kind: "integer",
  default: defaultValue,
  min,
});

/**
 * The options every socket has. Lower bounds: -1 where -1 means "no limit"
 * or "default", 0 for counts and intervals.
 *
 * @example
 * ```ts
 * import { SOCKET_OPTIONS } from "./options.ts";
 * SOCKET_OPTIONS.sendHighWaterMark; // { kind: "integer", default: 1000, min: 0 }
 * ```
 */
export const SOCKET_OPTIONS = {
  sendHighWaterMark: integer(1000, 0),
  receiveHighWaterMark: integer(1000, 0),
  linger: integer(-1, -1),
  reconnectInterval: integer(100, 0),
  reconnectMaxInterval: integer(0, 0),
  heartbeatInterval: integer(0, 0),
  heartbeatTimeout: integer(-1, -1),
  heartbeatTimeToLive: integer(0, 0),
  handshakeTimeout: integer(30000, 0),
  maxHandshakes: integer(0, 0),
  maxHandshakesPerAddress: integer(0, 0),
  connectTimeout: integer(0, 0),
  maxMessageSize: integer(-1, -1),
  sendTimeout: integer(-1, -1),
  receiveTimeout: integer(-1, -1),
  immediate: { kind: "boolean", default: false },
  routingId: { kind: "routingId" },
  curveServer: { kind: "boolean", default: false },
  curvePublicKey: { kind: "curveKey" },
  curveSecretKey: { kind: "curveKey" },
  curveServerKey: { kind: "curveKey" },
  plainServer: { kind: "boolean", default: false },
  plainUsername: { kind: "text", default: null },
  plainPassword: { kind: "text", default: null },
  zapDomain: { kind: "text", default: "" },
} as const satisfies OptionTable;

/**
 * The option names that hold CURVE keys (given as Z85 or bytes, read back
 * as Z85).
 *
 * @example
 * ```ts
 * import type { CurveKeyOption } from "./options.ts";
 * const name: CurveKeyOption = "curveServerKey";
 * ```
 */
export type CurveKeyOption = "curvePublicKey" | "curveSecretKey" | "curveServerKey";

/**
 * The resolved values of the options in {@link SOCKET_OPTIONS}, as the
 * engine reads them.
 *
 * @example
 * ```ts
 * import type { SocketSettings } from "./options.ts";
 * const hwm = (s: SocketSettings) => s.sendHighWaterMark;
 * ```
 */
export type SocketSettings =
  & Required<Omit<SocketOptions, "routingId" | CurveKeyOption | "plainUsername" | "plainPassword">>
  & {
    routingId: Uint8Array | null;
    curvePublicKey: string | null;
    curveSecretKey: string | null;
    curveServerKey: string | null;
    plainUsername: string | null;
    plainPassword: string | null;
  };

/**
 * Checks one value against its spec; the error names the option.
 *
 * @example
 * ```ts
 * import { checkOption, SOCKET_OPTIONS } from "./options.ts";
 * checkOption("linger", SOCKET_OPTIONS.linger, 100); // 100
 * ```
 */
export function checkOption(name: string, spec: OptionSpec, value: unknown): unknown {
  switch (spec.kind) {
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min) {
        throw new ZmqError(
          "EINVAL",
          `option ${name} must be an integer >= ${spec.min}, got ${JSON.stringify(value)}`,
        );
      }
      return value;
    case "boolean":
      if (typeof value !== "boolean") {
        throw new ZmqError(
          "EINVAL",
          `option ${name} must be true or false, got ${JSON.stringify(value)}`,
        );
      }
      return value;
    case "text":
      if (value === null && spec.default === null) return null;
      if (typeof value !== "string" || new TextEncoder().encode(value).length > 255) {
        throw new ZmqError(
          "EINVAL",
          `option ${name} must be a string of at most 255 bytes, got ${describeValue(value)}`,
        );
      }
      return value;
    case "curveKey":
      return value === null ? null : toCurveKey(name, value);
    case "routingId":
      return value === null ? null : toRoutingId(value as string | Uint8Array);
  }
}

function describeValue(value: unknown): string {
  return value instanceof Uint8Array ? `${value.length} bytes` : JSON.stringify(value);
}

/**
 * Normalises a CURVE key given as Z85 text (40 characters) or 32 bytes to
 * Z85; anything else is EINVAL naming the option.
 *
 * @example
 * ```ts
 * import { toCurveKey } from "./options.ts";
 * toCurveKey("curveServerKey", new Uint8Array(32)); // "0000000000000000000000000000000000000000"
 * ```
 */
export function toCurveKey(name: string, value: unknown): string {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) {
      throw new ZmqError("EINVAL", `option ${name} must be 32 bytes, got ${value.length}`);
    }
    return z85Encode(value);
  }
  if (typeof value !== "string") {
    throw new ZmqError(
      "EINVAL",
      `option ${name} must be a Z85 string or 32 bytes, got ${describeValue(value)}`,
    );
  }
  if (value.length !== 40) {
    throw new ZmqError(
      "EINVAL",
      `option ${name} must be 40 Z85 characters (a 32-byte key), got ${value.length}`,
    );
  }
  try {
    z85Decode(value);
  } catch (error) {
    throw new ZmqError("EINVAL", `option ${name}: ${(error as Error).message}`);
  }
  return value;
}

/**
 * Normalises a routing id to bytes, enforcing libzmq's rules.
 *
 * @example
 * ```ts
 * import { toRoutingId } from "./options.ts";
 * toRoutingId("worker-1").length; // 8
 * ```
 */
export function toRoutingId(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > 255) {
    throw new ZmqError("EINVAL", "option routingId must be 1..255 bytes");
  }
  if (bytes[0] === 0) {
    throw new ZmqError("EINVAL", "option routingId must not start with a zero byte (reserved)");
  }
  return bytes;
}

/**
 * Builds a socket's option values: every default from `table`, then the
 * given `options`, each checked. An option not in the table is EINVAL.
 *
 * @example
 * ```ts
 * import { resolveOptions, SOCKET_OPTIONS } from "./options.ts";
 * const values = resolveOptions(SOCKET_OPTIONS, { linger: 0 }, "PUSH");
 * values.linger; // 0
 * ```
 */
export function resolveOptions(
  table: OptionTable,
  options: object,
  socketType: string,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    values[name] = "default" in spec ? spec.default : null;
  }
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const spec = table[name];
    if (spec === undefined) {
      throw new ZmqError("EINVAL", `unknown option '${name}' for a ${socketType} socket`);
    }
    values[name] = checkOption(name, spec, value);
  }
  return values;
}
