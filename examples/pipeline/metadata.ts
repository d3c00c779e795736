/**
 * Example metadata: what map to render, and at which tile size. A real
 * robot would query its map server here.
 *
 * @example
 * ```ts
 * import { getMetadata } from "./metadata.ts";
 * console.log(getMetadata());
 * ```
 * @module
 */

/** Returns the metadata the distributor waits for before handing out work. */
export function getMetadata(): { map: string; width: number; height: number; tileSize: number } {
  return { map: "warehouse-3", width: 8, height: 5, tileSize: 48 };
}
