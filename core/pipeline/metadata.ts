/**
 * The metadata provider: answers the distributor's metadata request with
 * whatever `getMetadata()` returns (a database query, live introspection).
 * The distributor starts serving workers at once and only waits for the
 * metadata before handing out the first item, so nothing blocks in a
 * constructor. Tasks get the metadata in their item source, and workers get
 * it in `ctx.metadata` for task types with `forwardMetadata: true`.
 *
 * @example
 * ```ts
 * import { MetadataProvider } from "./metadata.ts";
 * const provider = new MetadataProvider({
 *   endpoint: "tcp://127.0.0.1:5575",
 *   getMetadata: () => ({ map: "warehouse-3", resolution: 0.05 }),
 * });
 * await provider.start();
 * // ... later
 * await provider.close();
 * ```
 * @module
 */
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { Router } from "../sockets/mod.ts";
import { encodeMessage } from "./codec.ts";
import { maxMessageSizeOption } from "../limits.ts";
import { DropCounter, serveRouter } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "metadata"]);

/**
 * Options of a {@link MetadataProvider}.
 *
 * @example
 * ```ts
 * import type { MetadataProviderOptions } from "./metadata.ts";
 * const o: MetadataProviderOptions = { endpoint: "tcp://127.0.0.1:0", getMetadata: () => ({}) };
 * ```
 */
export interface MetadataProviderOptions {
  /** Endpoint to bind; the distributor connects to it. */
  endpoint: string;
  /** Produces the metadata (msgpack-encodable); called per request. */
  getMetadata: () => unknown;
  /**
   * Largest message accepted from a peer, in bytes (default 64 MiB, -1 = no
   * limit); a larger one closes that peer's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"endpoint">;
}

/**
 * Serves metadata to distributors until closed.
 *
 * @example
 * ```ts
 * import { MetadataProvider } from "./metadata.ts";
 * const p = new MetadataProvider({ endpoint: "tcp://127.0.0.1:0", getMetadata: () => 42 });
 * await p.start();
 * console.log(p.endpoint);
 * await p.close();
 * ```
 */
export class MetadataProvider {
  readonly #options: MetadataProviderOptions;
  readonly #maxMessageSize: number;
  readonly #drops = new DropCounter();
  #router: Router | null = null;
  /** Requests answered so far. */
  served = 0;

  /** Keeps the options; nothing binds before {@link start}. */
  constructor(options: MetadataProviderOptions) {
    this.#options = options;
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize);
  }

  /** Messages dropped as malformed or unexpected. */
  get dropped(): number {
    return this.#drops.count;
  }

  /** The resolved endpoint once started. */
  get endpoint(): string {
    return this.#router?.lastEndpoint ?? this.#options.endpoint;
  }

  /** Binds and starts answering. */
  async start(): Promise<void> {
    if (this.#router !== null) return;
    const router = new Router({
      ...this.#options.security?.endpoint,
      maxMessageSize: this.#maxMessageSize,
    });
    this.#router = router;
    await router.bind(this.#options.endpoint);
    serveRouter(router, {
      log,
      from: "a distributor",
      accepts: ["meta-request"],
      drops: this.#drops,
      onMessage: (_request, peer) => this.#answer(router, peer),
    });
  }

  /** Stops answering. */
  async close(): Promise<void> {
    await this.#router?.close();
  }

  /** Answers one request; awaited, so requests are answered one at a time. */
  async #answer(router: Router, peer: Uint8Array): Promise<void> {
    let data: unknown;
    try {
      data = await this.#options.getMetadata();
    } catch (error) {
      log.error("getMetadata threw: {error}", { error });
      return; // the distributor asks again
    }
    await router.send([peer, encodeMessage({ kind: "meta-reply", data: data ?? null })]);
    this.served++;
  }
}
