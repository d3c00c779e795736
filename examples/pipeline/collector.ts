/**
 * Example collector callbacks: count results per task type and print a
 * summary once every result has arrived.
 *
 * @example
 * ```ts
 * import { onResult } from "./collector.ts";
 * onResult({ id: "render:0", type: "render", value: null, worker: "w" });
 * ```
 * @module
 */
import type { CollectedResult, PipelineSummary } from "../../core/pipeline/mod.ts";

const perType = new Map<string, number>();

/** Called once per item id. */
export function onResult(result: CollectedResult): void {
  perType.set(result.type, (perType.get(result.type) ?? 0) + 1);
}

/** Called once, after the last result. */
export function onFinished(summary: PipelineSummary): void {
  const counts = [...perType].map(([type, n]) => `${type}=${n}`).join(" ");
  console.log(`collector: ${counts} (${summary.failed.length} failed)`);
}
