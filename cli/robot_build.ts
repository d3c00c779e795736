/**
 * `zedge robot build robot.yaml -o dist/kitchen-bot [--target TRIPLE]`:
 * the robot's own binary, with every module its YAML names compiled in,
 * the YAML embedded, and the union of its components' permissions baked in
 * (never `-A`). It honours DENORT_BIN; where no denort can be had it says so
 * in one line, exits 1 and leaves no output file.
 *
 * `--stage DIR --no-compile` lays out what the binary would hold and prints
 * the `deno run` line that runs it from there with the same permissions.
 *
 * @example
 * ```sh
 * zedge robot build examples/robot/robot.yaml -o dist/kitchen-bot
 * DENORT_BIN=/opt/denort-2.9.6-aarch64 zedge robot build robot.yaml -o dist/kb --target aarch64-unknown-linux-gnu
 * ```
 * @module
 */
import type { Command } from "commander";
import { basename, resolve } from "node:path";
import { compileArgsFor, stageRobot } from "../robot/build.ts";
import { compileBinary, denortProblem } from "../robot/deno_compile.ts";
import { CliError } from "./errors.ts";
import { robotBinaryVersion } from "./robot_binary.ts";
import {
  fileRobotSource,
  modulesOrFail,
  type RobotFileFlags,
  withRobotFile,
} from "./robot_common.ts";

interface BuildFlags extends RobotFileFlags {
  output?: string;
  target?: string;
  stage?: string;
  compile: boolean;
}

const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/**
 * Adds `build` to the `zedge robot` command.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerBuild } from "./robot_build.ts";
 * registerBuild(new Command("robot"));
 * ```
 */
export function registerBuild(robot: Command): void {
  withRobotFile<BuildFlags>(
    robot.command("build")
      .description(
        "compile the robot's own binary: its modules and YAML embedded, its permissions baked in " +
          "(honours DENORT_BIN)",
      )
      .option("-o, --output <path>", "the binary to write (default dist/<robot>)")
      .option("--target <triple>", `cross-compile: ${TARGETS.join(", ")}`)
      .option("--stage <dir>", "lay out the binary's files in DIR and keep them")
      .option("--no-compile", "stop after staging (with --stage): print how to run it with deno"),
    fileRobotSource,
    async (file, flags) => {
      if (flags.target !== undefined && !TARGETS.includes(flags.target)) {
        throw new CliError(`--target must be one of ${TARGETS.join(", ")}`, 2);
      }
      if (!flags.compile && flags.stage === undefined) {
        throw new CliError("--no-compile needs --stage DIR (where the files go)", 2);
      }
      const denort = await denortProblem(Deno.env.get("DENORT_BIN") || undefined);
      if (flags.compile && denort !== undefined) throw new CliError(`robot build: ${denort}`, 1);
      const config = await fileRobotSource.load(file, flags);
      await modulesOrFail(config);
      const output = resolve(flags.output ?? `dist/${config.robot}`);
      const stage = flags.stage !== undefined
        ? resolve(flags.stage)
        : await Deno.makeTempDir({ prefix: `zedge-build-${config.robot}-` });
      try {
        const plan = await stageRobot(config, { stage, binaryName: basename(output) });
        console.error(`staged ${plan.files.length} files in ${stage}`);
        if (!flags.compile) {
          console.log(
            `deno run --config ${plan.denoConfig} ${plan.runFlags.join(" ")} ${plan.entry} run`,
          );
          return;
        }
        const result = await compileBinary({
          args: compileArgsFor(plan),
          output,
          target: flags.target,
          smoke: {
            args: ["--version"],
            expect: (printed) => printed === robotBinaryVersion(config.robot),
            describe: JSON.stringify(robotBinaryVersion(config.robot)),
          },
        });
        if (!result.ok) throw new CliError(`robot build: ${result.message}`, 1);
        const size = (await Deno.stat(output)).size;
        console.log(
          `built ${output} (${(size / 1024 / 1024).toFixed(0)} MiB, ${
            flags.target ?? Deno.build.target
          }): run it with \`${basename(output)} run\``,
        );
        console.log(`baked in: ${plan.compileFlags.join(" ")}`);
      } finally {
        if (flags.stage === undefined) {
          await Deno.remove(stage, { recursive: true }).catch(() => {});
        }
      }
    },
  );
}
