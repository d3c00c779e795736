/**
 * `zedge task-client`: trigger one task and follow it, like `ztl_task_client`.
 *
 * ```sh
 * zedge task-client -r localhost -p 7779 -s /test test:echo:"hello world"   # ZTL 0.2.x flags
 * zedge task-client localhost 7779 /test test:echo:hello                   # ZTL 0.0.x positional form
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import type { TaskSeparator } from "../core/tasks/protocol.ts";
import { CliError } from "./errors.ts";
import { clientCurve, CURVE_SECRET_FLAG, CURVE_SERVER_KEY_FLAG } from "./curve_flags.ts";
import {
  eventsEndpoint,
  parseMillisFlag,
  parsePortFlag,
  parseSecondsFlag,
  parseSeparatorFlag,
  runClientTask,
  setupTaskLogging,
  ZTL_EXIT_CODES_FLAG,
} from "./tasks_common.ts";

interface ClientFlags {
  remote: string;
  port: number;
  scope: string;
  timeout: number;
  events?: string;
  separator?: TaskSeparator;
  requestTimeout: number;
  ztlExitCodes?: boolean;
  curveServerKey?: string;
  curveSecret?: string;
}

/**
 * Registers `zedge task-client`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./task_client.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("task-client")
    // Bad flags get one line, not the whole help.
    .showHelpAfterError(false)
    .description(
      "trigger a task on a ZTL-compatible task server and wait for it; aborts it if the wait times out",
    )
    .argument("<args...>", "handler:component:goal, or HOST PORT SCOPE handler:component:goal")
    .option("-r, --remote <host>", "host of the task server", "localhost")
    .option("-p, --port <port>", "port of the task server", (v) => parsePortFlag(v), 7779)
    .option("-s, --scope <scope>", "scope to address", "/test")
    .option(
      "-t, --timeout <seconds>",
      "how long to wait for the task before aborting it; 0 or less waits forever (the default, " +
        "as in ZTL)",
      parseSecondsFlag,
      0,
    )
    .option(...ZTL_EXIT_CODES_FLAG)
    .option(
      "-e, --events <port|endpoint>",
      "the server's events port/endpoint: wait on pushed state changes",
    )
    .option(
      "--separator <sep>",
      "task separator to send: ':' (default) or '¬'/'legacy' for ZTL 0.0.x servers",
      parseSeparatorFlag,
    )
    .option("--request-timeout <ms>", "send/receive timeout of each request", parseMillisFlag, 2000)
    .option(...CURVE_SERVER_KEY_FLAG)
    .option(...CURVE_SECRET_FLAG)
    .addHelpText(
      "after",
      "\nExamples:\n  zedge task-client -r localhost -p 7779 -s /test test:echo:hello\n" +
        "  zedge task-client localhost 7779 /test test:sleep:2\n" +
        "  zedge task-client -r robot -s /arm --curve-server-key robot.pub arm:move:home",
    )
    .action(async (args: string[], flags: ClientFlags) => {
      await setupTaskLogging("info");
      let host = flags.remote;
      let port = flags.port;
      let scope = flags.scope;
      let task: string;
      if (args.length === 1) {
        task = args[0];
      } else if (args.length === 4) {
        [host, , scope, task] = args;
        try {
          port = parsePortFlag(args[1]);
        } catch {
          throw new CliError(`PORT must be an integer from 1 to 65535, got '${args[1]}'`, 2);
        }
      } else {
        throw new CliError(
          `expected handler:component:goal or HOST PORT SCOPE handler:component:goal, got ${args.length} arguments`,
          2,
        );
      }
      await runClientTask({
        host,
        port,
        scope,
        task,
        timeoutSeconds: flags.timeout,
        events: flags.events === undefined ? undefined : eventsEndpoint(flags.events, host),
        separator: flags.separator,
        requestTimeoutMs: flags.requestTimeout,
        ztlExitCodes: flags.ztlExitCodes,
        security: await clientCurve({
          serverKey: flags.curveServerKey,
          curveSecret: flags.curveSecret,
        }),
      });
    });
}
