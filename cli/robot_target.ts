/**
 * Naming a running robot, the same way in every command that asks one
 * (`zedge robot status|top|restart|stop|start|directory`, and the topic,
 * service and recording commands): the robot YAML as an optional argument
 * or `-c FILE` (else `./robot.yaml`), or `--control ENDPOINT`; and, for a
 * control endpoint that speaks CURVE, `--curve-server-key KEY` (the
 * robot's public key: Z85 or NAME.pub; from the YAML, the `.pub` beside its
 * `security.curve.secretKey`) and `--curve-secret FILE` (the operator's
 * own key pair, as `task-client` takes it).
 *
 * ```sh
 * zedge robot status robot.yaml
 * zedge robot status --control tcp://10.0.0.12:7700 --curve-server-key keys/arm-bot.pub \
 *   --curve-secret ~/.zedge/alice.key
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { readCertificateSync } from "../core/security/certificates.ts";
import { processUid } from "../core/security/private_file.ts";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import { defaultControlEndpoint } from "../robot/control_endpoint.ts";
import {
  type ControlReply,
  type ControlRequest,
  controlRequest,
  type ControlRequestOptions,
  ControlUnreachableError,
} from "../robot/control.ts";
import { clientCurve, CURVE_SECRET_FLAG, CURVE_SERVER_KEY_FLAG } from "./curve_flags.ts";
import { CliError } from "./errors.ts";
import type { RobotFileFlags, RobotSource } from "./robot_common.ts";

/**
 * The flags of a command that asks a running robot.
 *
 * @example
 * ```ts
 * import type { RobotTargetFlags } from "./robot_target.ts";
 * const flags: RobotTargetFlags = { control: "tcp://10.0.0.12:7700", timeout: "3000" };
 * ```
 */
export interface RobotTargetFlags extends RobotFileFlags {
  /** The control endpoint (instead of the YAML's). */
  control?: string;
  /** The robot's public key (Z85 or a certificate file). */
  curveServerKey?: string;
  /** This client's secret certificate (NAME.key). */
  curveSecret?: string;
  /** ms to wait for the supervisor. */
  timeout: string;
}

/**
 * A robot to ask: where its control endpoint is, how to speak to it, and
 * how long to wait.
 *
 * @example
 * ```ts
 * import type { RobotTarget } from "./robot_target.ts";
 * const target: RobotTarget = { endpoint: "ipc:///run/zedge/kitchen-bot.sock", timeoutMs: 3000 };
 * ```
 */
export interface RobotTarget {
  /** The control endpoint. */
  endpoint: string;
  /** CURVE client settings (Z85), when the endpoint speaks CURVE. */
  curve?: ControlRequestOptions["curve"];
  /** How long to wait for each reply, in ms. */
  timeoutMs: number;
}

/**
 * The help lines of the robot-naming options, the same in every command.
 *
 * @example
 * ```ts
 * import { ROBOT_TARGET_HELP } from "./robot_target.ts";
 * console.log(ROBOT_TARGET_HELP.control);
 * ```
 */
export const ROBOT_TARGET_HELP = {
  file: "the robot YAML naming the control endpoint (default ./robot.yaml)",
  config: "the robot YAML (same as the argument)",
  control: "the supervisor's control endpoint (instead of the YAML's)",
  timeout: "how long to wait for the supervisor, in ms",
} as const;

/**
 * Adds the robot-naming argument and options to `command` and calls
 * `action(target, args, flags)` with the robot resolved: `args` are the
 * command's own positional arguments (the optional YAML argument comes
 * after them). Inside a robot's own binary the YAML is embedded: no
 * argument and no `-c`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { withRobotTarget } from "./robot_target.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * withRobotTarget(new Command("status"), fileRobotSource, async (target) => {
 *   console.log(target.endpoint);
 * });
 * ```
 */
export function withRobotTarget<F extends RobotTargetFlags>(
  command: Command,
  source: RobotSource,
  action: (target: RobotTarget, args: string[], flags: F) => Promise<void>,
): Command {
  if (!source.embedded) {
    command.argument("[robot.yaml]", ROBOT_TARGET_HELP.file)
      .option("-c, --config <file>", ROBOT_TARGET_HELP.config);
  }
  return command
    .option("--control <endpoint>", ROBOT_TARGET_HELP.control)
    .option(...CURVE_SERVER_KEY_FLAG)
    .option(...CURVE_SECRET_FLAG)
    .option("--timeout <ms>", ROBOT_TARGET_HELP.timeout, "3000")
    .action(async (...all: unknown[]) => {
      const flags = all.at(-2) as F;
      const args = all.slice(0, -2) as (string | undefined)[];
      const file = source.embedded ? undefined : args.pop();
      const target = await robotTarget(source, file, flags);
      await action(target, args as string[], flags);
    });
}

/**
 * Resolves the robot the flags name (see the module documentation).
 * Mistakes are a {@link CliError} with exit code 2.
 *
 * @example
 * ```ts
 * import { robotTarget } from "./robot_target.ts";
 * import { fileRobotSource } from "./robot_common.ts";
 * const target = await robotTarget(fileRobotSource, "examples/robot/robot.yaml", { timeout: "3000" });
 * ```
 */
export async function robotTarget(
  source: RobotSource,
  file: string | undefined,
  flags: RobotTargetFlags,
): Promise<RobotTarget> {
  const timeoutMs = Number(flags.timeout ?? "3000");
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new CliError("--timeout must be a positive number of milliseconds", 2);
  }
  if (file !== undefined && flags.config !== undefined && file !== flags.config) {
    throw new CliError("give the robot YAML either as an argument or with -c, not both", 2);
  }
  const yaml = file ?? flags.config;
  let endpoint: string;
  let robotKey: string | undefined;
  if (flags.control !== undefined) {
    if (yaml !== undefined) throw new CliError("give the robot YAML or --control, not both", 2);
    endpoint = flags.control;
    try {
      parseEndpoint(endpoint);
    } catch (error) {
      throw new CliError(`--control: ${error instanceof Error ? error.message : error}`, 2);
    }
  } else {
    if (!source.embedded && yaml === undefined && !existsSync("robot.yaml")) {
      throw new CliError(
        "which robot? give its YAML (an argument or -c robot.yaml) or --control ENDPOINT",
        2,
      );
    }
    // The YAML's control endpoint and key, read without the schema (a short command's start-up);
    // a file where they are not plainly there is loaded, and its problems said, as usual.
    const { peekRobot } = await import("./robot_peek.ts");
    const config = (source.embedded ? null : await peekRobot(yaml ?? "robot.yaml")) ??
      await source.load(yaml, {}, {
        checkFiles: false,
        protectedMode: false,
        checkSecrets: false,
      });
    endpoint = controlEndpointOf(config);
    if (config.security !== null && parseEndpoint(endpoint).transport === "tcp") {
      robotKey = robotPublicKeyFile(config.security.secretKey);
    }
  }
  refuseForeignSocket(endpoint);
  const serverKey = flags.curveServerKey ?? robotKey;
  if (serverKey !== undefined && flags.curveSecret === undefined) {
    throw new CliError(
      `${endpoint} speaks CURVE: give your operator key with --curve-secret FILE (NAME.key, ` +
        "from `zedge keys generate NAME`; its NAME.pub must be among the robot's operators)",
      2,
    );
  }
  const security = await clientCurve({ serverKey, curveSecret: flags.curveSecret });
  return {
    endpoint,
    timeoutMs,
    ...(security === undefined ? {} : {
      curve: {
        serverKey: security.curveServerKey!,
        ...(security.curveSecretKey == null ? {} : { secretKey: security.curveSecretKey }),
        ...(security.curvePublicKey == null ? {} : { publicKey: security.curvePublicKey }),
      },
    }),
  };
}

/**
 * The robot's public key for a client: the `NAME.pub` beside its secret
 * key when there is one, else the secret certificate itself (its public
 * key is read from it).
 */
function robotPublicKeyFile(secretKey: string): string {
  const pub = secretKey.replace(/\.key$/, ".pub");
  if (pub !== secretKey && existsSync(pub)) return pub;
  try {
    return readCertificateSync(secretKey).publicKey;
  } catch {
    throw new CliError(
      `cannot find the robot's public key (${pub}): give it with --curve-server-key KEY`,
      2,
    );
  }
}

/**
 * Refuses an ipc control socket in a directory every user may write to (/tmp, where the default
 * `/tmp/zedge-<robot>.sock` is) when it belongs to another user than this one or root: anyone can
 * bind that path while the robot is not running (or before it starts), and would then take every
 * request — a topic published, a service called, a recording's data — and answer in the robot's
 * name. A socket in a directory of the robot's own (`/run/zedge/`) is the robot's, whoever owns it.
 */
function refuseForeignSocket(endpoint: string): void {
  const parsed = parseEndpoint(endpoint);
  if (parsed.transport !== "ipc") return;
  const me = processUid();
  if (me === null) return; // No leave to know who this is (a robot's baked flags).
  let socket: Deno.FileInfo, dir: Deno.FileInfo;
  try {
    socket = Deno.lstatSync(parsed.path);
    dir = Deno.statSync(dirname(parsed.path));
  } catch {
    return; // Not there yet (the request says so), or no leave to look (a robot's baked flags).
  }
  const shared = ((dir.mode ?? 0) & 0o002) !== 0;
  if (!shared || socket.uid === me || socket.uid === 0) return;
  throw new CliError(
    `${parsed.path} belongs to user ${socket.uid}, not to you (${me}) or root, in a directory ` +
      "every user may write to: another user may have put it there to take the robot's " +
      "requests; remove it, or give the robot's endpoint with --control",
    2,
  );
}

/**
 * Where a loaded robot's supervisor listens: its YAML's `control`; for a
 * YAML without one, the first of the default places that holds a socket
 * (`$XDG_RUNTIME_DIR/zedge/`, then `/run/zedge/` where the systemd unit
 * puts it, then `/tmp/zedge-<robot>.sock`).
 */
function controlEndpointOf(
  config: { robot: string; control: string; controlIsDefault: boolean },
): string {
  if (!config.controlIsDefault) return config.control;
  const candidates = [
    defaultControlEndpoint(config.robot),
    `ipc:///run/zedge/${config.robot}.sock`,
    `ipc:///tmp/zedge-${config.robot}.sock`,
  ];
  return candidates.find((c) => existsSync(c.slice("ipc://".length))) ?? candidates[0];
}

/**
 * Sends `request` to the robot and returns its successful reply; an
 * unreachable supervisor, a refused key or a refusal is a {@link CliError}.
 *
 * @example
 * ```ts
 * import { askRobot } from "./robot_target.ts";
 * const reply = await askRobot({ endpoint: "ipc:///tmp/zedge-kitchen-bot.sock", timeoutMs: 3000 }, { op: "status" });
 * ```
 */
export async function askRobot(
  target: RobotTarget,
  request: ControlRequest,
): Promise<ControlReply & { ok: true }> {
  let reply: ControlReply;
  try {
    reply = await controlRequest(target.endpoint, request, {
      timeoutMs: target.timeoutMs,
      curve: target.curve,
    });
  } catch (error) {
    if (error instanceof ControlUnreachableError) throw new CliError(error.message);
    throw error;
  }
  if (!reply.ok) throw new CliError(escapeUntrusted(reply.error));
  return reply;
}
