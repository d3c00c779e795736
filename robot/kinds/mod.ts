/**
 * The runner of every component kind, in one table: the component worker
 * looks a spec's kind up here.
 *
 * @example
 * ```ts
 * import { runnerFor } from "./mod.ts";
 * import type { ComponentSpec } from "../config.ts";
 * declare const spec: ComponentSpec;
 * const loaded = await runnerFor(spec).load(spec);
 * ```
 * @module
 */
import type { ComponentSpec } from "../spec.ts";
import type { ComponentKindRunner } from "./component.ts";
import { nodeRunner } from "./node.ts";
import { pipelineRunners } from "./pipeline.ts";
import { taskServerRunner } from "./task_server.ts";

export * from "./component.ts";
export type { NodeContext, NodeLogger, NodeMain } from "./node.ts";

/**
 * The runner for `spec`'s kind.
 *
 * @example
 * ```ts
 * import { runnerFor } from "./mod.ts";
 * import type { ComponentSpec } from "../config.ts";
 * declare const spec: ComponentSpec;
 * runnerFor(spec);
 * ```
 */
export function runnerFor(spec: ComponentSpec): ComponentKindRunner<ComponentSpec> {
  switch (spec.kind) {
    case "task-server":
      return taskServerRunner as ComponentKindRunner<ComponentSpec>;
    case "node":
      return nodeRunner as ComponentKindRunner<ComponentSpec>;
    default:
      return pipelineRunners[spec.kind] as ComponentKindRunner<ComponentSpec>;
  }
}
