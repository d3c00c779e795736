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
import { abortableDelay } from "../../core/abortable_delay.ts";
import { ServiceError } from "../../core/pipeline/service_client.ts";
import { Dealer, Publisher, Router, Subscriber, ZmqError } from "../../core/sockets/mod.ts";
import type { PackedMessage } from "../../core/sockets/inbox.ts";
import { reachableEndpoint } from "../../core/transport/endpoint.ts";
import { controlRequest } from "../control.ts";
import type { TopicFigures } from "../observe/figures.ts";
import { type DataflowSpec, matches, type RobotDirectory } from "./dataflow_spec.ts";
import {
  decodePackedTopicMessage,
  decodeServiceReply,
  decodeServiceRequest,
  encodeServiceReply,
  encodeServiceRequest,
  encodeTopicMessage,
  type ServiceReply,
  type TopicEncoding,
  type TopicMessage,
} from "./codec.ts";
import { type TopicReader, TopicStream } from "./topic_stream.ts";
import { ROLE_HANDSHAKE_LIMITS } from "../../core/limits.ts";

export type { DataflowSpec } from "./dataflow_spec.ts";
export { matches } from "./dataflow_spec.ts";

const log = getLogger(["zedge", "dataflow"]);

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
  /** Gives up the call (an `unavailable` {@link ServiceError}) when aborted. */
  signal?: AbortSignal;
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
  /** Settles the attempt: its reply, or null when its time ran out. */
  resolve: (reply: ServiceReply | null) => void;
  /** When it times out (performance.now()). */
  deadline: number;
}

/** One called service: a DEALER connected to every provider, and the calls awaiting replies. */
class ServiceLink {
  readonly dealer: Dealer;
  readonly pending = new Map<string, Pending>();
  readonly connected = new Map<string, string>();
  readonly #changed = new Set<() => void>();
  /**
   * One timer for every attempt's deadline, set for the earliest: a timer
   * set and cleared per call (about 8 µs of a 112 µs call in one thread)
   * is replaced by one that fires about once per timeout while calls flow.
   */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  constructor(service: string, providers: { source: string; endpoint: string }[]) {
    // Round robin over the providers that are up: a call kept for one that is
    // down would stall while others could answer (immediate).
    this.dealer = new Dealer({ linger: 0, immediate: true });
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

  /**
   * The reply to the attempt `rid`, or null after `timeoutMs`. The caller
   * deletes `rid` from {@link pending} once it has its answer.
   */
  expectReply(rid: string, timeoutMs: number): Promise<ServiceReply | null> {
    const deadline = performance.now() + timeoutMs;
    const reply = new Promise<ServiceReply | null>((resolve) => {
      this.pending.set(rid, { resolve, deadline });
    });
    if (deadline < this.#timerAt) this.#armTimer(deadline);
    return reply;
  }

  /** Times out the attempts past their deadline, then waits for the next deadline. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [rid, pending] of this.pending) {
      if (pending.deadline <= now) {
        this.pending.delete(rid);
        pending.resolve(null);
      } else if (pending.deadline < next) next = pending.deadline;
    }
    if (next !== Infinity) this.#armTimer(next);
  }

  #armTimer(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, at - performance.now()));
  }

  /** Stops the deadline timer (the link is closing). */
  stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Resolves once at least `count` providers are connected, or false at the deadline. */
  async waitFor(count: number, deadline: number, signal: AbortSignal): Promise<boolean> {
    while (this.connected.size < count) {
      const left = deadline - performance.now();
      if (left <= 0 || signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#changed.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#changed.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
    return true;
  }
}

/** Topics whose received messages a node counts apart (see `NodeDataflow.#counterOf`). */
const MAX_COUNTED_TOPICS = 1000;
/** The longest topic name counted apart (a peer's topic names are the peer's to choose). */
const MAX_COUNTED_NAME = 1024;
/** Where messages on topics past those are counted. */
const OTHER_TOPICS = "(other topics)";

/**
 * The dataflow side of one node (see the module documentation).
 *
 * @example
 * ```ts
 * import { NodeDataflow } from "./node_dataflow.ts";
 * const flow = new NodeDataflow({
 *   publishes: { odom: "msgpack" }, subscribes: [], provides: [], calls: [],
 *   topicsEndpoint: "inproc://doc/odometry/topics", servicesEndpoint: null,
 *   publishers: [], providers: {}, peers: {},
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
  /** Each published topic's encoding and message count: one lookup per publish finds both. */
  readonly #published = new Map<string, { encoding: TopicEncoding; count: number }>();
  /** Messages received per topic, counted by the subscription loops. */
  readonly #received = new Map<string, { count: number }>();
  /** Open subscription loops, by the topic or prefix they asked for. */
  readonly #subscriptions = new Map<string, number>();

  /** Keeps what the node declared; {@link start} binds its sockets. */
  constructor(spec: DataflowSpec, name: string, signal: AbortSignal) {
    this.#spec = spec;
    this.#name = name;
    this.#signal = signal;
    for (const [topic, encoding] of Object.entries(spec.publishes)) {
      this.#published.set(topic, { encoding, count: 0 });
    }
  }

  /** Binds the PUB (when it publishes) and the ROUTER (when it provides). */
  async start(): Promise<void> {
    if (this.#spec.topicsEndpoint !== null) {
      this.#publisher = new Publisher({
        linger: 0,
        sendHighWaterMark: 1000,
        ...ROLE_HANDSHAKE_LIMITS,
      });
      await this.#publisher.bind(this.#spec.topicsEndpoint);
    }
    if (this.#spec.servicesEndpoint !== null) {
      this.#router = new Router({ linger: 0, ...ROLE_HANDSHAKE_LIMITS });
      await this.#router.bind(this.#spec.servicesEndpoint);
      this.#serve(this.#router);
    }
  }

  /**
   * Publishes `value` on `topic` (one of the node's `publishes`). Never
   * blocks: a subscriber over its high-water mark misses messages, as with
   * any ZeroMQ PUB.
   */
  publish(topic: string, value: unknown): Promise<void> {
    const published = this.#published.get(topic);
    if (published === undefined || this.#publisher === null) {
      return Promise.reject(
        new TypeError(
          `${this.#name} does not publish '${topic}': add it to its \`publishes\` in the robot YAML` +
            ` (it publishes: ${Object.keys(this.#spec.publishes).join(", ") || "nothing"})`,
        ),
      );
    }
    published.count++;
    return this.#publisher.send(
      encodeTopicMessage(topic, value, this.#name, published.encoding),
    );
  }

  /**
   * Messages on `topicOrPrefix` — a topic, or a prefix ending in `*`
   * (`odom*`: `odom`, `odom.filtered`, …) — which must fall under one of
   * the node's `subscribes`, from every publisher, until the node stops or
   * the loop breaks.
   */
  subscribe<T = unknown>(topicOrPrefix: string): AsyncGenerator<TopicMessage<T>> {
    // Opened at the first next(), as a generator's body would be.
    return new TopicStream(() => this.#openSubscription<T>(topicOrPrefix));
  }

  /** The SUB of one subscribe() loop, what it lets through, and how it closes. */
  async #openSubscription<T>(topicOrPrefix: string): Promise<TopicReader<TopicMessage<T>>> {
    if (!this.#spec.subscribes.some((s) => covers(s, topicOrPrefix))) {
      throw new TypeError(
        `${this.#name} does not subscribe to '${topicOrPrefix}': add it to its \`subscribes\` in ` +
          `the robot YAML (it subscribes to: ${this.#spec.subscribes.join(", ") || "nothing"})`,
      );
    }
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 1000 });
    this.#subscribers.add(sub);
    const remote = this.#remote(topicOrPrefix);
    const wanted = remote?.name ?? topicOrPrefix;
    // The SUB filters by prefix on the topic frame; an exact topic is then checked here.
    sub.subscribe(wanted.endsWith("*") ? wanted.slice(0, -1) : wanted);
    if (remote !== null) {
      try {
        await this.#connectToPeer(sub, remote.peer, wanted);
      } catch (error) {
        this.#subscribers.delete(sub);
        await sub.close();
        throw error;
      }
    }
    // Who published a message is the runtime's word, never the sender's: the link it came in
    // on (each publisher's endpoint is bound by it alone), not the header's source; and a
    // publisher is heard on the topics it declared only.
    const publisherAt = new Map<string, { source: string; topics: Set<string> }>();
    if (remote === null) {
      for (const publisher of this.#spec.publishers) {
        if (!publisher.topics.some((t) => matches(wanted, t))) continue;
        publisherAt.set(publisher.endpoint, {
          source: publisher.source,
          topics: new Set(publisher.topics),
        });
        sub.connect(publisher.endpoint);
      }
    }
    const stop = () => sub.close();
    this.#signal.addEventListener("abort", stop, { once: true });
    this.#subscriptions.set(topicOrPrefix, (this.#subscriptions.get(topicOrPrefix) ?? 0) + 1);
    // A loop mostly hears one topic from one link: its counter and its verdict are kept at
    // hand, not looked up per message.
    let countedTopic = "";
    let counted = { count: 0 };
    let lastLink: string | null = null;
    let lastTopic = "";
    let lastSource: string | null = null;
    let linkOfPublisher: string | null = null;
    let publisherOfLink: { source: string; topics: Set<string> } | undefined;
    const accept = (packed: PackedMessage): TopicMessage<T> | null => {
      try {
        let message: TopicMessage<T>;
        if (remote !== null) {
          message = decodePackedTopicMessage(packed) as TopicMessage<T>;
          if (!matches(wanted, message.topic)) return null;
          message.topic = `${remote.peer}/${message.topic}`;
          message.source = `${remote.peer}/${message.source}`;
        } else {
          const link = sub.lastPublisher;
          if (link !== linkOfPublisher || publisherOfLink === undefined) {
            linkOfPublisher = link;
            publisherOfLink = publisherAt.get(link ?? "");
          }
          const publisher = publisherOfLink;
          if (publisher === undefined) return null;
          message = decodePackedTopicMessage(packed, publisher.source) as TopicMessage<T>;
          if (link !== lastLink || message.topic !== lastTopic) {
            lastLink = link;
            lastTopic = message.topic;
            lastSource = matches(wanted, message.topic) && publisher.topics.has(message.topic)
              ? publisher.source
              : null;
          }
          if (lastSource === null) return null;
        }
        if (message.topic !== countedTopic) {
          countedTopic = message.topic;
          counted = this.#counterOf(countedTopic);
        }
        counted.count++;
        return message;
      } catch (error) {
        log.warn("{name}: dropped a message on {prefix}: {error}", {
          name: this.#name,
          prefix: topicOrPrefix,
          error,
        });
        return null;
      }
    };
    const close = async () => {
      this.#signal.removeEventListener("abort", stop);
      this.#subscribers.delete(sub);
      const open = (this.#subscriptions.get(topicOrPrefix) ?? 1) - 1;
      if (open > 0) this.#subscriptions.set(topicOrPrefix, open);
      else this.#subscriptions.delete(topicOrPrefix);
      await sub.close();
    };
    return { sub, accept, close };
  }

  /**
   * The received counter of `topic`. A peer robot's topics under a prefix
   * are its to name: past {@link MAX_COUNTED_TOPICS} names (or over
   * {@link MAX_COUNTED_NAME} characters), the rest are counted together, so
   * the figures stay bounded.
   */
  #counterOf(topic: string): { count: number } {
    let counter = this.#received.get(topic);
    if (counter !== undefined) return counter;
    const key = this.#received.size < MAX_COUNTED_TOPICS && topic.length <= MAX_COUNTED_NAME
      ? topic
      : OTHER_TOPICS;
    counter = this.#received.get(key) ?? { count: 0 };
    this.#received.set(key, counter);
    return counter;
  }

  /** Messages published and received per topic so far, and the subscriptions open now. */
  figures(): TopicFigures {
    const published: Record<string, number> = {};
    for (const [topic, { count }] of this.#published) published[topic] = count;
    const received: Record<string, number> = {};
    for (const [topic, { count }] of this.#received) received[topic] = count;
    const subscriptions: string[] = [];
    for (const [topic, open] of this.#subscriptions) {
      for (let i = 0; i < open; i++) subscriptions.push(topic);
    }
    return { published, received, subscriptions };
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

  async #link(service: string, timeoutMs: number): Promise<ServiceLink> {
    if (!this.#spec.calls.includes(service)) {
      throw new ServiceError(
        "unknown-service",
        `${this.#name} does not call '${service}': add it to its \`calls\` in the robot YAML ` +
          `(it calls: ${this.#spec.calls.join(", ") || "nothing"})`,
      );
    }
    let link = this.#links.get(service);
    if (link !== undefined) return link;
    const remote = this.#remote(service);
    if (remote === null) {
      link = new ServiceLink(service, this.#spec.providers[service] ?? []);
    } else {
      const { directory, endpoint } = await this.#peerGateway(remote.peer, "services", timeoutMs);
      if (!(remote.name in directory.services)) {
        throw new ServiceError(
          "unknown-service",
          `'${remote.name}' is not exported by ${remote.peer}`,
        );
      }
      // Another call may have made it while this one asked the peer.
      link = this.#links.get(service) ??
        new ServiceLink(service, [{ source: remote.peer, endpoint }]);
    }
    this.#links.set(service, link);
    return link;
  }

  /** `peer/name` of a peer this node uses, split; null for a name of this robot. */
  #remote(name: string): { peer: string; name: string } | null {
    const slash = name.indexOf("/");
    if (slash < 0 || !(name.slice(0, slash) in this.#spec.peers)) return null;
    return { peer: name.slice(0, slash), name: name.slice(slash + 1) };
  }

  /** Asks a peer robot for its directory and where its gateway's `which` socket is. */
  async #peerGateway(
    peer: string,
    which: "topics" | "services",
    timeoutMs: number,
  ): Promise<{ directory: RobotDirectory; endpoint: string }> {
    const control = this.#spec.peers[peer];
    let directory: RobotDirectory;
    try {
      const reply = await controlRequest(control, { op: "directory" }, { timeoutMs });
      if (!reply.ok || !("directory" in reply)) {
        throw new Error(reply.ok ? "no directory" : reply.error);
      }
      directory = reply.directory as RobotDirectory;
    } catch (error) {
      throw new ServiceError(
        "timeout",
        `peer ${peer} (${control}) did not answer: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    const bound = directory.gateway?.[which];
    if (bound === undefined) {
      throw new ServiceError(
        "unknown-service",
        `${peer} offers no ${which} to other robots (its YAML has no gateway.${which})`,
      );
    }
    return { directory, endpoint: reachableEndpoint(bound, control) };
  }

  /**
   * Connects `socket` to a peer's gateway once the peer answers (retrying
   * until stopped); a topic the peer does not export is a TypeError.
   */
  async #connectToPeer(socket: Subscriber, peer: string, wanted: string): Promise<void> {
    while (!this.#signal.aborted && !this.#closed) {
      let found;
      try {
        found = await this.#peerGateway(peer, "topics", 2000);
      } catch (error) {
        log.warn("{name}: cannot reach peer {peer} yet: {error}", {
          name: this.#name,
          peer,
          error: error instanceof Error ? error.message : error,
        });
        await abortableDelay(1000, this.#signal).catch(() => {/* stopping */});
        continue;
      }
      const topics = Object.keys(found.directory.topics ?? {});
      if (!topics.some((t) => matches(wanted, t))) {
        throw new TypeError(
          `${
            wanted.endsWith("*") ? `no topic starting with '${wanted.slice(0, -1)}'` : `'${wanted}'`
          }` +
            ` is not exported by ${peer} (it exports: ${topics.join(", ") || "nothing"})`,
        );
      }
      socket.connect(found.endpoint);
      return;
    }
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
    const link = await this.#link(service, timeoutMs);
    const rid = crypto.randomUUID();
    const frames = encodeServiceRequest(rid, this.#remote(service)?.name ?? service, request);
    // A stopping node gives up its calls at once: waiting out their timeouts and
    // retries would outlast the supervisor's stop budget (1.5 s) and get it terminated.
    const signal = options.signal === undefined
      ? this.#signal
      : AbortSignal.any([this.#signal, options.signal]);
    let onAbort = () => {};
    const stopped = new Promise<"stopped">((resolve) => {
      onAbort = () => resolve("stopped");
      if (signal.aborted) resolve("stopped");
    });
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const call = { rid, frames, timeoutMs, attempts, signal };
      return await this.#attempts<T>(service, link, call, stopped);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** The attempts of one {@link call}, each ending in its reply, a timeout or `stopped`. */
  async #attempts<T>(
    service: string,
    link: ServiceLink,
    call: {
      rid: string;
      frames: Uint8Array[];
      timeoutMs: number;
      attempts: number;
      signal: AbortSignal;
    },
    stopped: Promise<"stopped">,
  ): Promise<T> {
    const { rid, frames, timeoutMs, attempts, signal } = call;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#closed || signal.aborted) throw this.#callGivenUp(service, signal);
      const reply = link.expectReply(rid, timeoutMs);
      link.dealer.sendTimeout = timeoutMs;
      // The send settles as null or its error, so one left behind by a stop never goes unhandled.
      const sent = link.dealer.send(frames).then(() => null, (error: unknown) => error);
      const failed = await Promise.race([sent, stopped]);
      // EAGAIN: no provider took it within the time, so that attempt timed out.
      const sendError = failed !== null && failed !== "stopped" &&
          !(failed instanceof ZmqError && failed.code === "EAGAIN")
        ? failed
        : null;
      const answer = failed === "stopped" || sendError !== null
        ? "stopped"
        : await Promise.race([reply, stopped]);
      link.pending.delete(rid);
      if (sendError !== null && !this.#closed && !signal.aborted) throw sendError;
      if (answer === "stopped") throw this.#callGivenUp(service, signal);
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

  /** Why a call ended early: the node is stopping, or the caller's signal fired. */
  #callGivenUp(service: string, signal: AbortSignal, what = "call to"): ServiceError {
    const why = this.#signal.aborted || this.#closed
      ? `${this.#name} is stopping`
      : `aborted (${String(signal.reason)})`;
    return new ServiceError("unavailable", `${what} '${service}' given up: ${why}`);
  }

  /**
   * Waits until at least `minimumProviders` providers of `service` are
   * reachable and returns who they are; rejects with a `timeout`
   * {@link ServiceError} when they are not within `timeoutMs`.
   */
  async discover(service: string, options: DiscoverOptions = {}): Promise<string[]> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const minimum = Math.max(1, options.minimumProviders ?? 1);
    const deadline = performance.now() + timeoutMs;
    const remote = this.#remote(service);
    if (remote !== null) return await this.#discoverRemote(service, remote, minimum, deadline);
    const link = await this.#link(service, timeoutMs);
    // A stopping node gives up waiting at once, as its calls do.
    if (!(await link.waitFor(minimum, deadline, this.#signal))) {
      if (this.#signal.aborted) throw this.#callGivenUp(service, this.#signal, "discovery of");
      throw new ServiceError(
        "timeout",
        `${link.connected.size} of ${minimum} provider(s) of '${service}' reachable after ${timeoutMs} ms`,
      );
    }
    return [...new Set(link.connected.values())].sort();
  }

  /** A peer's providers, as its directory names them, once its gateway is connected. */
  async #discoverRemote(
    service: string,
    remote: { peer: string; name: string },
    minimum: number,
    deadline: number,
  ): Promise<string[]> {
    let found: string[] = [];
    let why = "";
    while (performance.now() < deadline && !this.#closed && !this.#signal.aborted) {
      const left = Math.max(1, deadline - performance.now());
      try {
        const { directory } = await this.#peerGateway(
          remote.peer,
          "services",
          Math.min(left, 2000),
        );
        found = directory.services[remote.name] ?? [];
        const link = await this.#link(service, Math.min(left, 2000));
        const soon = Math.min(deadline, performance.now() + 500);
        if (found.length >= minimum && (await link.waitFor(1, soon, this.#signal))) {
          return found.map((p) => `${remote.peer}/${p}`).sort();
        }
      } catch (error) {
        why = error instanceof Error ? `: ${error.message}` : "";
      }
      const pause = Math.min(200, Math.max(1, deadline - performance.now()));
      await abortableDelay(pause, this.#signal).catch(() => {/* stopping: the loop ends */});
    }
    if (this.#signal.aborted) throw this.#callGivenUp(service, this.#signal, "discovery of");
    throw new ServiceError(
      "timeout",
      `${found.length} of ${minimum} provider(s) of '${service}' found in time${why}`,
    );
  }

  /** Closes every socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of this.#links.values()) {
      link.stopTimer();
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

/** Whether a declared subscription covers what `subscribe(wanted)` asks for. */
function covers(declared: string, wanted: string): boolean {
  if (!declared.endsWith("*")) return declared === wanted;
  return wanted.startsWith(declared.slice(0, -1));
}
