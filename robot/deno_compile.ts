/**
 * Running `deno compile` the way every zedge binary is built (the robot's
 * and, through `.ci/compile.ts`, the generic one): it needs a `denort`
 * base binary, which it downloads — or takes from `DENORT_BIN`. Where none
 * can be had, or `DENORT_BIN` is a full `deno` (whose "compiled" output is
 * just deno again), the build says so in one line and leaves no output
 * file behind: the binary is written beside its destination and moved into
 * place only when it has been built (and, for this machine's target, run).
 *
 * @example
 * ```ts
 * import { compileBinary } from "./deno_compile.ts";
 * const result = await compileBinary({
 *   args: ["--unstable-worker-options", "cli/main.ts"],
 *   output: "dist/zedge",
 *   smoke: { args: ["--version"], expect: (out) => out.startsWith("0.") },
 * });
 * if (!result.ok) console.error(result.message);
 * ```
 * @module
 */
import { dirname, join } from "node:path";

/**
 * True when `deno compile` failed because it could not download denort.
 *
 * @example
 * ```ts
 * import { isDenortDownloadFailure } from "./deno_compile.ts";
 * isDenortDownloadFailure("0: Setting up base binary.\n1: error sending request for url"); // true
 * ```
 */
export function isDenortDownloadFailure(stderr: string): boolean {
  return /Setting up base binary|denort-[\w-]+\.zip|error sending request for url|dl\.deno\.land/
    .test(stderr);
}

/**
 * The one line printed when denort cannot be downloaded and DENORT_BIN is unset.
 *
 * @example
 * ```ts
 * import { denortHint } from "./deno_compile.ts";
 * console.error(denortHint("2.9.6", "x86_64-unknown-linux-gnu"));
 * ```
 */
export function denortHint(denoVersion: string, target: string): string {
  return `deno compile could not download its denort base binary (no internet?); ` +
    `set DENORT_BIN to a denort ${denoVersion} for ${target} ` +
    `(denort-${target}.zip from the Deno v${denoVersion} release) and run again`;
}

/**
 * Why `DENORT_BIN` cannot serve, or undefined when it can (or is unset):
 * missing, not a file, or a full `deno` (which has a `compile` command;
 * denort has none).
 *
 * @example
 * ```ts
 * import { denortProblem } from "./deno_compile.ts";
 * console.log(await denortProblem(undefined)); // undefined
 * ```
 */
export async function denortProblem(denort: string | undefined): Promise<string | undefined> {
  if (denort === undefined) return undefined;
  const info = await Deno.stat(denort).catch(() => null);
  if (!info?.isFile) return `DENORT_BIN=${denort} is not a file; point it at a denort binary`;
  const probe = await new Deno.Command(denort, {
    args: ["compile", "--help"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(20_000),
  }).output().catch(() => null);
  if (probe?.success && /compile/i.test(new TextDecoder().decode(probe.stdout))) {
    return `DENORT_BIN=${denort} is a full deno, not denort: a binary built on it would be ` +
      `plain deno; point DENORT_BIN at denort (denort-<target>.zip of the same Deno release)`;
  }
  return undefined;
}

/**
 * One `deno compile` run.
 *
 * @example
 * ```ts
 * import type { CompileRequest } from "./deno_compile.ts";
 * const r: CompileRequest = { args: ["--unstable-worker-options", "main.ts"], output: "dist/app" };
 * ```
 */
export interface CompileRequest {
  /** Everything between `deno compile` and the output: flags, `--include`s, the entry last. */
  args: string[];
  /** Where the binary goes (its directory is created only on success). */
  output: string;
  /** Cross-compile target; the binary is then not run. */
  target?: string;
  /** Working directory of `deno compile`. */
  cwd?: string;
  /** Runs the built binary once (host target only) and checks what it printed. */
  smoke?: { args: string[]; expect: (stdout: string) => boolean; describe?: string };
  /** Where `deno compile`'s own progress goes (default: this process's stderr). */
  log?: (line: string) => void;
}

/**
 * The outcome: ok with the output path, or a one-line message.
 *
 * @example
 * ```ts
 * import type { CompileResult } from "./deno_compile.ts";
 * const show = (r: CompileResult) => r.ok ? `built ${r.output}` : r.message;
 * ```
 */
export type CompileResult = { ok: true; output: string } | { ok: false; message: string };

/**
 * Runs `deno compile` for `request` (see the module documentation).
 *
 * @example
 * ```ts
 * import { compileBinary } from "./deno_compile.ts";
 * await compileBinary({ args: ["cli/main.ts"], output: "/tmp/zedge" });
 * ```
 */
export async function compileBinary(request: CompileRequest): Promise<CompileResult> {
  // An empty DENORT_BIN is no DENORT_BIN, as for deno itself.
  const denort = Deno.env.get("DENORT_BIN") || undefined;
  const problem = await denortProblem(denort);
  if (problem !== undefined) return { ok: false, message: problem };
  const target = request.target ?? Deno.build.target;
  // Built next to nothing the user owns, then moved: a failed build leaves no output behind.
  const scratch = await Deno.makeTempDir({ prefix: "zedge-compile-" });
  const built = join(scratch, request.output.split("/").pop()!);
  try {
    const args = ["compile", ...(request.target ? ["--target", request.target] : [])];
    const entry = request.args[request.args.length - 1];
    args.push(...request.args.slice(0, -1), "--output", built, entry);
    const result = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: request.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (!result.success) {
      if (denort === undefined && isDenortDownloadFailure(stderr)) {
        return { ok: false, message: denortHint(Deno.version.deno, target) };
      }
      const last = stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" / ");
      return { ok: false, message: `deno compile failed (exit code ${result.code}): ${last}` };
    }
    (request.log ?? ((line) => console.error(line)))(stderr.trimEnd());
    if (request.smoke !== undefined && target === Deno.build.target) {
      const smoke = await new Deno.Command(built, {
        args: request.smoke.args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output().catch(() => null);
      const printed = smoke === null ? "" : new TextDecoder().decode(smoke.stdout).trim();
      if (smoke === null || !smoke.success || !request.smoke.expect(printed)) {
        return {
          ok: false,
          message:
            `the built binary's ${request.smoke.args.join(" ")} printed ${
              JSON.stringify(printed.slice(0, 60))
            }${
              request.smoke.describe ? `, not ${request.smoke.describe}` : ""
            }: the base binary is ` +
            `not denort ${Deno.version.deno}` +
            (denort === undefined ? "" : ` (DENORT_BIN=${denort})`),
        };
      }
    }
    await Deno.mkdir(dirname(request.output), { recursive: true });
    await Deno.rename(built, request.output).catch(async () => {
      // Across file systems: copy, then keep the mode.
      await Deno.copyFile(built, request.output);
      await Deno.chmod(request.output, 0o755);
    });
    return { ok: true, output: request.output };
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
