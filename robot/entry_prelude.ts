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
/** Settled by {@link entryLoaded}; kept on the global, as the flag is, for every copy of this module. */
const LOADED = Symbol.for("zedge.component-entry.loaded");
(globalThis as Record<symbol, unknown>)[LOADED] = Promise.withResolvers<void>();

function loadedSignal(): PromiseWithResolvers<void> | undefined {
  return (globalThis as Record<symbol, unknown>)[LOADED] as PromiseWithResolvers<void> | undefined;
}

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
  loadedSignal()?.resolve();
}

/**
 * Resolves once the entry's modules have all run (at once when no entry
 * is loading). A module that awaits at its top level is still running
 * when the supervisor says start: its exports are not there until then,
 * and reading them earlier fails ("Cannot access 'default' before
 * initialization").
 *
 * @example
 * ```ts
 * import { entryLoaded, whenEntryLoaded } from "./entry_prelude.ts";
 * entryLoaded();
 * await whenEntryLoaded();
 * ```
 */
export function whenEntryLoaded(): Promise<void> {
  return entryLoading() ? loadedSignal()?.promise ?? Promise.resolve() : Promise.resolve();
}
