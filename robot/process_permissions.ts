/**
 * The permissions of the robot process itself (the supervisor): what the
 * per-robot binary bakes in, what the systemd unit's `deno run` line
 * grants, and what `zedge robot permissions` prints last. A Worker can only
 * narrow its parent's permissions, so this is the union of every
 * component's, plus what the supervisor needs for itself — its control
 * endpoint, its configuration files and zedge's own code — and never more:
 * no run, ffi, sys or remote imports, and never `-A`.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { robotProcessFlags } from "./process_permissions.ts";
 * const robot = await loadRobotConfig("examples/robot/robot.yaml");
 * console.log(robotProcessFlags(robot, { mode: "source" }).join(" "));
 * ```
 * @module
 */
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import { denoModuleFiles } from "./deno_graph.ts";
import type { RobotConfig } from "./spec.ts";
import { httpSocketDir, httpSocketPath } from "./http_guard.ts";
import { hostSocketDir, hostSocketPath, SHARED_HOST } from "./supervision/host_process.ts";
import { ZEDGE_SOURCE, zedgeSourceAt } from "./zedge_source.ts";
import { NOTIFY_ENV, notifyBindPath, SYSTEMD_NOTIFY_SOCKET } from "./systemd_notify.ts";
import {
  type ComponentPermissions,
  permissionFlags,
  permissionsFor,
  unionPermissions,
} from "./permissions.ts";

/**
 * Variables the supervisor reads: the default control directory, and two
 * debug switches the `yaml` package checks on every parse (without leave to
 * read them, parsing throws).
 *
 * @example
 * ```ts
 * import { SUPERVISOR_ENV } from "./process_permissions.ts";
 * console.log(SUPERVISOR_ENV.includes("XDG_RUNTIME_DIR")); // true
 * ```
 */
export const SUPERVISOR_ENV: readonly string[] = [
  "XDG_RUNTIME_DIR",
  "ZEDGE_DEBUG",
  "NO_COLOR",
  "LOG_TOKENS",
  "LOG_STREAM",
  // How host processes are started under emulation (see supervision/host_process.ts).
  "ZEDGE_HOST_LAUNCHER",
];

/**
 * How the robot process runs: from source with `deno run` (zedge's code at
 * `zedgeRoot`, default this copy), or as a compiled binary whose modules
 * live in its embedded file system at `vfsRoot`.
 *
 * @example
 * ```ts
 * import type { ProcessMode } from "./process_permissions.ts";
 * const mode: ProcessMode = { mode: "binary", vfsRoot: "/tmp/deno-compile-kitchen-bot" };
 * ```
 */
export type ProcessMode =
  | { mode: "source"; zedgeRoot?: string }
  | { mode: "binary"; vfsRoot: string };

/**
 * What the robot process's control endpoint needs: for a socket in a
 * zedge directory (`…/zedge/kitchen-bot.sock`) that directory, which the
 * supervisor creates when missing; otherwise the socket file alone (never
 * a shared directory such as /tmp).
 *
 * @example
 * ```ts
 * import { controlPermissions } from "./process_permissions.ts";
 * controlPermissions("ipc:///run/zedge/kitchen-bot.sock", "kitchen-bot");
 * // { net: ["unix:/run/zedge/kitchen-bot.sock"], read: ["/run/zedge"], write: ["/run/zedge"], env: [] }
 * ```
 */
export function controlPermissions(endpoint: string, robot: string): ComponentPermissions {
  const parsed = parseEndpoint(endpoint);
  if (parsed.transport === "tcp") {
    return unionPermissions([{ net: [`${parsed.host}:${parsed.port}`], read: [], write: [] }]);
  }
  if (parsed.transport === "inproc") return { net: [], read: [], write: [], env: [] };
  const dir = dirname(parsed.path);
  const own = basename(dir) === "zedge" || basename(dir) === robot;
  const path = own ? dir : parsed.path;
  return { net: [`unix:${parsed.path}`], read: [path], write: [path], env: [] };
}

/**
 * The robot process's permissions (see the module documentation).
 * `extraControls` are further control endpoints the process may be given
 * (`--control` of a systemd unit).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { robotProcessPermissions } from "./process_permissions.ts";
 * const p = robotProcessPermissions(await loadRobotConfig("robot.yaml"), { mode: "source" });
 * ```
 */
export function robotProcessPermissions(
  config: RobotConfig,
  mode: ProcessMode,
  extraControls: readonly string[] = [],
  code: readonly string[] = [],
): ComponentPermissions {
  const source = mode.mode === "source"
    ? (mode.zedgeRoot ? zedgeSourceAt(mode.zedgeRoot) : ZEDGE_SOURCE)
    : [];
  const own: ComponentPermissions = {
    net: [],
    // From source: the config files, zedge's code and the components' code (Deno checks the
    // creator's read permission for every file of a Worker's graph: `code`, from Deno's own
    // resolution, see deno_graph.ts). A binary carries all of it in its embedded file system.
    read: mode.mode === "source"
      ? [
        fileURLToPath(config.url),
        ...config.pipelineFiles,
        ...source,
        ...code.filter((f) => !source.some((e) => f === e || f.startsWith(`${e}/`))),
      ]
      : [mode.vfsRoot],
    write: [],
    env: [...SUPERVISOR_ENV],
  };
  const components = config.components.map((c) => {
    if (mode.mode === "source") return c.permissions;
    // In a binary, code is embedded (under vfsRoot): its on-disk paths mean nothing there.
    const code = new Set(c.code);
    return { ...c.permissions, read: c.permissions.read.filter((p) => !code.has(p)) };
  });
  const controls = [config.control, ...extraControls].map((e) =>
    controlPermissions(e, config.robot)
  );
  // The supervisor creates the ipc dataflow directory.
  const dataflowDir: ComponentPermissions = config.dataflowDir === null
    ? { net: [], read: [], write: [], env: [] }
    : { net: [], read: [config.dataflowDir], write: [config.dataflowDir], env: [] };
  const gateway = permissionsFor({
    bind: [
      config.gateway.topics,
      config.gateway.services,
      config.logs ?? undefined,
      // The status page: its own net permission (port 0: any port of its host).
      config.status === null ? undefined : `tcp://${config.status}`,
      config.foxglove === null ? undefined : `tcp://${config.foxglove}`,
      // The operator's topics: the supervisor binds their PUB.
      config.operator.endpoint ?? undefined,
    ].filter((e): e is string => !!e),
  });
  // The status page's and Foxglove's servers listen behind their guards on Unix sockets of their
  // own (http_guard.ts), in a directory the supervisor creates.
  const guarded = ([["status", config.status], ["foxglove", config.foxglove]] as const)
    .flatMap(([server, address]) =>
      address === null ? [] : [httpSocketPath(config.robot, server, address)]
    );
  const guardSockets: ComponentPermissions = guarded.length === 0
    ? { net: [], read: [], write: [], env: [] }
    : {
      net: guarded.map((path) => `unix:${path}`),
      read: [httpSocketDir(config.robot)],
      write: [httpSocketDir(config.robot)],
      env: [],
    };
  // sd_notify under systemd (systemd_notify.ts): its socket, and the robot's sending socket.
  const bind = notifyBindPath(config);
  const notify: ComponentPermissions = {
    net: [`unix:${SYSTEMD_NOTIFY_SOCKET}`, ...(bind === null ? [] : [`unix:${bind}`])],
    read: [],
    write: [SYSTEMD_NOTIFY_SOCKET],
    env: [...NOTIFY_ENV],
  };
  // Who holds an endpoint a component could not bind (endpoint_holder.ts): the socket tables
  // and processes of /proc, as `ss -ltnp` reads them, since the process may run no programs.
  const holders: ComponentPermissions = { net: [], read: ["/proc"], write: [], env: [] };
  // Host processes (isolation: host or process) dial the supervisor on a socket in its host directory.
  const hosts: ComponentPermissions = isolatesAny(config)
    ? {
      net: [
        ...config.components.filter((c) => c.isolation === "process").map((c) => c.name),
        ...(config.components.some((c) => c.isolation === "host") ? [SHARED_HOST] : []),
      ].map((name) => `unix:${hostSocketPath(config.robot, name)}`),
      read: [hostSocketDir(config.robot)],
      write: [hostSocketDir(config.robot)],
      env: [],
    }
    : { net: [], read: [], write: [], env: [] };
  return unionPermissions([
    own,
    ...components,
    ...controls,
    gateway,
    dataflowDir,
    guardSockets,
    notify,
    holders,
    hosts,
  ]);
}

/** Whether any component runs in a host process. */
function isolatesAny(config: RobotConfig): boolean {
  return config.components.some((c) => c.isolation !== "worker");
}

/**
 * The `deno run` / `deno compile` flags of the robot process (`code`: see
 * {@link robotCodeFiles}):
 * `--unstable-worker-options` (components get narrower permissions),
 * `--unstable-net` (the datagrams of `sd_notify`, see systemd_notify.ts) and
 * the permission flags.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { robotProcessFlags } from "./process_permissions.ts";
 * robotProcessFlags(await loadRobotConfig("robot.yaml"), { mode: "source" });
 * // ["--unstable-worker-options", "--allow-net=…", "--allow-read=…", …]
 * ```
 */
export function robotProcessFlags(
  config: RobotConfig,
  mode: ProcessMode,
  extraControls: readonly string[] = [],
  code: readonly string[] = [],
): string[] {
  return [
    "--unstable-worker-options",
    "--unstable-net",
    ...permissionFlags(robotProcessPermissions(config, mode, extraControls, code)),
    // Starting a component's host process: deno itself (a binary: itself), and nothing else.
    ...(isolatesAny(config)
      ? [`--allow-run=${mode.mode === "source" ? Deno.execPath() : "/proc/self/exe"}`]
      : []),
  ];
}

/**
 * The local code files of a robot's components, as Deno resolves them
 * (see deno_graph.ts): what the robot process must read from source.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { robotCodeFiles } from "./process_permissions.ts";
 * const code = await robotCodeFiles(await loadRobotConfig("examples/robot/robot.yaml"));
 * ```
 */
export function robotCodeFiles(
  config: RobotConfig,
  options: { config?: string } = {},
): Promise<string[]> {
  return denoModuleFiles(config.components.flatMap((c) => c.modules), options);
}
