/**
 * One REQ socket used the way ZTL uses it: a request, then its reply, with
 * send and receive timeouts; after any error the socket is closed (linger 0)
 * and the next request opens a fresh one, so the REQ state machine never
 * wedges. Concurrent callers are served one after another.
 *
 * A failure says which of three things went wrong: the host name does not
 * resolve (reported at once, without waiting out the timeout), nothing
 * accepts connections there (refused, or no socket file), or a server is
 * there but did not answer in time.
 *
 * @example
 * ```ts
 * import { RequestChannel } from "./request_channel.ts";
 * const channel = new RequestChannel({ endpoint: "tcp://127.0.0.1:7779", timeoutMs: 2000 });
 * try {
 *   console.log(await channel.request("/test;2;1;status update"));
 * } finally {
 *   channel.close();
 * }
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Request, type SecurityOptions, ZmqError } from "../sockets/mod.ts";
import { TaskNetworkError } from "./errors.ts";

/**
 * Options of a {@link RequestChannel}.
 *
 * @example
 * ```ts
 * import type { RequestChannelOptions } from "./request_channel.ts";
 * const options: RequestChannelOptions = { endpoint: "tcp://robot:7779", timeoutMs: 500 };
 * ```
 */
export interface RequestChannelOptions {
  /** The server endpoint to send requests to. */
  endpoint: string;
  /** Send and receive timeout in ms (ZTL: 2000). */
  timeoutMs?: number;
  /** Linger of a healthy socket on close, in ms (ZTL: 1). */
  linger?: number;
  /** CURVE or PLAIN for every socket the channel opens. */
  security?: SecurityOptions;
}

/**
 * A self-healing REQ socket (see the module documentation).
 *
 * @example
 * ```ts
 * import { RequestChannel } from "./request_channel.ts";
 * const channel = new RequestChannel({ endpoint: "tcp://127.0.0.1:7779" });
 * channel.close();
 * ```
 */
export class RequestChannel {
  /** The server endpoint requests go to. */
  readonly endpoint: string;
  /** Send and receive timeout in ms. */
  readonly timeoutMs: number;
  readonly #linger: number;
  readonly #security: SecurityOptions;
  readonly #logger = getLogger(["zedge", "tasks", "client"]);
  #socket: Request | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #failures = 0;
  /** Why the current socket's last connection attempt failed, if it did. */
  #connectFailure: string | null = null;
  /** Set when the host did not resolve: the socket was closed to end the request at once. */
  #unresolved: string | null = null;

  /** Creates the channel for `options`. */
  constructor(options: RequestChannelOptions) {
    const timeoutMs = options.timeoutMs ?? 2000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`option 'timeoutMs' must be a positive number, got ${timeoutMs}`);
    }
    this.endpoint = options.endpoint;
    this.timeoutMs = timeoutMs;
    this.#linger = options.linger ?? 1;
    this.#security = options.security ?? {};
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one text frame and resolves with the reply's first frame (bytes).
   * Throws {@link TaskNetworkError} on timeout, a closed channel or any
   * socket error.
   */
  request(text: string): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#exchange(text));
    this.#queue = run.catch(() => {});
    return run;
  }

  #open(): Request {
    if (this.#failures > 0) {
      this.#logger.debug("Reconnecting remote task interface at '{endpoint}'.", {
        endpoint: this.endpoint,
      });
    }
    const socket = new Request({
      // Its timeouts and connect-failure messages assume send waits for a live server.
      immediate: true,
      ...this.#security,
      sendTimeout: this.timeoutMs,
      receiveTimeout: this.timeoutMs,
      linger: this.#linger,
    });
    this.#connectFailure = null;
    this.#unresolved = null;
    socket.events.on("connect:retry", (event) => {
      if (this.#socket !== socket) return;
      const reason = event.reason ?? "connection failed";
      this.#connectFailure = `cannot connect: ${describeConnectFailure(reason)}`;
      if (isLookupFailure(reason)) {
        // A name that does not resolve will not within the timeout: fail now.
        this.#unresolved = reason;
        socket.linger = 0;
        socket.close().catch(() => {});
      }
    });
    const notZmtp = (event: { reason?: string }) => {
      if (this.#socket !== socket) return;
      this.#connectFailure = `the peer there does not speak ZMTP: ${event.reason}`;
    };
    socket.events.on("protocol:error", notZmtp);
    socket.events.on("handshake:error", notZmtp);
    socket.connect(this.endpoint);
    return socket;
  }

  async #exchange(text: string): Promise<Uint8Array> {
    if (this.#closed) throw new TaskNetworkError(this.endpoint, "client is closed");
    let socket: Request;
    try {
      socket = this.#socket ??= this.#open();
    } catch (error) {
      throw this.#fail(error);
    }
    try {
      await socket.send(text);
      const frames = await socket.receive();
      if (frames.length === 0) throw new ZmqError("EFSM", "empty reply");
      return frames[0];
    } catch (error) {
      throw this.#fail(error);
    }
  }

  #fail(error: unknown): TaskNetworkError {
    this.#failures++;
    const socket = this.#socket;
    this.#socket = null;
    if (socket && !socket.closed) {
      socket.linger = 0;
      socket.close().catch(() => {});
    }
    if (this.#closed) return new TaskNetworkError(this.endpoint, "client is closed");
    const reason = this.#unresolved !== null
      ? `cannot resolve host '${hostOf(this.endpoint)}' (${this.#unresolved})`
      : error instanceof ZmqError && error.code === "EAGAIN"
      ? `no reply within ${this.timeoutMs} ms${
        this.#connectFailure === null ? "" : ` (${this.#connectFailure})`
      }`
      : error instanceof Error
      ? error.message
      : String(error);
    // The caller gets the error; logging it here too would print it twice.
    this.#logger.debug("Networking error, disconnecting: {reason}", { reason });
    return new TaskNetworkError(this.endpoint, reason, { cause: error });
  }

  /** Closes the socket; pending and later requests fail with TaskNetworkError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = null;
    if (socket && !socket.closed) {
      socket.linger = 0;
      socket.close().catch(() => {});
    }
  }
}

/** Whether a connect error says the host name did not resolve. */
function isLookupFailure(reason: string): boolean {
  return /failed to lookup address|Name or service not known|nodename nor servname|No address associated|Temporary failure in name resolution/i
    .test(reason);
}

/** "Connection refused (os error 111)" → "connection refused, nothing listens there". */
function describeConnectFailure(reason: string): string {
  if (/refused/i.test(reason)) return "connection refused, nothing listens there";
  if (/No such file or directory/i.test(reason)) return "no socket file there";
  return reason;
}

/** The host of a `tcp://host:port` endpoint (the endpoint itself otherwise). */
function hostOf(endpoint: string): string {
  const match = /^tcp:\/\/(\[[^\]]*\]|[^:]*):/.exec(endpoint);
  return match === null ? endpoint : match[1].replace(/^\[|\]$/g, "");
}
