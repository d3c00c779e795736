/**
 * CURVE in the robot YAML: `security: { curve: { secretKey, serverKey,
 * allow } }` on a component (for all its endpoints) or under
 * `security.endpoints.KEY` (for one; its keys override the component's):
 *
 * ```yaml
 * tasks:
 *   kind: task-server
 *   bind: tcp://*:7779
 *   security:
 *     curve: { secretKey: keys/tasks.key, allow: [keys/operators/] }
 * planner:
 *   kind: node
 *   module: ./nodes/planner.ts
 *   connect: { tasks: tasks, base: tcp://base-station:7779 }
 *   security:
 *     curve: { secretKey: keys/planner.key }          # its identity on every connect
 *     endpoints:
 *       base: { curve: { serverKey: keys/base.pub } }
 * ```
 *
 * A bind serves CURVE with `secretKey` and lets in `allow` (default: any
 * client that knows its public key). A connect is the client of
 * `serverKey`, with `secretKey` as its identity when given; a connect that
 * references another component of the robot (`tasks`) needs no serverKey:
 * it is that component's public certificate (the `.pub` beside its
 * `secretKey`, as `zedge keys generate` writes them). Pipeline roles take
 * their CURVE from the pipeline YAML's endpoints instead.
 *
 * The component reads its own key files, so they are added to its read
 * permission (a secret key only to the component it belongs to).
 *
 * @module
 */
import { Authenticator } from "../core/security/authenticator.ts";
import { isZ85Key } from "../core/security/certificates.ts";
import {
  curveAllowPolicy,
  curveClientOptions,
  curveServerOptions,
} from "../core/security/curve_config.ts";
import type { SecurityOptions } from "../core/sockets/options.ts";
import type { EndpointConfig } from "../core/pipeline/config.ts";
import { serverKeyFile } from "../core/pipeline/endpoint_security.ts";
import type { EndpointCurveSpec, PipelineRoleSpec } from "./spec.ts";

export type { EndpointCurveSpec } from "./spec.ts";

/** A component's or endpoint's `curve`, as written. */
interface CurveFile {
  secretKey?: string;
  serverKey?: string;
  allow?: string[];
}

/** A component's `security`, as written. */
export interface SecurityFile {
  curve?: CurveFile;
  endpoints?: Record<string, { curve: CurveFile }>;
}

/**
 * What resolving needs from the robot file: paths, problems, and the other
 * components' security (for references).
 */
export interface SecurityContext {
  /** An absolute path for a path in the file. */
  path(value: string): string;
  /** Records a problem at a YAML path. */
  problem(at: (string | number)[], message: string): void;
  /** The security a component declares for one of its bind keys (null: none). */
  curveOf(component: string, key: string): CurveFile | null;
}

/**
 * The `curve` that applies to endpoint `key` of a component: the
 * component's, with the endpoint's own keys over it (null: none).
 *
 * @example
 * ```ts
 * import { curveFor } from "./security.ts";
 * curveFor({ curve: { secretKey: "a.key" }, endpoints: { x: { curve: { serverKey: "b.pub" } } } }, "x");
 * // { secretKey: "a.key", serverKey: "b.pub" }
 * ```
 */
export function curveFor(security: SecurityFile | undefined, key: string): CurveFile | null {
  const own = security?.curve;
  const endpoint = security?.endpoints?.[key]?.curve;
  if (own === undefined && endpoint === undefined) return null;
  return { ...own, ...endpoint };
}

/**
 * Resolves a component's CURVE, endpoint by endpoint: `binds` and
 * `connects` are its endpoint keys, `references` the component each
 * referencing connect points at (with its bind key). Problems are recorded
 * at `at` (the component's YAML path).
 *
 * @example
 * ```ts
 * import { resolveComponentCurve } from "./security.ts";
 * const curve = resolveComponentCurve(
 *   { curve: { secretKey: "keys/tasks.key" } },
 *   { binds: ["bind"], connects: [], references: {} },
 *   ["components", "tasks"],
 *   { path: (p) => `/opt/r/${p}`, problem: () => {}, curveOf: () => null },
 * );
 * curve.bind; // { role: "server", secretKey: "/opt/r/keys/tasks.key", allow: null }
 * ```
 */
export function resolveComponentCurve(
  security: SecurityFile | undefined,
  endpoints: {
    binds: string[];
    connects: string[];
    references: Record<string, { component: string; key: string }>;
  },
  at: (string | number)[],
  context: SecurityContext,
): Record<string, EndpointCurveSpec> {
  const resolved: Record<string, EndpointCurveSpec> = {};
  if (security === undefined) return resolved;
  const all = [...endpoints.binds, ...endpoints.connects];
  for (const key of Object.keys(security.endpoints ?? {})) {
    if (!all.includes(key)) {
      context.problem(
        [...at, "security", "endpoints", key],
        `the component has no endpoint '${key}' (it has: ${all.join(", ") || "none"})`,
      );
    }
  }
  const keyOrPath = (value: string) => isZ85Key(value) ? value : context.path(value);
  for (const key of endpoints.binds) {
    const curve = curveFor(security, key);
    if (curve === null) continue;
    if (curve.secretKey === undefined) {
      context.problem(
        [...at, "security"],
        `endpoint '${key}' is bound: serving CURVE needs secretKey (this component's NAME.key)`,
      );
      continue;
    }
    resolved[key] = {
      role: "server",
      secretKey: context.path(curve.secretKey),
      allow: curve.allow === undefined ? null : curve.allow.map(keyOrPath),
    };
  }
  for (const key of endpoints.connects) {
    const curve = curveFor(security, key);
    if (curve === null) continue;
    let serverKey = curve.serverKey === undefined ? undefined : keyOrPath(curve.serverKey);
    const reference = endpoints.references[key];
    if (serverKey === undefined && reference !== undefined) {
      const target = context.curveOf(reference.component, reference.key);
      if (target?.secretKey !== undefined && target.secretKey.endsWith(".key")) {
        serverKey = context.path(target.secretKey.replace(/\.key$/, ".pub"));
      }
    }
    if (serverKey === undefined) {
      context.problem(
        [...at, "security"],
        `endpoint '${key}' is connected with CURVE: give serverKey (the server's NAME.pub or Z85 key)` +
          (reference === undefined ? "" : `, or a secretKey NAME.key to '${reference.component}'`),
      );
      continue;
    }
    resolved[key] = {
      role: "client",
      serverKey,
      ...(curve.secretKey === undefined ? {} : { secretKey: context.path(curve.secretKey) }),
    };
  }
  return resolved;
}

/**
 * The files a component's CURVE makes it read (its secret keys, the server
 * keys it names by file, its allow lists).
 *
 * @example
 * ```ts
 * import { curveReadPaths } from "./security.ts";
 * curveReadPaths({ bind: { role: "server", secretKey: "/k/tasks.key", allow: ["/k/ops/"] } });
 * // ["/k/tasks.key", "/k/ops/"]
 * ```
 */
export function curveReadPaths(curve: Record<string, EndpointCurveSpec>): string[] {
  const paths: string[] = [];
  for (const spec of Object.values(curve)) {
    if (spec.role === "server") {
      paths.push(
        spec.secretKey,
        ...(spec.allow ?? []).filter((a) => !isZ85Key(a)),
      );
    } else {
      if (!isZ85Key(spec.serverKey)) paths.push(spec.serverKey);
      if (spec.secretKey !== undefined) paths.push(spec.secretKey);
    }
  }
  return [...new Set(paths)];
}

/**
 * The socket options for endpoint `key` of component `name` (empty without
 * CURVE): read in the component itself, which holds the read permission. A
 * server with an allow list puts it on the component's authenticator under
 * the ZAP domain `robot.NAME.KEY`.
 *
 * @example
 * ```ts
 * import { curveSocketOptions } from "./security.ts";
 * curveSocketOptions("tasks", "bind", {}); // {}: NULL
 * ```
 */
export function curveSocketOptions(
  name: string,
  key: string,
  curve: Record<string, EndpointCurveSpec>,
): SecurityOptions {
  const spec = curve[key];
  if (spec === undefined) return {};
  const what = `component ${name}, endpoint ${key}`;
  if (spec.role === "client") {
    return curveClientOptions({ serverKey: spec.serverKey, secretKey: spec.secretKey }, { what });
  }
  if (spec.allow === null) return curveServerOptions({ secretKey: spec.secretKey }, { what });
  const zapDomain = `robot.${name}.${key}`;
  const options = curveServerOptions({ secretKey: spec.secretKey }, { what, zapDomain });
  // An allow list that came out empty (a directory with no *.pub) lets nobody in.
  Authenticator.shared().setPolicy(
    zapDomain,
    spec.allow.length === 0 ? { curve: { allow: [] } } : curveAllowPolicy({ allow: spec.allow }),
  );
  return options;
}

/**
 * The key files a pipeline role reads, from its pipeline YAML's endpoints:
 * for what it binds, the secret key and allow lists; for what it connects
 * to, the server's public key and its own client key.
 *
 * @example
 * ```ts
 * import { pipelineCurveReadPaths } from "./security.ts";
 * import type { EndpointCurveSpec, PipelineRoleSpec } from "./spec.ts";
 * declare const worker: PipelineRoleSpec;
 * pipelineCurveReadPaths(worker); // e.g. ["/etc/zedge/distributor.pub", "/etc/zedge/worker.key"]
 * ```
 */
export function pipelineCurveReadPaths(spec: PipelineRoleSpec): string[] {
  const { endpoints, broker } = spec.pipeline;
  const byName: Record<string, EndpointConfig | undefined> = {
    ...endpoints,
    frontend: broker?.frontend,
    backend: broker?.backend,
  };
  const paths: string[] = [];
  for (const key of Object.keys(spec.binds)) {
    const curve = byName[key]?.curve;
    if (curve?.secretKey !== undefined) paths.push(curve.secretKey);
    paths.push(...(curve?.allow ?? []).filter((entry) => !isZ85Key(entry)));
  }
  for (const key of Object.keys(spec.connects)) {
    const curve = byName[key]?.curve;
    if (curve === undefined) continue;
    const server = curve.serverKey ?? serverKeyFile(curve);
    if (server !== undefined && !isZ85Key(server)) paths.push(server);
    if (curve.clientKey !== undefined) paths.push(curve.clientKey);
  }
  return [...new Set(paths)];
}
