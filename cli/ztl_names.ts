/**
 * ZTL 0.2.3's command names. A robot's launch files call `ztl_task_server`,
 * `ztl_task_client`, `ztl_remote_task` and `ztl_run_script`; a link by one
 * of those names to zedge (see `zedge ztl-aliases`) runs the matching zedge
 * command, and like ZTL's `parse_known_args` it ignores options it does not
 * know instead of refusing them.
 *
 * @example
 * ```ts
 * import { ztlCommandFor } from "./ztl_names.ts";
 * ztlCommandFor("/usr/local/bin/ztl_task_client"); // "task-client"
 * ztlCommandFor("zedge"); // undefined
 * ```
 * @module
 */
import type { Command } from "commander";

/**
 * Each ZTL command name and the zedge command it runs.
 *
 * @example
 * ```ts
 * import { ZTL_COMMANDS } from "./ztl_names.ts";
 * console.log(Object.keys(ZTL_COMMANDS)); // ["ztl_task_server", …]
 * ```
 */
export const ZTL_COMMANDS: Readonly<Record<string, string>> = {
  ztl_task_server: "task-server",
  ztl_task_client: "task-client",
  ztl_remote_task: "remote-task",
  ztl_run_script: "run-script",
};

/**
 * The zedge command a program invoked as `argv0` (a path or a name) stands
 * for, when that is one of ZTL's command names.
 *
 * @example
 * ```ts
 * import { ztlCommandFor } from "./ztl_names.ts";
 * ztlCommandFor("ztl_run_script"); // "run-script"
 * ```
 */
export function ztlCommandFor(argv0: string): string | undefined {
  const name = argv0.split(/[\\/]/).pop()!.replace(/\.exe$/i, "");
  return Object.hasOwn(ZTL_COMMANDS, name) ? ZTL_COMMANDS[name] : undefined;
}

/**
 * `args` without the options `command` does not define, as Python's
 * `parse_known_args` leaves them aside (`--verbose`, `--foo=1`). Operands,
 * `--` and what follows it, and negative numbers (a `-t -1` value) stay.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { withoutUnknownOptions } from "./ztl_names.ts";
 * const command = new Command("c").option("-t, --timeout <s>");
 * withoutUnknownOptions(command, ["-t", "-1", "--colour=red", "x"]); // ["-t", "-1", "x"]
 * ```
 */
export function withoutUnknownOptions(command: Command, args: readonly string[]): string[] {
  const known = new Set(["-h", "--help"]);
  for (const option of command.options) {
    if (option.short) known.add(option.short);
    if (option.long) known.add(option.long);
  }
  const kept: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === "--") return [...kept, ...args.slice(i)];
    const isOption = arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg);
    if (!isOption) kept.push(arg);
    else if (known.has(arg.startsWith("--") ? arg.split("=")[0] : arg.slice(0, 2))) kept.push(arg);
  }
  return kept;
}
