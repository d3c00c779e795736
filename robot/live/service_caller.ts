/**
 * The supervisor calling its robot's services for an operator (Foxglove's
 * Call Service panel, `zedge service call`): a DEALER per service,
 * connected to that service's providers, with replies matched to calls by
 * request id — the dataflow's own service protocol (`dataflow/codec.ts`),
 * so a provider cannot tell an operator's call from a node's.
 *
 * @example
 * ```ts
 * import { ServiceCaller } from "./service_caller.ts";
 * const caller = new ServiceCaller({ plan: ["inproc://zedge/kitchen-bot/planner/services"] });
 * const reply = await caller.call("plan", { to: [3, 1] }, 1000);
 * if (reply.ok) console.log(reply.value);
 * await caller.close();
 * ```
 * @module
 */
import { Dealer } from "../../core/sockets/mod.ts";
import { decodeServiceReply, encodeServiceRequest, type ServiceReply } from "../dataflow/codec.ts";

/** Calls awaiting their replies, at most (beyond this a call is refused at once). */
const MAX_PENDING = 1000;

/**
 * What a call came to: the provider's reply, or why there was none
 * (`unknown-service`, `timeout`, `busy` besides the provider's own codes).
 *
 * @example
 * ```ts
 * import type { CallOutcome } from "./service_caller.ts";
 * const o: CallOutcome = { ok: false, error: { code: "timeout", message: "no reply within 1000 ms" } };
 * ```
 */
export type CallOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: string; message: string } };

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { ServiceCaller } from "./service_caller.ts";
 * const caller = new ServiceCaller({});
 * console.log(caller.services); // []
 * await caller.close();
 * ```
 */
export class ServiceCaller {
  readonly #providers: Record<string, string[]>;
  readonly #dealers = new Map<string, Dealer>();
  readonly #pending = new Map<string, (reply: ServiceReply) => void>();
  #closed = false;

  /** `providers`: each service's providers' service endpoints. */
  constructor(providers: Record<string, readonly string[]>) {
    this.#providers = Object.fromEntries(
      Object.entries(providers).map(([service, endpoints]) => [service, [...endpoints]]),
    );
  }

  /** The services it can call, sorted. */
  get services(): string[] {
    return Object.keys(this.#providers).sort();
  }

  /** Calls `service` with `request`; resolves what came of it (never rejects). */
  async call(service: string, request: unknown, timeoutMs: number): Promise<CallOutcome> {
    const dealer = this.#dealer(service);
    if (dealer === null) {
      return {
        ok: false,
        error: {
          code: "unknown-service",
          message: `no component provides '${service}' (services: ${
            this.services.join(", ") || "none"
          })`,
        },
      };
    }
    if (this.#pending.size >= MAX_PENDING) {
      return { ok: false, error: { code: "busy", message: "too many calls in flight" } };
    }
    const rid = crypto.randomUUID();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reply = new Promise<CallOutcome>((resolve) => {
      this.#pending.set(rid, (r) => resolve(r.ok ? r : { ok: false, error: r.error }));
      timer = setTimeout(() =>
        resolve({
          ok: false,
          error: { code: "timeout", message: `no reply from '${service}' within ${timeoutMs} ms` },
        }), timeoutMs);
    });
    dealer.sendTimeout = timeoutMs;
    dealer.send(encodeServiceRequest(rid, service, request)).catch(() => {
      // No provider took it in time: the call times out.
    });
    try {
      return await reply;
    } finally {
      clearTimeout(timer);
      this.#pending.delete(rid);
    }
  }

  #dealer(service: string): Dealer | null {
    const endpoints = this.#providers[service];
    if (endpoints === undefined || !Object.hasOwn(this.#providers, service) || this.#closed) {
      return null;
    }
    let dealer = this.#dealers.get(service);
    if (dealer === undefined) {
      dealer = new Dealer({ linger: 0, immediate: true }); // providers that are up only
      for (const endpoint of endpoints) dealer.connect(endpoint);
      this.#dealers.set(service, dealer);
      this.#receive(dealer);
    }
    return dealer;
  }

  async #receive(dealer: Dealer): Promise<void> {
    try {
      for await (const frames of dealer) {
        let reply: ServiceReply;
        try {
          reply = decodeServiceReply(frames);
        } catch {
          continue;
        }
        this.#pending.get(reply.rid)?.(reply);
      }
    } catch {
      // Closed.
    }
  }

  /** Closes every socket; calls in flight time out. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#dealers.values()].map((d) => d.close()));
    this.#dealers.clear();
  }
}
