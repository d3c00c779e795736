/**
 * `zedge robot …`: the edge runtime — one robot YAML, each component in its
 * own Web Worker with only the permissions its configuration names.
 *
 * ```
 * zedge robot check       robot.yaml            validate the YAML, its pipelines and modules
 * zedge robot permissions robot.yaml [--json]   what each component may touch, as deno flags
 * zedge robot run         robot.yaml            run it (systemd runs this)
 * zedge robot status      [-c robot.yaml | --control EP] [--json]
 * zedge robot top         [-c robot.yaml | --control EP]   live view; q or Ctrl-C quits
 * zedge robot restart|stop|start NAME [-c robot.yaml | --control EP]
 * zedge robot record      [robot.yaml] -o run.mcap [--topics a,b] [--duration S]
 * zedge robot play        run.mcap [robot.yaml] [--rate R] [--loop] [--topics a,b] [--remap OLD=NEW]
 * zedge robot systemd     robot.yaml [--binary PATH] [--user USER] [--install]
 * zedge robot build       robot.yaml -o dist/NAME [--target TRIPLE]
 * zedge robot schema                            the YAML's JSON Schema
 * ```
 *
 * @example
 * ```sh
 * deno run -A --unstable-worker-options cli/main.ts robot check examples/robot/robot.yaml
 * ```
 * @module
 */
import type { Command } from "commander";
import { registerBuild } from "./robot_build.ts";
import { fileRobotSource } from "./robot_common.ts";
import { registerControl } from "./robot_control.ts";
import { registerInspect } from "./robot_inspect.ts";
import { registerRecord } from "./robot_record.ts";
import { registerRun } from "./robot_run.ts";
import { registerSystemd } from "./robot_systemd.ts";

/**
 * Registers `zedge robot` and its subcommands.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./robot.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  const robot = program.command("robot")
    .description(
      "run a robot from one YAML: supervised components, each confined to the permissions " +
        "its endpoints need; status, systemd unit and per-robot binary",
    )
    .showHelpAfterError(false);
  registerInspect(robot, fileRobotSource);
  registerRun(robot, fileRobotSource);
  registerControl(robot, fileRobotSource);
  registerRecord(robot, fileRobotSource);
  registerSystemd(robot);
  registerBuild(robot);
}
