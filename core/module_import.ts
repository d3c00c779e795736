/**
 * Importing a user's module (handlers, nodes, item sources, collectors) by a
 * URL known only at run time, and saying in one line why it could not load.
 *
 * The import goes through one function built at start-up instead of an
 * `import(url)` at each call site: `deno publish` cannot analyze a dynamic
 * import of a computed specifier and warns about each one, although these
 * are meant to be (the modules are the user's, not zedge's) and always get
 * an absolute URL, so there is nothing in them to rewrite. It behaves as
 * `import(url)` does: same module cache, same permission checks (a Worker
 * with narrower permissions needs read access to the file), and a compiled
 * binary loads the modules embedded with `--include`.
 *
 * @example
 * ```ts
 * import { importModule, moduleLoadReason } from "./module_import.ts";
 * try {
 *   const namespace = await importModule(new URL("./handlers.ts", `file://${Deno.cwd()}/`));
 *   console.log(Object.keys(namespace));
 * } catch (error) {
 *   console.error(`cannot load handlers.ts: ${moduleLoadReason(error)}`);
 * }
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

const dynamicImport = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<Record<string, unknown>>;

/**
 * Imports the module at an absolute URL (`file:`, `data:`, `https:`, …) and
 * resolves with its namespace. A relative specifier is refused: there is no
 * module to resolve it against.
 *
 * @example
 * ```ts
 * import { importModule } from "./module_import.ts";
 * const path = await importModule("node:path");
 * console.log(typeof path.join); // "function"
 * ```
 */
export function importModule(url: string | URL): Promise<Record<string, unknown>> {
  const href = url instanceof URL ? url.href : url;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(href)) {
    return Promise.reject(new TypeError(`importModule needs an absolute URL, got '${href}'`));
  }
  return dynamicImport(href);
}

/**
 * A `file:` URL as its path; other URLs as they are.
 *
 * @example
 * ```ts
 * import { displayUrl } from "./module_import.ts";
 * displayUrl("file:///opt/robot/nodes/odometry.ts"); // "/opt/robot/nodes/odometry.ts"
 * ```
 */
export function displayUrl(url: string): string {
  return url.startsWith("file:") ? fileURLToPath(url) : url;
}

/**
 * Why a module did not load, in one line that keeps the position Deno
 * gives: `SyntaxError: Expression expected at /robot/handlers.ts:3:14` for
 * a syntax error (Deno's code excerpt left out), `Module not found
 * "file:///…"`, or a top-level throw's message with the frame in the module
 * that threw (`boom (at /robot/handlers.ts:2:7)`).
 *
 * @example
 * ```ts
 * import { moduleLoadReason } from "./module_import.ts";
 * const error = new TypeError(
 *   "SyntaxError: Expression expected\n  |\n1 | x * ;\n  |     ~\n    at file:///h.ts:1:5",
 * );
 * moduleLoadReason(error); // "SyntaxError: Expression expected at /h.ts:1:5"
 * ```
 */
export function moduleLoadReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = error.message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const first = lines[0] ?? error.name;
  const name = error.name !== "Error" && error.name !== "TypeError" && !first.includes(":")
    ? `${error.name}: `
    : "";
  // A syntax error: Deno's message ends with "at file:///…:line:col".
  const at = lines.find((l) => /^at \S+:\d+:\d+$/.test(l));
  if (at !== undefined) return `${name}${first} at ${displayPosition(at.slice(3))}`;
  if (first.includes("Module not found") || first.includes("Requires ")) return `${name}${first}`;
  // A module that threw while it was evaluated: the topmost frame outside zedge's own code.
  const frame = (error.stack ?? "").split("\n").map((l) => l.trim())
    .map((l) => /^at (?:.*\()?((?:file|https?):\/\/[^)\s]+:\d+:\d+)\)?$/.exec(l)?.[1])
    .find((f) => f !== undefined && !OWN_CODE.some((dir) => f.startsWith(dir)));
  return frame === undefined ? `${name}${first}` : `${name}${first} (at ${displayPosition(frame)})`;
}

/** zedge's own directories: a frame there is not where a user's module failed. */
const OWN_CODE = ["core/", "robot/", "cli/"].map((dir) =>
  new URL(`../${dir}`, import.meta.url).href
);

/** `file:///a/b.ts:3:4` → `/a/b.ts:3:4`. */
function displayPosition(position: string): string {
  const match = /^(.*?)(:\d+:\d+)$/.exec(position);
  if (match === null || !match[1].startsWith("file:")) return position;
  try {
    return `${fileURLToPath(match[1])}${match[2]}`;
  } catch {
    return position;
  }
}
