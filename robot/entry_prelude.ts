/**
 * The first module of every generated component entry (see
 * `component_entry.ts`): it marks the Worker as loading its modules, so
 * the component runtime can tell a module that throws while it loads (a
 * load failure: the component fails at once) from a crash later. The
 * entry's own body, which runs once every module it imports has run, calls
 * {@link entryLoaded}.
 *
 * @example
 * ```ts
 * import { entryLoaded, entryLoading } from "./entry_prelude.ts";
 * entryLoaded();
 * console.log(entryLoading()); // false
 * ```
 * @module
 */

const LOADING = Symbol.for("zedge.component-entry.loading");
(globalThis as Record<symbol, unknown>)[LOADING] = true;

/**
 * True while a generated entry is still running its imports.
 *
 * @example
 * ```ts
 * import { entryLoading } from "./entry_prelude.ts";
 * if (entryLoading()) console.log("still loading the component's modules");
 * ```
 */
export function entryLoading(): boolean {
  return (globalThis as Record<symbol, unknown>)[LOADING] === true;
}

/**
 * Called by the entry once all its modules have loaded.
 *
 * @example
 * ```ts
 * import { entryLoaded } from "./entry_prelude.ts";
 * entryLoaded();
 * ```
 */
export function entryLoaded(): void {
  (globalThis as Record<symbol, unknown>)[LOADING] = false;
}
