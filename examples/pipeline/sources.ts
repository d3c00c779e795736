/**
 * Example item sources. A source export is an iterable or a function that
 * receives the metadata and returns a (sync or async) iterable.
 *
 * @example
 * ```ts
 * import { render } from "./sources.ts";
 * console.log([...render({ metadata: { width: 2, height: 1 } })]);
 * ```
 * @module
 */

/** One item per tile of the map named in the metadata. */
export function* render({ metadata }: { metadata: unknown }): Generator<{ x: number; y: number }> {
  const { width, height } = metadata as { width: number; height: number };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) yield { x, y };
  }
}

/** One upload per tile; starts only after every render item is done. */
export async function* upload({ metadata }: { metadata: unknown }): AsyncGenerator<string> {
  const { width, height, map } = metadata as { width: number; height: number; map: string };
  for (let i = 0; i < width * height; i++) yield `${map}/tile-${i}.png`;
}
