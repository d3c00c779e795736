/**
 * Task-type dependency graph: checked once when the distributor starts, so a
 * cycle or a misspelt dependency is refused before any work is handed out.
 *
 * @example
 * ```ts
 * import { checkDependencies } from "./graph.ts";
 * const order = checkDependencies([
 *   { type: "render", dependsOn: [] },
 *   { type: "upload", dependsOn: ["render"] },
 * ]);
 * console.log(order); // ["render", "upload"]
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";

/**
 * Raised for duplicate task types, unknown dependencies or cycles.
 *
 * @example
 * ```ts
 * import { DependencyError, checkDependencies } from "./graph.ts";
 * try {
 *   checkDependencies([{ type: "a", dependsOn: ["a"] }]);
 * } catch (e) {
 *   console.log(e instanceof DependencyError, (e as Error).message);
 * }
 * ```
 */
export class DependencyError extends ZedgeError {
  /** Always `"dependency"`. */
  readonly code: string = "dependency";
  /** Creates the error; `message` names the types involved. */
  constructor(message: string) {
    super(message);
    this.name = "DependencyError";
  }
}

/**
 * Validates the graph and returns the task types in a topological order
 * (parents before children; ties keep declaration order).
 *
 * @example
 * ```ts
 * import { checkDependencies } from "./graph.ts";
 * checkDependencies([{ type: "a" }, { type: "b", dependsOn: ["a"] }]); // ["a", "b"]
 * ```
 */
export function checkDependencies(
  tasks: readonly { type: string; dependsOn?: readonly string[] }[],
): string[] {
  const deps = new Map<string, readonly string[]>();
  for (const task of tasks) {
    if (typeof task.type !== "string" || task.type.length === 0) {
      throw new DependencyError("every task needs a non-empty type");
    }
    if (deps.has(task.type)) {
      throw new DependencyError(`task type '${task.type}' is declared twice`);
    }
    deps.set(task.type, task.dependsOn ?? []);
  }
  for (const [type, parents] of deps) {
    for (const parent of parents) {
      if (!deps.has(parent)) {
        throw new DependencyError(`task type '${type}' depends on unknown task type '${parent}'`);
      }
    }
  }
  // Depth-first search with colours; the stack gives the cycle path for the message.
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const visit = (type: string, path: string[]): void => {
    const s = state.get(type);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...path.slice(path.indexOf(type)), type].join(" -> ");
      throw new DependencyError(`task dependencies form a cycle: ${cycle}`);
    }
    state.set(type, "visiting");
    for (const parent of deps.get(type)!) visit(parent, [...path, type]);
    state.set(type, "done");
    order.push(type);
  };
  for (const type of deps.keys()) visit(type, []);
  return order;
}
