/**
 * Empty pipeline items with ACKs, alone (`deno run -A --unstable-worker-options
 * bench/pipeline_empty.ts [items] [repeat]`): the empty-items case of
 * `deno task bench pipeline` (1 single-threaded worker process, prefetch
 * 2000; distributor and collector in this process) `repeat` times, each run's
 * rate and the distributor+collector CPU per item, then the bare pyzmq
 * PUSH/PULL loop over as many messages in the same run and the ratio of the
 * best pipeline run to it. On a shared machine the rate moves with the load;
 * the CPU per item hardly does, which is what before/after comparisons of the
 * per-item path should read.
 *
 * @example
 * ```sh
 * deno run -A --unstable-worker-options bench/pipeline_empty.ts 200000 3
 * ```
 *
 * @module
 */
import { emptyCase, measure, pyzmqPushPull, warmUp } from "./pipeline.ts";

const items = Number(Deno.args[0] ?? 200_000);
const repeat = Number(Deno.args[1] ?? 3);
const empty = emptyCase(items);

await warmUp();
let best = 0;
for (let run = 1; run <= repeat; run++) {
  const m = await measure(empty);
  const rate = items / (m.ms / 1000);
  best = Math.max(best, rate);
  console.log(
    `run ${run}: ${items} empty items ${Math.round(rate)} items/s, ` +
      `${((m.cpuMs * 1000) / items).toFixed(2)} µs CPU/item in distributor+collector, ` +
      `${
        m.workerCpuMs === null ? "unknown" : ((m.workerCpuMs * 1000) / items).toFixed(2)
      } in the worker`,
  );
}
const py = await pyzmqPushPull(items);
console.log(
  py === null
    ? "pyzmq PUSH/PULL: not available (python3-zmq missing)"
    : `pyzmq PUSH/PULL bare loop ${items} messages: ${Math.round(py)} messages/s; ` +
      `best pipeline run = ${(best / py).toFixed(2)}× it`,
);
