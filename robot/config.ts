/**
 * The robot YAML, read and resolved: one file per robot naming its
 * components. Validation reports every problem at once, each as
 * `file:line: field: what is wrong` — schema problems (see `schema.ts`),
 * references to endpoints that do not resolve, two components binding the
 * same endpoint, pipeline files that are broken, and module files that do
 * not exist. ({@link checkRobotModules} also checks that each module exports
 * what its kind needs.)
 *
 * The work is split by concern: `spec.ts` (the resolved types),
 * `resolver.ts` (components, references, CURVE, dataflow, the operator's
 * topics and the topics' schemas), `dataflow/endpoints.ts` (where dataflow
 * sockets go), `grants.ts` (what each component may touch: the trust
 * rules), `robot_security.ts` (protected mode), `control_endpoint.ts`
 * (where the control endpoint is by default) and `zedge_source.ts` (where
 * zedge's own code is). This module reads the file and puts them together.
 *
 * @example
 * ```ts
 * import { parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig(`
 * robot: kitchen-bot
 * components:
 *   tasks: { kind: task-server, bind: "tcp://*:7779", scopes: { /test: test } }
 * `, "/etc/zedge/robot.yaml");
 * console.log(robot.components[0].permissions.net); // ["0.0.0.0:7779"]
 * ```
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL as toFileUrl } from "node:url";
import {
  ConfigFileError,
  sortProblems,
  validateDocument,
  YamlDocument,
} from "../core/config/yaml_schema.ts";
import { isZ85Key } from "../core/security/certificates.ts";
import { defaultControlEndpoint, safeEnv } from "./control_endpoint.ts";
import { DataflowEndpoints } from "./dataflow/endpoints.ts";
import { codeFiles, derivePermissions, expandAllowLists, publicKeyFiles } from "./grants.ts";
import { Resolver } from "./resolver.ts";
import { secretFileProblem } from "./secret_files.ts";
import { protectedModeProblems } from "./robot_security.ts";
import { robotFileSchema } from "./schema.ts";
import type { PipelineRoleSpec, RobotConfig, RobotConfigOptions } from "./spec.ts";
import { ZEDGE_ROOT, zedgeSourceAt } from "./zedge_source.ts";

export {
  type ComponentSpec,
  type ComponentSpecBase,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  type EndpointCurveSpec,
  type NodeSpec,
  OPERATOR_SOURCE,
  type OperatorSpec,
  type PipelineRoleSpec,
  type RobotConfig,
  type RobotConfigOptions,
  type RobotSecurity,
  type StatusLogin,
  type TaskServerSpec,
  type TopicSchema,
} from "./spec.ts";
export { defaultControlEndpoint, safeEnv } from "./control_endpoint.ts";
export { connectableEndpoint } from "./dataflow/endpoints.ts";
export { codeFiles, derivePermissions } from "./grants.ts";
export { threadWorkerUrl, ZEDGE_ROOT, ZEDGE_SOURCE, zedgeSourceAt } from "./zedge_source.ts";

/**
 * Reads and validates a robot YAML file; throws {@link ConfigFileError}
 * with every problem.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * const robot = await loadRobotConfig("examples/robot/robot.yaml");
 * ```
 */
export async function loadRobotConfig(
  path: string,
  options: RobotConfigOptions = {},
): Promise<RobotConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(absolute);
  } catch (error) {
    throw new ConfigFileError([`${path}: cannot read: ${errorText(error)}`]);
  }
  return parseRobotConfig(text, absolute, { ...options, display: path });
}

/**
 * Validates robot YAML text. `file` is the file's absolute path (or file
 * URL): relative module and pipeline paths resolve against its directory.
 * Throws {@link ConfigFileError} with every problem, in line order.
 *
 * @example
 * ```ts
 * import { parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig("robot: r\ncomponents:\n  n: { kind: node, module: ./n.ts }\n",
 *   "/opt/robot/robot.yaml", { checkFiles: false });
 * console.log(robot.components[0].modules); // ["file:///opt/robot/n.ts"]
 * ```
 */
export function parseRobotConfig(
  text: string,
  file: string,
  options: RobotConfigOptions & { display?: string } = {},
): RobotConfig {
  const url = file.startsWith("file:") ? new URL(file) : toFileUrl(resolve(file));
  const display = options.display ?? (file.startsWith("file:") ? fromFileUrl(file) : file);
  const doc = new YamlDocument(text, display);
  const raw = validateDocument(robotFileSchema, doc);
  if (raw === undefined) throw new ConfigFileError(doc.sortedProblems);
  const flow = new DataflowEndpoints(raw.robot, raw.dataflow ?? {});
  const resolver = new Resolver(doc, url, {
    readFile: options.readFile ?? ((path) => Deno.readTextFileSync(path)),
    checkFiles: options.checkFiles ?? true,
    flow,
  });
  const control = options.control ?? raw.control ??
    defaultControlEndpoint(raw.robot, options.env ?? safeEnv);
  const components = Object.entries(raw.components).map(([name, c]) =>
    resolver.component(raw.robot, name, c, { isolation: raw.isolation })
  );
  const written = Object.fromEntries(components.map((c) => [c.name, { ...c.connects }]));
  resolver.resolveReferences(components, raw.components);
  resolver.resolveSecurity(components, raw.components, written);
  const peers = Object.fromEntries(
    Object.entries(raw.peers ?? {}).map((
      [name, p],
    ) => [name, typeof p === "string" ? p : p.control]),
  );
  const peerKeys = Object.fromEntries(
    Object.entries(raw.peers ?? {}).flatMap(([name, p]) =>
      typeof p === "string" ? [] : [[name, resolver.key(p.serverKey)]]
    ),
  );
  const operator = resolver.operator(raw.operator?.publishes);
  resolver.resolveDataflow(components, peers, raw.robot, operator);
  resolver.checkBinds(
    components,
    raw.components,
    control,
    raw.control !== undefined || !!options.control,
    { topics: raw.gateway?.topics, services: raw.gateway?.services },
    raw.logs,
    statusAddressOf(raw.status),
    raw.foxglove,
    operator.endpoint,
  );
  const zedgeSource = zedgeSourceAt(options.zedgeRoot ?? ZEDGE_ROOT);
  for (const spec of components) {
    const c = raw.components[spec.name];
    // A component reads its allow lists file by file: never a directory (other keys live there).
    spec.curve = expandAllowLists(spec.curve);
    if (spec.kind !== "node" && spec.kind !== "task-server") expandPipelineAllowLists(spec);
    spec.code = codeFiles(spec, zedgeSource);
    spec.permissions = derivePermissions(spec, {
      read: (c.read ?? []).map((p) => resolver.path(p)),
      write: (c.write ?? []).map((p) => resolver.path(p)),
      env: c.env ?? [],
    }, zedgeSource);
  }
  const config: RobotConfig = {
    robot: raw.robot,
    file: display,
    url: url.href,
    control,
    controlIsDefault: raw.control === undefined && options.control === undefined,
    pipelineFiles: [...resolver.pipelineFiles],
    logs: raw.logs ?? null,
    status: statusAddressOf(raw.status) ?? null,
    dataflowDir: flow.dir,
    gateway: {
      ...(raw.gateway?.topics === undefined ? {} : { topics: raw.gateway.topics }),
      ...(raw.gateway?.services === undefined ? {} : { services: raw.gateway.services }),
    },
    gatewayAccess: {
      export: {
        topics: [...(raw.gateway?.export?.topics ?? [])],
        services: [...(raw.gateway?.export?.services ?? [])],
      },
      allow: (raw.gateway?.allow ?? []).map((k) => resolver.key(k)),
    },
    peers,
    peerKeys,
    insecure: raw.insecure ?? false,
    sharedHostMemoryMb: raw.sharedHost?.memoryMb ?? null,
    security: raw.security === undefined ? null : {
      secretKey: resolver.path(raw.security.curve.secretKey),
      operators: (raw.security.curve.operators ?? []).map((k) => resolver.key(k)),
    },
    statusLogin: typeof raw.status === "object"
      ? {
        ...(raw.status.users === undefined ? {} : { users: resolver.path(raw.status.users) }),
        ...(raw.status.tokenFile === undefined
          ? {}
          : { tokenFile: resolver.path(raw.status.tokenFile) }),
      }
      : null,
    foxglove: raw.foxglove ?? null,
    operator,
    topicSchemas: resolver.topicSchemas,
    components,
  };
  if (options.checkSecrets ?? true) {
    const secrets: [string[], string | undefined][] = [
      [["security", "curve", "secretKey"], config.security?.secretKey],
      [["status", "users"], config.statusLogin?.users],
      [["status", "tokenFile"], config.statusLogin?.tokenFile],
    ];
    // A component's own secret keys too (`security.curve` or an endpoint's), each file once.
    for (const component of components) {
      const keys = new Set<string>();
      for (const curve of Object.values(component.curve)) {
        if (curve.secretKey !== undefined) keys.add(curve.secretKey);
      }
      for (const key of keys) secrets.push([["components", component.name, "security"], key]);
    }
    for (const [at, path] of secrets) {
      const problem = path === undefined
        ? null
        : options.secretsUid === undefined
        ? secretFileProblem(path)
        : secretFileProblem(path, options.secretsUid);
      if (problem !== null) doc.problem(at, problem);
    }
  }
  if (options.protectedMode ?? true) {
    for (const [at, message] of protectedModeProblems(config)) doc.problem(at, message);
  }
  if (doc.problems.length > 0) throw new ConfigFileError(sortProblems(doc.problems));
  return config;
}

/** `status:` as `HOST:PORT`, whichever form the file used. */
function statusAddressOf(status: string | { listen: string } | undefined): string | undefined {
  return typeof status === "object" ? status.listen : status;
}

/**
 * A pipeline role's allow lists (from its pipeline YAML) with directories
 * replaced by their `*.pub` files, as for components; a list that would
 * come out empty stays as written, so the role fails closed (it cannot read
 * the directory) rather than letting every client in.
 */
function expandPipelineAllowLists(spec: PipelineRoleSpec): void {
  const { endpoints, broker } = spec.pipeline;
  for (const endpoint of [...Object.values(endpoints), broker?.frontend, broker?.backend]) {
    const curve = endpoint?.curve;
    if (curve?.allow === undefined || curve.allow.length === 0) continue;
    const files = curve.allow.flatMap((a) => isZ85Key(a) ? [a] : publicKeyFiles(a));
    if (files.length > 0) curve.allow = files;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
