/**
 * Where zedge's own code is: this copy ({@link ZEDGE_ROOT}), the entries
 * that hold nothing but code ({@link zedgeSourceAt}), and the module each
 * pipeline thread runs. Component permissions name these, never a file a
 * module's text mentions.
 *
 * @example
 * ```ts
 * import { ZEDGE_SOURCE } from "./zedge_source.ts";
 * console.log(ZEDGE_SOURCE.length); // 4
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL as toFileUrl } from "node:url";

/**
 * The module every pipeline thread runs, in the zedge at `root`; a worker
 * with threads reads it.
 *
 * @example
 * ```ts
 * import { threadWorkerUrl, ZEDGE_ROOT } from "./zedge_source.ts";
 * console.log(threadWorkerUrl(ZEDGE_ROOT).endsWith("/core/pipeline/thread_worker.ts")); // true
 * ```
 */
export function threadWorkerUrl(root: string): string {
  return toFileUrl(join(root, "core/pipeline/thread_worker.ts")).href;
}

/**
 * zedge's own source entries under `root`: a component whose modules import
 * zedge code (or that starts pipeline threads) may read these, which hold
 * nothing but code. The files are granted as these few entries rather than
 * one by one.
 *
 * @example
 * ```ts
 * import { zedgeSourceAt } from "./zedge_source.ts";
 * zedgeSourceAt("/opt/zedge"); // ["/opt/zedge/cli", "/opt/zedge/core", "/opt/zedge/mod.ts", "/opt/zedge/robot"]
 * ```
 */
export function zedgeSourceAt(root: string): string[] {
  return ["cli", "core", "mod.ts", "robot"].map((entry) => join(root, entry));
}

/**
 * This copy of zedge: the directory holding `mod.ts`.
 *
 * @example
 * ```ts
 * import { ZEDGE_ROOT } from "./zedge_source.ts";
 * console.log(ZEDGE_ROOT.endsWith("/")); // false
 * ```
 */
export const ZEDGE_ROOT: string = fromFileUrl(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * This copy of zedge's source entries (see {@link zedgeSourceAt}).
 *
 * @example
 * ```ts
 * import { ZEDGE_SOURCE } from "./zedge_source.ts";
 * console.log(ZEDGE_SOURCE.map((p) => p.split("/").pop())); // ["cli", "core", "mod.ts", "robot"]
 * ```
 */
export const ZEDGE_SOURCE: readonly string[] = zedgeSourceAt(ZEDGE_ROOT);
