/**
 * `zedge robot status|top|restart|stop|start`: ask a running robot's
 * supervisor over its control endpoint — from the robot YAML (`-c`, or
 * `./robot.yaml`) or given with `--control`.
 *
 * ```sh
 * zedge robot status -c robot.yaml
 * zedge robot status --control ipc:///run/zedge/kitchen-bot.sock --json
 * zedge robot top -c robot.yaml
 * zedge robot restart planner -c robot.yaml
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { defaultControlEndpoint } from "../robot/config.ts";
import {
  type ControlReply,
  type ControlRequest,
  controlRequest,
  ControlUnreachableError,
  type RobotStatus,
} from "../robot/control.ts";
import { CliError } from "./errors.ts";
import {
  formatComponentTable,
  formatTable,
  formatUptime,
  type RobotFileFlags,
  type RobotSource,
} from "./robot_common.ts";
import { registerTop } from "./robot_top.ts";

/**
 * The flags every control command takes: where the supervisor is, and how
 * long to wait for it.
 *
 * @example
 * ```ts
 * import type { ControlFlags } from "./robot_control.ts";
 * const flags: ControlFlags = { control: "ipc:///run/zedge/kitchen-bot.sock", timeout: "3000" };
 * ```
 */
export interface ControlFlags extends RobotFileFlags {
  /** The control endpoint (instead of the YAML's). */
  control?: string;
  /** Print JSON (status). */
  json?: boolean;
  /** ms to wait for the supervisor. */
  timeout: string;
}

/**
 * Adds `-c` (unless the YAML is embedded), `--control` and `--timeout` to
 * a control command.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { withControlTarget } from "./robot_control.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * withControlTarget(new Command("top"), fileRobotSource);
 * ```
 */
export function withControlTarget(command: Command, source: RobotSource): Command {
  return (source.embedded ? command : command.option(
    "-c, --config <file>",
    "the robot YAML naming the control endpoint (default ./robot.yaml)",
  ))
    .option("--control <endpoint>", "the supervisor's control endpoint (instead of the YAML's)")
    .option("--timeout <ms>", "how long to wait for the supervisor", "3000");
}

/**
 * Adds `status`, `restart`, `stop` and `start` to the `zedge robot` command.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerControl } from "./robot_control.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * registerControl(new Command("robot"), fileRobotSource);
 * ```
 */
export function registerControl(robot: Command, source: RobotSource): void {
  const withTarget = (command: Command) => withControlTarget(command, source);

  withTarget(
    robot.command("status")
      .description(
        "show each component's kind, state (starting, running, backoff, failed, stopped), " +
          "uptime, restarts, last error and permissions",
      ),
  )
    .option("--json", "print the status as JSON")
    .action(async (flags: ControlFlags) => {
      const { endpoint, reply } = await askSupervisor(source, flags, { op: "status" });
      if (!("status" in reply)) throw new CliError("the supervisor sent no status");
      console.log(
        flags.json ? JSON.stringify(reply.status, null, 2) : formatStatus(reply.status, endpoint),
      );
    });

  for (const op of ["restart", "stop", "start"] as const) {
    withTarget(
      robot.command(op)
        .description(
          op === "restart"
            ? "stop one component gracefully and start it again"
            : op === "stop"
            ? "stop one component gracefully; it stays stopped until `start`"
            : "start a stopped or failed component",
        )
        .argument("<component>", "the component's name"),
    ).action(async (name: string, flags: ControlFlags) => {
      await askSupervisor(source, flags, { op, name });
      console.log(
        `${op === "stop" ? "stopped" : op === "start" ? "started" : "restarted"} ${name}`,
      );
    });
  }
  registerTop(withTarget(robot.command("top")), source);
}

/**
 * `--timeout` in ms; a {@link CliError} (exit 2) unless it is a positive number.
 *
 * @example
 * ```ts
 * import { controlTimeout } from "./robot_control.ts";
 * controlTimeout({ timeout: "3000" }); // 3000
 * ```
 */
export function controlTimeout(flags: ControlFlags): number {
  const timeoutMs = Number(flags.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new CliError("--timeout must be a positive number of milliseconds", 2);
  }
  return timeoutMs;
}

/**
 * Sends `request` to the supervisor the flags name and returns its
 * successful reply; an unreachable supervisor or a refusal is a
 * {@link CliError}.
 *
 * @example
 * ```ts
 * import { askSupervisor } from "./robot_control.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * const { reply } = await askSupervisor(fileRobotSource, { config: "robot.yaml", timeout: "3000" }, { op: "status" });
 * ```
 */
export async function askSupervisor(
  source: RobotSource,
  flags: ControlFlags,
  request: ControlRequest,
): Promise<{ endpoint: string; reply: ControlReply & { ok: true } }> {
  const timeoutMs = controlTimeout(flags);
  const endpoint = await controlEndpoint(source, flags);
  let reply: ControlReply;
  try {
    reply = await controlRequest(endpoint, request, { timeoutMs });
  } catch (error) {
    if (error instanceof ControlUnreachableError) throw new CliError(error.message);
    throw error;
  }
  if (!reply.ok) throw new CliError(reply.error);
  return { endpoint, reply };
}

/**
 * Where the supervisor listens: `--control`, or the YAML's `control`; for a
 * YAML without one, the first of the default places that holds a socket
 * (`$XDG_RUNTIME_DIR/zedge/`, then `/run/zedge/` where the systemd unit puts
 * it, then `/tmp/zedge-<robot>.sock`).
 *
 * @example
 * ```ts
 * import { controlEndpoint } from "./robot_control.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * await controlEndpoint(fileRobotSource, { config: "examples/robot/robot.yaml", timeout: "3000" });
 * ```
 */
export async function controlEndpoint(source: RobotSource, flags: ControlFlags): Promise<string> {
  if (flags.control !== undefined) {
    if (flags.config !== undefined) throw new CliError("give -c or --control, not both", 2);
    return flags.control;
  }
  if (!source.embedded && flags.config === undefined && !existsSync("robot.yaml")) {
    throw new CliError("which robot? give -c robot.yaml or --control ENDPOINT", 2);
  }
  const config = await source.load(undefined, flags, { checkFiles: false, moduleGraph: false });
  if (!config.controlIsDefault) return config.control;
  const candidates = [
    defaultControlEndpoint(config.robot),
    `ipc:///run/zedge/${config.robot}.sock`,
    `ipc:///tmp/zedge-${config.robot}.sock`,
  ];
  return candidates.find((c) => existsSync(c.slice("ipc://".length))) ?? candidates[0];
}

/**
 * The human form of `zedge robot status`.
 *
 * @example
 * ```ts
 * import { formatStatus } from "./robot_control.ts";
 * console.log(formatStatus({ robot: "r", pid: 1, uptimeMs: 1000, components: [] }, "ipc:///tmp/r.sock"));
 * ```
 */
export function formatStatus(status: RobotStatus, endpoint: string): string {
  const permissions = [["COMPONENT", "PERMISSIONS"]];
  for (const c of status.components) {
    const p = c.permissions;
    const parts = (["net", "read", "write", "env"] as const)
      .filter((k) => p[k].length > 0)
      .map((k) => `${k} ${p[k].join(",")}`);
    permissions.push([c.name, parts.join("; ") || "none"]);
  }
  return [
    `robot ${status.robot} · pid ${status.pid} · up ${
      formatUptime(status.uptimeMs)
    } · control ${endpoint}`,
    "",
    formatComponentTable(status.components),
    "",
    formatTable(permissions),
  ].join("\n");
}
