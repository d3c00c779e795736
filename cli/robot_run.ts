/**
 * `zedge robot run [robot.yaml]`: the robot supervisor in the foreground
 * (systemd runs exactly this). Every component starts in its own Web Worker
 * with its own permissions; SIGTERM or SIGINT stops them all and the
 * process exits 0 within 2 s.
 *
 * @example
 * ```sh
 * zedge robot run examples/robot/robot.yaml
 * ```
 * @module
 */
import type { LogLevel } from "@logtape/logtape";
import type { Command } from "commander";
import { ZmqError } from "../core/sockets/mod.ts";
import type { RobotConfig } from "../robot/config.ts";
import { controlRequest, ControlUnreachableError } from "../robot/control.ts";
import { StatusPageError } from "../robot/observe/status_server.ts";
import { UnsafeDirError } from "../robot/private_dir.ts";
import { CertificateError } from "../core/security/certificates.ts";
import { Supervisor } from "../robot/supervisor.ts";
import { notifySystemd } from "../robot/systemd_notify.ts";
import { CliError } from "./errors.ts";
import { setupLogging } from "./logging.ts";
import {
  formatRobotRecord,
  type RobotFileFlags,
  type RobotSource,
  withRobotFile,
} from "./robot_common.ts";
import { shutdownSignal } from "./shutdown.ts";

interface RunFlags extends RobotFileFlags {
  control?: string;
  logLevel: string;
}

const LEVELS = ["debug", "info", "warning", "error"];

/**
 * Adds `run` to the `zedge robot` command (or a robot binary's).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerRun } from "./robot_run.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * registerRun(new Command("robot"), fileRobotSource);
 * ```
 */
export function registerRun(robot: Command, source: RobotSource): void {
  const command = robot.command("run")
    .description("run the robot's components, each in a Web Worker with only its permissions")
    .option("--control <endpoint>", "bind the control endpoint here instead of the YAML's")
    .option("--log-level <level>", `lowest level logged: ${LEVELS.join(", ")}`, "info")
    .addHelpText(
      "after",
      "\nStops cleanly on SIGTERM or SIGINT (exit 0). See what runs with `status`.",
    );
  withRobotFile<RunFlags>(command, source, async (file, flags) => {
    if (!LEVELS.includes(flags.logLevel)) {
      throw new CliError(`--log-level must be one of ${LEVELS.join(", ")}`, 2);
    }
    await setupLogging(flags.logLevel as LogLevel, formatRobotRecord);
    const config = await source.load(file, flags, { control: flags.control });
    await runRobot(config, flags.logLevel as LogLevel);
  });
}

/**
 * Runs `config` until SIGTERM/SIGINT.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "../robot/config.ts";
 * import { runRobot } from "./robot_run.ts";
 * await runRobot(await loadRobotConfig("examples/robot/robot.yaml"), "info");
 * ```
 */
export async function runRobot(config: RobotConfig, logLevel: LogLevel): Promise<void> {
  await refuseSecondSupervisor(config);
  revokeWhatNoComponentGets(config);
  const stop = shutdownSignal();
  const started = performance.now();
  // systemd hears of every state change (STATUS=), once it knows the robot is ready.
  let stateChanged = () => {};
  const supervisor = new Supervisor(config, { logLevel, onStateChange: () => stateChanged() });
  try {
    await supervisor.start();
  } catch (error) {
    stop.cancel();
    await supervisor.shutdown();
    if (
      error instanceof StatusPageError || error instanceof UnsafeDirError ||
      error instanceof CertificateError
    ) {
      throw new CliError(error.message);
    }
    if (error instanceof ZmqError || error instanceof Deno.errors.NotCapable) {
      throw new CliError(`cannot bind the control endpoint ${config.control}: ${error.message}`);
    }
    throw error;
  }
  const stopNotifying = await notifySystemd(
    config,
    () => supervisor.status(),
    (onChange) => stateChanged = onChange,
  );
  const status = supervisor.status();
  const running = status.components.filter((c) => c.state === "running").length;
  console.error(
    `robot ${config.robot}: ${running} of ${status.components.length} components running ` +
      `(ready in ${Math.round(performance.now() - started)} ms); control at ${config.control}` +
      (supervisor.statusAddress === null
        ? ""
        : `; status page at http://${supervisor.statusAddress}/`),
  );
  const signal = await stop.promise;
  const stopping = performance.now();
  console.error(`${signal}: stopping robot ${config.robot}…`);
  await stopNotifying();
  await supervisor.shutdown();
  console.error(`robot ${config.robot} stopped in ${Math.round(performance.now() - stopping)} ms`);
}

/** Two supervisors of one robot would fight over its endpoints (and its control socket). */
async function refuseSecondSupervisor(config: RobotConfig): Promise<void> {
  let reply;
  try {
    reply = await controlRequest(config.control, { op: "status" }, { timeoutMs: 500 });
  } catch (error) {
    if (!(error instanceof ControlUnreachableError)) throw error;
    // A CURVE endpoint refuses this unauthenticated probe: but something answered there.
    if (!error.message.includes("refused this client")) return;
    throw new CliError(
      `something already answers at ${config.control} (is robot ${config.robot} running?)`,
    );
  }
  if (reply.ok && "status" in reply) {
    throw new CliError(
      `robot ${reply.status.robot} is already running (pid ${reply.status.pid}, control at ${config.control})`,
    );
  }
}

/**
 * No component may run programs, load native code or import remote code,
 * so the process gives those up too: a Worker's own `import: false` does not
 * stop the modules it loads from being fetched with its parent's leave.
 */
function revokeWhatNoComponentGets(config: RobotConfig): void {
  // With host processes (isolation: process) the supervisor keeps leave to run deno itself.
  const hosts = config.components.some((c) => c.isolation !== "worker");
  for (const name of ["run", "ffi", "import"] as const) {
    try {
      // (Deno cannot revoke all but one program; the baked flags grant run of deno alone.)
      if (name === "run" && hosts) continue;
      Deno.permissions.revokeSync({ name });
    } catch {
      // Already denied.
    }
  }
}
