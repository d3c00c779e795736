/**
 * The local files a module imports, found by reading import statements —
 * a quick estimate for tools. No permission comes from it: a component's
 * code is its Worker's own graph (see `component_entry.ts`), and what the
 * robot process reads and a binary stages comes from Deno's own resolution
 * (`deno_graph.ts`), never from a module's text, where a string or comment
 * can look like an import.
 *
 * The scan follows `import … from "x"`, `import "x"`, `export … from "x"`,
 * `import("x")` with a literal, and `new URL("x", import.meta.url)` (how
 * Web Worker modules are named); type-only imports are erased before the
 * code runs, so they are not followed. Specifiers that are not local files (npm:,
 * node:, jsr:, https:, bare names from the import map) end the walk there.
 * An `import()` of a computed specifier cannot be followed.
 *
 * @example
 * ```ts
 * import { moduleGraphFiles } from "./module_graph.ts";
 * const files = moduleGraphFiles([new URL("../mod.ts", import.meta.url).href]);
 * console.log(files.length > 10); // true
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

// `import type … from` and `export type … from` are erased before the code runs: not followed.
const STATIC =
  /(?:^|[^\w$.])(?:import|export)(?!\s*type\s)\s*(?:[\w*${}\s,]*?\s*from\s*)?["']([^"'\n]+)["']/g;
const DYNAMIC = /(?:^|[^\w$.])import\s*\(\s*["']([^"'\n]+)["']\s*[,)]/g;
const WORKER_URL =
  /new\s+URL\s*\(\s*["']([^"'\n]+\.[cm]?[jt]sx?)["']\s*,\s*import\.meta\.url\s*\)/g;

/** Removes comments (JSDoc examples hold imports that are not real), keeping strings intact. */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    // A line comment starts at line start or after whitespace; "tcp://x" inside a string does not.
    .replace(/(^|\s)\/\/.*$/gm, "$1");
}

/**
 * The local specifiers `source` imports (relative, absolute or `file:`).
 *
 * @example
 * ```ts
 * import { localImports } from "./module_graph.ts";
 * localImports('import { a } from "./a.ts";\nexport * from "../b.ts";\nimport "npm:zod";');
 * // ["./a.ts", "../b.ts"]
 * ```
 */
export function localImports(source: string): string[] {
  const text = stripComments(source);
  const found: string[] = [];
  for (const pattern of [STATIC, DYNAMIC, WORKER_URL]) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (/^(\.{1,2}\/|\/|file:)/.test(specifier)) found.push(specifier);
    }
  }
  return [...new Set(found)];
}

/**
 * Every local file reachable from `roots` (file URLs), as sorted absolute
 * paths, roots included. Files that cannot be read are left out (the
 * import itself will then say what is wrong).
 *
 * @example
 * ```ts
 * import { moduleGraphFiles } from "./module_graph.ts";
 * moduleGraphFiles(["file:///opt/robot/nodes/odometry.ts"]);
 * ```
 */
export function moduleGraphFiles(
  roots: readonly string[],
  readFile: (path: string) => string = (path) => Deno.readTextFileSync(path),
): string[] {
  return new ModuleGraph(readFile).files(roots);
}

/**
 * A module graph scanner that remembers what each file imports, so the
 * graphs of many components cost one read per file.
 *
 * @example
 * ```ts
 * import { ModuleGraph } from "./module_graph.ts";
 * const graph = new ModuleGraph();
 * graph.files(["file:///opt/robot/nodes/a.ts"]);
 * graph.files(["file:///opt/robot/nodes/b.ts"]); // shared files are not read again
 * ```
 */
export class ModuleGraph {
  readonly #readFile: (path: string) => string;
  readonly #imports = new Map<string, string[]>();

  /** Creates a scanner reading files with `readFile` (default: from disk). */
  constructor(readFile: (path: string) => string = (path) => Deno.readTextFileSync(path)) {
    this.#readFile = readFile;
  }

  /** Every local file reachable from `roots`, sorted, roots included. */
  files(roots: readonly string[]): string[] {
    const seen = new Set<string>();
    const queue = roots.filter((r) => r.startsWith("file:")).map((r) => new URL(r).href);
    while (queue.length > 0) {
      const url = queue.pop()!;
      const path = fileURLToPath(url);
      if (seen.has(path)) continue;
      seen.add(path);
      for (const next of this.#importsOf(url, path)) {
        if (!seen.has(fileURLToPath(next))) queue.push(next);
      }
    }
    return [...seen].sort();
  }

  #importsOf(url: string, path: string): string[] {
    const known = this.#imports.get(path);
    if (known !== undefined) return known;
    let source = "";
    try {
      source = this.#readFile(path);
    } catch {
      // Unreadable: the import itself will say what is wrong.
    }
    const urls: string[] = [];
    for (const specifier of localImports(source)) {
      try {
        const next = new URL(specifier, url);
        next.search = "";
        next.hash = "";
        if (next.protocol === "file:") urls.push(next.href);
      } catch {
        // Not a URL after all: the import will report it.
      }
    }
    this.#imports.set(path, urls);
    return urls;
  }
}
