/**
 * What a socket counts of its traffic, and how an observer learns of every
 * socket made in this isolate (a robot component's Worker watches its own
 * sockets this way, to report them to the supervisor).
 *
 * The counters are plain fields bumped on paths that already do far more
 * work: bytes once per read or write of the transport (a batch of messages),
 * messages once per message handed to or taken from a peer. Nothing is
 * timed, allocated or looked up; readers sample them.
 *
 * @example
 * ```ts
 * import { Pull, Push } from "../../mod.ts";
 * import { observeNewSockets } from "./traffic.ts";
 * const seen: string[] = [];
 * const stop = observeNewSockets((socket) => seen.push(socket.type));
 * const pull = new Pull();
 * await pull.bind("inproc://traffic-example");
 * const push = new Push();
 * push.connect("inproc://traffic-example");
 * await push.send("hello");
 * await pull.receive();
 * console.log(seen, push.traffic.messagesSent, pull.traffic.messagesReceived); // ["PULL", "PUSH"] 1 1
 * stop();
 * push.close(); pull.close();
 * ```
 * @module
 */
import type { Socket } from "./socket.ts";

/**
 * One socket's counters since it was made. Messages are counted per peer:
 * a PUB's message to three subscribers is three messages sent (as its
 * `droppedMessages` counts each subscriber that missed one). Bytes are
 * those of the transport, ZMTP framing, commands and heartbeats included.
 *
 * @example
 * ```ts
 * import { SocketTraffic } from "./traffic.ts";
 * const traffic = new SocketTraffic();
 * traffic.messagesSent++;
 * console.log(traffic.messagesSent); // 1
 * ```
 */
export class SocketTraffic {
  /** Messages written to peers (queued on their connections). */
  messagesSent = 0;
  /** Messages received from peers and queued for the application. */
  messagesReceived = 0;
  /** Bytes written to the transport. */
  bytesSent = 0;
  /** Bytes read from the transport. */
  bytesReceived = 0;
}

/**
 * Counters for connections that belong to no socket (the ZAP client's):
 * counted into and never read, so the hot paths need no branch.
 *
 * @example
 * ```ts
 * import { UNCOUNTED_TRAFFIC } from "./traffic.ts";
 * UNCOUNTED_TRAFFIC.bytesSent += 10; // harmless
 * ```
 */
export const UNCOUNTED_TRAFFIC: SocketTraffic = new SocketTraffic();

/**
 * Called with each socket made while the observer is installed, from the
 * socket base's constructor (before the socket type's own fields are set:
 * keep the socket, read it later).
 *
 * @example
 * ```ts
 * import type { SocketObserver } from "./traffic.ts";
 * const observer: SocketObserver = (socket) => console.log(socket.type);
 * ```
 */
export type SocketObserver = (socket: Socket) => void;

const observers = new Set<SocketObserver>();

/**
 * Installs `observer` for every socket made from now on in this isolate;
 * returns the function that removes it.
 *
 * @example
 * ```ts
 * import { observeNewSockets } from "./traffic.ts";
 * const stop = observeNewSockets((socket) => console.log("new", socket.type));
 * stop();
 * ```
 */
export function observeNewSockets(observer: SocketObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/**
 * Tells the observers of a new socket (the socket base calls it). An
 * observer that throws never stops a socket from being made.
 *
 * @example
 * ```ts
 * import { announceSocket } from "./traffic.ts";
 * import type { Socket } from "./socket.ts";
 * declare const socket: Socket;
 * announceSocket(socket);
 * ```
 */
export function announceSocket(socket: Socket): void {
  for (const observer of observers) {
    try {
      observer(socket);
    } catch { /* an observer must not break the socket */ }
  }
}
