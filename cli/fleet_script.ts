/**
 * `zedge fleet run-script`: a scene script whose handlers name robots of
 * the fleet. Each robot the script uses is asked (over its control
 * endpoint, as the operator) for its task servers; its first task server's
 * first scope becomes the remote of that name, reached over CURVE when the
 * task server serves it, at the host the fleet file names for the robot
 * when it binds a wildcard (`tcp://*:7779`).
 *
 * @module
 */
import { parseEndpoint, reachableEndpoint } from "../core/transport/endpoint.ts";
import type { Remote } from "../core/tasks/remotes.ts";
import type { TaskServerEntry } from "../robot/task_servers.ts";
import { CliError } from "./errors.ts";
import type { Fleet } from "./fleet_file.ts";
import { askRobot } from "./robot_target.ts";

/**
 * The remotes of a fleet script: one per robot in `names` (the robots the
 * script uses that are in the fleet), each asked at once. A robot that does
 * not answer or has no task server is a {@link CliError} naming it.
 *
 * @example
 * ```ts
 * import { fleetRemotes } from "./fleet_script.ts";
 * declare const fleet: import("./fleet_file.ts").Fleet;
 * const remotes = await fleetRemotes(fleet, ["arm-bot"]);
 * ```
 */
export async function fleetRemotes(
  fleet: Fleet,
  names: readonly string[],
): Promise<Map<string, Remote>> {
  const robots = fleet.robots.filter((r) => names.includes(r.name));
  const remotes = await Promise.all(robots.map(async (robot): Promise<Remote> => {
    let servers: TaskServerEntry[];
    try {
      const reply = await askRobot(robot.target, { op: "tasks" });
      servers = "tasks" in reply ? reply.tasks : [];
    } catch (error) {
      throw new CliError(`${fleet.file}: robot ${robot.name}: ${(error as Error).message}`);
    }
    const server = servers.find((s) => s.scopes.length > 0);
    if (server === undefined) {
      throw new CliError(`${fleet.file}: robot ${robot.name} runs no task server`);
    }
    const endpoint = reachableEndpoint(server.endpoint, robot.target.endpoint);
    const parsed = parseEndpoint(endpoint);
    return {
      name: robot.name,
      host: parsed.transport === "tcp" ? parsed.host : "",
      port: parsed.transport === "tcp" ? parsed.port : 0,
      scope: server.scopes[0],
      endpoint,
      ...(server.events === undefined
        ? {}
        : { events: reachableEndpoint(server.events, robot.target.endpoint) }),
      ...(server.serverKey === undefined ? {} : { serverKey: server.serverKey }),
      line: 0,
    };
  }));
  return new Map(remotes.map((remote) => [remote.name, remote]));
}
