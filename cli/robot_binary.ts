/**
 * The command line of a robot's own binary (`zedge robot build`): the
 * robot YAML and its pipeline files are embedded, so its commands take no
 * file — `kitchen-bot run`, `kitchen-bot status`, `kitchen-bot restart
 * planner`, `kitchen-bot check`, `kitchen-bot permissions`.
 *
 * @example
 * ```ts
 * import { runRobotBinary } from "./robot_binary.ts";
 * const code = await runRobotBinary(
 *   { robot: "r", config: "./robot.yaml", files: { "./robot.yaml": "robot: r\ncomponents: {}\n" } },
 *   import.meta.url,
 *   ["--version"],
 * );
 * ```
 * @module
 */
import { Command } from "commander";
import { fileURLToPath } from "node:url";
import { ConfigFileError } from "../core/config/yaml_schema.ts";
import { VERSION } from "../core/version.ts";
import { parseRobotConfig } from "../robot/config.ts";
import { useBinaryHosts } from "../robot/supervision/host_process.ts";
import { CliError } from "./errors.ts";
import { runProgram } from "./program.ts";
import { registerControl } from "./robot_control.ts";
import { registerInspect } from "./robot_inspect.ts";
import { registerRun } from "./robot_run.ts";
import type { RobotSource } from "./robot_common.ts";

/**
 * What a robot binary carries: its name, and its YAML files as text by
 * path relative to the entry module.
 *
 * @example
 * ```ts
 * import type { EmbeddedRobot } from "./robot_binary.ts";
 * const e: EmbeddedRobot = { robot: "r", config: "./robot.yaml", files: { "./robot.yaml": "…" } };
 * ```
 */
export interface EmbeddedRobot {
  /** The robot's name (the binary's name in messages). */
  robot: string;
  /** The robot YAML's path, relative to the entry module. */
  config: string;
  /** Embedded files (the robot YAML, its pipeline files) by relative path. */
  files: Record<string, string>;
  /** Each component's staged Worker entry, by component name, relative to the entry module. */
  entries?: Record<string, string>;
}

/**
 * The version line of a robot binary: `kitchen-bot (zedge 0.1.0)`.
 *
 * @example
 * ```ts
 * import { robotBinaryVersion } from "./robot_binary.ts";
 * robotBinaryVersion("kitchen-bot");
 * ```
 */
export function robotBinaryVersion(robot: string): string {
  return `${robot} (zedge ${VERSION})`;
}

/** The embedded robot YAML, resolved where the entry module is (the binary's own files). */
function embeddedSource(embedded: EmbeddedRobot, base: string): RobotSource {
  const byPath = new Map(
    Object.entries(embedded.files).map(([rel, text]) => [fileURLToPath(new URL(rel, base)), text]),
  );
  const url = new URL(embedded.config, base);
  return {
    embedded: true,
    load: (_file, _flags, options = {}) => {
      let config;
      try {
        config = parseRobotConfig(byPath.get(fileURLToPath(url))!, url.href, {
          ...options,
          display: `${embedded.robot}:robot.yaml (embedded)`,
          checkFiles: false,
          readFile: (path) => {
            const text = byPath.get(path);
            if (text === undefined) throw new Error(`${path} is not embedded in this binary`);
            return text;
          },
        });
      } catch (error) {
        if (error instanceof ConfigFileError) throw new CliError(error.message, 2);
        throw error;
      }
      for (const spec of config.components) {
        const entry = embedded.entries?.[spec.name];
        if (entry !== undefined) spec.workerModule = new URL(entry, base).href;
      }
      if (config.controlIsDefault) {
        // A default control directory the binary was not built for (another user's
        // XDG_RUNTIME_DIR) falls back to /tmp, which it was built for.
        const path = config.control.slice("ipc://".length);
        if (Deno.permissions.querySync({ name: "write", path }).state !== "granted") {
          config.control = `ipc:///tmp/zedge-${embedded.robot}.sock`;
        }
      }
      return Promise.resolve(config);
    },
  };
}

/**
 * Runs a robot binary's command line; returns the exit code.
 *
 * @example
 * ```ts
 * import { runRobotBinary } from "./robot_binary.ts";
 * // In the generated entry: Deno.exit(await runRobotBinary(embedded, import.meta.url, Deno.args));
 * ```
 */
export function runRobotBinary(
  embedded: EmbeddedRobot,
  base: string,
  args: string[],
): Promise<number> {
  // Compiled (its modules unpacked under /tmp/deno-compile-NAME): hosts are this binary.
  if (fileURLToPath(base).startsWith("/tmp/deno-compile-")) useBinaryHosts();
  const source = embeddedSource(embedded, base);
  const program = new Command(embedded.robot)
    .description(`the robot ${embedded.robot}: its components, supervised (zedge ${VERSION})`)
    .version(robotBinaryVersion(embedded.robot), "-V, --version")
    .showHelpAfterError(false)
    .exitOverride();
  registerRun(program, source);
  registerControl(program, source);
  registerInspect(program, source);
  return runProgram(program, args);
}
