/**
 * The zedge release version, kept in one place so that the CLI, the READY
 * metadata and the benchmarks all report the same number.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`zedge ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
