/**
 * The whole pipeline from code, in one process: a distributor with two
 * dependent task types, a collector, and a worker running four Web-Worker
 * threads. Every role starts from a plain options object.
 *
 * @example
 * ```sh
 * deno run -A examples/pipeline/programmatic.ts
 * ```
 * @module
 */
import { Collector, Distributor, PipelineWorker } from "../../mod.ts";

if (import.meta.main) {
  const distributor = new Distributor({
    workers: "tcp://127.0.0.1:0",
    acks: "tcp://127.0.0.1:0",
    metadata: () => ({ tileSize: 32 }),
    tasks: [
      {
        type: "render",
        items: function* () {
          for (let i = 0; i < 40; i++) yield { x: i % 8, y: Math.floor(i / 8) };
        },
        forwardMetadata: true,
      },
      { type: "upload", items: ["a.png", "b.png"], dependsOn: ["render"] },
    ],
  });
  await distributor.start();
  const collector = new Collector({
    results: "tcp://127.0.0.1:0",
    distributor: distributor.endpoints.acks,
    onResult: (r) => console.log(`${r.id} from ${r.worker}`),
  });
  await collector.start();
  const worker = new PipelineWorker({
    distributor: distributor.endpoints.workers,
    collector: collector.endpoint,
    module: new URL("./handlers.ts", import.meta.url),
    threads: 4,
  });
  worker.run();
  const summary = await distributor.run();
  console.log(`${summary.done}/${summary.total} done in ${summary.elapsedMs} ms`);
  await collector.run();
}
