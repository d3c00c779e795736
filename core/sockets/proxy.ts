import { ZmqError } from "./errors.ts";
import type { Socket } from "./socket.ts";

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
 * Forwards messages between two sockets in each direction they support
 * (ROUTER↔DEALER broker, XSUB↔XPUB forwarder, PULL→PUSH streamer),
 * optionally copying every message to `capture`. Resolves when either
 * socket is closed.
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
  const pumps: Promise<void>[] = [];
  if (CAN_RECEIVE.has(frontend.type) && CAN_SEND.has(backend.type)) {
    pumps.push(pump(frontend, backend, capture));
  }
  if (CAN_RECEIVE.has(backend.type) && CAN_SEND.has(frontend.type)) {
    pumps.push(pump(backend, frontend, capture));
  }
  if (pumps.length === 0) {
    throw new ZmqError("EINVAL", `cannot proxy between ${frontend.type} and ${backend.type}`);
  }
  await Promise.race(pumps);
}

async function pump(from: Socket, to: Socket, capture?: Socket): Promise<void> {
  try {
    for await (const frames of from) {
      if (capture && !capture.closed) await capture.send(frames).catch(() => {});
      await to.send(frames);
    }
  } catch (error) {
    if (error instanceof ZmqError && error.code === "ETERM") return;
    throw error;
  }
}
