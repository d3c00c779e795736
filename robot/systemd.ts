/**
 * The systemd unit of a robot: `zedge-<robot>.service` runs the robot's
 * binary (`<binary> run`), or `deno run` from source with exactly the
 * robot process's permission flags, as a `Type=notify` service with a
 * watchdog (`WatchdogSec=10`: the supervisor sends `READY=1` and
 * `WATCHDOG=1`, see systemd_notify.ts), restarts it on failure, stops it with
 * SIGTERM (the supervisor exits 0 within 2 s; systemd waits 5), and runs it
 * hardened: no new privileges, a read-only system, no home directories, a
 * private /tmp (unless the robot's own code lives under /tmp, which a private
 * /tmp would hide: then the unit keeps the host's and says so), only Unix and IP sockets, no capabilities, and the system
 * calls of `@system-service`.
 *
 * The control socket goes to `/run/zedge/<robot>.sock` (the unit's
 * RuntimeDirectory) unless the robot YAML names one, so `zedge robot status
 * -c robot.yaml` finds it from a shell; the private /tmp would hide the
 * default one.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { systemdUnit } from "./systemd.ts";
 * const unit = systemdUnit(await loadRobotConfig("examples/robot/robot.yaml"), {
 *   binary: "/usr/local/bin/kitchen-bot",
 * });
 * console.log(unit.name, unit.warnings);
 * ```
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import type { RobotConfig } from "./spec.ts";
import { robotProcessFlags } from "./process_permissions.ts";

/**
 * How the unit starts the robot.
 *
 * @example
 * ```ts
 * import type { SystemdOptions } from "./systemd.ts";
 * const options: SystemdOptions = { binary: "/usr/local/bin/kitchen-bot", user: "robot" };
 * ```
 */
export interface SystemdOptions {
  /** The robot's binary (`zedge robot build`); without it, `deno run` from source. */
  binary?: string;
  /** The deno executable for the source form (default: this one). */
  deno?: string;
  /** Run as this user (default root). */
  user?: string;
  /** The components' code files, from source (see `robotCodeFiles`): the process reads them. */
  code?: readonly string[];
  /** `WatchdogSec=`: systemd restarts a supervisor silent this long (default 10). */
  watchdogSec?: number;
}

/**
 * The default `WatchdogSec=` of a robot's unit, in seconds.
 *
 * @example
 * ```ts
 * import { DEFAULT_WATCHDOG_SEC } from "./systemd.ts";
 * console.log(DEFAULT_WATCHDOG_SEC); // 10
 * ```
 */
export const DEFAULT_WATCHDOG_SEC = 10;

/**
 * A generated unit.
 *
 * @example
 * ```ts
 * import type { SystemdUnit } from "./systemd.ts";
 * const show = (u: SystemdUnit) => `${u.name}:\n${u.text}`;
 * ```
 */
export interface SystemdUnit {
  /** File name: `zedge-<robot>.service`. */
  name: string;
  /** The unit file's text. */
  text: string;
  /** Things the operator should know (ipc sockets hidden by the private /tmp, …). */
  warnings: string[];
}

/**
 * Where a robot's control socket lives under systemd when its YAML names none.
 *
 * @example
 * ```ts
 * import { systemdControlEndpoint } from "./systemd.ts";
 * systemdControlEndpoint("kitchen-bot"); // "ipc:///run/zedge/kitchen-bot.sock"
 * ```
 */
export function systemdControlEndpoint(robot: string): string {
  return `ipc:///run/zedge/${robot}.sock`;
}

/** systemd splits ExecStart on spaces and expands `%` and `$`: quote each word. */
function quoteWord(word: string): string {
  const escaped = word.replaceAll("%", "%%").replaceAll("$", "$$");
  return /^[\w@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * The unit for `config` (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { systemdUnit } from "./systemd.ts";
 * console.log(systemdUnit(await loadRobotConfig("robot.yaml"), {}).text);
 * ```
 */
export function systemdUnit(config: RobotConfig, options: SystemdOptions): SystemdUnit {
  const warnings: string[] = [];
  const control = config.controlIsDefault ? systemdControlEndpoint(config.robot) : undefined;
  const controlArgs = control !== undefined ? ["--control", control] : [];
  const yaml = fileURLToPath(config.url);
  const command = options.binary !== undefined ? [options.binary, "run", ...controlArgs] : [
    options.deno ?? Deno.execPath(),
    "run",
    "--no-remote",
    ...robotProcessFlags(
      control !== undefined ? { ...config, control } : config,
      { mode: "source" },
      [],
      options.code ?? [],
    ),
    fileURLToPath(new URL("../cli/main.ts", import.meta.url)),
    "robot",
    "run",
    yaml,
    ...controlArgs,
  ];
  const writable = new Set<string>();
  const tmpEndpoints: string[] = [];
  const endpoints = [
    config.control,
    ...config.components.flatMap((c) => [...Object.values(c.binds), ...Object.values(c.connects)]),
  ];
  for (const endpoint of endpoints) {
    const parsed = parseEndpoint(endpoint);
    if (parsed.transport !== "ipc") continue;
    if (parsed.path.startsWith("/tmp/")) {
      if (endpoint !== config.control || !config.controlIsDefault) tmpEndpoints.push(endpoint);
      continue;
    }
    if (!parsed.path.startsWith("/run/zedge/")) writable.add(dirname(parsed.path));
  }
  const dir = config.dataflowDir;
  if (dir !== null && !dir.startsWith("/tmp/") && !dir.startsWith("/run/zedge")) writable.add(dir);
  for (const c of config.components) {
    for (const path of c.permissions.write) {
      if (
        !path.startsWith("/tmp/") && !path.startsWith("/run/zedge/") &&
        !path.startsWith("/var/lib/zedge/")
      ) {
        writable.add(/-(wal|shm|journal)$/.test(path) ? dirname(path) : path);
      }
    }
  }
  const fromSource = options.binary === undefined;
  const code = fromSource
    ? [yaml, command[0], denoDir(), ...(options.code ?? []), ...config.pipelineFiles]
    : [options.binary!];
  // A private /tmp would hide the robot's own code (or binary) from it: keep the host's.
  const codeInTmp = code.find((p) => p === "/tmp" || p.startsWith("/tmp/"));
  if (codeInTmp !== undefined) {
    warnings.push(
      `${codeInTmp} is under /tmp, so the unit keeps the host's /tmp (no PrivateTmp), which ` +
        "every process shares; install the robot elsewhere (a built binary in /usr/local/bin) " +
        "to get a private /tmp back",
    );
  } else {
    for (const endpoint of tmpEndpoints) {
      warnings.push(
        `${endpoint} is under /tmp, which is private to the service (PrivateTmp=yes): ` +
          "only the robot itself will see it; use /run/zedge/… instead",
      );
    }
  }
  const home = /^\/(home|root)(\/|$)/;
  const inHome = fromSource
    ? [...code, ...config.components.flatMap((c) => c.permissions.read)].find((p) => home.test(p))
    : undefined;
  if (inHome !== undefined) {
    warnings.push(
      `the robot runs from source and reads ${inHome}, under a home directory, so the unit ` +
        "makes homes read-only (ProtectHome=read-only) instead of hiding them; a built binary " +
        "needs neither",
    );
  }
  const lines = [
    "# Generated by `zedge robot systemd`; regenerate it when the robot YAML changes.",
    "[Unit]",
    `Description=zedge robot ${config.robot}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    // The supervisor says READY=1 once its components run, and WATCHDOG=1 from its own event
    // loop (systemd_notify.ts): a hung supervisor is restarted after WatchdogSec.
    "Type=notify",
    "NotifyAccess=main",
    `WatchdogSec=${options.watchdogSec ?? DEFAULT_WATCHDOG_SEC}`,
    // Loading every component's modules may take long on a small robot (the load timeout).
    "TimeoutStartSec=90",
    `ExecStart=${command.map(quoteWord).join(" ")}`,
    ...(options.user !== undefined ? [`User=${options.user}`] : []),
    "Restart=on-failure",
    "RestartSec=2",
    "KillSignal=SIGTERM",
    "TimeoutStopSec=5",
    "RuntimeDirectory=zedge",
    "StateDirectory=zedge",
    "WorkingDirectory=/var/lib/zedge",
    // Whatever the robot writes (journals, recordings under /var/lib/zedge, logs) is its user's
    // alone; sockets meant for others (the control socket, 0660) are chmod-ed explicitly.
    "UMask=0077",
    "Environment=NO_COLOR=1",
    ...(fromSource ? [`Environment=DENO_DIR=${denoDir()}`] : []),
    "# Hardening",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    `ProtectHome=${inHome !== undefined ? "read-only" : "yes"}`,
    ...(codeInTmp === undefined ? ["PrivateTmp=yes"] : []),
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "CapabilityBoundingSet=",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "# V8 asks for memory protection keys where the CPU has them (measured with strace).",
    "SystemCallFilter=pkey_alloc pkey_free pkey_mprotect",
    "SystemCallErrorNumber=EPERM",
    // Deno keeps compiled code in its cache, so the source form needs to write there.
    ...(fromSource ? [`ReadWritePaths=-${denoDir()}`] : []),
    ...[...writable].sort().map((path) => `ReadWritePaths=-${path}`),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ];
  return { name: `zedge-${config.robot}.service`, text: lines.join("\n"), warnings };
}

/** Deno's cache (compiled code, npm packages), which the source form reads. */
function denoDir(): string {
  const explicit = (() => {
    try {
      return Deno.env.get("DENO_DIR");
    } catch {
      return undefined;
    }
  })();
  if (explicit) return explicit;
  let home: string | undefined;
  try {
    home = Deno.env.get("HOME");
  } catch {
    home = undefined;
  }
  return `${home ?? "/root"}/.cache/deno`;
}
