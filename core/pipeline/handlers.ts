/**
 * Handler modules: the user's work functions, one per task type (or service
 * name). A module either exports a function per type name, or a default
 * object whose function properties are keyed by type — the latter allows
 * names like `map-tiles` that are not identifiers.
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
  /** Index of the thread running the handler (0 in a single-threaded worker). */
  thread: number;
}

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
 * Extracts the handlers from an imported module namespace.
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
  const fallback = namespace.default;
  if (typeof fallback === "object" && fallback !== null) {
    for (const [name, value] of Object.entries(fallback)) {
      if (typeof value === "function") handlers.set(name, value as Handler);
    }
  }
  for (const [name, value] of Object.entries(namespace)) {
    if (name !== "default" && typeof value === "function") handlers.set(name, value as Handler);
  }
  return handlers;
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
  return handlers;
}
