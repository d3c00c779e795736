/**
 * Helpers shared by the `zedge robot …` commands: finding and loading the
 * robot YAML (every problem as one `file:line:` line, exit 2), the log line
 * format of a running robot, and small table and duration formatting.
 *
 * @example
 * ```ts
 * import { robotFileArgument } from "./robot_common.ts";
 * robotFileArgument("robot.yaml", {}); // "robot.yaml"
 * ```
 * @module
 */
import type { LogRecord } from "@logtape/logtape";
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { RobotConfig, RobotConfigOptions } from "../robot/config.ts";
import type { ComponentStatus } from "../robot/control.ts";
import { CliError } from "./errors.ts";
import { renderMessage } from "./logging.ts";

/**
 * The `-c, --config` option every robot command takes.
 *
 * @example
 * ```ts
 * import type { RobotFileFlags } from "./robot_common.ts";
 * const flags: RobotFileFlags = { config: "robot.yaml" };
 * ```
 */
export interface RobotFileFlags {
  /** The robot YAML (same as the positional argument). */
  config?: string;
}

/**
 * The robot YAML a command acts on: the positional argument or `-c`, else
 * `./robot.yaml` when it exists.
 *
 * @example
 * ```ts
 * import { robotFileArgument } from "./robot_common.ts";
 * robotFileArgument(undefined, { config: "examples/robot/robot.yaml" });
 * ```
 */
export function robotFileArgument(positional: string | undefined, flags: RobotFileFlags): string {
  if (positional !== undefined && flags.config !== undefined && positional !== flags.config) {
    throw new CliError("give the robot YAML either as an argument or with -c, not both", 2);
  }
  const file = positional ?? flags.config;
  if (file !== undefined) return file;
  if (existsSync("robot.yaml")) return "robot.yaml";
  throw new CliError("which robot? give its YAML file (zedge robot … robot.yaml, or -c FILE)", 2);
}

/**
 * Loads and validates the robot YAML; every problem becomes one line of a
 * {@link CliError} (exit code 2).
 *
 * @example
 * ```ts
 * import { loadRobotOrFail } from "./robot_common.ts";
 * const robot = await loadRobotOrFail("examples/robot/robot.yaml");
 * ```
 */
export async function loadRobotOrFail(
  file: string,
  options: RobotConfigOptions = {},
): Promise<RobotConfig> {
  try {
    // Loaded on first use: the schema and YAML parser are most of a short command's start-up
    // (zedge topic list --control never needs them).
    const { loadRobotConfig } = await import("../robot/config.ts");
    return await loadRobotConfig(file, options);
  } catch (error) {
    const { ConfigFileError } = await import("../core/config/yaml_schema.ts");
    if (error instanceof ConfigFileError) throw new CliError(error.message, 2);
    throw error;
  }
}

/**
 * Where the robot commands get the robot YAML: from a file named on the
 * command line (the `zedge` CLI), or embedded in a robot's own binary
 * (then no command takes a file).
 *
 * @example
 * ```ts
 * import { fileRobotSource } from "./robot_common.ts";
 * const robot = await fileRobotSource.load("examples/robot/robot.yaml", {});
 * ```
 */
export interface RobotSource {
  /** True inside a robot binary: the YAML is embedded. */
  readonly embedded: boolean;
  /** Loads and validates the robot (every problem a {@link CliError}). */
  load(
    file: string | undefined,
    flags: RobotFileFlags,
    options?: RobotConfigOptions,
  ): Promise<RobotConfig>;
}

/**
 * The robot YAML from the command line (argument or `-c`, else ./robot.yaml).
 *
 * @example
 * ```ts
 * import { fileRobotSource } from "./robot_common.ts";
 * console.log(fileRobotSource.embedded); // false
 * ```
 */
export const fileRobotSource: RobotSource = {
  embedded: false,
  load: (file, flags, options) => loadRobotOrFail(robotFileArgument(file, flags), options),
};

/**
 * Adds the robot YAML argument and `-c` to `command` unless the YAML is
 * embedded, and calls `action(file, flags)` either way.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { fileRobotSource, withRobotFile } from "./robot_common.ts";
 * withRobotFile(new Command("check"), fileRobotSource, async (file) => console.log(file));
 * ```
 */
export function withRobotFile<F extends RobotFileFlags>(
  command: Command,
  source: RobotSource,
  action: (file: string | undefined, flags: F) => Promise<void>,
): Command {
  if (source.embedded) return command.action((flags: F) => action(undefined, flags));
  return command
    .argument("[robot.yaml]", "the robot YAML (default ./robot.yaml)")
    .option("-c, --config <file>", "the robot YAML (same as the argument)")
    .action((file: string | undefined, flags: F) => action(file, flags));
}

/**
 * A running robot's log line: `level: component: message`, where component
 * records carry the component's name (and the zedge area inside it), and
 * the supervisor's own carry `supervisor`.
 *
 * @example
 * ```ts
 * import { formatRobotRecord } from "./robot_common.ts";
 * // "info: odometry: publishing odometry at 50 Hz on tcp://127.0.0.1:7801"
 * ```
 */
export function formatRobotRecord(record: LogRecord): string {
  return `${record.level}: ${robotRecordSource(record.category)}: ${renderMessage(record)}`;
}

/**
 * Who logged a record, as `formatRobotRecord` names it.
 *
 * @example
 * ```ts
 * import { robotRecordSource } from "./robot_common.ts";
 * robotRecordSource(["zedge", "component", "tasks", "zedge", "tasks", "server"]); // "tasks/tasks.server"
 * robotRecordSource(["zedge", "component", "odometry", "kitchen-bot", "odometry"]); // "odometry"
 * ```
 */
export function robotRecordSource(category: readonly string[]): string {
  if (category[0] === "zedge" && category[1] === "component" && category[2] !== undefined) {
    const name = category[2];
    const inner = category.slice(3);
    // A node's own logger is [robot, name]; zedge code inside a component logs as ["zedge", area…].
    if (inner.length === 2 && inner[1] === name) return name;
    const area = inner[0] === "zedge" ? inner.slice(1) : inner;
    return area.length > 0 ? `${name}/${area.join(".")}` : name;
  }
  if (category[0] === "zedge" && category[1] === "robot") {
    return category[2] === "supervisor" ? "supervisor" : category.slice(1).join(".");
  }
  return category.slice(category[0] === "zedge" ? 1 : 0).join(".");
}

/**
 * Lays rows out in columns (two spaces apart); the last column is not padded.
 *
 * @example
 * ```ts
 * import { formatTable } from "./robot_common.ts";
 * formatTable([["NAME", "STATE"], ["tasks", "running"]]);
 * // "NAME   STATE\ntasks  running"
 * ```
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")
      .trimEnd()
  ).join("\n");
}

/**
 * The components table `zedge robot status` and `zedge robot top` show: name,
 * kind, state, uptime while running, restarts and the first line of the last error.
 *
 * @example
 * ```ts
 * import { formatComponentTable } from "./robot_common.ts";
 * formatComponentTable([]); // "COMPONENT  KIND  STATE  UPTIME  RESTARTS  LAST ERROR"
 * ```
 */
export function formatComponentTable(components: readonly ComponentStatus[]): string {
  const rows = [["COMPONENT", "KIND", "STATE", "UPTIME", "RESTARTS", "LAST ERROR"]];
  for (const c of components) {
    rows.push([
      c.name,
      c.kind,
      c.state,
      c.state === "running" ? formatUptime(c.uptimeMs) : "-",
      String(c.restarts),
      c.lastError === null ? "-" : escapeUntrusted(c.lastError.split("\n")[0]),
    ]);
  }
  return formatTable(rows);
}

/**
 * A short uptime: `850 ms`, `12 s`, `3m 05s`, `2h 07m`, `3d 04h`.
 *
 * @example
 * ```ts
 * import { formatUptime } from "./robot_common.ts";
 * formatUptime(185_000); // "3m 05s"
 * ```
 */
export function formatUptime(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

/**
 * The robot's code files as Deno resolves them (what the robot process must
 * read from source); a module graph that does not resolve is a
 * {@link CliError} naming the problem.
 *
 * @example
 * ```ts
 * import { codeOrFail, loadRobotOrFail } from "./robot_common.ts";
 * const code = await codeOrFail(await loadRobotOrFail("examples/robot/robot.yaml"));
 * ```
 */
export async function codeOrFail(config: RobotConfig): Promise<string[]> {
  // Loaded on first use, as the configuration is (see loadRobotOrFail).
  const { robotCodeFiles } = await import("../robot/process_permissions.ts");
  try {
    return await robotCodeFiles(config);
  } catch (error) {
    throw new CliError(
      `${config.file}: cannot resolve the components' modules: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}

/**
 * Loads every component's modules as the robot will (see robot/check.ts),
 * saying on stderr which are still loading every 10 s; any problem is a
 * {@link CliError} listing them all.
 *
 * @example
 * ```ts
 * import { loadRobotOrFail, modulesOrFail } from "./robot_common.ts";
 * await modulesOrFail(await loadRobotOrFail("examples/robot/robot.yaml"));
 * ```
 */
export async function modulesOrFail(config: RobotConfig): Promise<void> {
  const { checkRobotModules } = await import("../robot/check.ts");
  const problems = await checkRobotModules(config, {
    onStillLoading: (name, seconds) =>
      console.error(`components.${name}: still loading its modules after ${seconds} s…`),
  });
  if (problems.length > 0) throw new CliError(problems.join("\n"), 1);
}
