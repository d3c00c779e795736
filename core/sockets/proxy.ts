import { getLogger } from "@logtape/logtape";
import { ZmqError } from "./errors.ts";
import type { Socket } from "./socket.ts";

const logger = getLogger(["zedge", "socket"]);

const CAN_RECEIVE = new Set([
  "REQ",
  "REP",
  "DEALER",
  "ROUTER",
  "SUB",
  "XSUB",
  "XPUB",
  "PULL",
  "PAIR",
]);
const CAN_SEND = new Set(["REQ", "REP", "DEALER", "ROUTER", "PUB", "XPUB", "XSUB", "PUSH", "PAIR"]);

/**
 * Send failures that concern one message only: it is malformed for the
 * other side (a one-frame message for a ROUTER, which needs a routing id and
 * a body) or its peer is gone (a mandatory ROUTER). libzmq's proxy drops
 * those and carries on; so does this one.
 */
const DROPPED = new Set(["EINVAL", "EHOSTUNREACH"]);

/**
 * Forwards messages between two sockets in each direction they support
 * (ROUTER↔DEALER broker, XSUB↔XPUB forwarder, PULL→PUSH streamer),
 * optionally copying every message to `capture`. A message the other side
 * cannot take (malformed for it, or unroutable) is dropped, as libzmq does.
 * Resolves when either socket is closed; rejects on any other send failure
 * (a sendTimeout that expired, ...), after which both directions stop.
 *
 * @example
 * ```ts
 * import { Dealer, proxy, Router } from "../../mod.ts";
 * const frontend = new Router();
 * const backend = new Dealer();
 * await frontend.bind("tcp://127.0.0.1:0");
 * await backend.bind("tcp://127.0.0.1:0");
 * const running = proxy(frontend, backend);
 * frontend.close(); backend.close();
 * await running;
 * ```
 */
export async function proxy(frontend: Socket, backend: Socket, capture?: Socket): Promise<void> {
  const state = { stopped: false };
  const pumps: Promise<void>[] = [];
  if (CAN_RECEIVE.has(frontend.type) && CAN_SEND.has(backend.type)) {
    pumps.push(pump(frontend, backend, state, capture));
  }
  if (CAN_RECEIVE.has(backend.type) && CAN_SEND.has(frontend.type)) {
    pumps.push(pump(backend, frontend, state, capture));
  }
  if (pumps.length === 0) {
    throw new ZmqError("EINVAL", `cannot proxy between ${frontend.type} and ${backend.type}`);
  }
  // The first pump to end decides, and the other stops at its next message
  // (as libzmq's zmq_proxy returns): a failed proxy forwards nothing more.
  try {
    await Promise.race(pumps);
  } finally {
    state.stopped = true;
  }
}

async function pump(
  from: Socket,
  to: Socket,
  state: { stopped: boolean },
  capture?: Socket,
): Promise<void> {
  try {
    for await (const frames of from) {
      if (state.stopped) return;
      if (capture && !capture.closed) await capture.send(frames).catch(() => {});
      try {
        await to.send(frames);
      } catch (error) {
        if (!(error instanceof ZmqError && DROPPED.has(error.code))) throw error;
        logger.debug("proxy dropped a message {from} -> {to}: {error}", {
          from: from.type,
          to: to.type,
          error: error.message,
        });
      }
    }
  } catch (error) {
    if (error instanceof ZmqError && error.code === "ETERM") return;
    throw error;
  }
}
