/**
 * `zedge remote-task`: trigger a task on a remote named in a remotes file.
 *
 * ```sh
 * zedge remote-task test test:echo:hello                 # uses $XDG_CONFIG_HOME/zmq-remotes.yaml
 * zedge remote-task -c remotes.yaml -t 10 arm arm:home:now
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { defaultRemotesPath, loadRemotes } from "../core/tasks/remotes.ts";
import { ConfigError } from "../core/tasks/yaml_source.ts";
import { CliError } from "./errors.ts";
import { clientCurve, CURVE_SECRET_FLAG } from "./curve_flags.ts";
import {
  parseSecondsFlag,
  runClientTask,
  setupTaskLogging,
  ZTL_EXIT_CODES_FLAG,
} from "./tasks_common.ts";

/**
 * Loads a remotes file for a command, turning configuration problems into a
 * one-line {@link CliError}.
 *
 * @example
 * ```ts
 * import { remotesForCli } from "./remote_task.ts";
 * const { path, remotes } = await remotesForCli(undefined);
 * ```
 */
export async function remotesForCli(config: string | undefined) {
  const path = config ?? defaultRemotesPath((name) => Deno.env.get(name));
  try {
    return { path, remotes: await loadRemotes(path) };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

interface RemoteTaskFlags {
  config?: string;
  timeout: number;
  ztlExitCodes?: boolean;
  curveSecret?: string;
}

/**
 * Registers `zedge remote-task`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./remote_task.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("remote-task")
    // Bad flags get one line, not the whole help.
    .showHelpAfterError(false)
    .description("trigger a task on a remote from the remotes file and wait for it")
    .argument("<remote>", "name of the remote in the remotes file")
    .argument("<task>", "handler:component:goal")
    .option(
      "-c, --config <file>",
      "remotes file (default $XDG_CONFIG_HOME/zmq-remotes.yaml, else ~/.config/zmq-remotes.yaml)",
    )
    .option(
      "-t, --timeout <seconds>",
      "how long to wait for the task before aborting it; 0 or less waits forever (the default, " +
        "as in ZTL)",
      parseSecondsFlag,
      0,
    )
    .option(...ZTL_EXIT_CODES_FLAG)
    .option(...CURVE_SECRET_FLAG)
    .addHelpText(
      "after",
      "\nThe remotes file (ZTL format; 'events' and 'serverKey' — CURVE — are optional):\n" +
        "  remotes:\n    test: {host: localhost, port: 7779, scope: /test, events: 7780}\n" +
        "    arm: {host: robot, port: 7779, scope: /arm, serverKey: keys/robot.pub}",
    )
    .action(async (name: string, task: string, flags: RemoteTaskFlags) => {
      await setupTaskLogging("info");
      const { path, remotes } = await remotesForCli(flags.config);
      const remote = remotes.get(name);
      if (!remote) {
        const known = [...remotes.keys()].map((n) => `'${n}'`).join(", ") || "none";
        throw new CliError(`${path}: no remote named '${name}' (known: ${known})`);
      }
      await runClientTask({
        host: remote.host,
        port: remote.port,
        scope: remote.scope,
        events: remote.events,
        task,
        timeoutSeconds: flags.timeout,
        ztlExitCodes: flags.ztlExitCodes,
        security: await clientCurve({
          serverKey: remote.serverKey,
          curveSecret: flags.curveSecret,
        }),
      });
    });
}
