/**
 * `zedge task-server`: a ZTL-compatible task server, like `ztl_task_server`.
 *
 * ```sh
 * zedge task-server -p 7779 -s /test                 # ZTL 0.2.x flags
 * zedge task-server 7779 /test                       # ZTL 0.0.x positional form
 * zedge task-server -p 7779 -s /arm -s /head --handlers ./my-handlers.ts --events 7780
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import type { TaskController } from "../core/tasks/controller.ts";
import { HandlerController } from "../core/tasks/handlers.ts";
import { TaskServer } from "../core/tasks/server.ts";
import { TestController } from "../core/tasks/test_controller.ts";
import { ZmqError } from "../core/sockets/mod.ts";
import { CliError } from "./errors.ts";
import {
  eventsEndpoint,
  loadHandlersModule,
  parseByteLimitFlag,
  parseCountFlag,
  parsePortFlag,
  parseSecondsFlag,
  setupTaskLogging,
} from "./tasks_common.ts";
import { shutdownSignal } from "./shutdown.ts";
import { CURVE_SECRET_FLAG, serverCurve } from "./curve_flags.ts";

interface ServerFlags {
  port?: number;
  scope?: string[];
  bind?: string;
  events?: string;
  handlers?: string;
  retention: number;
  maxFinished: number;
  maxMessageSize?: number;
  verbose?: boolean;
  curveSecret?: string;
  curveAllow?: string[];
}

const DEFAULT_PORT = 7779;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Registers `zedge task-server`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./task_server.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("task-server")
    // Bad flags get one line, not the whole help.
    .showHelpAfterError(false)
    .description(
      "serve remote tasks over ZeroMQ, compatible with ZTL clients; runs the built-in 'test' handler " +
        "(echo, print, sleep) unless --handlers names a module",
    )
    .argument("[port]", "port to listen on (ZTL 0.0.x positional form)")
    .argument("[scopes...]", "scopes to serve (positional form)")
    .option(
      "-p, --port <port>",
      `port to listen on, as tcp://*:PORT (default ${DEFAULT_PORT})`,
      (v) => parsePortFlag(v, true),
    )
    .option(
      "-s, --scope <scope>",
      "scope to serve; repeat for several (default /test)",
      collect,
      [],
    )
    .option("-b, --bind <endpoint>", "bind this endpoint instead of tcp://*:PORT (tcp://, ipc://)")
    .option(
      "-e, --events <port|endpoint>",
      "also publish every task state change (JSON) on this PUB port/endpoint",
    )
    .option(
      "--handlers <module>",
      "TypeScript module exporting 'handlers' (see examples/tasks/my_handlers.ts)",
    )
    .option(
      "--retention <seconds>",
      "how long finished tasks stay queryable",
      parseSecondsFlag,
      600,
    )
    .option(
      "--max-finished <count>",
      "how many finished tasks are kept at most",
      parseCountFlag,
      1000,
    )
    .option(
      "--max-message-size <bytes>",
      "close a client's connection when it sends a larger request (default 64 MiB; -1 = no limit)",
      parseByteLimitFlag,
    )
    .option(...CURVE_SECRET_FLAG)
    .option(
      "--curve-allow <path>",
      "CURVE: let in only these clients (Z85 key, NAME.pub, or a directory of them); repeat " +
        "for several (default: any client that knows the server's key)",
      collect,
      [],
    )
    .option("-v, --verbose", "log every request (debug level)")
    .addHelpText(
      "after",
      "\nExamples:\n  zedge task-server -p 7779 -s /test\n  zedge task-server 7779 /test\n" +
        "  zedge task-server -p 7779 -s /arm --handlers ./my-handlers.ts --events 7780\n" +
        "  zedge task-server -p 7779 -s /arm --curve-secret robot.key --curve-allow operators/",
    )
    .action(async (portArg: string | undefined, scopeArgs: string[], flags: ServerFlags) => {
      await serve(portArg, scopeArgs, flags);
    });
}

async function serve(portArg: string | undefined, scopeArgs: string[], flags: ServerFlags) {
  await setupTaskLogging(flags.verbose ? "debug" : "info");
  let port = flags.port;
  if (portArg !== undefined) {
    if (port !== undefined) {
      throw new CliError("give the port either as -p PORT or positionally, not both", 2);
    }
    try {
      port = parsePortFlag(portArg, true);
    } catch {
      throw new CliError(`port must be an integer from 0 to 65535, got '${portArg}'`, 2);
    }
  }
  if (flags.bind !== undefined && port !== undefined) {
    throw new CliError("give either -b ENDPOINT or a port, not both", 2);
  }
  const scopes = [...(flags.scope ?? []), ...scopeArgs];
  if (scopes.length === 0) scopes.push("/test");
  for (const scope of scopes) {
    if (scope === "" || scope.includes(";")) {
      throw new CliError(`scope must be non-empty and must not contain ';', got '${scope}'`, 2);
    }
  }
  if (new Set(scopes).size !== scopes.length) throw new CliError("a scope is given twice", 2);
  const handlers = flags.handlers ? await loadHandlersModule(flags.handlers) : undefined;
  const executorOptions = { retentionMs: flags.retention * 1000, maxFinished: flags.maxFinished };
  if (flags.retention < 0) throw new CliError("--retention must not be negative", 2);

  const controllers: Record<string, TaskController> = {};
  for (const scope of scopes) {
    // One controller per scope: each scope has its own task ids, as separate ZTL servers would.
    controllers[scope] = handlers
      ? new HandlerController({ handlers, ...executorOptions })
      : new TestController(executorOptions);
  }
  const curve = await serverCurve(flags);
  const server = new TaskServer({
    endpoint: flags.bind ?? `tcp://*:${port ?? DEFAULT_PORT}`,
    events: flags.events === undefined ? undefined : eventsEndpoint(flags.events, "*"),
    maxMessageSize: flags.maxMessageSize,
    security: curve?.security,
  });
  const stop = shutdownSignal();
  try {
    await server.start();
  } catch (error) {
    stop.cancel();
    await server.close();
    await curve?.authenticator?.close();
    await Promise.all(Object.values(controllers).map((c) => c.close?.()));
    if (error instanceof ZmqError) {
      throw new CliError(`cannot listen: ${error.message}`);
    }
    throw error;
  }
  // Registered after binding so the log reads like ZTL's: listening first, then scopes.
  for (const [scope, controller] of Object.entries(controllers)) server.register(scope, controller);
  if (curve !== null) {
    console.error(
      // Quoted and joined by '=': Z85 has shell characters ($ & < > * ...) and may start with '-'.
      `CURVE: clients connect with --curve-server-key='${curve.publicKey}'` +
        (curve.authenticator === null
          ? " (any client)"
          : ` (only ${flags.curveAllow!.join(", ")})`),
    );
  }
  const signal = await stop.promise;
  console.error(`${signal === "SIGINT" ? "Interrupted" : "Terminated"}, exiting.`);
  await server.close();
  await curve?.authenticator?.close();
}
