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
import { isLoopbackHost, parseEndpoint } from "../core/transport/endpoint.ts";
import type { RobotConfig } from "./spec.ts";
import type { ControlSecurity } from "./control.ts";

/**
 * The control endpoint's CURVE settings for `config`: null without
 * `security.curve` (NULL: protected mode keeps such an endpoint on
 * loopback or ipc unless the robot is `insecure`).
 *
 * @example
 * ```ts
 * import { controlSecurityOf } from "./robot_security.ts";
 * import type { RobotConfig } from "./spec.ts";
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

/**
 * Whether an endpoint stays on this machine: ipc, inproc, or tcp on a
 * loopback address (127.0.0.0/8, ::1, localhost).
 *
 * @example
 * ```ts
 * import { staysLocal } from "./robot_security.ts";
 * staysLocal("tcp://127.0.0.1:7700"); // true
 * staysLocal("tcp://*:7700"); // false
 * ```
 */
export function staysLocal(endpoint: string): boolean {
  const parsed = parseEndpoint(endpoint);
  if (parsed.transport !== "tcp") return true;
  return !parsed.wildcardHost && isLoopbackHost(parsed.host);
}

/**
 * Protected mode (as Redis's): what a robot refuses to serve beyond
 * loopback unauthenticated, unless its YAML says `insecure: true` — a
 * control endpoint or gateway without the robot's key (`security.curve`),
 * a status page without a login, a peer named without its key, a Foxglove
 * server at all (its protocol has no authentication), the dataflow's tcp
 * sockets and the log publisher (neither has authentication). Each
 * problem is `[YAML path, message]`, the message naming the key to add.
 *
 * @example
 * ```ts
 * import { protectedModeProblems } from "./robot_security.ts";
 * import type { RobotConfig } from "./spec.ts";
 * declare const config: RobotConfig;
 * for (const [at, message] of protectedModeProblems(config)) console.log(at.join("."), message);
 * ```
 */
export function protectedModeProblems(
  config: Pick<
    RobotConfig,
    | "robot"
    | "insecure"
    | "security"
    | "control"
    | "controlIsDefault"
    | "gateway"
    | "status"
    | "statusLogin"
    | "foxglove"
    | "peers"
    | "peerKeys"
    | "logs"
    | "components"
    | "operator"
  >,
): [string[], string][] {
  if (config.insecure) return [];
  const problems: [string[], string][] = [];
  const key =
    `security: { curve: { secretKey: keys/${config.robot}.key, operators: [keys/operators/] } }`;
  const unless = " (or insecure: true)";
  if (config.security === null && !staysLocal(config.control)) {
    problems.push([
      config.controlIsDefault ? [] : ["control"],
      `${config.control} is beyond loopback with no authentication: add ${key}${unless}`,
    ]);
  }
  // The dataflow has no authentication of its own: what other robots may use goes through the
  // gateway, which serves CURVE and only what is exported.
  const dataflow = [
    config.operator.endpoint,
    ...config.components.flatMap((c) =>
      c.kind === "node" ? [c.dataflow.topicsEndpoint, c.dataflow.servicesEndpoint] : []
    ),
  ].find((endpoint) => endpoint !== null && !staysLocal(endpoint));
  if (dataflow !== undefined && dataflow !== null) {
    problems.push([
      ["dataflow", "host"],
      `${dataflow} puts the robot's topics and services beyond loopback with no authentication ` +
      `(anyone who reaches it may read every topic and call every service): keep the dataflow ` +
      `on 127.0.0.1 and offer what other robots need through the gateway (gateway.export, with ` +
      `${key})${unless}`,
    ]);
  }
  if (config.logs !== null && !staysLocal(config.logs)) {
    problems.push([
      ["logs"],
      `${config.logs} publishes the robot's log records beyond loopback with no authentication: ` +
      `bind it on 127.0.0.1 or ipc (zedge logs tail over ssh)${unless}`,
    ]);
  }
  for (const which of ["topics", "services"] as const) {
    const endpoint = config.gateway[which];
    if (endpoint !== undefined && config.security === null && !staysLocal(endpoint)) {
      problems.push([
        ["gateway", which],
        `${endpoint} is beyond loopback with no authentication: add ${key}${unless}`,
      ]);
    }
  }
  if (
    config.status !== null && !staysLocal(`tcp://${config.status}`) &&
    (config.statusLogin === null ||
      (config.statusLogin.users === undefined && config.statusLogin.tokenFile === undefined))
  ) {
    problems.push([
      ["status"],
      `the status page at ${config.status} is beyond loopback with no login: write ` +
      `status: { listen: ${config.status}, users: FILE } (name=password lines) or tokenFile: FILE` +
      unless,
    ]);
  }
  if (config.foxglove !== null && !staysLocal(`tcp://${config.foxglove}`)) {
    problems.push([
      ["foxglove"],
      `'${config.foxglove}' is reachable beyond this machine, and Foxglove's protocol has no ` +
      `authentication: listen on 127.0.0.1 and reach it over an SSH tunnel ` +
      `(ssh -L 8765:127.0.0.1:PORT robot), or say insecure: true`,
    ]);
  }
  for (const [peer, control] of Object.entries(config.peers)) {
    if (config.peerKeys[peer] === undefined && !staysLocal(control)) {
      problems.push([
        ["peers", peer],
        `${control} is beyond loopback: name the peer's key, ${peer}: { control: ${control}, ` +
        `serverKey: keys/${peer}.pub }, and give this robot ${key}${unless}`,
      ]);
    } else if (config.peerKeys[peer] !== undefined && config.security === null) {
      problems.push([
        ["peers", peer],
        `a peer with a serverKey is reached as this robot: add ${key}`,
      ]);
    }
  }
  return problems;
}
