/**
 * Socket monitor events: what happened to which peer or endpoint, and why.
 *
 * @module
 */

/**
 * The kinds of event a socket reports.
 *
 * @example
 * ```ts
 * import type { SocketEventType } from "./events.ts";
 * const t: SocketEventType = "handshake";
 * ```
 */
export type SocketEventType =
  | "bind"
  | "unbind"
  | "accept"
  | "accept:error"
  | "connect"
  | "connect:retry"
  | "handshake"
  | "handshake:error"
  | "disconnect"
  | "protocol:error"
  | "close";

/**
 * One monitor event.
 *
 * @example
 * ```ts
 * import type { SocketEvent } from "./events.ts";
 * const e: SocketEvent = { type: "disconnect", address: "tcp://127.0.0.1:5555", reason: "peer closed" };
 * ```
 */
export interface SocketEvent {
  /** What happened. */
  type: SocketEventType;
  /** The endpoint bound/connected, or the peer address. */
  address: string;
  /** Human-readable cause for errors and disconnects. */
  reason?: string;
  /** The underlying error, when there is one. */
  error?: Error;
}

/**
 * Listener registry for a socket's events.
 *
 * @example
 * ```ts
 * import { Pull } from "../../mod.ts";
 * const pull = new Pull();
 * const off = pull.events.on("accept", (e) => console.log("peer", e.address));
 * off();
 * pull.close();
 * ```
 */
export class SocketEvents {
  readonly #listeners = new Map<SocketEventType | "*", Set<(event: SocketEvent) => void>>();

  /** Calls `listener` for every event of `type` ("*" for all); returns an unsubscribe function. */
  on(type: SocketEventType | "*", listener: (event: SocketEvent) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolves with the next event of `type`. */
  once(type: SocketEventType): Promise<SocketEvent> {
    return new Promise((resolve) => {
      const off = this.on(type, (event) => {
        off();
        resolve(event);
      });
    });
  }

  /** Delivers an event; a throwing listener never breaks the socket. */
  emit(event: SocketEvent): void {
    for (const key of [event.type, "*"] as const) {
      const set = this.#listeners.get(key);
      if (!set) continue;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch { /* listeners must not break the socket */ }
      }
    }
  }
}
