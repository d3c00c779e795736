/**
 * The `zedge` command line: one file per command under `cli/`, each exporting
 * `register(program)`. Errors a user can fix are printed as one line with a
 * non-zero exit; nothing prints a stack trace unless `ZEDGE_DEBUG=1`.
 *
 * @example
 * ```sh
 * deno run -A cli/main.ts --help
 * ```
 * @module
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../core/version.ts";
import { CliError } from "./errors.ts";
import { register as registerVersion } from "./version.ts";
import { register as registerTaskServer } from "./task_server.ts";
import { register as registerTaskClient } from "./task_client.ts";
import { register as registerRemoteTask } from "./remote_task.ts";
import { register as registerRunScript } from "./run_script.ts";
import { register as registerDemo } from "./demo.ts";
import { register as registerPipeline } from "./pipeline.ts";
import { register as registerRobot } from "./robot.ts";

/** Builds the full command tree; exported so tests can drive it in-process. */
export function buildProgram(): Command {
  const program = new Command("zedge")
    .description(
      "edge runtime for robots: ZeroMQ remote tasks, pipelines, services and the robot supervisor",
    )
    .version(VERSION, "-V, --version")
    .exitOverride();
  registerVersion(program);
  registerTaskServer(program);
  registerTaskClient(program);
  registerRemoteTask(program);
  registerRunScript(program);
  registerDemo(program);
  registerPipeline(program);
  registerRobot(program);
  return program;
}

/** Runs the CLI with the given arguments and returns the process exit code. */
export function main(args: string[]): Promise<number> {
  return runProgram(buildProgram(), args);
}

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

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
