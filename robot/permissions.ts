/**
 * Permission-scoped networking: the Deno permissions a component needs are
 * derived from the endpoints it is configured to bind and connect, and
 * nothing more. The same result becomes `--allow-*` flags for a process (or
 * a systemd unit) and the `deno.permissions` of a Web Worker.
 *
 * @module
 */
import { parseEndpoint } from "../core/transport/mod.ts";

/**
 * The endpoints one component uses.
 *
 * @example
 * ```ts
 * import type { ComponentEndpoints } from "./permissions.ts";
 * const e: ComponentEndpoints = { bind: ["tcp://*:5555"], connect: ["ipc:///run/robot/arm.sock"] };
 * ```
 */
export interface ComponentEndpoints {
  /** Endpoints the component binds. */
  bind?: string[];
  /** Endpoints the component connects to. */
  connect?: string[];
}

/**
 * Permissions derived from endpoints; every list is sorted and de-duplicated.
 *
 * @example
 * ```ts
 * import type { EndpointPermissions } from "./permissions.ts";
 * const p: EndpointPermissions = { net: ["127.0.0.1:5555"], read: [], write: [] };
 * ```
 */
export interface EndpointPermissions {
  /** host:port (or bare host, any port) entries for --allow-net; `unix:PATH` for ipc. */
  net: string[];
  /** Paths for --allow-read (ipc sockets). */
  read: string[];
  /** Paths for --allow-write (ipc sockets: creating and removing the socket file). */
  write: string[];
  /** Environment variable names for --allow-env (none are derived from endpoints). */
  env?: string[];
}

/**
 * Everything one component (or the robot process as a whole) may touch:
 * endpoints' permissions plus its modules, declared paths and variables.
 *
 * @example
 * ```ts
 * import type { ComponentPermissions } from "./permissions.ts";
 * const p: ComponentPermissions = { net: ["0.0.0.0:7779"], read: [], write: [], env: ["ROS_DOMAIN_ID"] };
 * ```
 */
export interface ComponentPermissions extends EndpointPermissions {
  /** Environment variable names for --allow-env. */
  env: string[];
}

/**
 * Derives the permissions a set of endpoints needs. A bind to port 0 (random
 * port) needs the host with any port; inproc needs nothing. Throws the
 * endpoint parser's error (naming the endpoint) for a bad endpoint.
 *
 * @example
 * ```ts
 * import { permissionsFor } from "./permissions.ts";
 * permissionsFor({ bind: ["tcp://*:6000"], connect: ["tcp://arm.local:5555", "inproc://x"] });
 * // { net: ["0.0.0.0:6000", "arm.local:5555"], read: [], write: [] }
 * ```
 */
export function permissionsFor(endpoints: ComponentEndpoints): EndpointPermissions {
  const net = new Set<string>();
  const read = new Set<string>();
  const write = new Set<string>();
  const all = [...(endpoints.bind ?? []), ...(endpoints.connect ?? [])];
  for (const endpoint of all) {
    const parsed = parseEndpoint(endpoint);
    switch (parsed.transport) {
      case "tcp": {
        const host = parsed.host.includes(":") ? `[${parsed.host}]` : parsed.host;
        net.add(parsed.port === 0 ? host : `${host}:${parsed.port}`);
        break;
      }
      case "ipc":
        // Deno checks a Unix socket three ways: net "unix:PATH" to listen or
        // connect, read and write on the file (created, and removed when stale).
        net.add(`unix:${parsed.path}`);
        read.add(parsed.path);
        write.add(parsed.path);
        break;
      case "inproc":
        break;
    }
  }
  const sorted = (set: Set<string>) => [...set].sort();
  return { net: sorted(net), read: sorted(read), write: sorted(write) };
}

/**
 * Renders permissions as `deno run` / `deno compile` flags. Empty lists give
 * no flag at all, so the permission stays denied.
 *
 * @example
 * ```ts
 * import { permissionFlags, permissionsFor } from "./permissions.ts";
 * permissionFlags(permissionsFor({ bind: ["tcp://127.0.0.1:7000"] }));
 * // ["--allow-net=127.0.0.1:7000"]
 * ```
 */
export function permissionFlags(permissions: EndpointPermissions): string[] {
  const flags: string[] = [];
  if (permissions.net.length > 0) flags.push(`--allow-net=${permissions.net.join(",")}`);
  if (permissions.read.length > 0) flags.push(`--allow-read=${permissions.read.join(",")}`);
  if (permissions.write.length > 0) flags.push(`--allow-write=${permissions.write.join(",")}`);
  if ((permissions.env ?? []).length > 0) flags.push(`--allow-env=${permissions.env!.join(",")}`);
  return flags;
}

/**
 * The union of several permission sets, sorted and de-duplicated: what a
 * process hosting all of them must hold (a Worker can only narrow its
 * parent's permissions, never widen them).
 *
 * @example
 * ```ts
 * import { unionPermissions } from "./permissions.ts";
 * unionPermissions([
 *   { net: ["127.0.0.1:1"], read: [], write: [], env: [] },
 *   { net: ["127.0.0.1:2"], read: ["/etc/map.yaml"], write: [], env: ["HOME"] },
 * ]); // { net: ["127.0.0.1:1", "127.0.0.1:2"], read: ["/etc/map.yaml"], write: [], env: ["HOME"] }
 * ```
 */
export function unionPermissions(sets: readonly EndpointPermissions[]): ComponentPermissions {
  const merge = (pick: (p: EndpointPermissions) => readonly string[] | undefined) =>
    [...new Set(sets.flatMap((p) => pick(p) ?? []))].sort();
  return {
    net: merge((p) => p.net),
    read: merge((p) => p.read),
    write: merge((p) => p.write),
    env: merge((p) => p.env),
  };
}

/**
 * Renders permissions as a Web Worker's `deno.permissions` (needs
 * `--unstable-worker-options`). Everything not derived is denied: run, ffi,
 * sys and remote imports always are.
 *
 * @example
 * ```ts
 * import { permissionsFor, workerPermissions } from "./permissions.ts";
 * const worker = new Worker(new URL("./component_worker.ts", import.meta.url), {
 *   type: "module",
 *   // @ts-ignore: deno-specific option
 *   deno: { permissions: workerPermissions(permissionsFor({ connect: ["tcp://127.0.0.1:5555"] })) },
 * });
 * worker.terminate();
 * ```
 */
export function workerPermissions(permissions: EndpointPermissions): Deno.PermissionOptionsObject {
  const list = (items: string[]) => (items.length > 0 ? items : false);
  return {
    net: list(permissions.net),
    read: list(permissions.read),
    write: list(permissions.write),
    env: list(permissions.env ?? []),
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}
