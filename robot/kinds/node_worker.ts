/**
 * The Worker script of a `node` component: the component runtime with
 * that kind's runner only, so the Worker loads no other kind's code.
 *
 * @example
 * ```ts
 * const worker = new Worker(new URL("./node_worker.ts", import.meta.url), { type: "module" });
 * worker.terminate();
 * ```
 * @module
 */
import { serveComponent } from "../component_runtime.ts";
import { nodeRunner } from "./node.ts";
import type { ComponentKindRunner } from "./component.ts";
import type { ComponentSpec } from "../spec.ts";

// Only start when loaded as a worker (a window-less global with postMessage).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  serveComponent(() => nodeRunner as ComponentKindRunner<ComponentSpec>);
}
