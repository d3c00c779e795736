/**
 * Topics and services on a node's `ctx` (the PyZMP model): a node publishes
 * and subscribes by topic name, provides and calls services by name, and
 * never names an endpoint. The robot YAML declares what each node
 * publishes, subscribes to, provides and calls; the runtime gives the node
 * a directory of its peers ({@link DataflowSpec}), and this module wires the
 * sockets: a PUB per publishing node, a SUB per subscription, a ROUTER per
 * providing node, a DEALER per called service. Between the nodes of one
 * robot they meet over inproc across Workers.
 *
 * Services carry request ids: a call that times out is sent again with the
 * same id (`retries`), and a provider that already has that id runs it once
 * and answers both. Errors reach the caller as a {@link ServiceError} with
 * code `unknown-service`, `handler-error` or `timeout`.
 *
 * @example
 * ```ts
 * // in a node's main(ctx):
 * // await ctx.publish("odom", { x: 1.2, y: 0.4 });
 * // for await (const { topic, value, time, source } of ctx.subscribe("odom")) { … }
 * // ctx.provide("plan", async (request, { signal }) => ({ path: [] }));
 * // const { path } = await ctx.call("plan", { to: [3, 1] }, { timeoutMs: 1000, retries: 2 });
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ServiceError } from "../../core/pipeline/service_client.ts";
import { Dealer, Publisher, Router, Subscriber, ZmqError } from "../../core/sockets/mod.ts";
import {
  decodeServiceReply,
  decodeServiceRequest,
  decodeTopicMessage,
  encodeServiceReply,
  encodeServiceRequest,
  encodeTopicMessage,
  type ServiceReply,
  type TopicEncoding,
  type TopicMessage,
} from "./codec.ts";

const log = getLogger(["zedge", "dataflow"]);

/**
 * A node's dataflow, as resolved from the robot YAML: what it declared, and
 * where the peers it needs are.
 *
 * @example
 * ```ts
 * import type { DataflowSpec } from "./node_dataflow.ts";
 * const spec: DataflowSpec = {
 *   publishes: { odom: "msgpack" }, subscribes: [], provides: [], calls: [],
 *   topicsEndpoint: "inproc://zedge/kitchen-bot/odometry/topics", servicesEndpoint: null,
 *   publishers: [], providers: {},
 * };
 * ```
 */
export interface DataflowSpec {
  /** Topics it publishes, with their encodings. */
  publishes: Record<string, TopicEncoding>;
  /** Topic names or prefixes it subscribes to. */
  subscribes: string[];
  /** Services it provides. */
  provides: string[];
  /** Services it calls. */
  calls: string[];
  /** Where its PUB socket binds (when it publishes). */
  topicsEndpoint: string | null;
  /** Where its ROUTER socket binds (when it provides). */
  servicesEndpoint: string | null;
  /** Publishers of the topics it subscribes to: who, where, and what they publish. */
  publishers: { source: string; endpoint: string; topics: string[] }[];
  /** Providers of each service it calls. */
  providers: Record<string, { source: string; endpoint: string }[]>;
}

/**
 * What a service handler gets besides the request.
 *
 * @example
 * ```ts
 * import type { ServiceCallContext } from "./node_dataflow.ts";
 * const handler = (request: unknown, { signal, caller }: ServiceCallContext) => caller;
 * ```
 */
export interface ServiceCallContext {
  /** Fires when the providing component stops. */
  signal: AbortSignal;
  /** The request id (the same on a retried call). */
  rid: string;
  /** Who called, when known (the calling component's name). */
  caller: string | null;
}

/**
 * A service handler: the request in, the reply out (thrown errors become
 * `handler-error`).
 *
 * @example
 * ```ts
 * import type { ServiceHandler } from "./node_dataflow.ts";
 * const plan: ServiceHandler = async (request) => ({ path: [[0, 0], request] });
 * ```
 */
export type ServiceHandler = (request: unknown, context: ServiceCallContext) => unknown;

/**
 * Options of a service call.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "./node_dataflow.ts";
 * const options: CallOptions = { timeoutMs: 1000, retries: 2 };
 * ```
 */
export interface CallOptions {
  /** How long each attempt waits for its reply (default 5000 ms). */
  timeoutMs?: number;
  /** Attempts after the first, with the same request id (default 0). */
  retries?: number;
}

/**
 * Options of {@link NodeDataflow.discover}.
 *
 * @example
 * ```ts
 * import type { DiscoverOptions } from "./node_dataflow.ts";
 * const options: DiscoverOptions = { timeoutMs: 2000, minimumProviders: 2 };
 * ```
 */
export interface DiscoverOptions {
  /** How long to wait (default 5000 ms). */
  timeoutMs?: number;
  /** How many providers must be reachable (default 1). */
  minimumProviders?: number;
}

/** Replies remembered per provider, so a retried request is answered, not run again. */
const REMEMBERED_REPLIES = 1000;

interface Pending {
  resolve: (reply: ServiceReply) => void;
}

/** One called service: a DEALER connected to every provider, and the calls awaiting replies. */
class ServiceLink {
  readonly dealer: Dealer;
  readonly pending = new Map<string, Pending>();
  readonly connected = new Map<string, string>();
  readonly #changed = new Set<() => void>();

  constructor(service: string, providers: { source: string; endpoint: string }[]) {
    this.dealer = new Dealer({ linger: 0 });
    const sourceOf = new Map(providers.map((p) => [p.endpoint, p.source]));
    this.dealer.events.on("handshake", (e) => {
      this.connected.set(e.address, sourceOf.get(e.address) ?? e.address);
      for (const wake of this.#changed) wake();
    });
    this.dealer.events.on("disconnect", (e) => {
      this.connected.delete(e.address);
      for (const wake of this.#changed) wake();
    });
    for (const provider of providers) this.dealer.connect(provider.endpoint);
    this.#receive(service);
  }

  async #receive(service: string): Promise<void> {
    try {
      for await (const frames of this.dealer) {
        let reply: ServiceReply;
        try {
          reply = decodeServiceReply(frames);
        } catch (error) {
          log.warn("dropped a reply from a provider of {service}: {error}", { service, error });
          continue;
        }
        const pending = this.pending.get(reply.rid);
        if (pending === undefined) continue; // a late answer to a call that gave up
        this.pending.delete(reply.rid);
        pending.resolve(reply);
      }
    } catch {
      // Closed.
    }
  }

  /** Resolves once at least `count` providers are connected, or false at the deadline. */
  async waitFor(count: number, deadline: number): Promise<boolean> {
    while (this.connected.size < count) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#changed.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#changed.add(wake);
      });
    }
    return true;
  }
}

/**
 * The dataflow side of one node (see the module documentation).
 *
 * @example
 * ```ts
 * import { NodeDataflow } from "./node_dataflow.ts";
 * const flow = new NodeDataflow({
 *   publishes: { odom: "msgpack" }, subscribes: [], provides: [], calls: [],
 *   topicsEndpoint: "inproc://doc/odometry/topics", servicesEndpoint: null,
 *   publishers: [], providers: {},
 * }, "odometry", new AbortController().signal);
 * await flow.start();
 * await flow.publish("odom", { x: 0 });
 * await flow.close();
 * ```
 */
export class NodeDataflow {
  readonly #spec: DataflowSpec;
  readonly #name: string;
  readonly #signal: AbortSignal;
  #publisher: Publisher | null = null;
  #router: Router | null = null;
  readonly #handlers = new Map<string, ServiceHandler>();
  /** Requests for a declared service whose handler is not registered yet. */
  readonly #waiting = new Map<string, Uint8Array[][]>();
  readonly #replies = new Map<string, Uint8Array[] | null>();
  readonly #links = new Map<string, ServiceLink>();
  readonly #subscribers = new Set<Subscriber>();
  #closed = false;

  /** Keeps what the node declared; {@link start} binds its sockets. */
  constructor(spec: DataflowSpec, name: string, signal: AbortSignal) {
    this.#spec = spec;
    this.#name = name;
    this.#signal = signal;
  }

  /** Binds the PUB (when it publishes) and the ROUTER (when it provides). */
  async start(): Promise<void> {
    if (this.#spec.topicsEndpoint !== null) {
      this.#publisher = new Publisher({ linger: 0, sendHighWaterMark: 1000 });
      await this.#publisher.bind(this.#spec.topicsEndpoint);
    }
    if (this.#spec.servicesEndpoint !== null) {
      this.#router = new Router({ linger: 0 });
      await this.#router.bind(this.#spec.servicesEndpoint);
      this.#serve(this.#router);
    }
  }

  /**
   * Publishes `value` on `topic` (one of the node's `publishes`). Never
   * blocks: a subscriber over its high-water mark misses messages, as with
   * any ZeroMQ PUB.
   */
  async publish(topic: string, value: unknown): Promise<void> {
    const encoding = this.#spec.publishes[topic];
    if (encoding === undefined || this.#publisher === null) {
      throw new TypeError(
        `${this.#name} does not publish '${topic}': add it to its \`publishes\` in the robot YAML` +
          ` (it publishes: ${Object.keys(this.#spec.publishes).join(", ") || "nothing"})`,
      );
    }
    await this.#publisher.send(encodeTopicMessage(topic, value, this.#name, encoding));
  }

  /**
   * Messages on every topic starting with `topicOrPrefix` (which must fall
   * under one of the node's `subscribes`), from every publisher, until the
   * node stops or the loop breaks.
   */
  async *subscribe<T = unknown>(topicOrPrefix: string): AsyncGenerator<TopicMessage<T>> {
    if (!this.#spec.subscribes.some((s) => topicOrPrefix.startsWith(s))) {
      throw new TypeError(
        `${this.#name} does not subscribe to '${topicOrPrefix}': add it to its \`subscribes\` in ` +
          `the robot YAML (it subscribes to: ${this.#spec.subscribes.join(", ") || "nothing"})`,
      );
    }
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 1000 });
    this.#subscribers.add(sub);
    sub.subscribe(topicOrPrefix);
    for (const publisher of this.#spec.publishers) {
      if (
        publisher.topics.some((t) => t.startsWith(topicOrPrefix) || topicOrPrefix.startsWith(t))
      ) {
        sub.connect(publisher.endpoint);
      }
    }
    const stop = () => sub.close();
    this.#signal.addEventListener("abort", stop, { once: true });
    try {
      for await (const frames of sub) {
        try {
          yield decodeTopicMessage(frames) as TopicMessage<T>;
        } catch (error) {
          log.warn("{name}: dropped a message on {prefix}: {error}", {
            name: this.#name,
            prefix: topicOrPrefix,
            error,
          });
        }
      }
    } finally {
      this.#signal.removeEventListener("abort", stop);
      this.#subscribers.delete(sub);
      await sub.close();
    }
  }

  /** Serves `service` (one of the node's `provides`) with `handler`. */
  provide(service: string, handler: ServiceHandler): void {
    if (!this.#spec.provides.includes(service) || this.#router === null) {
      throw new TypeError(
        `${this.#name} does not provide '${service}': add it to its \`provides\` in the robot YAML` +
          ` (it provides: ${this.#spec.provides.join(", ") || "nothing"})`,
      );
    }
    this.#handlers.set(service, handler);
    const waiting = this.#waiting.get(service) ?? [];
    this.#waiting.delete(service);
    for (const frames of waiting) this.#answer(this.#router, frames);
  }

  async #serve(router: Router): Promise<void> {
    try {
      for await (const frames of router) this.#answer(router, frames);
    } catch {
      // Closed.
    }
  }

  async #answer(router: Router, frames: Uint8Array[]): Promise<void> {
    const [peer, ...body] = frames;
    let request: { rid: string; service: string; request: unknown };
    try {
      request = decodeServiceRequest(body);
    } catch (error) {
      log.warn("{name}: dropped a service request: {error}", { name: this.#name, error });
      return;
    }
    const { rid, service } = request;
    const reply = (r: ServiceReply) => {
      const encoded = encodeServiceReply(r);
      this.#remember(rid, encoded);
      router.send([peer, ...encoded]).catch(() => {/* the caller left */});
    };
    if (this.#replies.has(rid)) {
      // A retry: answer again, or let the run under way answer it.
      const done = this.#replies.get(rid);
      if (done) router.send([peer, ...done]).catch(() => {});
      return;
    }
    if (!this.#spec.provides.includes(service)) {
      reply({
        rid,
        ok: false,
        error: { code: "unknown-service", message: `${this.#name} provides no '${service}'` },
      });
      return;
    }
    const handler = this.#handlers.get(service);
    if (handler === undefined) {
      // Declared but not registered yet (main is still starting): hold it.
      const queue = this.#waiting.get(service) ?? [];
      if (queue.length < 1000) queue.push(frames);
      this.#waiting.set(service, queue);
      return;
    }
    this.#replies.set(rid, null);
    try {
      const value = await handler(request.request, { signal: this.#signal, rid, caller: null });
      reply({ rid, ok: true, value: value ?? null });
    } catch (error) {
      reply({
        rid,
        ok: false,
        error: {
          code: "handler-error",
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        },
      });
    }
  }

  #remember(rid: string, reply: Uint8Array[]): void {
    this.#replies.delete(rid);
    this.#replies.set(rid, reply);
    while (this.#replies.size > REMEMBERED_REPLIES) {
      this.#replies.delete(this.#replies.keys().next().value!);
    }
  }

  #link(service: string): ServiceLink {
    if (!this.#spec.calls.includes(service)) {
      throw new ServiceError(
        "unknown-service",
        `${this.#name} does not call '${service}': add it to its \`calls\` in the robot YAML ` +
          `(it calls: ${this.#spec.calls.join(", ") || "nothing"})`,
      );
    }
    let link = this.#links.get(service);
    if (link === undefined) {
      link = new ServiceLink(service, this.#spec.providers[service] ?? []);
      this.#links.set(service, link);
    }
    return link;
  }

  /**
   * Calls `service` (one of the node's `calls`) and resolves its reply;
   * rejects with a {@link ServiceError}.
   */
  async call<T = unknown>(
    service: string,
    request: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const attempts = 1 + Math.max(0, options.retries ?? 0);
    const link = this.#link(service);
    const rid = crypto.randomUUID();
    const frames = encodeServiceRequest(rid, service, request);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#closed) throw new ServiceError("timeout", `${this.#name} is stopping`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const reply = new Promise<ServiceReply | null>((resolve) => {
        link.pending.set(rid, { resolve });
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      try {
        link.dealer.sendTimeout = timeoutMs;
        await link.dealer.send(frames);
      } catch (error) {
        // No provider took it within the time: that attempt timed out.
        if (!(error instanceof ZmqError && error.code === "EAGAIN")) throw error;
      }
      const answer = await reply;
      clearTimeout(timer);
      link.pending.delete(rid);
      if (answer === null) continue;
      if (answer.ok) return answer.value as T;
      throw new ServiceError(
        answer.error.code as ServiceError["code"],
        answer.error.message,
      );
    }
    throw new ServiceError(
      "timeout",
      `no reply from '${service}' within ${timeoutMs} ms (${attempts} attempt${
        attempts === 1 ? "" : "s"
      })`,
    );
  }

  /**
   * Waits until at least `minimumProviders` providers of `service` are
   * reachable and returns who they are; rejects with a `timeout`
   * {@link ServiceError} when they are not within `timeoutMs`.
   */
  async discover(service: string, options: DiscoverOptions = {}): Promise<string[]> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const minimum = Math.max(1, options.minimumProviders ?? 1);
    const link = this.#link(service);
    if (!(await link.waitFor(minimum, performance.now() + timeoutMs))) {
      throw new ServiceError(
        "timeout",
        `${link.connected.size} of ${minimum} provider(s) of '${service}' reachable after ${timeoutMs} ms`,
      );
    }
    return [...new Set(link.connected.values())].sort();
  }

  /** Closes every socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of this.#links.values()) {
      for (const pending of link.pending.values()) {
        pending.resolve({ rid: "", ok: false, error: { code: "timeout", message: "stopping" } });
      }
    }
    await Promise.all([
      this.#publisher?.close(),
      this.#router?.close(),
      ...[...this.#subscribers].map((s) => s.close()),
      ...[...this.#links.values()].map((l) => l.dealer.close()),
    ]);
  }
}
