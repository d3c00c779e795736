/**
 * A socket's endpoints: the listeners it bound, with their accept loops,
 * and the endpoints it connects to, each with a dial loop that reconnects
 * with exponential backoff whenever the link drops.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type ByteStream,
  dial,
  EndpointError,
  listen,
  parseEndpoint,
  type StreamListener,
} from "../transport/mod.ts";
import { isInprocBound } from "../transport/inproc.ts";
import type { Connection } from "./connection.ts";
import { ZmqError } from "./errors.ts";
import type { SocketEvents } from "./events.ts";
import { Notifier } from "./notifier.ts";

const logger = getLogger(["zedge", "socket"]);

/** How long an accept loop pauses when the process is out of descriptors or memory. */
const ACCEPT_BACKOFF_MS = 100;

/**
 * What the endpoints need from their socket.
 *
 * @example
 * ```ts
 * import type { EndpointOwner } from "./endpoints.ts";
 * // Implemented inside core/sockets/socket.ts.
 * type Owner = EndpointOwner;
 * ```
 */
export interface EndpointOwner {
  /** Where bind, accept, connect and retry events go. */
  readonly events: SocketEvents;
  /** Reconnect and connect timing, read at each attempt so changes apply at once. */
  readonly settings: {
    reconnectInterval: number;
    reconnectMaxInterval: number;
    connectTimeout: number;
  };
  /** Wraps a new stream in a connection. */
  adopt(stream: ByteStream, address: string, outgoing: boolean): Connection;
  /**
   * What a dial loop waits for before it dials (a security mechanism's
   * library loading); null when nothing. A rejection is logged and the loop
   * dials anyway: the connection then fails with the reason.
   */
  prepare(): Promise<void> | null;
}

interface BoundEndpoint {
  listener: StreamListener;
  loop: Promise<void>;
  connections: Set<Connection>;
  open: boolean;
}

interface DialedEndpoint {
  stopped: boolean;
  wake: Notifier;
  /** Aborts the connect in progress (only while one is: aborting later would close the link). */
  dialing: AbortController | null;
  connection: Connection | null;
  loop: Promise<void>;
}

/**
 * The bound and connected endpoints of one socket.
 *
 * @example
 * ```ts
 * // Used by Socket; sockets expose bind/unbind/connect/disconnect.
 * import type { Endpoints } from "./endpoints.ts";
 * const count = (e: Endpoints) => e.boundCount;
 * ```
 */
export class Endpoints {
  readonly #owner: EndpointOwner;
  readonly #bound = new Map<string, BoundEndpoint>();
  readonly #dialed = new Map<string, DialedEndpoint>();

  /** Endpoints for `owner`. */
  constructor(owner: EndpointOwner) {
    this.#owner = owner;
  }

  /** Number of distinct listeners. */
  get boundCount(): number {
    return new Set(this.#bound.values()).size;
  }

  /** Binds `endpoint` and starts accepting; resolves the endpoint actually bound. */
  bind(endpoint: string): string {
    let listener: StreamListener;
    try {
      listener = listen(endpoint);
    } catch (error) {
      throw translateError(error, endpoint, "bind");
    }
    const entry: BoundEndpoint = {
      listener,
      loop: Promise.resolve(),
      connections: new Set(),
      open: true,
    };
    this.#bound.set(endpoint, entry);
    if (listener.endpoint !== endpoint) this.#bound.set(listener.endpoint, entry);
    entry.loop = this.#acceptLoop(entry);
    this.#owner.events.emit({ type: "bind", address: listener.endpoint });
    return listener.endpoint;
  }

  /** Stops listening on an endpoint given to bind() (or its resolved form) and drops its peers. */
  async unbind(endpoint: string): Promise<void> {
    const entry = this.#bound.get(endpoint);
    if (!entry) throw new ZmqError("EINVAL", `not bound to '${endpoint}'`);
    for (const [key, value] of this.#bound) if (value === entry) this.#bound.delete(key);
    entry.open = false;
    entry.listener.close();
    for (const conn of entry.connections) conn.close("unbound");
    await entry.loop;
    await Promise.all([...entry.connections].map((c) => c.done));
    this.#owner.events.emit({ type: "unbind", address: entry.listener.endpoint });
  }

  /** Starts connecting to `endpoint` in the background, reconnecting whenever the link drops. */
  connect(endpoint: string): void {
    try {
      const parsed = parseEndpoint(endpoint);
      if (parsed.transport === "tcp" && parsed.wildcardHost) {
        throw new EndpointError(endpoint, "'*' can be bound, not connected to");
      }
    } catch (error) {
      throw translateError(error, endpoint, "connect");
    }
    if (this.#dialed.has(endpoint)) {
      throw new ZmqError("EINVAL", `already connected to '${endpoint}'`);
    }
    const entry: DialedEndpoint = {
      stopped: false,
      wake: new Notifier(),
      dialing: null,
      connection: null,
      loop: Promise.resolve(),
    };
    this.#dialed.set(endpoint, entry);
    entry.loop = this.#dialLoop(endpoint, entry);
  }

  /** Stops connecting to an endpoint and closes the link to it. */
  async disconnect(endpoint: string): Promise<void> {
    const entry = this.#dialed.get(endpoint);
    if (!entry) throw new ZmqError("EINVAL", `not connected to '${endpoint}'`);
    this.#dialed.delete(endpoint);
    entry.stopped = true;
    entry.wake.close();
    entry.dialing?.abort();
    entry.connection?.close("disconnected");
    await entry.loop;
  }

  /**
   * Stops every listener and dial loop (connections are the socket's to
   * close); resolves once the loops have ended.
   */
  stop(): Promise<void> {
    const listeners = new Set(this.#bound.values());
    this.#bound.clear();
    for (const entry of listeners) {
      entry.open = false;
      entry.listener.close();
    }
    const dialed = [...this.#dialed.values()];
    this.#dialed.clear();
    for (const entry of dialed) {
      entry.stopped = true;
      entry.wake.close();
      // A connect to a host that drops packets would otherwise hold close() for the kernel's
      // two minutes of SYN retries.
      entry.dialing?.abort();
    }
    return Promise.all([...listeners, ...dialed].map((entry) => entry.loop)).then(() => {});
  }

  async #acceptLoop(entry: BoundEndpoint): Promise<void> {
    for (;;) {
      let accepted;
      try {
        accepted = await entry.listener.accept();
      } catch (error) {
        if (!entry.open) return;
        this.#owner.events.emit({
          type: "accept:error",
          address: entry.listener.endpoint,
          reason: error instanceof Error ? error.message : String(error),
          error: error instanceof Error ? error : undefined,
        });
        // A peer that connected and reset before we accepted it fails only
        // itself: the next connection in the queue is fine, so take it now.
        if (isPerConnectionError(error)) continue;
        // Out of descriptors and the like: say so, pause, keep serving.
        logger.warn("accept on {endpoint} failed: {error}; pausing {ms} ms", {
          endpoint: entry.listener.endpoint,
          error: String(error),
          ms: ACCEPT_BACKOFF_MS,
        });
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
        continue;
      }
      if (!entry.open) {
        accepted.stream.close();
        return;
      }
      this.#owner.events.emit({ type: "accept", address: accepted.peer });
      const conn = this.#owner.adopt(accepted.stream, accepted.peer, false);
      entry.connections.add(conn);
      conn.done.then(() => entry.connections.delete(conn));
    }
  }

  async #dialLoop(endpoint: string, entry: DialedEndpoint): Promise<void> {
    const settings = this.#owner.settings;
    const base = () => Math.max(1, settings.reconnectInterval);
    const next = (delay: number) => {
      const max = settings.reconnectMaxInterval;
      return max > 0 ? Math.min(max, delay * 2) : base();
    };
    let delay = base();
    const parsed = parseEndpoint(endpoint);
    const preparing = this.#owner.prepare();
    if (preparing !== null) {
      await preparing.catch((error) =>
        logger.warn("connecting to {endpoint} with unusable security options: {error}", {
          endpoint,
          error: error instanceof Error ? error.message : String(error),
        })
      );
    }
    while (!entry.stopped) {
      let stream;
      const dialing = new AbortController();
      entry.dialing = dialing;
      try {
        stream = await dialWithin(endpoint, settings.connectTimeout, dialing.signal);
      } catch (error) {
        entry.dialing = null;
        if (entry.stopped) return;
        this.#owner.events.emit({
          type: "connect:retry",
          address: endpoint,
          reason: String(error instanceof Error ? error.message : error),
        });
        if (error instanceof Deno.errors.NotCapable) {
          logger.warn("cannot connect to {endpoint}: {error}", { endpoint, error: error.message });
        }
        // inproc: retry as soon as the name is bound rather than on the timer.
        if (parsed.transport === "inproc" && isInprocBound(parsed.name)) continue;
        await entry.wake.wait(delay);
        delay = next(delay);
        continue;
      }
      entry.dialing = null;
      if (entry.stopped) {
        stream.close();
        return;
      }
      this.#owner.events.emit({ type: "connect", address: endpoint });
      const conn = this.#owner.adopt(stream, endpoint, true);
      entry.connection = conn;
      await conn.done;
      entry.connection = null;
      if (entry.stopped) return;
      // A link that got through its handshake starts the backoff over.
      if (conn.handshaken) delay = base();
      await entry.wake.wait(delay);
      if (!conn.handshaken) delay = next(delay);
    }
  }
}

/**
 * Dials `endpoint`, giving up after `timeoutMs` (0: never). A connect that completes after it
 * was given up is closed at once (Deno cannot cancel a pending connect).
 *
 * @example
 * ```ts
 * import { dialWithin } from "./endpoints.ts";
 * await dialWithin("tcp://127.0.0.1:1", 500).catch((e) => console.log(e.message));
 * ```
 */
export function dialWithin(
  endpoint: string,
  timeoutMs: number,
  signal?: AbortSignal,
): ReturnType<typeof dial> {
  const dialing = dial(endpoint, signal);
  if (timeoutMs <= 0) return dialing;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      dialing.then((late) => late.close(), () => {});
      reject(new Deno.errors.TimedOut(`connect to ${endpoint} not done within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return Promise.race([dialing, expired]).finally(() => clearTimeout(timer));
}

/**
 * True for accept errors that concern one incoming connection only (it was
 * reset or aborted before we took it), as opposed to the process running
 * out of descriptors or memory.
 *
 * @example
 * ```ts
 * import { isPerConnectionError } from "./endpoints.ts";
 * isPerConnectionError(new Deno.errors.NotConnected("reset before accept")); // true
 * ```
 */
export function isPerConnectionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.ConnectionRefused ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.Interrupted;
}

/**
 * Turns a transport error into the ZmqError a bind or connect call raises.
 *
 * @example
 * ```ts
 * import { translateError } from "./endpoints.ts";
 * translateError(new Deno.errors.AddrInUse("busy"), "tcp://127.0.0.1:5555", "bind").message;
 * ```
 */
export function translateError(error: unknown, endpoint: string, action: string): Error {
  if (error instanceof ZmqError) return error;
  if (error instanceof EndpointError) return new ZmqError("EINVAL", error.message);
  if (error instanceof Deno.errors.AddrInUse) {
    return new ZmqError("EADDRINUSE", `cannot ${action} '${endpoint}': address in use`, {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new ZmqError("EACCES", `cannot ${action} '${endpoint}': ${error.message}`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ZmqError("EINVAL", `cannot ${action} '${endpoint}': ${message}`, { cause: error });
}
