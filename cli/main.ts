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
import process from "node:process";
import { Command } from "commander";
import { VERSION } from "../core/version.ts";
import { runProgram } from "./program.ts";
import { withoutUnknownOptions, ztlCommandFor } from "./ztl_names.ts";

/**
 * Every command's module, loaded when that command runs: a command pays for
 * its own code only (`zedge robot run` never loads the pipeline CLI), which
 * is most of a short command's start-up. Literal specifiers, so `deno
 * compile` embeds them all.
 */
const COMMANDS: Record<string, () => Promise<{ register(program: Command): void }>> = {
  version: () => import("./version.ts"),
  "task-server": () => import("./task_server.ts"),
  "task-client": () => import("./task_client.ts"),
  "remote-task": () => import("./remote_task.ts"),
  "run-script": () => import("./run_script.ts"),
  demo: () => import("./demo.ts"),
  pipeline: () => import("./pipeline.ts"),
  robot: () => import("./robot.ts"),
  fleet: () => import("./fleet.ts"),
  topic: () => import("./topic.ts"),
  service: () => import("./service.ts"),
  keys: () => import("./keys.ts"),
  logs: () => import("./logs.ts"),
  schema: () => import("./schema.ts"),
  "simple-publisher": () => import("./simple_objects.ts"),
  "simple-subscriber": () => import("./simple_objects.ts"),
  "ztl-aliases": () => import("./ztl_aliases.ts"),
};

/**
 * Builds the command tree for `args`: with a known command first, that
 * command alone; otherwise (help, a typo, no command) all of them.
 */
async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const program = new Command("zedge")
    .description(
      "edge runtime for robots: ZeroMQ remote tasks, pipelines, services and the robot supervisor",
    )
    .version(VERSION, "-V, --version")
    .exitOverride();
  const first = args.find((arg) => !arg.startsWith("-"));
  const names = first !== undefined && Object.hasOwn(COMMANDS, first)
    ? [first]
    : Object.keys(COMMANDS);
  // A module may register several commands (simple-publisher and simple-subscriber): once each.
  const modules = new Set(await Promise.all(names.map((name) => COMMANDS[name]())));
  for (const module of modules) module.register(program);
  return program;
}

/**
 * Runs the CLI with the given arguments and returns the process exit code.
 * Invoked as one of ZTL's command names (`invokedAs`, by default the name
 * the process was started by: a link made by `zedge ztl-aliases`), it runs
 * that command alone, named so in its messages, and ignores options it does
 * not know, as ZTL's commands do.
 */
export async function main(args: string[], invokedAs: string = process.argv0): Promise<number> {
  const ztlCommand = ztlCommandFor(invokedAs);
  if (ztlCommand === undefined) return runProgram(await buildProgram(args), args);
  const program = await buildProgram([ztlCommand]);
  program.name(invokedAs.split(/[\\/]/).pop()!);
  const command = program.commands.find((c) => c.name() === ztlCommand)!;
  return runProgram(program, [ztlCommand, ...withoutUnknownOptions(command, args)]);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
