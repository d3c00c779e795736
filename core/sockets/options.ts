/**
 * Socket options, their defaults (libzmq's, unless noted) and validation.
 *
 * @module
 */
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
  /** Send a ZMTP PING this often; 0 = no heartbeats. Default 0. */
  heartbeatInterval?: number;
  /** Close a connection that sent nothing for this long; default = heartbeatInterval. */
  heartbeatTimeout?: number;
  /** TTL we ask the peer to apply to us (sent in PING); 0 = none. Default 0. */
  heartbeatTimeToLive?: number;
  /** Close a connection whose ZMTP handshake is not done by then; 0 = never. Default 30000. */
  handshakeTimeout?: number;
  /** Largest message accepted from a peer; a larger one closes that connection. -1 = no limit. */
  maxMessageSize?: number;
  /** Identity sent to ROUTER peers (REQ, DEALER, ROUTER). At most 255 bytes, not starting with 0. */
  routingId?: string | Uint8Array;
  /** send() fails with EAGAIN after this long; -1 = wait forever. Default -1. */
  sendTimeout?: number;
  /** receive() fails with EAGAIN after this long; -1 = wait forever. Default -1. */
  receiveTimeout?: number;
}

/**
 * The defaults applied to every socket.
 *
 * @example
 * ```ts
 * import { DEFAULT_OPTIONS } from "./options.ts";
 * DEFAULT_OPTIONS.sendHighWaterMark; // 1000
 * ```
 */
export const DEFAULT_OPTIONS: Required<Omit<SocketOptions, "routingId">> = {
  sendHighWaterMark: 1000,
  receiveHighWaterMark: 1000,
  linger: -1,
  reconnectInterval: 100,
  reconnectMaxInterval: 0,
  heartbeatInterval: 0,
  heartbeatTimeout: -1,
  heartbeatTimeToLive: 0,
  handshakeTimeout: 30000,
  maxMessageSize: -1,
  sendTimeout: -1,
  receiveTimeout: -1,
};

/**
 * Checks a numeric option, naming it in the error.
 *
 * @example
 * ```ts
 * import { checkNumberOption } from "./options.ts";
 * checkNumberOption("linger", 100, -1); // ok
 * ```
 */
export function checkNumberOption(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ZmqError(
      "EINVAL",
      `option ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
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
