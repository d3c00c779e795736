/**
 * The collector: receives results from workers, hands each id to the user's
 * `onResult` exactly once (redelivered duplicates are recognised by id and
 * only ACKed again), ACKs every id to the distributor, and calls
 * `onFinished` when the distributor reports that every item is settled —
 * which it does only after it holds the ACK of every done item.
 *
 * Sockets: a Router bound at `results` (workers connect Dealers) and a Dealer
 * connected to the distributor's `acks` endpoint.
 *
 * @example
 * ```ts
 * import { Collector } from "./collector.ts";
 * const collector = new Collector({
 *   results: "tcp://127.0.0.1:5572",
 *   distributor: "tcp://127.0.0.1:5571",
 *   onResult: (r) => console.log(r.id, r.value),
 *   onFinished: (summary) => console.log(`${summary.done} done`),
 * });
 * await collector.run();
 * ```
 * @module
 */
import type { EndpointSecurity } from "./endpoint_security.ts";
import { getLogger } from "@logtape/logtape";
import { Dealer, Router } from "../sockets/mod.ts";
import {
  type AckData,
  addIndex,
  extendRanges,
  type IndexRanges,
  type ItemResult,
  type PipelineMessage,
  type PipelineSummary,
  type ResultColumns,
  resultColumnsOf,
} from "./codec.ts";
import { IndexSet } from "./index_set.ts";
import { Journal } from "./journal.ts";
import { maxMessageSizeOption, ROLE_HANDSHAKE_LIMITS } from "../limits.ts";
import { addNew, atMost, OrderedSender } from "./link.ts";
import { DropCounter, serveDealer, serveRouter } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "collector"]);

/**
 * One collected result.
 *
 * @example
 * ```ts
 * import type { CollectedResult } from "./collector.ts";
 * const r: CollectedResult = { id: "tiles:3", type: "tiles", value: { bytes: 10 }, worker: "w1" };
 * ```
 */
export interface CollectedResult {
  /** Item id. */
  id: string;
  /** Task type. */
  type: string;
  /** What the handler returned. */
  value: unknown;
  /** Name of the worker that produced it. */
  worker: string;
  /**
   * The distributor's metadata, when the item's task type forwards it
   * (`forwardMetadata`); absent otherwise.
   */
  metadata?: unknown;
}

/**
 * Everything a collector needs.
 *
 * @example
 * ```ts
 * import type { CollectorOptions } from "./collector.ts";
 * const options: CollectorOptions = {
 *   results: "tcp://127.0.0.1:5572",
 *   distributor: "tcp://127.0.0.1:5571",
 *   journal: "/var/lib/zedge/collector.db",
 * };
 * ```
 */
export interface CollectorOptions {
  /** Endpoint to bind for worker results. */
  results: string;
  /** The distributor's `acks` endpoint. */
  distributor: string;
  /**
   * Called once per item id, before its ACK is sent. What it returns (or
   * resolves to), unless `undefined`, is ACK data: it travels with the ACK,
   * and the distributor hands the latest to the task sources'
   * `isAvailableForHandling` (the seed's `get_ack_data`).
   */
  onResult?: (result: CollectedResult) => unknown;
  /** Called once, after every result arrived. */
  onFinished?: (summary: PipelineSummary) => void | Promise<void>;
  /** SQLite file remembering ids passed to `onResult`, across collector restarts. */
  journal?: string;
  /** Name in logs (default `collector-<pid>`). */
  name?: string;
  /** Heartbeat period towards the distributor (ms, default 1000). */
  heartbeatIntervalMs?: number;
  /** Stop after `onFinished` (default true). */
  exitOnFinished?: boolean;
  /**
   * Largest message accepted from a peer, in bytes (default 64 MiB, -1 = no
   * limit); a larger one closes that peer's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN per endpoint, by the option naming it (see
   * EndpointSecurity); endpoints not named speak NULL.
   */
  security?: EndpointSecurity<"results" | "distributor">;
}

/**
 * Receives results and ACKs them.
 *
 * @example
 * ```ts
 * import { Collector } from "./collector.ts";
 * const c = new Collector({ results: "tcp://127.0.0.1:0", distributor: "tcp://127.0.0.1:5571" });
 * await c.start();
 * console.log(c.endpoint);
 * await c.close();
 * ```
 */
export class Collector {
  readonly #options: CollectorOptions;
  readonly #maxMessageSize: number;
  /** Indexes passed to `onResult`, by task type (items with default ids). */
  readonly #seen = new Map<string, IndexSet>();
  /** Ids passed to `onResult` that a source made itself (`idOf`). */
  readonly #seenIds = new Set<string>();
  readonly #drops = new DropCounter();
  #router: Router | null = null;
  #dealer: Dealer | null = null;
  #out: OrderedSender | null = null;
  #journal: Journal | null = null;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;
  #closed = false;
  #finished: PipelineSummary | null = null;
  #duplicates = 0;
  #done: Promise<PipelineSummary | null> | null = null;
  #resolveDone: ((summary: PipelineSummary | null) => void) | null = null;

  /** Keeps the options; nothing binds before {@link start}. */
  constructor(options: CollectorOptions) {
    this.#options = options;
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize);
  }

  /** The resolved results endpoint (port 0 becomes the real port). */
  get endpoint(): string {
    return this.#router?.lastEndpoint ?? this.#options.results;
  }

  /** Results received again after redelivery and not passed to `onResult`. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Messages dropped as malformed or unexpected, on both sockets. */
  get dropped(): number {
    return this.#drops.count;
  }

  /** Binds, connects and says hello; {@link run} awaits the end. */
  async start(): Promise<void> {
    if (this.#done !== null) return;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    if (this.#options.journal !== undefined) {
      this.#journal = new Journal({ path: this.#options.journal });
    }
    const maxMessageSize = this.#maxMessageSize;
    const security = this.#options.security ?? {};
    this.#router = new Router({
      ...security.results,
      receiveHighWaterMark: 100_000,
      maxMessageSize,
      ...ROLE_HANDSHAKE_LIMITS,
    });
    try {
      await this.#router.bind(this.#options.results);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#dealer = new Dealer({
      immediate: true, // live peers only (see worker.ts)
      ...security.distributor,
      linger: 1000,
      sendHighWaterMark: 100_000,
      maxMessageSize,
    });
    this.#dealer.connect(this.#options.distributor);
    this.#out = new OrderedSender(this.#dealer, ["zedge", "pipeline", "collector"]);
    const name = this.#options.name ?? `collector-${Deno.pid}`;
    this.#out.send({ kind: "hello", name });
    this.#timer = setInterval(
      () => this.#out?.send({ kind: "heartbeat" }),
      this.#options.heartbeatIntervalMs ?? 1000,
    );
    serveRouter(this.#router, {
      log,
      from: "a worker",
      accepts: ["results"],
      drops: this.#drops,
      onMessage: (message) => this.#onResults(message),
    });
    serveDealer(this.#dealer, {
      log,
      from: "the distributor",
      accepts: ["finished", "heartbeat"],
      drops: this.#drops,
      onMessage: (message) => this.#onDistributorMessage(message),
    });
    log.info("collector receiving results at {endpoint}", { endpoint: this.endpoint });
  }

  /** Starts (if needed); resolves with the summary after `onFinished`, or `null` if closed first. */
  async run(): Promise<PipelineSummary | null> {
    await this.start();
    return await this.#done!;
  }

  /** Stops at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    // Let the last ACKs out, but never wait for a distributor that is gone.
    await atMost(this.#out?.drained(), 500);
    await Promise.all([this.#router?.close(), this.#dealer?.close()]);
    this.#journal?.close();
    this.#resolveDone?.(this.#finished);
  }

  /**
   * Claims `result` for `onResult`: false when it was passed on before (this
   * run or, with a journal, an earlier one). A bit in the type's index set:
   * this runs per item.
   */
  #claim(result: ItemResult): boolean {
    if (result.ownId) {
      if (!addNew(this.#seenIds, result.id)) return false;
    } else if (!this.#indexesOf(result.type).add(result.index)) return false;
    return !(this.#journal?.isDone(result.id) ?? false);
  }

  /** `onResult` threw: the result may come again and is passed on then. */
  #unclaim(result: ItemResult): void {
    if (result.ownId) this.#seenIds.delete(result.id);
    else this.#indexesOf(result.type).delete(result.index);
  }

  #indexesOf(type: string): IndexSet {
    let set = this.#seen.get(type);
    if (set === undefined) this.#seen.set(type, set = new IndexSet());
    return set;
  }

  /** Passes each new result to `onResult` (awaited: back-pressure), then ACKs them all. */
  async #onResults(message: Extract<PipelineMessage, { kind: "results" }>): Promise<void> {
    if (this.#finished !== null && !(this.#options.exitOnFinished ?? true)) {
      this.#finished = null; // a long-lived collector sees the next run begin
    }
    const columns = this.#options.onResult === undefined && this.#journal === null
      ? resultColumnsOf(message)
      : undefined;
    if (columns !== undefined) return this.#ackColumns(columns);
    const done: IndexRanges[] = [];
    const ids: string[] = [];
    const ack = (result: ItemResult) => {
      if (result.ownId) ids.push(result.id);
      else addIndex(done, result.type, result.index);
    };
    const fresh: { id: string; type: string }[] = [];
    let data: AckData | undefined;
    const onResult = this.#options.onResult;
    for (const result of message.results) {
      if (!this.#claim(result)) {
        this.#duplicates++;
        ack(result);
        continue;
      }
      if (onResult === undefined) {
        ack(result);
        if (this.#journal !== null) fresh.push(result);
        continue;
      }
      try {
        const collected: CollectedResult = {
          id: result.id,
          type: result.type,
          value: result.value,
          worker: message.worker,
        };
        const metadata = message.metadata;
        if (metadata !== undefined && result.type in metadata) {
          collected.metadata = metadata[result.type];
        }
        let returned = onResult(collected);
        if (returned instanceof Promise) returned = await returned;
        // Only the last matters: the distributor reads the batch as one ACK.
        if (returned !== undefined) data = { id: result.id, type: result.type, data: returned };
      } catch (error) {
        // Not ACKed: the distributor redelivers after its ACK timeout.
        log.error("onResult threw for {id}: {error}", { id: result.id, error });
        this.#unclaim(result);
        continue;
      }
      ack(result);
      if (this.#journal !== null) fresh.push(result);
    }
    this.#journal?.markDone(fresh);
    if (done.length === 0 && ids.length === 0) return;
    try {
      this.#out!.send({ kind: "ack", done, ids, data });
    } catch (error) {
      log.error("ACK data of {id} cannot be encoded, sent without it: {error}", {
        id: data?.id,
        error,
      });
      this.#out!.send({ kind: "ack", done, ids });
    }
  }

  /**
   * ACKs a results message read as columns (no `onResult`, no journal):
   * each item is claimed in its type's index set and ACKed by index, or by
   * its own id; no object or id string per item.
   */
  #ackColumns(c: ResultColumns): void {
    const done: IndexRanges[] = [];
    const ids: string[] = [];
    // Per type of the message: its index set and its ranges in the ACK.
    const seen = c.types.map((type) => this.#indexesOf(type));
    const ranges = c.types.map(() => null as IndexRanges | null);
    for (let i = 0; i < c.count; i++) {
      const own = c.ownIds?.[i];
      if (own !== undefined) {
        if (!addNew(this.#seenIds, own)) this.#duplicates++;
        ids.push(own);
        continue;
      }
      const ref = c.typeRefs[i];
      const index = c.indexes[i];
      if (!seen[ref].add(index)) this.#duplicates++;
      let group = ranges[ref];
      if (group === null) done.push(group = ranges[ref] = { type: c.types[ref], ranges: [] });
      extendRanges(group.ranges, index);
    }
    if (done.length === 0 && ids.length === 0) return;
    this.#out!.send({ kind: "ack", done, ids });
  }

  async #onDistributorMessage(message: PipelineMessage): Promise<void> {
    if (message.kind !== "finished") return; // heartbeats only show the distributor is there
    if (this.#finished === null) {
      this.#finished = message.summary;
      try {
        await this.#options.onFinished?.(message.summary);
      } catch (error) {
        log.error("onFinished threw: {error}", { error });
      }
    }
    this.#out!.send({ kind: "finished-ack" });
    if (this.#options.exitOnFinished ?? true) await this.close();
  }
}
