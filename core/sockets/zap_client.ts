/**
 * The server side of ZAP (RFC 27): a connection whose mechanism wants its
 * peer checked sends one request to the ZAP handler bound at
 * `inproc://zeromq.zap.01` in this isolate (libzmq's: in this context) and
 * waits for the reply. Each request has a connection of its own, as each
 * libzmq session has its pipe: no multiplexing, nothing shared to wedge.
 *
 * With no handler bound the verdict is `none`, and the mechanism decides
 * (libzmq's rules: NULL and CURVE go on, PLAIN refuses).
 *
 * @module
 */
import { dialInproc } from "../transport/inproc.ts";
import { NULL_MECHANISM, type ZapVerdict } from "../zmtp/mod.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";

/** The inproc name a ZAP handler binds (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
const ZAP_NAME = ZAP_ENDPOINT.slice("inproc://".length);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One authentication request: the mechanism's credentials, and what the
 * connection knows about its peer.
 *
 * @example
 * ```ts
 * import type { ZapRequest } from "./zap_client.ts";
 * const request: ZapRequest = {
 *   domain: "robots",
 *   address: "192.168.1.20",
 *   identity: new Uint8Array(0),
 *   mechanism: "NULL",
 *   credentials: [],
 * };
 * ```
 */
export interface ZapRequest {
  /** The mechanism's name (NULL, PLAIN, CURVE). */
  mechanism: string;
  /** Its credentials: none, username and password, or the client's public key. */
  credentials: Uint8Array[];
  /** The server socket's zapDomain. */
  domain: string;
  /** The peer's IP address (empty for ipc and inproc peers). */
  address: string;
  /** The server socket's routing id, as libzmq sends it (empty when none). */
  identity: Uint8Array;
}

/**
 * The address a ZAP request names for a peer: its IP for tcp (without port
 * or brackets), empty otherwise.
 *
 * @example
 * ```ts
 * import { zapAddressOf } from "./zap_client.ts";
 * zapAddressOf("tcp://192.168.1.20:51234"); // "192.168.1.20"
 * zapAddressOf("tcp://[::1]:51234"); // "::1"
 * ```
 */
export function zapAddressOf(peer: string): string {
  const match = /^tcp:\/\/(?:\[([^\]]+)\]|([^:]+)):\d+$/.exec(peer);
  return match === null ? "" : (match[1] ?? match[2]);
}

let nextRequestId = 1;

/**
 * Sends `request` to the ZAP handler of this isolate and resolves its
 * verdict: `none` when no handler is bound, a 500 when the handler closes,
 * answers garbage or stays silent for `timeoutMs`.
 *
 * @example
 * ```ts
 * import { requestZap } from "./zap_client.ts";
 * const verdict = await requestZap({
 *   domain: "", address: "127.0.0.1", identity: new Uint8Array(0), mechanism: "NULL", credentials: [],
 * }, 1000);
 * verdict.status; // "none" while no handler is bound
 * ```
 */
export function requestZap(request: ZapRequest, timeoutMs: number): Promise<ZapVerdict> {
  let stream;
  try {
    stream = dialInproc(ZAP_NAME);
  } catch {
    return Promise.resolve({ status: "none" });
  }
  const id = encoder.encode(String(nextRequestId++));
  const frames = [
    new Uint8Array(0),
    encoder.encode("1.0"),
    id,
    encoder.encode(request.domain),
    encoder.encode(request.address),
    request.identity,
    encoder.encode(request.mechanism),
    ...request.credentials,
  ];
  const { promise, resolve } = Promise.withResolvers<ZapVerdict>();
  const failed = (text: string): ZapVerdict => ({ status: "500", text, userId: "" });
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settle = (verdict: ZapVerdict, conn: Connection) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    resolve(verdict);
    conn.close("ZAP request answered");
  };
  const owner: ConnectionOwner = {
    type: "DEALER",
    identity: null,
    settings: {
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      heartbeatInterval: 0,
      heartbeatTimeout: -1,
      heartbeatTimeToLive: 0,
      handshakeTimeout: 0,
      maxMessageSize: 64 * 1024,
    },
    mechanism: NULL_MECHANISM,
    authenticate: () => Promise.resolve({ status: "none" }),
    connectionReady: (conn) => {
      conn.send(frames);
      return undefined;
    },
    connectionMessage: (conn, reply) =>
      settle(parseReply(reply, id) ?? failed("malformed ZAP reply"), conn),
    connectionSubscription: () => {},
    connectionWritable: () => {},
    connectionClosed: (conn, reason) =>
      settle(failed(`the ZAP handler went away: ${reason}`), conn),
    connectionFailed: (conn, _type, reason) =>
      settle(failed(`the ZAP handler failed: ${reason}`), conn),
  };
  const conn = new Connection(owner, stream, ZAP_ENDPOINT, true);
  if (!settled) {
    timer = setTimeout(
      () => settle(failed(`the ZAP handler did not answer within ${timeoutMs} ms`), conn),
      timeoutMs,
    );
  }
  return promise;
}

const STATUSES = new Set(["200", "300", "400", "500"]);

/** The seven reply frames (RFC 27) with our request id, or null for anything else. */
function parseReply(frames: Uint8Array[], id: Uint8Array): ZapVerdict | null {
  if (frames.length !== 7 || frames[0].length !== 0) return null;
  const [, version, requestId, status, text, userId] = frames.map((f) => decoder.decode(f));
  if (version !== "1.0" || requestId !== decoder.decode(id) || !STATUSES.has(status)) return null;
  return { status: status as "200" | "300" | "400" | "500", text, userId };
}
