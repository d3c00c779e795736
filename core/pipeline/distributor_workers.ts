/**
 * The distributor's side of the worker protocol, on the Router bound at
 * `workers`: workers register (READY with their types and credit), return
 * credit with the ids they finished or failed (CREDIT), heartbeat and leave
 * (BYE). It sends WORK batches never larger than a worker's credit, the
 * metadata for the types that forward it, heartbeats, RESET to a peer it
 * does not know, and END when the run is over. A worker that re-registers,
 * leaves or goes silent loses its items to redelivery.
 *
 * How a worker learns that the run is over, even one that misses the END
 * sent to the registered workers: END also goes to every worker that was
 * registered at any time during the run (one given up as silent may only be
 * paused, and reads it when it wakes up), and from then until the
 * distributor closes, anything from a worker it does not know is answered
 * with END instead of RESET. A worker whose distributor is gone altogether
 * gives up on its own (see `giveUpAfterMs` in worker.ts).
 *
 * @example
 * ```ts
 * import { Router } from "../sockets/mod.ts";
 * import { WorkerProtocol } from "./distributor_workers.ts";
 * import { Timers } from "./link.ts";
 * import { RunJournal } from "./resume.ts";
 * import { Scheduler } from "./scheduler.ts";
 * const router = new Router();
 * const scheduler = new Scheduler([], {
 *   journal: new RunJournal(undefined),
 *   timers: new Timers(),
 *   graceMs: 1000,
 *   hooks: { wake() {}, settled() {}, abort() {} },
 * });
 * const workers = new WorkerProtocol(router, scheduler, { timeoutMs: 3000, wake: () => {} });
 * workers.serve();
 * await router.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Router } from "../sockets/mod.ts";
import { encodeMessage, PIPELINE_WIRE, type PipelineMessage, WorkFrameWriter } from "./codec.ts";
import { LivenessRegistry, type LivePeer } from "./liveness.ts";
import type { ItemHolder, Scheduler } from "./scheduler.ts";
import { type DropCounter, serveRouter } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "distributor"]);

/** No worker may hold more items than this, whatever credit it claims. */
const MAX_CREDIT = 100_000;

const HEARTBEAT = encodeMessage({ kind: "heartbeat" });

/** A registered worker. */
interface WorkerState extends LivePeer, ItemHolder {
  readonly name: string;
  readonly types: Set<string>;
  credit: number;
  inflight: number;
}

/**
 * Settings of a {@link WorkerProtocol}.
 *
 * @example
 * ```ts
 * import type { WorkerProtocolOptions } from "./distributor_workers.ts";
 * const o: WorkerProtocolOptions = { timeoutMs: 3000, wake: () => {} };
 * ```
 */
export interface WorkerProtocolOptions {
  /** A worker silent this long is dead (ms). */
  timeoutMs: number;
  /** Credit or workers changed: dispatch soon. */
  wake: () => void;
  /** Counts dropped messages. */
  drops?: DropCounter;
  /** The Router failed while open. */
  onError?: (error: Error) => void;
}

/**
 * Registered workers and everything the distributor says to them.
 *
 * @example
 * ```ts
 * import type { WorkerProtocol } from "./distributor_workers.ts";
 * const inFlight = (workers: WorkerProtocol) => workers.inFlight;
 * ```
 */
export class WorkerProtocol {
  /** Most workers registered at once so far (`minWorkers` waits for this). */
  peak = 0;
  readonly #router: Router;
  readonly #scheduler: Scheduler;
  readonly #options: WorkerProtocolOptions;
  readonly #workers: LivenessRegistry<WorkerState>;
  #metadata: { data: unknown; types: string[] } | null = null;
  #ending = false;
  /** Routing ids of every worker registered during the run, for END. */
  readonly #seen = new Map<string, Uint8Array>();

  /** Serves workers on `router` (bound by the caller), scheduling with `scheduler`. */
  constructor(router: Router, scheduler: Scheduler, options: WorkerProtocolOptions) {
    this.#router = router;
    this.#scheduler = scheduler;
    this.#options = options;
    this.#workers = new LivenessRegistry(options.timeoutMs);
  }

  /** Workers registered now. */
  get count(): number {
    return this.#workers.size;
  }

  /** Items at workers now. */
  get inFlight(): number {
    let n = 0;
    for (const worker of this.#workers) n += worker.inflight;
    return n;
  }

  /** Starts the receive loop. */
  serve(): void {
    serveRouter(this.#router, {
      log,
      from: "a worker",
      accepts: ["ready", "credit", "heartbeat", "bye"],
      drops: this.#options.drops,
      onError: this.#options.onError,
      onMessage: (message, peer, key) => this.#onMessage(message, peer, key),
    });
  }

  /** Metadata arrived: sent to every worker with a type in `types`, now and on registration. */
  setMetadata(data: unknown, types: string[]): void {
    if (types.length === 0) return;
    this.#metadata = { data: data ?? null, types };
    for (const worker of this.#workers) this.#sendMetadata(worker);
  }

  /** Hands each worker with credit a batch of queued items. */
  dispatch(): void {
    for (const worker of this.#workers) {
      if (worker.credit <= 0) continue;
      const frame = new WorkFrameWriter(worker.credit);
      this.#scheduler.assign(worker, frame);
      if (frame.count > 0) this.#sendWork(worker, frame.finish());
    }
  }

  /**
   * Every heartbeat interval: drops silent workers (their items are
   * redelivered), heartbeats the others and fails their overdue items.
   */
  tick(): void {
    const now = performance.now();
    this.#workers.sweep(
      (worker, silentMs) => this.#drop(worker, `silent for ${silentMs} ms`),
      (worker) => {
        this.#router.send([worker.peer, HEARTBEAT]).catch(() => {});
        this.#scheduler.expireInflight(worker, now);
      },
    );
  }

  /**
   * The run is over: END to every worker registered during the run, and to
   * any that speaks up before the distributor closes.
   */
  end(): void {
    this.#ending = true;
    for (const peer of this.#seen.values()) this.#send(peer, { kind: "end" });
  }

  #onMessage(message: PipelineMessage, peer: Uint8Array, key: string): void {
    const worker = this.#workers.touch(key);
    if (this.#ending && (worker === undefined || message.kind === "ready")) {
      // A worker we gave up on, or one registering late: nothing is left to do.
      if (message.kind !== "bye") this.#send(peer, { kind: "end" });
      return;
    }
    switch (message.kind) {
      case "ready": {
        const wire = message.wire ?? 1;
        if (wire !== PIPELINE_WIRE) {
          log.error(
            "worker {name} speaks pipeline wire {wire}, this distributor {ours}: every role " +
              "of a pipeline must run the same zedge release; told it the run is over",
            { name: message.name, wire, ours: PIPELINE_WIRE },
          );
          this.#send(peer, { kind: "end" });
          return;
        }
        if (worker !== undefined) this.#drop(worker, "worker re-registered");
        const fresh: WorkerState = {
          key,
          peer,
          name: message.name,
          types: new Set(message.types),
          credit: Math.min(message.credit, MAX_CREDIT),
          inflight: 0,
          lastSeen: 0,
        };
        this.#workers.add(fresh);
        this.#seen.set(key, peer);
        this.peak = Math.max(this.peak, this.#workers.size);
        log.info("worker {name} ready for {types} with credit {credit}", {
          name: message.name,
          types: message.types.join(","),
          credit: message.credit,
        });
        this.#sendMetadata(fresh);
        this.#options.wake();
        return;
      }
      case "credit": {
        if (worker === undefined) return this.#send(peer, { kind: "reset" });
        worker.credit = Math.min(worker.credit + message.credit, MAX_CREDIT);
        this.#scheduler.finished(worker, message.done);
        for (const failure of message.failed) {
          this.#scheduler.failedAt(worker, failure.type, failure.index, failure.reason);
        }
        this.#options.wake();
        return;
      }
      case "heartbeat":
        if (worker === undefined) this.#send(peer, { kind: "reset" });
        return;
      case "bye":
        if (worker !== undefined) this.#drop(worker, "worker left");
        return;
    }
  }

  #drop(worker: WorkerState, reason: string): void {
    this.#workers.remove(worker);
    if (worker.inflight > 0) {
      log.warn("worker {name}: {reason}; redelivering {count} items", {
        name: worker.name,
        reason,
        count: worker.inflight,
      });
    }
    this.#scheduler.failAll(worker, `worker ${worker.name}: ${reason}`);
    this.#options.wake();
  }

  #send(peer: Uint8Array, message: PipelineMessage): void {
    this.#router.send([peer, encodeMessage(message)]).catch((error) => {
      if (!this.#router.closed) log.warn("send to worker failed: {error}", { error });
    });
  }

  #sendMetadata(worker: WorkerState): void {
    if (this.#metadata === null) return;
    const types = this.#metadata.types.filter((t) => worker.types.has(t));
    if (types.length === 0) return;
    this.#send(worker.peer, { kind: "metadata", data: this.#metadata.data, types });
  }

  /** Sends a work frame (items whose payload msgpack cannot encode were failed while writing it). */
  #sendWork(worker: WorkerState, frame: Uint8Array): void {
    this.#router.send([worker.peer, frame]).catch((error) => {
      if (!this.#router.closed) log.warn("send to worker failed: {error}", { error });
    });
  }
}
