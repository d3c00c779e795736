/**
 * What a component may touch: the one place it is decided, from its
 * resolved spec and what its YAML declares — never from what its modules'
 * text says. The rules (each a test in tests/robot/grants_test.ts):
 *
 * - **net**: its binds and connects (`host:port`; a random-port bind the
 *   host; an ipc socket `unix:PATH`), its dataflow sockets and those of the
 *   publishers and providers it uses. Another robot's topics and services
 *   reach it through the supervisor (over inproc): a node that uses a peer
 *   gets no net leave for it.
 * - **read**: no code. Its modules load as its Worker's own static graph
 *   (a generated entry module, see `component_entry.ts`), which needs no
 *   read permission. Only a pipeline worker with `threads` starts Workers
 *   of its own, and Deno checks the creator's read for every file a new
 *   Worker loads: it reads zedge's source entries and its handlers module.
 *   Then its ipc socket files, journals and declared `read`.
 * - **keys**: its own secret key (the `secretKey` it serves or connects
 *   with) and public keys only: a server key or allow entry that names a
 *   secret certificate (`*.key`) grants nothing, and an allow directory
 *   grants the `*.pub` files in it, one by one, never the directory.
 * - **write**: its ipc socket files, journals (with `-wal`, `-shm`,
 *   `-journal`) and declared `write`; **env**: its declared `env`.
 * - run, ffi, sys and remote imports: never.
 *
 * @example
 * ```ts
 * import { parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig("robot: r\ncomponents:\n  n: { kind: node, module: ./n.ts }\n",
 *   "/opt/r/robot.yaml", { checkFiles: false });
 * console.log(robot.components[0].permissions.read); // []: its code needs no read permission
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { isZ85Key } from "../core/security/certificates.ts";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import type { InprocAccess } from "./inproc_bridge.ts";
import { type ComponentPermissions, permissionsFor } from "./permissions.ts";
import { curveReadPaths, pipelineCurveReadPaths } from "./security.ts";
import type { ComponentSpec, EndpointCurveSpec } from "./spec.ts";
import { ZEDGE_SOURCE } from "./zedge_source.ts";

/**
 * What a component's YAML declares beyond its endpoints (paths absolute).
 *
 * @example
 * ```ts
 * import type { DeclaredAccess } from "./grants.ts";
 * const declared: DeclaredAccess = { read: ["/etc/kitchen-bot/map.yaml"], write: [], env: ["ROS_DOMAIN_ID"] };
 * ```
 */
export interface DeclaredAccess {
  /** Paths it may read. */
  read: string[];
  /** Paths it may write. */
  write: string[];
  /** Environment variables it may read. */
  env: string[];
}

/**
 * A component's permissions (see the module documentation). `zedgeSource`
 * is where zedge's code is as the robot will run it.
 *
 * @example
 * ```ts
 * import { derivePermissions } from "./grants.ts";
 * import { parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig("robot: r\ncomponents:\n  n: { kind: node, module: ./n.ts }\n",
 *   "/opt/r/robot.yaml", { checkFiles: false });
 * derivePermissions(robot.components[0], { read: ["/etc/map.yaml"], write: [], env: [] });
 * ```
 */
export function derivePermissions(
  spec: ComponentSpec,
  declared: DeclaredAccess,
  zedgeSource: readonly string[] = ZEDGE_SOURCE,
): ComponentPermissions {
  const endpoints = permissionsFor(componentEndpoints(spec));
  const journals: string[] = [];
  if (spec.kind === "pipeline-distributor" && spec.pipeline.journal) {
    journals.push(...sqliteFiles(spec.pipeline.journal));
  }
  if (spec.kind === "pipeline-collector" && spec.pipeline.collector.journal) {
    journals.push(...sqliteFiles(spec.pipeline.collector.journal));
  }
  const sorted = (items: string[]) => [...new Set(items)].sort();
  return {
    net: endpoints.net,
    read: sorted([
      ...codeFiles(spec, zedgeSource),
      ...keyFiles(spec),
      ...endpoints.read,
      ...journals,
      ...declared.read,
    ]),
    write: sorted([...endpoints.write, ...journals, ...declared.write]),
    env: sorted(declared.env),
  };
}

/**
 * Every endpoint a component binds and connects to, as the runtime gives
 * them: its YAML's `bind` and `connect`, its dataflow sockets, and those of
 * the publishers and providers it uses (peers' links excepted: see
 * {@link inprocAccess}).
 *
 * @example
 * ```ts
 * import { componentEndpoints } from "./grants.ts";
 * import type { ComponentSpec } from "./spec.ts";
 * declare const spec: ComponentSpec;
 * componentEndpoints(spec).connect; // its connects, publishers' and providers' endpoints
 * ```
 */
export function componentEndpoints(spec: ComponentSpec): { bind: string[]; connect: string[] } {
  const flow = spec.kind === "node" ? spec.dataflow : null;
  return {
    bind: [
      ...Object.values(spec.binds),
      ...[flow?.topicsEndpoint, flow?.servicesEndpoint].filter((e): e is string => !!e),
    ],
    connect: [
      ...Object.values(spec.connects),
      ...(flow?.publishers ?? []).map((p) => p.endpoint),
      ...Object.values(flow?.providers ?? {}).flat().map((p) => p.endpoint),
    ],
  };
}

/**
 * The inproc names a component may bind and connect to across the robot's
 * Workers (without `inproc://`): the names the runtime gives it, and what
 * its YAML declares (`subscribes`, `calls`, `connect`), including the
 * supervisor's links to the peers it uses. The robot's inproc directory
 * refuses everything else, outside the component's isolate.
 *
 * @example
 * ```ts
 * import { inprocAccess } from "./grants.ts";
 * import { parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig(
 *   "robot: r\ncomponents:\n  n: { kind: node, module: ./n.ts, publishes: [odom] }\n",
 *   "/opt/r/robot.yaml", { checkFiles: false });
 * inprocAccess(robot.components[0]).bind; // ["zedge/r/n/topics"]
 * ```
 */
export function inprocAccess(spec: ComponentSpec): InprocAccess {
  const { bind, connect } = componentEndpoints(spec);
  const peerLinks = spec.kind === "node"
    ? Object.values(spec.dataflow.peers).filter((c) => c.endsWith("/control")).flatMap(
      (control) => {
        const base = control.slice(0, -"/control".length);
        return [control, `${base}/topics`, `${base}/services`];
      },
    )
    : [];
  const names = (endpoints: string[]) => {
    const found = new Set<string>();
    for (const endpoint of endpoints) {
      const parsed = parseEndpoint(endpoint);
      if (parsed.transport === "inproc") found.add(parsed.name);
    }
    return [...found].sort();
  };
  return { bind: names(bind), connect: names([...connect, ...peerLinks]) };
}

/**
 * How many pool threads a component runs beside its own Worker: a pipeline
 * worker's `threads`, one for a service `inThread`, else none.
 *
 * @example
 * ```ts
 * import { poolThreads } from "./grants.ts";
 * import type { ComponentSpec } from "./spec.ts";
 * declare const spec: ComponentSpec;
 * poolThreads(spec); // 0 for a node
 * ```
 */
export function poolThreads(spec: ComponentSpec): number {
  if (spec.kind === "pipeline-worker") {
    return spec.pipeline.workers.find((w) => w.name === spec.entry)?.threads ?? 0;
  }
  if (spec.kind === "service-worker") {
    return spec.pipeline.services.find((s) => s.name === spec.entry)?.inThread === true ? 1 : 0;
  }
  return 0;
}

/**
 * The code files a component must be able to read: none, except for a
 * pipeline worker with threads (zedge's source entries and its handlers
 * module, which its thread Workers load).
 *
 * @example
 * ```ts
 * import { codeFiles } from "./grants.ts";
 * import type { ComponentSpec } from "./spec.ts";
 * declare const spec: ComponentSpec;
 * codeFiles(spec); // [] for a node
 * ```
 */
export function codeFiles(
  spec: ComponentSpec,
  zedgeSource: readonly string[] = ZEDGE_SOURCE,
): string[] {
  if (spec.kind !== "pipeline-worker" || poolThreads(spec) === 0) return [];
  const entry = spec.pipeline.workers.find((w) => w.name === spec.entry)!;
  const handlers = entry.handlers.startsWith("file:") ? [fromFileUrl(entry.handlers)] : [];
  return [...zedgeSource, ...handlers].sort();
}

/**
 * The key files a component reads (its CURVE, or its pipeline YAML's
 * endpoints'): its own secret keys, and public keys only — allow
 * directories become the `*.pub` files in them (see {@link publicKeyFiles}).
 *
 * @example
 * ```ts
 * import { keyFiles } from "./grants.ts";
 * import type { ComponentSpec } from "./spec.ts";
 * declare const spec: ComponentSpec;
 * keyFiles(spec);
 * ```
 */
export function keyFiles(spec: ComponentSpec): string[] {
  const own = new Set<string>();
  const others: string[] = [];
  for (const curve of Object.values(spec.curve)) {
    if (curve.secretKey !== undefined) own.add(curve.secretKey);
  }
  const paths = spec.kind === "node" || spec.kind === "task-server"
    ? curveReadPaths(spec.curve)
    : pipelineCurveReadPaths(spec);
  if (spec.kind !== "node" && spec.kind !== "task-server") {
    // A pipeline role's own secret keys: what it binds with, and its client key.
    for (const path of paths) if (isOwnPipelineKey(spec, path)) own.add(path);
  }
  for (const path of paths) if (!own.has(path)) others.push(path);
  return [...own, ...others.flatMap(publicKeyFiles)];
}

/** Whether `path` is a secret key this pipeline role itself uses. */
function isOwnPipelineKey(spec: ComponentSpec, path: string): boolean {
  if (spec.kind === "node" || spec.kind === "task-server") return false;
  const { endpoints, broker } = spec.pipeline;
  const curves = [...Object.values(endpoints), broker?.frontend, broker?.backend]
    .map((e) => e?.curve);
  return curves.some((c) => c?.secretKey === path || c?.clientKey === path);
}

/**
 * Public key files for a key list entry: a file stays unless it is a
 * secret certificate (`*.key`); a directory becomes its `*.pub` files,
 * sorted (none when it cannot be listed: the component then says what it
 * could not read).
 *
 * @example
 * ```ts
 * import { publicKeyFiles } from "./grants.ts";
 * publicKeyFiles("/etc/zedge/keys/operators.pub"); // ["/etc/zedge/keys/operators.pub"]
 * publicKeyFiles("/etc/zedge/keys/robot.key"); // []
 * ```
 */
export function publicKeyFiles(path: string): string[] {
  if (isZ85Key(path)) return [];
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    return path.endsWith(".key") ? [] : [path];
  }
  if (!info.isDirectory) return path.endsWith(".key") ? [] : [path];
  const files: string[] = [];
  try {
    for (const entry of Deno.readDirSync(path)) {
      if (entry.isFile && entry.name.endsWith(".pub")) files.push(join(path, entry.name));
    }
  } catch {
    return [];
  }
  return files.sort();
}

/**
 * A component's CURVE with every allow directory replaced by its `*.pub`
 * files: what the component reads at run time, so that it needs no leave
 * to list a directory (which would let it read everything in it).
 *
 * @example
 * ```ts
 * import { expandAllowLists } from "./grants.ts";
 * expandAllowLists({ bind: { role: "server", secretKey: "/k/tasks.key", allow: ["/k/ops/"] } });
 * ```
 */
export function expandAllowLists(
  curve: Record<string, EndpointCurveSpec>,
): Record<string, EndpointCurveSpec> {
  const out: Record<string, EndpointCurveSpec> = {};
  for (const [key, spec] of Object.entries(curve)) {
    out[key] = spec.role === "server"
      ? {
        ...spec,
        allow: spec.allow === null
          ? null
          : spec.allow.flatMap((a) => isZ85Key(a) ? [a] : publicKeyFiles(a)),
      }
      : spec;
  }
  return out;
}

/** SQLite writes a journal or WAL beside its database. */
function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}
