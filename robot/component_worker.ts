/**
 * The Worker script of a component of any kind (reached through a static
 * `new URL("./component_worker.ts", import.meta.url)`, so `deno compile
 * --include` embeds it): the component runtime with every kind's runner.
 * `zedge robot check` loads components with it; the supervisor starts each
 * component from its own kind's script in `kinds/`, which loads less.
 *
 * @example
 * ```ts
 * const worker = new Worker(new URL("./component_worker.ts", import.meta.url), { type: "module" });
 * worker.postMessage({ op: "stop" });
 * ```
 * @module
 */
import { serveComponent } from "./component_runtime.ts";
import { runnerFor } from "./kinds/mod.ts";

// Only start when loaded as a worker (a window-less global with postMessage).
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  serveComponent(runnerFor);
}
