/**
 * What a command that asks a running robot needs from its YAML — the
 * robot's name, its `control` endpoint and its key (`security.curve.
 * secretKey`) — read without validating the whole file: the schema and the
 * configuration's code are most of a short command's start-up (`zedge topic
 * list robot.yaml` answers in a third of the time). A file whose keys are
 * not plainly there gets null, and the caller loads it properly, so every
 * mistake is still reported with its line.
 *
 * @example
 * ```ts
 * import { peekRobot } from "./robot_peek.ts";
 * const robot = await peekRobot("examples/robot/robot.yaml");
 * console.log(robot?.robot, robot?.control);
 * ```
 * @module
 */
import { parse } from "yaml";
import { dirname, isAbsolute, resolve } from "node:path";
import { defaultControlEndpoint } from "../robot/control_endpoint.ts";

/** A robot's name, as the schema has it. */
const ROBOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * The parts of a robot's configuration that name its control endpoint.
 *
 * @example
 * ```ts
 * import type { PeekedRobot } from "./robot_peek.ts";
 * const r: PeekedRobot = {
 *   robot: "kitchen-bot", control: "ipc:///tmp/zedge-kitchen-bot.sock", controlIsDefault: true, security: null,
 * };
 * ```
 */
export interface PeekedRobot {
  /** The robot's name. */
  robot: string;
  /** Its control endpoint (the default one when the file names none). */
  control: string;
  /** True when the file names no control endpoint. */
  controlIsDefault: boolean;
  /** Its key pair's secret key (an absolute path), when it has one. */
  security: { secretKey: string } | null;
}

/**
 * The robot's name, control endpoint and key from the YAML at `file`, or
 * null when they are not plainly there (the caller then loads the file
 * with its full validation).
 *
 * @example
 * ```ts
 * import { peekRobot } from "./robot_peek.ts";
 * await peekRobot("/nonexistent.yaml"); // null
 * ```
 */
export async function peekRobot(file: string): Promise<PeekedRobot | null> {
  let raw: unknown;
  try {
    raw = parse(await Deno.readTextFile(file));
  } catch {
    return null;
  }
  const doc = raw as {
    robot?: unknown;
    control?: unknown;
    security?: { curve?: { secretKey?: unknown } };
  } | null;
  if (typeof doc?.robot !== "string" || !ROBOT_NAME.test(doc.robot)) return null;
  if (doc.control !== undefined && typeof doc.control !== "string") return null;
  const secretKey = doc.security?.curve?.secretKey;
  if (doc.security !== undefined && typeof secretKey !== "string") return null;
  return {
    robot: doc.robot,
    control: doc.control ?? defaultControlEndpoint(doc.robot),
    controlIsDefault: doc.control === undefined,
    security: typeof secretKey === "string"
      ? { secretKey: isAbsolute(secretKey) ? secretKey : resolve(dirname(file), secretKey) }
      : null,
  };
}
