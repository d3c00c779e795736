/**
 * Client side of zedge's state-change channel: a SUB socket on the server's
 * events endpoint, filtered to one scope, dispatching each
 * {@link TaskEvent} to whoever waits on that task id. It knows whether it is
 * connected, so a waiting client can poll when it is not.
 *
 * @example
 * ```ts
 * import { TaskEventListener } from "./event_listener.ts";
 * const events = new TaskEventListener({ endpoint: "tcp://127.0.0.1:7780", scope: "/test" });
 * const off = events.on(3, (event) => console.log(event.state, event.payload));
 * off();
 * events.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type SecurityOptions, Subscriber } from "../sockets/mod.ts";
import { decodeTaskEvent, ProtocolError, type TaskEvent } from "./protocol.ts";

/**
 * Options of a {@link TaskEventListener}.
 *
 * @example
 * ```ts
 * import type { TaskEventListenerOptions } from "./event_listener.ts";
 * const options: TaskEventListenerOptions = { endpoint: "tcp://robot:7780", scope: "/arm" };
 * ```
 */
export interface TaskEventListenerOptions {
  /** The server's events endpoint. */
  endpoint: string;
  /** Only events of this scope are delivered. */
  scope: string;
  /** CURVE or PLAIN for the subscription. */
  security?: SecurityOptions;
}

/**
 * Receives task events of one scope (see the module documentation).
 *
 * @example
 * ```ts
 * import { TaskEventListener } from "./event_listener.ts";
 * const events = new TaskEventListener({ endpoint: "tcp://127.0.0.1:7780", scope: "/t" });
 * events.close();
 * ```
 */
export class TaskEventListener {
  /** The server's events endpoint. */
  readonly endpoint: string;
  /** The scope whose events are delivered. */
  readonly scope: string;
  readonly #socket: Subscriber;
  readonly #byId = new Map<number, Set<(event: TaskEvent) => void>>();
  readonly #any = new Set<(event: TaskEvent) => void>();
  readonly #logger = getLogger(["zedge", "tasks", "events"]);
  readonly #done: Promise<void>;
  #peers = 0;
  readonly #connectedWaiters = new Set<() => void>();

  /** Subscribes to the events of `options.scope` at `options.endpoint`. */
  constructor(options: TaskEventListenerOptions) {
    this.endpoint = options.endpoint;
    this.scope = options.scope;
    this.#socket = new Subscriber({ ...options.security, linger: 0 });
    this.#socket.events.on("handshake", () => {
      this.#peers++;
      for (const wake of this.#connectedWaiters) wake();
    });
    this.#socket.events.on("disconnect", () => this.#peers = Math.max(0, this.#peers - 1));
    this.#socket.subscribe(this.scope);
    this.#socket.connect(this.endpoint);
    this.#done = this.#receive();
  }

  /**
   * Whether a server is connected right now. Even then an event can be lost
   * (a subscription still in flight, a full queue), so waiters keep a slow
   * safety poll.
   */
  get connected(): boolean {
    return this.#peers > 0 && !this.#socket.closed;
  }

  /**
   * Resolves true once a server is connected — its subscription is sent
   * with the handshake, so events published after that reach this
   * listener — or false after `timeoutMs` without one.
   */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (connected: boolean) => {
        clearTimeout(timer);
        this.#connectedWaiters.delete(wake);
        resolve(connected);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#connectedWaiters.add(wake);
    });
  }

  /** Calls `listener` for every event of task `id`; returns the unsubscribe function. */
  on(id: number, listener: (event: TaskEvent) => void): () => void {
    let set = this.#byId.get(id);
    if (!set) this.#byId.set(id, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#byId.get(id) === set) this.#byId.delete(id);
    };
  }

  /** Calls `listener` for every event of the scope; returns the unsubscribe function. */
  onAny(listener: (event: TaskEvent) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#socket) {
        let event: TaskEvent;
        try {
          event = decodeTaskEvent(frames);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          this.#logger.debug("Ignoring bad event: {reason}", { reason: error.message });
          continue;
        }
        // SUB filters by prefix; "/arm" also matches "/arm2".
        if (event.scope !== this.scope) continue;
        for (const listener of [...(this.#byId.get(event.id) ?? []), ...this.#any]) {
          try {
            listener(event);
          } catch (error) {
            this.#logger.warn("Event listener threw: {error}", { error: String(error) });
          }
        }
      }
    } catch (error) {
      if (!this.#socket.closed) {
        this.#logger.warn("Event channel stopped: {error}", { error: String(error) });
      }
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    for (const wake of [...this.#connectedWaiters]) wake();
    if (!this.#socket.closed) await this.#socket.close();
    await this.#done;
  }
}
