/**
 * A service client: sends requests to a broker by service name and waits
 * for the reply with a timeout, re-sending (same request id, so the broker
 * does not run it twice while it is in progress) up to `retries` times.
 *
 * @example
 * ```ts
 * import { ServiceClient } from "./service_client.ts";
 * const client = new ServiceClient({ broker: "tcp://127.0.0.1:5580", timeoutMs: 2000 });
 * const plan = await client.request("plan", { goal: "dock" });
 * client.close();
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { Dealer } from "../sockets/mod.ts";
import type { ServiceErrorCode } from "./broker.ts";
import { OrderedSender } from "./link.ts";
import { serveDealer } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "client"]);

/**
 * A failed service request; `code` says why.
 *
 * @example
 * ```ts
 * import { ServiceError } from "./service_client.ts";
 * const e = new ServiceError("timeout", "no reply within 2000 ms");
 * console.log(e.code);
 * ```
 */
export class ServiceError extends ZedgeError {
  /** Why the request failed. */
  readonly code: ServiceErrorCode;
  /** Creates the error with its code. */
  constructor(code: ServiceErrorCode, message: string) {
    super(message);
    this.name = "ServiceError";
    this.code = code;
  }
}

/**
 * Options of a {@link ServiceClient}.
 *
 * @example
 * ```ts
 * import type { ServiceClientOptions } from "./service_client.ts";
 * const o: ServiceClientOptions = { broker: "tcp://127.0.0.1:5580", timeoutMs: 1000, retries: 2 };
 * ```
 */
export interface ServiceClientOptions {
  /** The broker's `frontend` endpoint. */
  broker: string;
  /** ms to wait for a reply per attempt (default 5000). */
  timeoutMs?: number;
  /** Re-sends after a timeout (default 2). */
  retries?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"broker">;
}

interface Waiting {
  resolve: (body: unknown) => void;
  reject: (error: ServiceError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Asynchronous request/reply to services behind a broker; many requests may
 * be in flight at once.
 *
 * @example
 * ```ts
 * import { ServiceClient } from "./service_client.ts";
 * const c = new ServiceClient({ broker: "tcp://127.0.0.1:5580" });
 * c.close();
 * ```
 */
export class ServiceClient {
  readonly #options: ServiceClientOptions;
  readonly #dealer: Dealer;
  readonly #out: OrderedSender;
  readonly #waiting = new Map<string, Waiting>();
  readonly #prefix = Math.random().toString(36).slice(2, 8);
  #seq = 0;
  #closed = false;
  /** Why the last connection attempt to the broker failed, while not connected. */
  #connectFailure: string | null = null;

  /** Connects to the broker (in the background; requests wait for it). */
  constructor(options: ServiceClientOptions) {
    this.#options = options;
    this.#dealer = new Dealer({ ...options.security?.broker, linger: 0, immediate: true });
    // A timeout then says whether the broker was reachable at all.
    this.#dealer.events.on("connect:retry", (e) => this.#connectFailure = e.reason ?? "failed");
    this.#dealer.events.on("handshake", () => this.#connectFailure = null);
    this.#dealer.connect(options.broker);
    this.#out = new OrderedSender(this.#dealer, ["zedge", "pipeline", "client"]);
    serveDealer(this.#dealer, {
      log,
      from: "the broker",
      accepts: ["svc-reply"],
      onMessage: (m) => {
        const waiting = this.#waiting.get(m.rid);
        if (waiting === undefined) return; // a duplicate reply after a retry
        this.#waiting.delete(m.rid);
        clearTimeout(waiting.timer);
        if (m.ok) waiting.resolve(m.body);
        else waiting.reject(new ServiceError(errorCode(m.body), m.error));
      },
    });
  }

  /** Sends `body` to `service`; resolves with the reply body or rejects with a {@link ServiceError}. */
  request(
    service: string,
    body: unknown,
    options: { timeoutMs?: number; retries?: number } = {},
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ServiceError("unavailable", "client is closed"));
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 5000;
    const retries = options.retries ?? this.#options.retries ?? 2;
    const rid = `${this.#prefix}-${++this.#seq}`;
    return new Promise((resolve, reject) => {
      const waiting: Waiting = { resolve, reject, timer: undefined };
      this.#waiting.set(rid, waiting);
      let attempt = 0;
      const send = () => {
        attempt++;
        this.#out.send({ kind: "svc-request", rid, service, body: body ?? null });
        waiting.timer = setTimeout(() => {
          if (!this.#waiting.has(rid)) return;
          if (attempt <= retries) {
            log.info("request {rid} to {service} timed out; retrying", { rid, service });
            send();
            return;
          }
          this.#waiting.delete(rid);
          reject(
            new ServiceError(
              "timeout",
              `service '${service}': no reply after ${attempt} attempts of ${timeoutMs} ms` +
                (this.#connectFailure === null
                  ? ""
                  : ` (cannot connect to the broker at ${this.#options.broker}: ${this.#connectFailure})`),
            ),
          );
        }, timeoutMs);
      };
      send();
    });
  }

  /** Closes the socket; requests still waiting reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [rid, waiting] of this.#waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new ServiceError("unavailable", `client closed before reply to ${rid}`));
    }
    this.#waiting.clear();
    this.#dealer.close();
  }
}

const CODES: readonly ServiceErrorCode[] = [
  "unknown-service",
  "unavailable",
  "handler-error",
  "timeout",
  "busy",
];

function errorCode(body: unknown): ServiceErrorCode {
  return CODES.includes(body as ServiceErrorCode) ? body as ServiceErrorCode : "handler-error";
}
