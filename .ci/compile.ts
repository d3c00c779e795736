/**
 * `deno task compile`: builds the generic `zedge` binary (dist/zedge by
 * default) with `deno compile`, by the same rule as a robot's own binary
 * (`zedge robot build`, which shares `robot/deno_compile.ts`):
 *
 * - every Web Worker module (`*_worker.ts` under core/pipeline/ and robot/)
 *   is embedded with `--include`, so the binary never reads files next to
 *   the source;
 * - never `-A`: the generic binary gets net, read, write and env (it serves
 *   whatever endpoints and files its command line names), and no run, ffi,
 *   sys or remote imports; a robot's components get narrower ones still;
 * - DENORT_BIN is honoured; where no denort can be had, or DENORT_BIN is a
 *   full deno, it says so in one line, exits 1 and leaves no output file;
 * - the built binary is run once (`--version`) to prove it is zedge.
 *
 * Flags: `--output PATH` (default dist/zedge), `--target TRIPLE` (cross-compile,
 * e.g. aarch64-unknown-linux-gnu; the binary is then not test-run).
 *
 * @example
 * ```sh
 * deno task compile
 * DENORT_BIN=/opt/denort-2.9.6 deno task compile --output /tmp/zedge
 * ```
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../core/version.ts";
import { compileBinary, denortProblem } from "../robot/deno_compile.ts";

export { denortHint, isDenortDownloadFailure } from "../robot/deno_compile.ts";

/**
 * Where worker modules live, relative to the repository root.
 *
 * @example
 * ```ts
 * import { WORKER_DIRS } from "./compile.ts";
 * console.log(WORKER_DIRS); // ["core/pipeline", "robot"]
 * ```
 */
export const WORKER_DIRS = ["core/pipeline", "robot"] as const;
/**
 * The CLI entry point, relative to the repository root.
 *
 * @example
 * ```ts
 * import { ENTRY } from "./compile.ts";
 * console.log(ENTRY); // "cli/main.ts"
 * ```
 */
export const ENTRY = "cli/main.ts";
/**
 * The default output, relative to the repository root.
 *
 * @example
 * ```ts
 * import { DEFAULT_OUTPUT } from "./compile.ts";
 * console.log(DEFAULT_OUTPUT); // "dist/zedge"
 * ```
 */
export const DEFAULT_OUTPUT = "dist/zedge";

/**
 * The generic binary's permissions: what any zedge command may need for the
 * endpoints and files its user names, and nothing that runs programs, loads
 * native code, reads the system or imports remote code.
 *
 * @example
 * ```ts
 * import { GENERIC_PERMISSIONS } from "./compile.ts";
 * console.log(GENERIC_PERMISSIONS.includes("-A")); // false
 * ```
 */
export const GENERIC_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];

/**
 * What one compile run needs to know.
 *
 * @example
 * ```ts
 * import type { CompilePlan } from "./compile.ts";
 * const plan: CompilePlan = { workers: [], output: "dist/zedge", target: "aarch64-unknown-linux-gnu" };
 * ```
 */
export interface CompilePlan {
  /** Worker modules to embed, relative to the root, sorted. */
  workers: string[];
  /** Output binary path. */
  output: string;
  /** Target triple, or undefined for the host. */
  target?: string;
}

/**
 * The `deno compile` flags for a plan (without `--output` and `--target`,
 * which the shared compile step adds): worker options, the generic
 * permissions, one `--include` per worker module, the entry point last.
 *
 * @example
 * ```ts
 * import { compileArgs } from "./compile.ts";
 * compileArgs({ workers: ["robot/component_worker.ts"], output: "dist/zedge" });
 * // ["--unstable-worker-options", "--allow-net", "--allow-read", "--allow-write", "--allow-env",
 * //  "--include", "robot/component_worker.ts", "cli/main.ts"]
 * ```
 */
export function compileArgs(plan: CompilePlan): string[] {
  const args = ["--unstable-worker-options", ...GENERIC_PERMISSIONS];
  for (const worker of plan.workers) args.push("--include", worker);
  args.push(ENTRY);
  return args;
}

/**
 * Every `*_worker.ts` under {@link WORKER_DIRS} of `root`, as sorted
 * root-relative paths with forward slashes. Missing directories are fine.
 *
 * @example
 * ```ts
 * import { findWorkerModules } from "./compile.ts";
 * console.log(await findWorkerModules("."));
 * ```
 */
export async function findWorkerModules(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(relative: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(`${root}/${relative}`));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith("_worker.ts")) found.push(path);
    }
  }
  for (const dir of WORKER_DIRS) await walk(dir);
  return found.sort();
}

/**
 * Runs the compile with command-line `args`; returns the process exit code.
 *
 * @example
 * ```ts
 * import { main } from "./compile.ts";
 * const code = await main(["--output", "/tmp/zedge"]);
 * ```
 */
export async function main(
  args: string[],
  root: string = fromFileUrl(new URL("..", import.meta.url)),
): Promise<number> {
  let values: { output?: string; target?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { output: { type: "string" }, target: { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    console.error(`compile: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  const denort = await denortProblem(Deno.env.get("DENORT_BIN") || undefined);
  if (denort !== undefined) {
    console.error(`compile: ${denort}`);
    return 1;
  }
  const output = resolve(values.output ?? resolve(root, DEFAULT_OUTPUT));
  const plan: CompilePlan = {
    workers: await findWorkerModules(root),
    output,
    target: values.target,
  };
  console.error(`compile: deno compile ${compileArgs(plan).join(" ")} → ${output}`);
  const result = await compileBinary({
    args: compileArgs(plan),
    output,
    target: values.target,
    cwd: root,
    smoke: { args: ["--version"], expect: (printed) => printed === VERSION, describe: VERSION },
  });
  if (!result.ok) {
    console.error(`compile: ${result.message}`);
    return 1;
  }
  console.error(`compile: built ${output} (zedge ${VERSION}, ${plan.workers.length} workers)`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
