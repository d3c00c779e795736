/**
 * Handler maps: the plain-object way to give a task server its handlers.
 * A map names handlers, each naming components, each a function of the goal
 * that returns (or resolves to) the result. Users load one from a TypeScript
 * module with `zedge task-server --handlers ./my-handlers.ts`.
 *
 * @example
 * ```ts
 * import { HandlerController, type HandlerMap } from "./handlers.ts";
 * const handlers: HandlerMap = {
 *   speech: { say: (goal) => `said '${goal}'` },
 * };
 * const controller = new HandlerController({ handlers });
 * ```
 * @module
 */
import {
  type Awaitable,
  ExecutorController,
  type ExecutorControllerOptions,
} from "./controller.ts";
import type { TaskContext, TaskWork } from "./executor.ts";

/**
 * One component: runs towards `goal`, honouring `context.signal` for aborts.
 *
 * @example
 * ```ts
 * import type { ComponentFunction } from "./handlers.ts";
 * const wave: ComponentFunction = async (goal, { signal, progress }) => {
 *   progress(`waving ${goal}`);
 *   signal.throwIfAborted();
 *   return true;
 * };
 * ```
 */
export type ComponentFunction = (goal: string, context: TaskContext) => unknown;

/**
 * Handlers by name, each with its components by name.
 *
 * @example
 * ```ts
 * import type { HandlerMap } from "./handlers.ts";
 * const handlers: HandlerMap = { arm: { home: () => "homed" } };
 * ```
 */
export type HandlerMap = Record<string, Record<string, ComponentFunction>>;

const FORBIDDEN = [":", "¬", ";"];

/**
 * Checks that `value` is a {@link HandlerMap} and returns it typed; throws a
 * TypeError naming `source` and the offending key otherwise.
 *
 * @example
 * ```ts
 * import { validateHandlerMap } from "./handlers.ts";
 * const handlers = validateHandlerMap({ h: { c: () => 1 } }, "my-handlers.ts");
 * ```
 */
export function validateHandlerMap(value: unknown, source: string): HandlerMap {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${source}: handlers must be an object of handlers`);
  }
  const names = Object.keys(value);
  if (names.length === 0) throw new TypeError(`${source}: handlers must name at least one handler`);
  for (const handler of names) {
    checkName(source, "handler", handler);
    const components = (value as Record<string, unknown>)[handler];
    if (typeof components !== "object" || components === null || Array.isArray(components)) {
      throw new TypeError(`${source}: handler '${handler}' must be an object of components`);
    }
    const componentNames = Object.keys(components);
    if (componentNames.length === 0) {
      throw new TypeError(`${source}: handler '${handler}' has no components`);
    }
    for (const component of componentNames) {
      checkName(source, "component", `${handler}.${component}`, component);
      if (typeof (components as Record<string, unknown>)[component] !== "function") {
        throw new TypeError(
          `${source}: component '${handler}.${component}' must be a function (goal, context) => result`,
        );
      }
    }
  }
  return value as HandlerMap;
}

/**
 * The handler map a handlers module exports: its `handlers` export, else its
 * default export, validated (see {@link validateHandlerMap}). Throws a
 * TypeError naming `source` when there is none or it is malformed.
 *
 * @example
 * ```ts
 * import { handlerMapFromModule } from "./handlers.ts";
 * const handlers = handlerMapFromModule({ handlers: { arm: { home: () => "homed" } } }, "arm.ts");
 * ```
 */
export function handlerMapFromModule(
  namespace: Record<string, unknown>,
  source: string,
): HandlerMap {
  const exported = namespace.handlers ?? namespace.default;
  if (exported === undefined) {
    throw new TypeError(`${source}: exports neither 'handlers' nor a default handler map`);
  }
  return validateHandlerMap(exported, source);
}

function checkName(source: string, kind: string, label: string, name = label): void {
  const bad = FORBIDDEN.find((c) => name.includes(c));
  if (name.length === 0 || bad !== undefined) {
    throw new TypeError(
      `${source}: ${kind} name '${label}' must be non-empty and must not contain ':', '¬' or ';'`,
    );
  }
}

/**
 * Options of a {@link HandlerController}.
 *
 * @example
 * ```ts
 * import type { HandlerControllerOptions } from "./handlers.ts";
 * const options: HandlerControllerOptions = { handlers: { h: { c: () => 1 } }, maxFinished: 50 };
 * ```
 */
export interface HandlerControllerOptions extends ExecutorControllerOptions {
  /** The handlers to serve, by name. */
  handlers: HandlerMap;
}

function quoteList(names: string[]): string {
  return names.map((n) => `'${n}'`).join(", ");
}

/**
 * A controller that runs the components of a {@link HandlerMap}. Unknown
 * handlers and components are REJECTED with a reply listing what exists.
 *
 * @example
 * ```ts
 * import { HandlerController } from "./handlers.ts";
 * const controller = new HandlerController({ handlers: { math: { double: (g) => 2 * Number(g) } } });
 * ```
 */
export class HandlerController extends ExecutorController {
  readonly #handlers: HandlerMap;

  /** Creates the controller; validates `options.handlers`. */
  constructor(options: HandlerControllerOptions) {
    super(options);
    this.#handlers = validateHandlerMap(options.handlers, "handlers");
  }

  /** Handler names this controller serves. */
  get handlerNames(): string[] {
    return Object.keys(this.#handlers);
  }

  /** Returns the work of the named handler for `component` and `goal`; rejects unknown handlers. */
  assign(handler: string, component: string, goal: string): Awaitable<TaskWork> {
    if (!Object.hasOwn(this.#handlers, handler)) {
      throw new Error(
        `No such handler '${handler}', try ${quoteList(Object.keys(this.#handlers))}.`,
      );
    }
    const components = this.#handlers[handler];
    if (!Object.hasOwn(components, component)) {
      throw new Error(
        `No such component '${component}' for handler '${handler}', try ${
          quoteList(Object.keys(components))
        }.`,
      );
    }
    const run = components[component];
    return (context) => run(goal, context);
  }
}
