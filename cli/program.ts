/**
 * Running a command tree — zedge's own, or a robot binary's — and turning
 * what happened into an exit code: user errors are one line prefixed with
 * the program's name, never a stack trace unless `ZEDGE_DEBUG=1`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { runProgram } from "./program.ts";
 * const code = await runProgram(new Command("x").exitOverride(), ["--help"]);
 * ```
 * @module
 */
import { type Command, CommanderError } from "commander";
import { CliError } from "./errors.ts";

/**
 * Runs a command tree (zedge's, or a robot binary's) with `args` and
 * returns the exit code: user errors are one line prefixed with the
 * program's name, never a stack trace unless `ZEDGE_DEBUG=1`.
 */
export async function runProgram(program: Command, args: string[]): Promise<number> {
  const name = program.name();
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are how commander says it printed and is done.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      console.error(`${name}: ${error.message}`);
      return error.exitCode;
    }
    let debug = false;
    try {
      debug = Deno.env.get("ZEDGE_DEBUG") === "1";
    } catch {
      // Not permitted to read it: no debug output.
    }
    if (debug) console.error(error);
    else console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
