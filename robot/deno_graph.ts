/**
 * The local files a set of modules loads, as Deno itself resolves them
 * (`deno info --json`): imports, re-exports, the import map and `links`,
 * never a string or a comment that merely looks like an import. This is
 * what the robot process must be able to read (a Worker's graph is checked
 * against its creator's read permission) and what `zedge robot build`
 * stages.
 *
 * @example
 * ```ts
 * import { denoModuleFiles } from "./deno_graph.ts";
 * const files = await denoModuleFiles([new URL("../mod.ts", import.meta.url).href]);
 * console.log(files.length > 10); // true
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Every local file (absolute path, sorted) of the module graphs of `roots`
 * (file URLs), roots included; npm packages and remote modules are left
 * out. `config` is the deno.json whose import map applies (default: the
 * one Deno finds from the working directory). Throws when `deno info` cannot
 * run or a root is missing.
 *
 * @example
 * ```ts
 * import { denoModuleFiles } from "./deno_graph.ts";
 * await denoModuleFiles(["file:///opt/robot/nodes/odometry.ts"], { config: "/opt/robot/deno.json" });
 * ```
 */
export async function denoModuleFiles(
  roots: readonly string[],
  options: { config?: string } = {},
): Promise<string[]> {
  const local = roots.filter((r) => r.startsWith("file:"));
  if (local.length === 0) return [];
  // One root is its own entry: nothing to write (a robot's narrowed process may write no file).
  if (local.length === 1) return await graphOf(fileURLToPath(local[0]), options.config, null);
  // One graph for every root: a module that imports them all (written where nothing else is).
  const dir = await Deno.makeTempDir({ prefix: "zedge-graph-" });
  try {
    const entry = join(dir, "roots.js");
    await Deno.writeTextFile(entry, local.map((r) => `import ${JSON.stringify(r)};\n`).join(""));
    return await graphOf(entry, options.config, `file://${dir}`);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The local files of `entry`'s graph, as `deno info` resolves it; `skip`: a URL prefix left out. */
async function graphOf(
  entry: string,
  config: string | undefined,
  skip: string | null,
): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...(config === undefined ? [] : ["--config", config]), entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno info failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string; local?: string; error?: string }[];
  };
  const files = new Set<string>();
  for (const module of info.modules) {
    if (!module.specifier.startsWith("file:")) continue;
    if (skip !== null && module.specifier.startsWith(skip)) continue;
    if (module.error !== undefined) throw new Error(module.error);
    files.add(module.local ?? fileURLToPath(module.specifier));
  }
  return [...files].sort();
}
