/**
 * Handler modules: the user's work functions, one per task type (or service
 * name). A module either exports a function per type name, or a default
 * object whose function properties are keyed by type — the latter allows
 * names like `map-tiles` that are not identifiers.
 *
 * Two names are hooks, not task types ({@link HOOK_NAMES}): `init(ctx)` runs
 * once in every thread that runs the module's functions, before the first
 * item, and what it returns is each item's `ctx.state` there; `prepare(payload,
 * ctx)` runs in a threaded worker's own thread before an item goes to a
 * thread (in a single-threaded worker, just before the handler), and what it
 * returns is the payload the handler gets.
 *
 * @example
 * ```ts
 * // handlers.ts
 * export function square(payload: unknown) {
 *   return (payload as number) ** 2;
 * }
 * export default { "map-tiles": (p: unknown) => ({ tile: p }) };
 * ```
 * @module
 */
import { displayUrl, importModule, moduleLoadReason } from "../module_import.ts";

/**
 * What a handler gets besides the payload.
 *
 * @example
 * ```ts
 * import type { HandlerContext } from "./handlers.ts";
 * const ctx: HandlerContext = { id: "a:1", type: "a", attempt: 1, metadata: undefined, thread: 0 };
 * ```
 */
export interface HandlerContext {
  /** The item id (stable across redeliveries). */
  id: string;
  /** The task type (or service name). */
  type: string;
  /** Delivery attempt, 1 for the first. */
  attempt: number;
  /** Metadata the task forwards to workers, `undefined` when it does not. */
  metadata: unknown;
  /**
   * Index of the thread running the handler (0 in a single-threaded worker;
   * -1 where `prepare` runs in a threaded worker's own thread).
   */
  thread: number;
  /** What the module's `init` returned in this thread (`undefined` without one). */
  state?: unknown;
}

/**
 * What a module's `init` hook gets: where it runs.
 *
 * @example
 * ```ts
 * import type { InitContext } from "./handlers.ts";
 * const ctx: InitContext = { worker: "cpu-1", thread: 0 };
 * ```
 */
export interface InitContext {
  /** Name of the worker (or service worker) loading the module. */
  worker: string;
  /** Index of the thread (0 in a single-threaded worker, -1 in a threaded worker's own thread). */
  thread: number;
}

/**
 * The optional hooks of a handler module.
 *
 * @example
 * ```ts
 * import type { HandlerHooks } from "./handlers.ts";
 * const hooks: HandlerHooks = {
 *   init: ({ thread }) => ({ cache: new Map(), thread }),
 *   prepare: (payload, ctx) => ({ payload, preparedFor: ctx.id }),
 * };
 * ```
 */
export interface HandlerHooks {
  /**
   * Runs once per worker or thread, before its first item (awaited; a throw
   * stops the worker from starting); the result is `ctx.state`.
   */
  init?: (ctx: InitContext) => unknown;
  /**
   * Runs before an item goes to a thread, in the worker's own thread
   * (awaited); its result, unless `undefined`, replaces the payload. A throw
   * fails that attempt of the item.
   */
  prepare?: (payload: unknown, ctx: HandlerContext) => unknown;
}

/**
 * Export names that are hooks, never task types or services.
 *
 * @example
 * ```ts
 * import { HOOK_NAMES } from "./handlers.ts";
 * console.log(HOOK_NAMES.includes("init")); // true
 * ```
 */
export const HOOK_NAMES: readonly string[] = ["init", "prepare"];

/**
 * A work function. Its return value (msgpack-encodable; `undefined` becomes
 * `null`) goes to the collector; a throw or rejection fails the attempt.
 *
 * @example
 * ```ts
 * import type { Handler } from "./handlers.ts";
 * const resize: Handler = async (payload, ctx) => ({ id: ctx.id, size: payload });
 * ```
 */
export type Handler = (payload: unknown, ctx: HandlerContext) => unknown;

/**
 * Handlers keyed by task type, as given in code (not through a module).
 *
 * @example
 * ```ts
 * import type { HandlerMap } from "./handlers.ts";
 * const handlers: HandlerMap = { echo: (p) => p };
 * ```
 */
export type HandlerMap = Record<string, Handler>;

/**
 * Extracts the handlers from an imported module namespace (every function
 * but the hooks).
 *
 * @example
 * ```ts
 * import { handlersFromModule } from "./handlers.ts";
 * const map = handlersFromModule({ echo: (p: unknown) => p, default: { "a-b": () => 1 } });
 * console.log([...map.keys()]); // ["a-b", "echo"]
 * ```
 */
export function handlersFromModule(namespace: Record<string, unknown>): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  for (const [name, value] of moduleFunctions(namespace)) {
    if (!HOOK_NAMES.includes(name)) handlers.set(name, value as Handler);
  }
  return handlers;
}

/**
 * Extracts the hooks (`init`, `prepare`) from an imported module namespace.
 *
 * @example
 * ```ts
 * import { hooksFromModule } from "./handlers.ts";
 * const hooks = hooksFromModule({ init: () => 1, echo: (p: unknown) => p });
 * console.log(typeof hooks.init, hooks.prepare); // "function" undefined
 * ```
 */
export function hooksFromModule(namespace: Record<string, unknown>): HandlerHooks {
  const functions = moduleFunctions(namespace);
  return {
    init: functions.get("init") as HandlerHooks["init"],
    prepare: functions.get("prepare") as HandlerHooks["prepare"],
  };
}

/** Every exported function by name; a named export wins over the default object's. */
function moduleFunctions(namespace: Record<string, unknown>): Map<string, unknown> {
  const functions = new Map<string, unknown>();
  const fallback = namespace.default;
  if (typeof fallback === "object" && fallback !== null) {
    for (const [name, value] of Object.entries(fallback)) {
      if (typeof value === "function") functions.set(name, value);
    }
  }
  for (const [name, value] of Object.entries(namespace)) {
    if (name !== "default" && typeof value === "function") functions.set(name, value);
  }
  return functions;
}

/**
 * Turns a module path, file URL or `file:` string into an absolute URL.
 * Relative paths resolve against `base` (a directory URL), default the
 * current working directory.
 *
 * @example
 * ```ts
 * import { resolveModule } from "./handlers.ts";
 * resolveModule("./handlers.ts", new URL("file:///etc/zedge/")).href; // "file:///etc/zedge/handlers.ts"
 * ```
 */
export function resolveModule(specifier: string | URL, base?: URL): URL {
  if (specifier instanceof URL) return specifier;
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return new URL(specifier);
  const dir = base ?? new URL(`file://${Deno.cwd()}/`);
  return new URL(specifier, dir);
}

/**
 * Imports a handler module and returns its handlers; throws naming the
 * module when it cannot be loaded or exports no function.
 *
 * @example
 * ```ts
 * import { loadHandlers } from "./handlers.ts";
 * const handlers = await loadHandlers(new URL("./examples/pipeline/handlers.ts", `file://${Deno.cwd()}/`));
 * ```
 */
export async function loadHandlers(module: string | URL): Promise<Map<string, Handler>> {
  return (await loadHandlerModule(module)).handlers;
}

/**
 * Imports a handler module and returns its handlers and hooks; throws naming
 * the module when it cannot be loaded or exports no handler.
 *
 * @example
 * ```ts
 * import { loadHandlerModule } from "./handlers.ts";
 * const { handlers, hooks } = await loadHandlerModule("./examples/pipeline/handlers.ts");
 * console.log([...handlers.keys()], hooks.init === undefined);
 * ```
 */
export async function loadHandlerModule(
  module: string | URL,
): Promise<{ handlers: Map<string, Handler>; hooks: HandlerHooks }> {
  const url = resolveModule(module);
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(url);
  } catch (error) {
    throw new Error(
      `cannot load handler module ${displayUrl(url.href)}: ${moduleLoadReason(error)}`,
    );
  }
  const handlers = handlersFromModule(namespace);
  if (handlers.size === 0) {
    throw new Error(`handler module ${url.href} exports no function`);
  }
  return { handlers, hooks: hooksFromModule(namespace) };
}

/**
 * Runs a module's `init` hook (if any) and returns its result; a throw
 * becomes an error naming the hook.
 *
 * @example
 * ```ts
 * import { runInit } from "./handlers.ts";
 * const state = await runInit({ init: () => ({ ready: true }) }, { worker: "w", thread: 0 });
 * ```
 */
export async function runInit(hooks: HandlerHooks, ctx: InitContext): Promise<unknown> {
  if (hooks.init === undefined) return undefined;
  try {
    return await hooks.init(ctx);
  } catch (error) {
    throw new Error(`init() threw: ${error instanceof Error ? error.message : error}`);
  }
}
