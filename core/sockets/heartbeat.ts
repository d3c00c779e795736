/**
 * ZMTP 3.1 heartbeats for one connection (RFC 37, "Connection
 * Heartbeating"): our PINGs on a timer, the timeout that runs from a PING
 * until anything arrives, and the TTL the peer asked for in its own PINGs.
 *
 * @module
 */
import { encodePing } from "../zmtp/mod.ts";

type Timer = ReturnType<typeof setTimeout>;

/**
 * The heartbeat settings of a connection, in milliseconds.
 *
 * @example
 * ```ts
 * import type { HeartbeatSettings } from "./heartbeat.ts";
 * const s: HeartbeatSettings = { heartbeatInterval: 1000, heartbeatTimeout: -1, heartbeatTimeToLive: 0 };
 * ```
 */
export interface HeartbeatSettings {
  /** Send a PING this often; 0 = no PINGs of our own. */
  heartbeatInterval: number;
  /** Close when nothing arrives this long after a PING; -1 = heartbeatInterval. */
  heartbeatTimeout: number;
  /** The TTL asked of the peer in our PINGs; 0 = none. */
  heartbeatTimeToLive: number;
}

/**
 * What a {@link Heartbeat} does to its connection.
 *
 * @example
 * ```ts
 * import type { HeartbeatActions } from "./heartbeat.ts";
 * const actions: HeartbeatActions = { ping: () => {}, expire: (why) => console.log(why) };
 * ```
 */
export interface HeartbeatActions {
  /** Send this PING command body. */
  ping(data: Uint8Array): void;
  /** The peer is presumed dead; close with this reason. */
  expire(reason: string): void;
}

/**
 * Heartbeat timers of one connection. Timers exist only while they matter:
 * none at all on a connection without heartbeats.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "./heartbeat.ts";
 * const beat = new Heartbeat(
 *   { heartbeatInterval: 0, heartbeatTimeout: -1, heartbeatTimeToLive: 0 },
 *   { ping: () => {}, expire: () => {} },
 * );
 * beat.peerPinged(3000); // the peer asked us to drop it after 3 s of silence
 * beat.traffic(); // bytes arrived: the countdown restarts
 * beat.stop();
 * ```
 */
export class Heartbeat {
  readonly #settings: HeartbeatSettings;
  readonly #actions: HeartbeatActions;
  #interval: ReturnType<typeof setInterval> | undefined;
  #pongTimer: Timer | undefined;
  #ttlTimer: Timer | undefined;
  #peerTtl = 0;

  /** Creates the timers' owner; nothing runs until {@link start} or {@link peerPinged}. */
  constructor(settings: HeartbeatSettings, actions: HeartbeatActions) {
    this.#settings = settings;
    this.#actions = actions;
  }

  /** Starts our PINGs (after the handshake), if the settings ask for them. */
  start(): void {
    const { heartbeatInterval, heartbeatTimeout, heartbeatTimeToLive } = this.#settings;
    if (heartbeatInterval <= 0 || this.#interval !== undefined) return;
    const timeout = heartbeatTimeout > 0 ? heartbeatTimeout : heartbeatInterval;
    const ping = encodePing(heartbeatTimeToLive, new Uint8Array(0));
    this.#interval = setInterval(() => {
      this.#actions.ping(ping);
      // As libzmq: the timeout runs from a PING until anything at all arrives.
      this.#pongTimer ??= setTimeout(
        () => this.#actions.expire(`no traffic within heartbeat timeout of ${timeout} ms`),
        timeout,
      );
    }, heartbeatInterval);
  }

  /** Bytes arrived from the peer: it is alive. */
  traffic(): void {
    if (this.#pongTimer !== undefined) {
      clearTimeout(this.#pongTimer);
      this.#pongTimer = undefined;
    }
    // As libzmq: any traffic, not only PINGs, proves the peer alive.
    if (this.#ttlTimer !== undefined) this.#armTtl();
  }

  /** The peer sent a PING asking to be dropped after `ttlMs` of silence (0 = no TTL). */
  peerPinged(ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#peerTtl = ttlMs;
    this.#armTtl();
  }

  /** Clears every timer. */
  stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#pongTimer);
    clearTimeout(this.#ttlTimer);
    this.#interval = this.#pongTimer = this.#ttlTimer = undefined;
  }

  #armTtl(): void {
    clearTimeout(this.#ttlTimer);
    const ttl = this.#peerTtl;
    this.#ttlTimer = setTimeout(
      () => this.#actions.expire(`peer silent past its heartbeat TTL of ${ttl} ms`),
      ttl,
    );
  }
}
