/**
 * `zedge fleet restart`: a rolling restart of one component across robots,
 * in batches (Ansible's `serial`), each batch waited for until the
 * component runs again, stopping when more robots failed than the failure
 * budget allows (Ansible's `max_fail_percentage`).
 *
 * @module
 */
import { escapeUntrusted } from "../core/logs/escape.ts";
import type { Fleet } from "./fleet_file.ts";
import { CliError } from "./errors.ts";
import { askRobot } from "./robot_target.ts";

/**
 * `N` or `P%` of `total` robots: a batch size rounds up (at least one), a
 * failure budget rounds down.
 *
 * @example
 * ```ts
 * import { robotCount } from "./fleet_restart.ts";
 * robotCount("25%", 10, "--batch", "up"); // 3
 * robotCount("25%", 10, "--max-fail", "down"); // 2
 * robotCount("4", 10, "--batch", "up"); // 4
 * ```
 */
export function robotCount(
  value: string,
  total: number,
  flag: string,
  round: "up" | "down",
): number {
  const match = /^(\d+)(%?)$/.exec(value.trim());
  if (match === null) throw new CliError(`${flag} must be N or P% (got '${value}')`, 2);
  const n = Number(match[1]);
  if (match[2] === "") return n;
  if (n > 100) throw new CliError(`${flag}: a percentage is at most 100% (got '${value}')`, 2);
  const exact = (n * total) / 100;
  return round === "up" ? Math.max(1, Math.ceil(exact)) : Math.floor(exact);
}

/**
 * What happened to one robot.
 *
 * @example
 * ```ts
 * import type { RestartOutcome } from "./fleet_restart.ts";
 * const o: RestartOutcome = { robot: "arm-bot", result: "restarted", detail: "running again after 0.4 s" };
 * ```
 */
export interface RestartOutcome {
  /** The robot. */
  robot: string;
  /** restarted (running again), failed, or skipped (the budget was spent first). */
  result: "restarted" | "failed" | "skipped";
  /** What was seen. */
  detail: string;
}

/**
 * How a rolling restart goes.
 *
 * @example
 * ```ts
 * import type { RollingRestart } from "./fleet_restart.ts";
 * const plan: RollingRestart = { component: "planner", batch: 2, maxFail: 0, readyTimeoutMs: 30000 };
 * ```
 */
export interface RollingRestart {
  /** The component to restart on every robot. */
  component: string;
  /** Robots restarted together. */
  batch: number;
  /** Robots that may fail before the restart stops. */
  maxFail: number;
  /** How long a robot's component has to be running again. */
  readyTimeoutMs: number;
}

/** How often a restarted component's state is asked for. */
const POLL_MS = 200;

/** Restarts the component on one robot and waits for it to run again; never throws. */
async function restartOne(
  robot: Fleet["robots"][number],
  plan: RollingRestart,
): Promise<RestartOutcome> {
  const started = performance.now();
  const failed = (detail: string): RestartOutcome => ({
    robot: robot.name,
    result: "failed",
    detail,
  });
  try {
    await askRobot(robot.target, { op: "restart", name: plan.component });
  } catch (error) {
    return failed(`restart refused or unanswered: ${(error as Error).message}`);
  }
  let state = "unknown";
  while (performance.now() - started < plan.readyTimeoutMs) {
    try {
      const reply = await askRobot(robot.target, { op: "status" });
      const component = "status" in reply
        ? reply.status.components.find((c) => c.name === plan.component)
        : undefined;
      state = component?.state ?? "gone";
      if (state === "running") {
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        return {
          robot: robot.name,
          result: "restarted",
          detail: `running again after ${seconds} s`,
        };
      }
      if (state === "failed") return failed(`failed after the restart: ${component!.lastError}`);
    } catch (error) {
      state = `unreachable (${(error as Error).message})`;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return failed(`not running again within ${plan.readyTimeoutMs / 1000} s (last seen: ${state})`);
}

/**
 * Restarts `plan.component` on `robots`, batch after batch, calling
 * `report` with each robot's outcome as it is known, and returns them all
 * (robots never tried are `skipped`).
 *
 * @example
 * ```ts
 * import { rollingRestart } from "./fleet_restart.ts";
 * declare const fleet: import("./fleet_file.ts").Fleet;
 * const outcomes = await rollingRestart(fleet.robots, {
 *   component: "planner", batch: 1, maxFail: 0, readyTimeoutMs: 30000,
 * }, (o) => console.log(o.robot, o.result));
 * ```
 */
export async function rollingRestart(
  robots: Fleet["robots"],
  plan: RollingRestart,
  report: (outcome: RestartOutcome) => void,
): Promise<RestartOutcome[]> {
  const outcomes: RestartOutcome[] = [];
  let failures = 0;
  for (let at = 0; at < robots.length; at += plan.batch) {
    if (failures > plan.maxFail) {
      for (const robot of robots.slice(at)) {
        const skipped: RestartOutcome = {
          robot: robot.name,
          result: "skipped",
          detail: `not tried: ${failures} failed, more than the failure budget (${plan.maxFail})`,
        };
        outcomes.push(skipped);
        report(skipped);
      }
      break;
    }
    const batch = robots.slice(at, at + plan.batch);
    const done = await Promise.all(batch.map(async (robot) => {
      const outcome = await restartOne(robot, plan);
      report(outcome);
      return outcome;
    }));
    failures += done.filter((o) => o.result === "failed").length;
    outcomes.push(...done);
  }
  return outcomes;
}

/**
 * One robot's outcome as `zedge fleet restart` prints it.
 *
 * @example
 * ```ts
 * import { formatOutcome } from "./fleet_restart.ts";
 * formatOutcome({ robot: "arm-bot", result: "skipped", detail: "not tried" }, "planner");
 * ```
 */
export function formatOutcome(outcome: RestartOutcome, component: string): string {
  const what = outcome.result === "restarted"
    ? `restarted ${component}`
    : outcome.result === "failed"
    ? `FAILED to restart ${component}`
    : `skipped ${component}`;
  return escapeUntrusted(`${outcome.robot}: ${what}: ${outcome.detail}`);
}
