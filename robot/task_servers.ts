/**
 * The robot's task servers as a client elsewhere needs them (the control
 * op `tasks`, which `zedge fleet run-script` asks): each one's endpoint as
 * bound, its events endpoint, its scopes, and its CURVE public key when it
 * serves CURVE. A wildcard bind (`tcp://*:7779`) is reached at the host the
 * client reached the robot at; that is the client's business.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { taskServersOf } from "./task_servers.ts";
 * const servers = taskServersOf(await loadRobotConfig("examples/robot/robot.yaml"));
 * console.log(servers.map((s) => `${s.component} ${s.endpoint}`));
 * ```
 * @module
 */
import { readCertificateSync } from "../core/security/certificates.ts";
import type { RobotConfig } from "./spec.ts";

/**
 * One task server of the robot.
 *
 * @example
 * ```ts
 * import type { TaskServerEntry } from "./task_servers.ts";
 * const entry: TaskServerEntry = { component: "tasks", endpoint: "tcp://*:7779", scopes: ["/test"] };
 * ```
 */
export interface TaskServerEntry {
  /** The component's name. */
  component: string;
  /** Its endpoint, as bound (`tcp://*:7779`). */
  endpoint: string;
  /** Its events endpoint, when it has one. */
  events?: string;
  /** Its scopes, in file order. */
  scopes: string[];
  /** Its CURVE public key (Z85) when its bind serves CURVE. */
  serverKey?: string;
}

/**
 * Every task server of `config`, in file order.
 *
 * @example
 * ```ts
 * import { taskServersOf } from "./task_servers.ts";
 * import type { RobotConfig } from "./spec.ts";
 * declare const config: RobotConfig;
 * taskServersOf(config).flatMap((s) => s.scopes);
 * ```
 */
export function taskServersOf(config: Pick<RobotConfig, "components">): TaskServerEntry[] {
  const entries: TaskServerEntry[] = [];
  for (const c of config.components) {
    if (c.kind !== "task-server") continue;
    const curve = c.curve.bind;
    entries.push({
      component: c.name,
      endpoint: c.binds.bind,
      ...(c.binds.events === undefined ? {} : { events: c.binds.events }),
      scopes: Object.keys(c.scopes),
      ...(curve?.role === "server"
        ? { serverKey: readCertificateSync(curve.secretKey).publicKey }
        : {}),
    });
  }
  return entries;
}
