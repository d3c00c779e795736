/**
 * `zedge robot systemd robot.yaml [--binary PATH] [--user USER] [--install]`:
 * writes `zedge-<robot>.service` (into the current directory, `-o DIR`, or
 * with `--install` into /etc/systemd/system) and says how to start it.
 *
 * @example
 * ```sh
 * zedge robot systemd robot.yaml --binary /usr/local/bin/kitchen-bot --install
 * ```
 * @module
 */
import type { Command } from "commander";
import { join, resolve } from "node:path";
import { systemdUnit } from "../robot/systemd.ts";
import { codeOrFail } from "./robot_common.ts";
import { CliError } from "./errors.ts";
import { loadRobotOrFail, robotFileArgument, type RobotFileFlags } from "./robot_common.ts";

interface SystemdFlags extends RobotFileFlags {
  binary?: string;
  user?: string;
  install?: boolean;
  output?: string;
}

const SYSTEM_UNITS = "/etc/systemd/system";

/**
 * Adds `systemd` to the `zedge robot` command.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { registerSystemd } from "./robot_systemd.ts";
 * registerSystemd(new Command("robot"));
 * ```
 */
export function registerSystemd(robot: Command): void {
  robot.command("systemd")
    .description(
      "write the robot's systemd unit zedge-<robot>.service: restart on failure, SIGTERM with " +
        "5 s to stop, runtime and state directories, hardened sandbox",
    )
    .argument("[robot.yaml]", "the robot YAML (default ./robot.yaml)")
    .option("-c, --config <file>", "the robot YAML (same as the argument)")
    .option(
      "--binary <path>",
      "run this robot binary (zedge robot build) instead of deno from source",
    )
    .option("--user <user>", "run the service as this user")
    .option("--install", `write the unit into ${SYSTEM_UNITS}`)
    .option("-o, --output <dir>", "write the unit into this directory (default .; - prints it)")
    .action(async (file: string | undefined, flags: SystemdFlags) => {
      if (flags.install && flags.output !== undefined) {
        throw new CliError("give --install or -o, not both", 2);
      }
      if (flags.user !== undefined && !/^[a-z_][a-z0-9_-]*\$?$/i.test(flags.user)) {
        throw new CliError(`--user: '${flags.user}' is not a user name`, 2);
      }
      const binary = flags.binary === undefined ? undefined : resolve(flags.binary);
      if (binary !== undefined) {
        const info = await Deno.stat(binary).catch(() => null);
        if (!info?.isFile) throw new CliError(`--binary: ${binary} is not a file`, 2);
      }
      // The unit's user reads the secret files, so the rule on them is judged as that user.
      const uid = flags.user === undefined ? undefined : userIdOf(flags.user);
      const config = await loadRobotOrFail(
        robotFileArgument(file, flags),
        uid === undefined ? {} : { secretsUid: uid },
      );
      const unit = systemdUnit(config, {
        binary,
        user: flags.user,
        code: binary === undefined ? await codeOrFail(config) : [],
      });
      for (const warning of unit.warnings) console.error(`warning: ${warning}`);
      if (flags.output === "-") {
        console.log(unit.text);
        return;
      }
      const dir = flags.install ? SYSTEM_UNITS : flags.output ?? ".";
      const path = join(dir, unit.name);
      try {
        // `-o units/` names a directory to write into: made when missing, as `mkdir -p`.
        if (!flags.install) await Deno.mkdir(dir, { recursive: true });
        await Deno.writeTextFile(path, unit.text);
      } catch (error) {
        throw new CliError(
          `cannot write ${path}: ${error instanceof Error ? error.message : error}` +
            (flags.install ? " (--install needs root)" : ""),
        );
      }
      console.log(`wrote ${path}`);
      console.log(
        flags.install
          ? `start it: systemctl daemon-reload && systemctl enable --now ${unit.name}`
          : `install it: sudo cp ${path} ${SYSTEM_UNITS}/ && sudo systemctl daemon-reload && ` +
            `sudo systemctl enable --now ${unit.name}`,
      );
      console.log(`check it: systemd-analyze verify ${path}`);
    });
}

/**
 * The user id of `name` in /etc/passwd, or undefined when this machine has no such user (the unit
 * may be for another machine: its secret files are then judged as this process's user's).
 */
function userIdOf(name: string): number | undefined {
  let passwd: string;
  try {
    passwd = Deno.readTextFileSync("/etc/passwd");
  } catch {
    return undefined;
  }
  for (const line of passwd.split("\n")) {
    const [user, , uid] = line.split(":");
    if (user === name && uid !== undefined && /^\d+$/.test(uid)) return Number(uid);
  }
  return undefined;
}
