/**
 * The distributor's side of the collector protocol, on the Router bound at
 * `acks`: the collector says HELLO, heartbeats and sends ACK with the ids it
 * has passed to `onResult`; those items are done. When the run is over the
 * distributor sends FINISHED with the summary — again on every HELLO or
 * heartbeat, for a collector that missed it — until the collector answers
 * FINISHED-ACK (its `onFinished` ran). While no collector is heard from,
 * the distributor pauses instead of burning retries on missing ACKs.
 *
 * @example
 * ```ts
 * import { Router } from "../sockets/mod.ts";
 * import { CollectorProtocol } from "./distributor_collector.ts";
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
 * const collectors = new CollectorProtocol(router, scheduler, {
 *   timeoutMs: 3000,
 *   wake: () => {},
 *   onFinishedAck: () => console.log("onFinished ran"),
 * });
 * collectors.serve();
 * await router.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Router } from "../sockets/mod.ts";
import { encodeMessage, type PipelineMessage, type PipelineSummary } from "./codec.ts";
import { LivenessRegistry } from "./liveness.ts";
import type { Scheduler } from "./scheduler.ts";
import { type DropCounter, serveRouter } from "./serve.ts";

const log = getLogger(["zedge", "pipeline", "distributor"]);

const HEARTBEAT = encodeMessage({ kind: "heartbeat" });

/**
 * Settings of a {@link CollectorProtocol}.
 *
 * @example
 * ```ts
 * import type { CollectorProtocolOptions } from "./distributor_collector.ts";
 * const o: CollectorProtocolOptions = { timeoutMs: 3000, wake: () => {}, onFinishedAck: () => {} };
 * ```
 */
export interface CollectorProtocolOptions {
  /** A collector silent this long is gone (ms). */
  timeoutMs: number;
  /** A collector appeared: dispatch (which waits for one) may go on. */
  wake: () => void;
  /** The collector confirmed the end of the run. */
  onFinishedAck: () => void;
  /** Counts dropped messages. */
  drops?: DropCounter;
  /** The Router failed while open. */
  onError?: (error: Error) => void;
}

/**
 * The collector(s) the distributor hears from, and what it tells them.
 *
 * @example
 * ```ts
 * import type { CollectorProtocol } from "./distributor_collector.ts";
 * const paused = (c: CollectorProtocol) => !c.alive;
 * ```
 */
export class CollectorProtocol {
  readonly #router: Router;
  readonly #scheduler: Scheduler;
  readonly #options: CollectorProtocolOptions;
  readonly #collectors: LivenessRegistry;
  #finished: Uint8Array | null = null;

  /** Serves the collector on `router` (bound by the caller); ACKs go to `scheduler`. */
  constructor(router: Router, scheduler: Scheduler, options: CollectorProtocolOptions) {
    this.#router = router;
    this.#scheduler = scheduler;
    this.#options = options;
    this.#collectors = new LivenessRegistry(options.timeoutMs);
  }

  /** True while a collector is heard from. */
  get alive(): boolean {
    return this.#collectors.size > 0;
  }

  /** Starts the receive loop. */
  serve(): void {
    serveRouter(this.#router, {
      log,
      from: "the collector",
      accepts: ["hello", "heartbeat", "ack", "finished-ack"],
      drops: this.#options.drops,
      onError: this.#options.onError,
      onMessage: (message, peer, key) => this.#onMessage(message, peer, key),
    });
  }

  /** The run is over: FINISHED with `summary` now, and again whenever a collector speaks. */
  finish(summary: PipelineSummary): void {
    this.#finished = encodeMessage({ kind: "finished", summary });
    this.resendFinished();
  }

  /** Sends FINISHED again to every collector (after {@link finish}). */
  resendFinished(): void {
    const finished = this.#finished;
    if (finished === null) return;
    for (const collector of this.#collectors) {
      this.#router.send([collector.peer, finished]).catch(() => {});
    }
  }

  /** Every heartbeat interval: forgets silent collectors, heartbeats the others. */
  tick(): void {
    this.#collectors.sweep(
      (_collector, silentMs) => {
        log.warn("collector silent for {ms} ms; pausing until it is back", { ms: silentMs });
      },
      (collector) => {
        this.#router.send([collector.peer, HEARTBEAT]).catch(() => {});
      },
    );
  }

  #onMessage(message: PipelineMessage, peer: Uint8Array, key: string): void {
    if (this.#collectors.touch(key) === undefined) {
      this.#collectors.add({ key, peer, lastSeen: 0 });
      log.info("collector connected");
      this.#options.wake();
    }
    switch (message.kind) {
      case "hello":
      case "heartbeat":
        this.resendFinished();
        return;
      case "ack":
        this.#scheduler.acked(message.done, message.ids, message.data);
        return;
      case "finished-ack":
        this.#options.onFinishedAck();
        return;
    }
  }
}
