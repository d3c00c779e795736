/**
 * The Worker script of the pipeline and service kinds (pipeline-distributor,
 * -worker, -collector, -metadata, service-broker, service-worker): the
 * component runtime with their runners only.
 *
 * @example
 * ```ts
 * const worker = new Worker(new URL("./pipeline_worker.ts", import.meta.url), { type: "module" });
 * worker.terminate();
 * ```
 * @module
 */
import { serveComponent } from "../component_runtime.ts";
import type { ComponentSpec, PipelineRoleSpec } from "../spec.ts";
import type { ComponentKindRunner } from "./component.ts";
import { pipelineRunners } from "./pipeline.ts";

// Only start when loaded as a worker (a window-less global with postMessage).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  serveComponent((spec) =>
    pipelineRunners[(spec as PipelineRoleSpec).kind] as ComponentKindRunner<ComponentSpec>
  );
}
