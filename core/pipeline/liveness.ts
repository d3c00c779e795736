/**
 * Liveness of the peers a binding role serves — the distributor's workers
 * and collector, the broker's service workers: who is registered, when each
 * was last heard from, and which went silent for longer than the heartbeat
 * timeout. One registry serves every such role, so "silent" means the same
 * everywhere.
 *
 * @example
 * ```ts
 * import { LivenessRegistry, type LivePeer } from "./liveness.ts";
 * const workers = new LivenessRegistry<LivePeer & { name: string }>(3000);
 * workers.add({ key: "0a", peer: new Uint8Array([10]), lastSeen: 0, name: "w1" });
 * workers.sweep(
 *   (w, silentMs) => console.log(`${w.name} silent for ${silentMs} ms`),
 *   (w) => console.log(`heartbeat to ${w.name}`),
 * );
 * ```
 * @module
 */

/**
 * What the registry needs of a peer: its routing id, that id as a map key,
 * and when it was last heard from (`performance.now()`).
 *
 * @example
 * ```ts
 * import type { LivePeer } from "./liveness.ts";
 * const p: LivePeer = { key: "0a", peer: new Uint8Array([10]), lastSeen: performance.now() };
 * ```
 */
export interface LivePeer {
  /** The routing id as a map key. */
  readonly key: string;
  /** The routing id. */
  readonly peer: Uint8Array;
  /** When the peer was last heard from (`performance.now()`). */
  lastSeen: number;
}

/**
 * Registered peers by routing key, with their last-heard times.
 *
 * @example
 * ```ts
 * import { LivenessRegistry } from "./liveness.ts";
 * const peers = new LivenessRegistry(1000);
 * peers.add({ key: "01", peer: new Uint8Array([1]), lastSeen: 0 });
 * peers.touch("01"); // heard from it just now
 * ```
 */
export class LivenessRegistry<P extends LivePeer = LivePeer> {
  /** A peer silent this long is dead (ms). */
  readonly timeoutMs: number;
  readonly #peers = new Map<string, P>();
  #lastSweep = performance.now();

  /** An empty registry; peers silent for `timeoutMs` are reported by {@link sweep}. */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Registered peers. */
  get size(): number {
    return this.#peers.size;
  }

  /** The peer registered under `key`. */
  get(key: string): P | undefined {
    return this.#peers.get(key);
  }

  /** Registers `peer` (replacing any under its key), heard from now. */
  add(peer: P): void {
    peer.lastSeen = performance.now();
    this.#peers.set(peer.key, peer);
  }

  /** Removes `peer` if it is the one registered under its key; true if it was. */
  remove(peer: P): boolean {
    if (this.#peers.get(peer.key) !== peer) return false;
    this.#peers.delete(peer.key);
    return true;
  }

  /** Notes that the peer under `key` was heard from; returns it, if registered. */
  touch(key: string): P | undefined {
    const peer = this.#peers.get(key);
    if (peer !== undefined) peer.lastSeen = performance.now();
    return peer;
  }

  /** The registered peers (a snapshot: callers may add or remove while iterating). */
  values(): P[] {
    return [...this.#peers.values()];
  }

  /** Iterates the registered peers without copying; do not add or remove meanwhile. */
  [Symbol.iterator](): IterableIterator<P> {
    return this.#peers.values();
  }

  /**
   * Removes every peer silent for longer than the timeout and calls
   * `onSilent` for it, then `onAlive` for each remaining one (to send it a
   * heartbeat). Run it every heartbeat interval.
   *
   * A sweep that comes more than the timeout after the previous one means
   * this process was stalled (stopped, blocked, starved): the peers'
   * heartbeats are then waiting unread in the sockets, so their silence is
   * ours, and everyone starts afresh instead of being given up.
   */
  sweep(onSilent: (peer: P, silentMs: number) => void, onAlive: (peer: P) => void): void {
    const now = performance.now();
    const stalled = now - this.#lastSweep > this.timeoutMs;
    this.#lastSweep = now;
    for (const peer of this.values()) {
      if (stalled) peer.lastSeen = now;
      const silentMs = now - peer.lastSeen;
      if (silentMs > this.timeoutMs) {
        this.#peers.delete(peer.key);
        onSilent(peer, Math.round(silentMs));
        continue;
      }
      onAlive(peer);
    }
  }
}

/**
 * The connecting side's view of the role it registers with (a distributor,
 * a broker): how long that role has been silent, and whether a RESET from
 * it is news.
 *
 * Time this process itself spent stalled — stopped with SIGSTOP, or a
 * handler blocking the thread — does not count as silence: the peer's
 * heartbeats are then waiting unread in the socket, so a late check starts
 * the silence afresh instead of declaring the peer gone.
 *
 * A RESET ("I do not know you") answers something sent earlier. Until the
 * first other message after a registration arrives, a RESET answers a
 * message sent before that registration, which is already on its way:
 * registering again would make the peer drop what it has just handed out.
 * RESETs never count as hearing from the peer, so one that only ever says
 * RESET is silent, and gets a new registration after the timeout.
 *
 * @example
 * ```ts
 * import { SilenceWatch } from "./liveness.ts";
 * const broker = new SilenceWatch(3000);
 * broker.registered(); // when sending READY
 * broker.heard(); // on every message from it but RESET
 * if (!broker.resetIsStale()) console.log("RESET: register again");
 * if (broker.registrationDue()) console.log("silent: register again");
 * ```
 */
export class SilenceWatch {
  /** Silence longer than this means the peer is gone or forgot us (ms). */
  readonly timeoutMs: number;
  #lastHeard = performance.now();
  #lastCheck = performance.now();
  #registeredAt = performance.now();
  #sinceRegistration = false;

  /** Starts watching now; `timeoutMs` is also the longest gap between checks that is not a stall. */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** A registration was just sent. */
  registered(): void {
    this.#registeredAt = performance.now();
    this.#sinceRegistration = false;
  }

  /** The peer was just heard from (any message but RESET). */
  heard(): void {
    this.#lastHeard = performance.now();
    this.#sinceRegistration = true;
  }

  /** When the peer was last heard from (`performance.now()`). */
  get lastHeard(): number {
    return this.#lastHeard;
  }

  /** True when a RESET arriving now answers a message sent before the last registration. */
  resetIsStale(): boolean {
    return !this.#sinceRegistration;
  }

  /**
   * True when the peer has been silent for the timeout and the last
   * registration is that old too: time to register again (one per timeout,
   * however long the silence). Checks like {@link silentMs}.
   */
  registrationDue(): boolean {
    const silent = this.silentMs();
    return silent > this.timeoutMs && performance.now() - this.#registeredAt > this.timeoutMs;
  }

  /**
   * How long the peer has been silent (ms). Call it periodically; a call
   * that comes more than `timeoutMs` after the previous one means this
   * process was stalled, and the silence restarts from now.
   */
  silentMs(): number {
    const now = performance.now();
    if (now - this.#lastCheck > this.timeoutMs) this.#lastHeard = now;
    this.#lastCheck = now;
    return now - this.#lastHeard;
  }
}
