/**
 * `deno task compile`: builds the `zedge` binary (dist/zedge by default) with
 * `deno compile`, embedding every Web Worker module (`*_worker.ts` under
 * core/pipeline/ and robot/) so the binary never reads files next to the
 * source, and baking in the flags the runtime needs. It then runs the binary
 * once (`--version`) to prove it is zedge.
 *
 * `deno compile` downloads a `denort` base binary; where that is impossible
 * (no internet), point the DENORT_BIN environment variable at a denort of the
 * same Deno version and target — `deno compile` reads it itself.
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
import { dirname, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../core/version.ts";

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
 * The `deno` arguments for a plan: worker options unstable flag, all
 * permissions (a robot's components get narrower ones from the supervisor),
 * one `--include` per worker module, output and entry point.
 *
 * @example
 * ```ts
 * import { compileArgs } from "./compile.ts";
 * compileArgs({ workers: ["robot/component_worker.ts"], output: "dist/zedge" });
 * // ["compile", "--unstable-worker-options", "-A", "--include", "robot/component_worker.ts",
 * //  "--output", "dist/zedge", "cli/main.ts"]
 * ```
 */
export function compileArgs(plan: CompilePlan): string[] {
  const args = ["compile", "--unstable-worker-options", "-A"];
  for (const worker of plan.workers) args.push("--include", worker);
  if (plan.target) args.push("--target", plan.target);
  args.push("--output", plan.output, ENTRY);
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
 * True when `deno compile` failed because it could not download denort.
 *
 * @example
 * ```ts
 * import { isDenortDownloadFailure } from "./compile.ts";
 * isDenortDownloadFailure("0: Setting up base binary.\n1: error sending request for url"); // true
 * ```
 */
export function isDenortDownloadFailure(stderr: string): boolean {
  return /Setting up base binary|denort-[\w-]+\.zip|error sending request for url/.test(stderr);
}

/**
 * The one line printed when denort cannot be downloaded and DENORT_BIN is unset.
 *
 * @example
 * ```ts
 * import { denortHint } from "./compile.ts";
 * console.error(denortHint("2.9.6", "x86_64-unknown-linux-gnu"));
 * ```
 */
export function denortHint(denoVersion: string, target: string): string {
  return `compile: deno compile could not download its denort base binary (no internet?); ` +
    `set DENORT_BIN to a denort ${denoVersion} for ${target} ` +
    `(denort-${target}.zip from the Deno v${denoVersion} release) and run again`;
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
  const target = values.target ?? Deno.build.target;
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined) {
    const info = await Deno.stat(denort).catch(() => null);
    if (!info?.isFile) {
      console.error(`compile: DENORT_BIN=${denort} is not a file; point it at a denort binary`);
      return 1;
    }
  }
  const output = resolve(values.output ?? resolve(root, DEFAULT_OUTPUT));
  await Deno.mkdir(dirname(output), { recursive: true });
  const plan: CompilePlan = {
    workers: await findWorkerModules(root),
    output,
    target: values.target,
  };
  console.error(`compile: deno ${compileArgs(plan).join(" ")}`);
  const result = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(plan),
    cwd: root,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  if (!result.success) {
    if (denort === undefined && isDenortDownloadFailure(stderr)) {
      console.error(denortHint(Deno.version.deno, target));
    } else {
      console.error(stderr.trimEnd());
      console.error(`compile: deno compile failed (exit code ${result.code})`);
    }
    return 1;
  }
  console.error(stderr.trimEnd());
  if (target !== Deno.build.target) {
    console.error(`compile: built ${output} for ${target} (not run: not this machine's target)`);
    return 0;
  }
  // A base binary that is not denort (e.g. DENORT_BIN pointing at deno itself)
  // compiles fine but runs the wrong program: run it once to be sure.
  const smoke = await new Deno.Command(output, {
    args: ["--version"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output().catch((error) => ({ success: false, stdout: new Uint8Array(), error }));
  const printed = new TextDecoder().decode(smoke.stdout).trim();
  if (!smoke.success || printed !== VERSION) {
    console.error(
      `compile: ${output} --version printed ${JSON.stringify(printed.slice(0, 60))}, not ` +
        `${VERSION}: the base binary is not denort ${Deno.version.deno}` +
        (denort === undefined ? "" : ` (DENORT_BIN=${denort})`),
    );
    return 1;
  }
  console.error(`compile: built ${output} (zedge ${VERSION}, ${plan.workers.length} workers)`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
