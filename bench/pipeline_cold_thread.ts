/**
 * What a pipeline thread's item boundary costs, measured inside a Web
 * Worker (bench/pipeline_profile.ts `cold`): the thread's two steps between
 * two items, as core/pipeline/thread_worker.ts takes them — its result
 * posted to the pool (`postMessage`) and the item sent ahead taken from its
 * jobs port (`receiveMessageOnPort`) — back to back, and right after a
 * 10 ms `Atomics.wait` (the benchmark's item), medians of `rounds`.
 *
 * Run as a worker only: the parent sends `{ port, rounds, mode }` with the
 * jobs port transferred and answers every result with the next item on
 * that port; the worker ends with `{ op: "done", post, receive }` (µs).
 *
 * @example
 * ```ts
 * const thread = new Worker(new URL("./pipeline_cold_thread.ts", import.meta.url), { type: "module" });
 * ```
 * @module
 */
import { receiveMessageOnPort } from "node:worker_threads";
import { deserialize } from "node:v8";
import { Doorbell, RECORD, ThreadChannel } from "../core/pipeline/thread_ring.ts";

/**
 * What the probe thread answers when done: medians in µs.
 *
 * @example
 * ```ts
 * const done: ColdThreadReport = { op: "done", post: 2.4, receive: 0.9 };
 * ```
 */
export interface ColdThreadReport {
  op: "done";
  post: number;
  receive: number;
}

interface Scope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1];
}

function probe(scope: Scope): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  scope.onmessage = (event) => {
    const { port, rounds, mode, ring } = event.data as {
      port: MessagePort;
      rounds: number;
      mode: "hot" | "cold";
      /** The pool's shared-memory path instead of messages: this thread's channel and doorbell. */
      ring?: { channel: SharedArrayBuffer; doorbell: SharedArrayBuffer };
    };
    const channel = ring === undefined ? null : new ThreadChannel(ring.channel);
    const doorbell = ring === undefined ? null : new Doorbell(ring.doorbell);
    const post: number[] = [];
    const receive: number[] = [];
    for (let seq = 0; post.length < rounds; seq++) {
      // Hot: the parent's item had a millisecond to arrive, without a sleep here.
      if (mode === "cold") Atomics.wait(sleeper, 0, 0, 10);
      else {
        const until = performance.now() + 1;
        while (performance.now() < until) { /* the item on its way */ }
      }
      const started = performance.now();
      let next: unknown;
      let posted: number;
      if (channel !== null) {
        // As core/pipeline/thread_worker.ts: the outcome written and the doorbell rung,
        // then the next item read from the ring.
        channel.outcomes.write(RECORD.nothing, seq);
        doorbell!.ring();
        posted = performance.now();
        const record = channel.items.peek();
        if (record !== null) {
          next = deserialize(record.body);
          channel.items.advance();
        }
      } else {
        scope.postMessage({ op: "ok", seq, value: null });
        posted = performance.now();
        next = receiveMessageOnPort(port as never);
      }
      const received = performance.now();
      if (next === undefined) continue; // the item was late: not a boundary that took one
      post.push((posted - started) * 1000);
      receive.push((received - posted) * 1000);
    }
    scope.postMessage({ op: "done", post: median(post), receive: median(receive) });
  };
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  probe(globalThis as unknown as Scope);
}
