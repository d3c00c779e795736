/**
 * `zedge task-client`: trigger one task and follow it, like `ztl_task_client`.
 *
 * ```sh
 * zedge task-client -r localhost -p 7779 -s /test test:echo:"hello world"   # ZTL 0.2.x flags
 * zedge task-client localhost 7779 /test test:echo:hello                   # ZTL 0.0.x positional form
 * zedge task-client --endpoint ipc:///run/zedge/tasks.sock -s /arm arm:move:home  # any tcp/ipc endpoint
 * ```
 *
 * @module
 */
import { type Command, Option } from "commander";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import { hostProblem } from "../core/tasks/port.ts";
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
  endpoint?: string;
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
    .option("-r, --remote <host>", "host name or address of the task server", "localhost")
    .option("-p, --port <port>", "port of the task server", (v) => parsePortFlag(v), 7779)
    .addOption(
      new Option(
        "--endpoint <endpoint>",
        "the task server's endpoint instead of -r/-p: tcp://HOST:PORT or ipc:///PATH " +
          "(whatever task-server -b binds)",
      ).conflicts(["remote", "port"]),
    )
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
        "  zedge task-client --endpoint ipc:///tmp/tasks.sock -s /test test:echo:hi\n" +
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
        if (flags.endpoint !== undefined) {
          throw new CliError("--endpoint cannot be combined with HOST PORT SCOPE arguments", 2);
        }
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
      const problem = flags.endpoint === undefined ? hostProblem(host) : undefined;
      if (problem !== undefined) {
        const flag = args.length === 4 ? "HOST" : "-r";
        throw new CliError(`${flag}: ${problem}${addressHint(host)}`, 2);
      }
      const endpoint = flags.endpoint === undefined ? undefined : clientEndpoint(flags.endpoint);
      const eventsHost = endpoint === undefined ? host : endpointHost(endpoint);
      await runClientTask({
        host,
        endpoint,
        port,
        scope,
        task,
        timeoutSeconds: flags.timeout,
        events: flags.events === undefined ? undefined : eventsFor(flags.events, eventsHost),
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

/** `--endpoint`, checked: a tcp endpoint with a host and port, or an ipc path. */
function clientEndpoint(value: string): string {
  let parsed;
  try {
    parsed = parseEndpoint(value);
  } catch (error) {
    throw new CliError(`--endpoint: ${(error as Error).message}`, 2);
  }
  if (parsed.transport === "inproc") {
    throw new CliError(
      `--endpoint: '${value}' is inproc, which reaches only its own process; use tcp:// or ipc://`,
      2,
    );
  }
  if (parsed.transport === "tcp" && (parsed.wildcardHost || parsed.port === 0)) {
    throw new CliError(
      `--endpoint: '${value}' is a bind address; a client needs the server's host and port`,
      2,
    );
  }
  return value;
}

/** The host of a tcp endpoint, undefined for ipc. */
function endpointHost(endpoint: string): string | undefined {
  const parsed = parseEndpoint(endpoint);
  return parsed.transport === "tcp" ? parsed.host : undefined;
}

/** `-e`: a bare port needs a tcp host to go with. */
function eventsFor(value: string, host: string | undefined): string {
  if (host === undefined && !value.includes("://")) {
    throw new CliError(
      `--events: give the whole endpoint (ipc:///…) with an ipc --endpoint, got '${value}'`,
      2,
    );
  }
  return eventsEndpoint(value, host ?? "");
}

/** What to type instead of a HOST:PORT or an endpoint given as the host. */
function addressHint(host: string): string {
  if (host.includes("://")) return ` (use --endpoint ${host})`;
  const match = /^(\[[^\]]*\]|[^:]+):(\d+)$/.exec(host);
  if (match === null) return "";
  const [, name, port] = match;
  return ` (use -r ${
    name.replace(/^\[|\]$/g, "")
  } -p ${port}, or --endpoint tcp://${name}:${port})`;
}
