/**
 * `zedge robot status|top|restart|stop|start|directory`: ask a running
 * robot's supervisor over its control endpoint — named by the robot YAML
 * (an argument, `-c`, or `./robot.yaml`) or with `--control`, with
 * `--curve-server-key` and `--curve-secret` for an endpoint that speaks
 * CURVE (see `robot_target.ts`).
 *
 * ```sh
 * zedge robot status robot.yaml
 * zedge robot status --control ipc:///run/zedge/kitchen-bot.sock --json
 * zedge robot top -c robot.yaml
 * zedge robot restart planner robot.yaml
 * zedge robot directory --control tcp://10.0.0.12:7700 --curve-server-key keys/arm-bot.pub --curve-secret keys/alice.key
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { RobotStatus } from "../robot/control.ts";
import type { RobotDirectory } from "../robot/dataflow/gateway.ts";
import { CliError } from "./errors.ts";
import {
  formatComponentTable,
  formatTable,
  formatUptime,
  type RobotSource,
} from "./robot_common.ts";
import { askRobot, type RobotTargetFlags, withRobotTarget } from "./robot_target.ts";
import { registerTop } from "./robot_top.ts";

interface JsonFlags extends RobotTargetFlags {
  json?: boolean;
}

/**
 * Adds `status`, `restart`, `stop`, `start`, `top` and `directory` to the
 * `zedge robot` command.
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
  withRobotTarget<JsonFlags>(
    robot.command("status")
      .description(
        "show each component's kind, state (starting, running, backoff, failed, stopped), " +
          "uptime, restarts, last error and permissions",
      )
      .option("--json", "print the status as JSON"),
    source,
    async (target, _args, flags) => {
      const reply = await askRobot(target, { op: "status" });
      if (!("status" in reply)) throw new CliError("the supervisor sent no status");
      console.log(
        flags.json
          ? JSON.stringify(reply.status, null, 2)
          : formatStatus(reply.status, target.endpoint),
      );
    },
  );

  for (const op of ["restart", "stop", "start"] as const) {
    withRobotTarget(
      robot.command(op)
        .description(
          op === "restart"
            ? "stop one component gracefully and start it again"
            : op === "stop"
            ? "stop one component gracefully; it stays stopped until `start`"
            : "start a stopped or failed component",
        )
        .argument("<component>", "the component's name"),
      source,
      async (target, [name]) => {
        await askRobot(target, { op, name });
        console.log(
          `${op === "stop" ? "stopped" : op === "start" ? "started" : "restarted"} ${name}`,
        );
      },
    );
  }

  withRobotTarget<JsonFlags>(
    robot.command("directory")
      .description(
        "what the robot offers other robots: its topics and services (who publishes and " +
          "provides each) and where its gateway is — what a peer robot may ask",
      )
      .option("--json", "print the directory as JSON"),
    source,
    async (target, _args, flags) => {
      const reply = await askRobot(target, { op: "directory" });
      if (!("directory" in reply)) throw new CliError("the supervisor sent no directory");
      const directory = reply.directory as RobotDirectory;
      console.log(
        flags.json ? JSON.stringify(directory, null, 2) : formatDirectory(directory),
      );
    },
  );

  registerTop(robot.command("top"), source);
}

/**
 * The human form of `zedge robot directory`.
 *
 * @example
 * ```ts
 * import { formatDirectory } from "./robot_control.ts";
 * console.log(formatDirectory({ robot: "arm-bot", topics: { odom: ["base"] }, services: {}, gateway: {} }));
 * ```
 */
export function formatDirectory(directory: RobotDirectory): string {
  const rows = [["KIND", "NAME", "FROM"]];
  for (const [topic, from] of Object.entries(directory.topics ?? {})) {
    rows.push(["topic", topic, from.join(", ")]);
  }
  for (const [service, from] of Object.entries(directory.services ?? {})) {
    rows.push(["service", service, from.join(", ")]);
  }
  const gateway = directory.gateway ?? {};
  return escapeUntrusted(
    [
      `robot ${directory.robot} · gateway topics ${gateway.topics ?? "-"} · services ${
        gateway.services ?? "-"
      }`,
      "",
      rows.length === 1 ? "(nothing offered to other robots)" : formatTable(rows),
    ].join("\n"),
    { newline: "\n" },
  );
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
  // Every name and error came from the robot: shown escaped, one line each.
  return escapeUntrusted(
    [
      `robot ${status.robot} · pid ${status.pid} · up ${
        formatUptime(status.uptimeMs)
      } · control ${endpoint}`,
      "",
      formatComponentTable(status.components),
      "",
      formatTable(permissions),
    ].join("\n"),
    { newline: "\n" },
  );
}
