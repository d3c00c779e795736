/**
 * `zedge fleet status`: every robot of the fleet asked for its status at
 * once, each within the timeout, so a robot that is down, cut off or
 * paused shows as unreachable without holding up the others.
 *
 * @module
 */
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { RobotStatus } from "../robot/control.ts";
import type { Fleet } from "./fleet_file.ts";
import { formatTable, formatUptime } from "./robot_common.ts";
import { askRobot } from "./robot_target.ts";

/**
 * One robot's line of `zedge fleet status --json`.
 *
 * @example
 * ```ts
 * import type { FleetRobotStatus } from "./fleet_status.ts";
 * const down: FleetRobotStatus = {
 *   robot: "arm-bot", reachable: false, version: null, running: 0, failed: 0, components: 0,
 *   uptimeMs: null, lastError: "no reply within 3000 ms", status: null,
 * };
 * ```
 */
export interface FleetRobotStatus {
  /** The robot's name in the fleet file. */
  robot: string;
  /** Whether its supervisor answered within the timeout. */
  reachable: boolean;
  /** The zedge version it runs (null when unreachable or not said). */
  version: string | null;
  /** Components running. */
  running: number;
  /** Components failed. */
  failed: number;
  /** Every component. */
  components: number;
  /** The supervisor's uptime (null when unreachable). */
  uptimeMs: number | null;
  /** The last error: why it is unreachable, else the newest component error (`name: error`). */
  lastError: string | null;
  /** Its whole status, as `zedge robot status --json` prints it (null when unreachable). */
  status: RobotStatus | null;
}

/**
 * Asks one robot for its status; never throws: an unreachable robot is a
 * line saying why.
 *
 * @example
 * ```ts
 * import { robotStatusLine } from "./fleet_status.ts";
 * declare const fleet: import("./fleet_file.ts").Fleet;
 * console.log(await robotStatusLine(fleet.robots[0]));
 * ```
 */
export async function robotStatusLine(
  robot: Fleet["robots"][number],
): Promise<FleetRobotStatus> {
  try {
    const reply = await askRobot(robot.target, { op: "status" });
    if (!("status" in reply)) throw new Error("the supervisor sent no status");
    const status = reply.status;
    const errors = status.components.filter((c) => c.lastError !== null);
    const last = errors.at(-1);
    return {
      robot: robot.name,
      reachable: true,
      version: status.version ?? null,
      running: status.components.filter((c) => c.state === "running").length,
      failed: status.components.filter((c) => c.state === "failed").length,
      components: status.components.length,
      uptimeMs: status.uptimeMs,
      lastError: last === undefined ? null : `${last.name}: ${last.lastError}`,
      status,
    };
  } catch (error) {
    return {
      robot: robot.name,
      reachable: false,
      version: null,
      running: 0,
      failed: 0,
      components: 0,
      uptimeMs: null,
      lastError: error instanceof Error ? error.message : String(error),
      status: null,
    };
  }
}

/**
 * Every robot's status line, all asked at once, in fleet file order.
 *
 * @example
 * ```ts
 * import { fleetStatus } from "./fleet_status.ts";
 * declare const fleet: import("./fleet_file.ts").Fleet;
 * const lines = await fleetStatus(fleet);
 * console.log(lines.filter((l) => !l.reachable).map((l) => l.robot));
 * ```
 */
export function fleetStatus(fleet: Fleet): Promise<FleetRobotStatus[]> {
  return Promise.all(fleet.robots.map(robotStatusLine));
}

/**
 * The table of `zedge fleet status`.
 *
 * @example
 * ```ts
 * import { formatFleetStatus } from "./fleet_status.ts";
 * console.log(formatFleetStatus("warehouse", []));
 * ```
 */
export function formatFleetStatus(fleet: string, lines: readonly FleetRobotStatus[]): string {
  const rows = [["ROBOT", "REACHABLE", "VERSION", "RUNNING", "FAILED", "UPTIME", "LAST ERROR"]];
  for (const line of lines) {
    rows.push([
      line.robot,
      line.reachable ? "yes" : "NO",
      line.version ?? "-",
      line.reachable ? `${line.running}/${line.components}` : "-",
      line.reachable ? String(line.failed) : "-",
      line.uptimeMs === null ? "-" : formatUptime(line.uptimeMs),
      line.lastError ?? "-",
    ]);
  }
  const up = lines.filter((l) => l.reachable).length;
  // Names and errors came from the robots: escaped, one line each.
  return escapeUntrusted(
    `fleet ${fleet} · ${up}/${lines.length} reachable\n\n${formatTable(rows)}`,
    { newline: "\n" },
  );
}
