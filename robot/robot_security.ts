/**
 * What the robot's identity (`security.curve` in the robot YAML) means for
 * the supervisor's own endpoints: the control endpoint serves CURVE with
 * the robot's key, lets operators do everything and peer robots ask for the
 * directory (see `control.ts`).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { controlSecurityOf } from "./robot_security.ts";
 * const security = controlSecurityOf(await loadRobotConfig("examples/robot/robot.yaml"));
 * console.log(security === null ? "NULL" : "CURVE");
 * ```
 * @module
 */
import type { RobotConfig } from "./config.ts";
import type { ControlSecurity } from "./control.ts";

/**
 * The control endpoint's CURVE settings for `config`: null without
 * `security.curve` (NULL: protected mode keeps such an endpoint on
 * loopback or ipc unless the robot is `insecure`).
 *
 * @example
 * ```ts
 * import { controlSecurityOf } from "./robot_security.ts";
 * import type { RobotConfig } from "./config.ts";
 * declare const config: RobotConfig;
 * controlSecurityOf(config)?.operators;
 * ```
 */
export function controlSecurityOf(
  config: Pick<RobotConfig, "security" | "peerKeys">,
): ControlSecurity | null {
  if (config.security === null) return null;
  return {
    secretKey: config.security.secretKey,
    operators: config.security.operators,
    peers: config.peerKeys,
  };
}
