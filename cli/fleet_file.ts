/**
 * The fleet file (`fleet.yaml`): the fleet's name, the operator's key pair
 * and every robot's control endpoint with its public key. It is validated
 * with the robot YAML's schema tooling (every problem `file:line: field:
 * what is wrong`), and its key paths are relative to the file.
 *
 * ```yaml
 * fleet: warehouse
 * operator: { secretKey: keys/operator.key }
 * robots:
 *   kitchen-bot: { control: tcp://10.0.0.11:7700, serverKey: keys/kitchen-bot.pub }
 *   arm-bot: { control: tcp://10.0.0.12:7700, serverKey: keys/arm-bot.pub }
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { z } from "zod";
import { isZ85Key } from "../core/security/certificates.ts";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import { CliError } from "./errors.ts";
import { fileRobotSource } from "./robot_common.ts";
import { type RobotTarget, robotTarget } from "./robot_target.ts";

const ROBOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const controlEndpoint = z.string({
  error: "must be the robot's control endpoint (tcp://host:port)",
})
  .superRefine((value, ctx) => {
    try {
      parseEndpoint(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : "bad" });
    }
  });

/**
 * The fleet file's schema (the one description of its keys).
 *
 * @example
 * ```ts
 * import { fleetFileSchema } from "./fleet_file.ts";
 * fleetFileSchema.parse({
 *   fleet: "warehouse",
 *   operator: { secretKey: "keys/operator.key" },
 *   robots: { "arm-bot": { control: "tcp://10.0.0.12:7700", serverKey: "keys/arm-bot.pub" } },
 * });
 * ```
 */
export const fleetFileSchema = z.strictObject({
  fleet: z.string({ error: "must be the fleet's name" }).regex(
    ROBOT_NAME,
    "must be a name: letters, digits, - or _",
  ),
  operator: z.strictObject({
    secretKey: z.string({ error: "must be the path of the operator's secret key (NAME.key)" })
      .min(1).describe("the operator's key pair: its NAME.pub is among each robot's operators"),
  }, { error: "must be a mapping: secretKey" }).optional(),
  robots: z.record(
    z.string().regex(ROBOT_NAME, "a robot is named with letters, digits, - or _"),
    z.strictObject({
      control: controlEndpoint,
      serverKey: z.string({ error: "must be the robot's public key (Z85 or NAME.pub)" }).min(1)
        .optional(),
    }, { error: "must be a mapping: control, serverKey" }),
    { error: "must map robot names to { control, serverKey }" },
  ).refine((robots) => Object.keys(robots).length > 0, "must name at least one robot"),
});

/**
 * The fleet file's JSON Schema (draft 2020-12), for editors (`zedge schema fleet`).
 *
 * @example
 * ```ts
 * import { fleetJsonSchema } from "./fleet_file.ts";
 * console.log(Object.keys(fleetJsonSchema().properties as object)); // fleet, operator, robots
 * ```
 */
export function fleetJsonSchema(): Record<string, unknown> {
  return {
    title: "zedge fleet",
    ...z.toJSONSchema(fleetFileSchema, { io: "input", unrepresentable: "any" }),
  } as Record<string, unknown>;
}

/**
 * The fleet file as written.
 *
 * @example
 * ```ts
 * import type { FleetFile } from "./fleet_file.ts";
 * const fleet: FleetFile = { fleet: "lab", robots: { r1: { control: "tcp://127.0.0.1:7700" } } };
 * ```
 */
export type FleetFile = z.output<typeof fleetFileSchema>;

/**
 * A loaded fleet: its name and, for each robot in file order, how to ask it.
 *
 * @example
 * ```ts
 * import type { Fleet } from "./fleet_file.ts";
 * const names = (fleet: Fleet) => fleet.robots.map((r) => r.name);
 * ```
 */
export interface Fleet {
  /** The fleet's name. */
  name: string;
  /** The fleet file's path, as given. */
  file: string;
  /** The operator's secret key file (resolved), when the file names one. */
  operatorKey?: string;
  /** Every robot, in file order. */
  robots: { name: string; target: RobotTarget }[];
}

/**
 * The fleet file a command acts on: the positional argument or `-c`, else
 * `./fleet.yaml`.
 *
 * @example
 * ```ts
 * import { fleetFileArgument } from "./fleet_file.ts";
 * fleetFileArgument(undefined, { config: "fleet.yaml" }); // "fleet.yaml"
 * ```
 */
export function fleetFileArgument(positional: string | undefined, flags: { config?: string }) {
  if (positional !== undefined && flags.config !== undefined && positional !== flags.config) {
    throw new CliError("give the fleet file either as an argument or with -c, not both", 2);
  }
  const file = positional ?? flags.config ?? "fleet.yaml";
  if (!existsSync(file)) {
    throw new CliError(
      `${file}: no such fleet file (give it as an argument or -c FILE; default ./fleet.yaml)`,
      2,
    );
  }
  return file;
}

/**
 * Reads, validates and resolves the fleet file: each robot's
 * {@link RobotTarget} made as `zedge robot … --control E --curve-server-key K
 * --curve-secret OPERATOR` would make it. Every mistake is a {@link CliError}
 * (exit code 2) naming the file and line.
 *
 * @example
 * ```ts
 * import { loadFleet } from "./fleet_file.ts";
 * const fleet = await loadFleet("fleet.yaml", 3000);
 * console.log(fleet.robots.length);
 * ```
 */
export async function loadFleet(file: string, timeoutMs: number): Promise<Fleet> {
  const { ConfigFileError, validateYamlConfig } = await import("../core/config/yaml_schema.ts");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new CliError(`${file}: cannot read: ${(error as Error).message}`, 2);
  }
  let value: FleetFile;
  let lineOf: (path: (string | number)[]) => number;
  try {
    const { value: parsed, doc } = validateYamlConfig(fleetFileSchema, text, file);
    value = parsed;
    lineOf = (path) => doc.lineOf(path);
  } catch (error) {
    if (error instanceof ConfigFileError) throw new CliError(error.message, 2);
    throw error;
  }
  const base = dirname(file);
  const resolve = (path: string) => isAbsolute(path) ? path : join(base, path);
  const curveSecret = value.operator === undefined ? undefined : resolve(value.operator.secretKey);
  const robots = [];
  for (const [name, robot] of Object.entries(value.robots)) {
    const serverKey = robot.serverKey === undefined || isZ85Key(robot.serverKey)
      ? robot.serverKey
      : resolve(robot.serverKey);
    try {
      const target = await robotTarget(fileRobotSource, undefined, {
        control: robot.control,
        curveServerKey: serverKey,
        curveSecret: serverKey === undefined ? undefined : curveSecret,
        timeout: String(timeoutMs),
      });
      robots.push({ name, target });
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      const where = robot.serverKey !== undefined && curveSecret === undefined
        ? `${file}:${lineOf(["robots", name])}: robots.${name}: has a serverKey but the file ` +
          "has no operator: { secretKey: KEY }"
        : `${file}:${lineOf(["robots", name])}: robots.${name}: ${error.message}`;
      throw new CliError(where, 2);
    }
  }
  return {
    name: value.fleet,
    file,
    ...(curveSecret === undefined ? {} : { operatorKey: curveSecret }),
    robots,
  };
}

/**
 * The robots a command acts on: `--robots a,b` (each must be in the fleet)
 * or `--all`; one of them is required.
 *
 * @example
 * ```ts
 * import { chooseRobots } from "./fleet_file.ts";
 * declare const fleet: import("./fleet_file.ts").Fleet;
 * chooseRobots(fleet, { all: true });
 * ```
 */
export function chooseRobots(
  fleet: Fleet,
  flags: { robots?: string; all?: boolean },
): Fleet["robots"] {
  if (flags.all === true && flags.robots !== undefined) {
    throw new CliError("give --robots a,b or --all, not both", 2);
  }
  if (flags.all === true) return fleet.robots;
  if (flags.robots === undefined) {
    throw new CliError("which robots? give --robots a,b or --all", 2);
  }
  const names = flags.robots.split(",").map((n) => n.trim()).filter((n) => n !== "");
  const chosen = [];
  for (const name of new Set(names)) {
    const robot = fleet.robots.find((r) => r.name === name);
    if (robot === undefined) {
      const known = fleet.robots.map((r) => r.name).join(", ");
      throw new CliError(`--robots: no robot '${name}' in ${fleet.file} (known: ${known})`, 2);
    }
    chosen.push(robot);
  }
  if (chosen.length === 0) throw new CliError("--robots names no robot", 2);
  return chosen;
}
