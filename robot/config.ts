/**
 * The robot YAML, validated and resolved: one file per robot naming its
 * components. Validation reports every problem at once, each as
 * `file:line: field: what is wrong` — schema problems (see `schema.ts`),
 * references to endpoints that do not resolve, two components binding the
 * same endpoint, pipeline files that are broken, and module files that do
 * not exist. ({@link checkRobotModules} also checks that each module exports
 * what its kind needs.)
 *
 * The result is plain data ({@link ComponentSpec} per component) that the
 * supervisor hands to each component's Web Worker, with the endpoints
 * resolved and the Deno permissions derived from them.
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
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL as toFileUrl } from "node:url";
import {
  ConfigFileError,
  sortProblems,
  validateDocument,
  YamlDocument,
  type YamlPath,
} from "../core/config/yaml_schema.ts";
import {
  parsePipelineConfig,
  type PipelineConfig,
  PipelineConfigError,
} from "../core/pipeline/config.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "../core/limits.ts";
import { isZ85Key } from "../core/security/certificates.ts";
import { formatTcpEndpoint, isLoopbackHost, parseEndpoint } from "../core/transport/endpoint.ts";
import type { TopicEncoding } from "./dataflow/codec.ts";
import { type DataflowSpec, matches } from "./dataflow/node_dataflow.ts";
import { defaultControlEndpoint, safeEnv } from "./control_endpoint.ts";
import { ModuleGraph } from "./module_graph.ts";
import {
  curveFor,
  curveReadPaths,
  type EndpointCurveSpec,
  pipelineCurveReadPaths,
  resolveComponentCurve,
  type SecurityFile,
} from "./security.ts";
import { type ComponentPermissions, permissionsFor } from "./permissions.ts";
import {
  type ComponentFile,
  type ComponentKind,
  type RestartPolicy,
  type RobotFile,
  robotFileSchema,
} from "./schema.ts";

/** A `publishes` field as written (a node's, or the operator's). */
type PublishesField = NonNullable<RobotFile["operator"]>["publishes"];

export { defaultControlEndpoint, safeEnv };

/** A component silent this long (no heartbeat) is terminated and replaced. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;

/**
 * What every component spec carries, whatever its kind.
 *
 * @example
 * ```ts
 * import type { ComponentSpecBase } from "./config.ts";
 * const show = (c: ComponentSpecBase) => `${c.name} (${c.kind}): ${c.permissions.net.join(",")}`;
 * ```
 */
export interface ComponentSpecBase {
  /** The robot's name. */
  robot: string;
  /** The component's name (its key under `components`). */
  name: string;
  /** The component's kind. */
  kind: ComponentKind;
  /** Line of the component in the robot YAML. */
  line: number;
  /** Restart policy. */
  restart: RestartPolicy;
  /** Silence (no heartbeat) after which the component is replaced, in ms. */
  heartbeatTimeoutMs: number;
  /** Largest message its sockets accept, in bytes. */
  maxMessageSize: number;
  /** Endpoints it binds, by key (as bound: `tcp://*:7779`). */
  binds: Record<string, string>;
  /** Endpoints it connects to, by key (references resolved). */
  connects: Record<string, string>;
  /** Module URLs it loads. */
  modules: string[];
  /** Local code files it reads: its modules' graphs (zedge's own as its source entries). */
  code: string[];
  /** CURVE by endpoint key (see security.ts); empty: NULL everywhere. */
  curve: Record<string, EndpointCurveSpec>;
  /** What it may touch: derived from the above plus `read`, `write`, `env`. */
  permissions: ComponentPermissions;
}

/**
 * A task server component.
 *
 * @example
 * ```ts
 * import type { TaskServerSpec } from "./config.ts";
 * const scopes = (s: TaskServerSpec) => Object.keys(s.scopes);
 * ```
 */
export interface TaskServerSpec extends ComponentSpecBase {
  /** Kind. */
  kind: "task-server";
  /** Scope → handlers module URL, or null for the built-in `test` handler. */
  scopes: Record<string, string | null>;
  /** How long finished tasks stay queryable, in ms. */
  retentionMs: number;
  /** How many finished tasks are kept at most. */
  maxFinished: number;
}

/**
 * A node component: a module whose default export is `main(ctx)`.
 *
 * @example
 * ```ts
 * import type { NodeSpec } from "./config.ts";
 * const url = (s: NodeSpec) => s.module;
 * ```
 */
export interface NodeSpec extends ComponentSpecBase {
  /** Kind. */
  kind: "node";
  /** The node's module URL. */
  module: string;
  /** The component's `config` value from the YAML, given to `main` as `ctx.config`. */
  config: unknown;
  /** Its topics and services, and where the peers it needs are. */
  dataflow: DataflowSpec;
}

/**
 * One role of a pipeline YAML (or of its services section).
 *
 * @example
 * ```ts
 * import type { PipelineRoleSpec } from "./config.ts";
 * const file = (s: PipelineRoleSpec) => s.pipeline.file;
 * ```
 */
export interface PipelineRoleSpec extends ComponentSpecBase {
  /** Kind. */
  kind: Exclude<ComponentKind, "task-server" | "node">;
  /** The pipeline configuration this role belongs to. */
  pipeline: PipelineConfig;
  /** For pipeline-worker and service-worker: the entry's name in the pipeline YAML. */
  entry?: string;
}

/**
 * One resolved component: plain data, sent to its Web Worker as it is.
 *
 * @example
 * ```ts
 * import type { ComponentSpec } from "./config.ts";
 * const describe = (c: ComponentSpec) => c.kind === "node" ? c.module : c.kind;
 * ```
 */
export type ComponentSpec = TaskServerSpec | NodeSpec | PipelineRoleSpec;

/**
 * A validated, resolved robot configuration.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * const robot = await loadRobotConfig("examples/robot/robot.yaml");
 * console.log(robot.robot, robot.control, robot.components.map((c) => c.name));
 * ```
 */
export interface RobotConfig {
  /** The robot's name. */
  robot: string;
  /** The file, as named in messages. */
  file: string;
  /** The file's URL; relative paths in it resolve against it. */
  url: string;
  /** The supervisor's control endpoint. */
  control: string;
  /** True when `control` was not in the file (the default was chosen). */
  controlIsDefault: boolean;
  /** Pipeline YAML files the components use (absolute paths), for embedding. */
  pipelineFiles: string[];
  /** Where the supervisor publishes every component's log records (a PUB socket), if anywhere. */
  logs: string | null;
  /** Where the supervisor serves the status page and `/metrics` (`HOST:PORT`), if anywhere. */
  status: string | null;
  /** The directory the supervisor creates for ipc dataflow sockets, when the dataflow is on ipc. */
  dataflowDir: string | null;
  /** Where this robot offers its topics and services to other robots (bound by the supervisor). */
  gateway: { topics?: string; services?: string };
  /** What the gateway offers (default nothing), and the further client keys it lets in. */
  gatewayAccess: { export: { topics: string[]; services: string[] }; allow: string[] };
  /** Where the supervisor serves Foxglove's WebSocket protocol (`HOST:PORT`), if anywhere. */
  foxglove: string | null;
  /** What an operator may publish into the robot, and where the supervisor binds its PUB for it. */
  operator: OperatorSpec;
  /** JSON Schemas (and names) the YAML declares for topics, by topic. */
  topicSchemas: Record<string, TopicSchema>;
  /** Other robots, by name: their control endpoints. */
  peers: Record<string, string>;
  /** Other robots' public keys (Z85 or an absolute file path), by name, where the YAML gives one. */
  peerKeys: Record<string, string>;
  /** True when the YAML says `insecure: true`: protected mode is off. */
  insecure: boolean;
  /** The robot's own key pair and its operators' keys (`security.curve`), or null. */
  security: RobotSecurity | null;
  /** The status page's login (`status: { users, tokenFile }`), or null: none. */
  statusLogin: StatusLogin | null;
  /** Components in file order. */
  components: ComponentSpec[];
}

/**
 * The operator's topics: what Foxglove's clients, `zedge topic pub` and
 * `zedge robot play` may publish into the robot (the YAML's
 * `operator.publishes`), and the supervisor's PUB endpoint for them (null
 * when there are none). Nodes subscribing to them dial that endpoint.
 *
 * @example
 * ```ts
 * import type { OperatorSpec } from "./config.ts";
 * const operator: OperatorSpec = {
 *   publishes: { goal: "json" }, endpoint: "inproc://zedge/kitchen-bot/_operator/topics",
 * };
 * ```
 */
export interface OperatorSpec {
  /** Topics an operator may publish, with the encoding they are published in. */
  publishes: Record<string, TopicEncoding>;
  /** Where the supervisor's PUB for them binds (null: nothing to publish). */
  endpoint: string | null;
}

/**
 * A topic's schema as the YAML declares it (`publishes: { odom: { schema, schemaName } }`):
 * the JSON Schema of its values and the name Foxglove's panels know it by.
 *
 * @example
 * ```ts
 * import type { TopicSchema } from "./config.ts";
 * const pose: TopicSchema = {
 *   schemaName: "Pose2D",
 *   schema: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } } },
 * };
 * ```
 */
export interface TopicSchema {
  /** The schema's name (default: the topic's). */
  schemaName?: string;
  /** The JSON Schema of the values (default: inferred from the first message). */
  schema?: Record<string, unknown>;
}

/**
 * The source the runtime names on messages published by an operator
 * (no component can be named so).
 *
 * @example
 * ```ts
 * import { OPERATOR_SOURCE } from "./config.ts";
 * console.log(OPERATOR_SOURCE); // "(operator)"
 * ```
 */
export const OPERATOR_SOURCE = "(operator)";

/**
 * The robot's identity (`security.curve`), paths absolute: its secret key
 * serves CURVE on the control endpoint and gateway; operators' keys may do
 * every control request.
 *
 * @example
 * ```ts
 * import type { RobotSecurity } from "./config.ts";
 * const s: RobotSecurity = { secretKey: "/etc/zedge/keys/kitchen-bot.key", operators: ["/etc/zedge/keys/operators/"] };
 * ```
 */
export interface RobotSecurity {
  /** The robot's secret certificate (NAME.key). */
  secretKey: string;
  /** Operators' public keys: Z85 keys, NAME.pub files or directories of them. */
  operators: string[];
}

/**
 * The status page's login, paths absolute: HTTP basic auth from a users
 * file (`name=password` lines), and/or a bearer token read from a file.
 *
 * @example
 * ```ts
 * import type { StatusLogin } from "./config.ts";
 * const login: StatusLogin = { users: "/etc/zedge/status-users" };
 * ```
 */
export interface StatusLogin {
  /** A file of `name=password` lines. */
  users?: string;
  /** A file holding the token (`Authorization: Bearer TOKEN`). */
  tokenFile?: string;
}

/**
 * How to read a robot configuration.
 *
 * @example
 * ```ts
 * import type { RobotConfigOptions } from "./config.ts";
 * const options: RobotConfigOptions = { checkFiles: false, env: () => undefined };
 * ```
 */
export interface RobotConfigOptions {
  /** Reads a file the configuration refers to (pipeline YAMLs); default: from disk. */
  readFile?: (path: string) => string;
  /** Check that module files exist (default true; off inside a compiled binary). */
  checkFiles?: boolean;
  /** Looks up an environment variable (default: `Deno.env.get`, undefined without permission). */
  env?: (name: string) => string | undefined;
  /** The control endpoint to use instead of the file's (`--control`). */
  control?: string;
  /** Scans module graphs for read permissions (default true); see `module_graph.ts`. */
  moduleGraph?: ModuleGraph | false;
  /** Where zedge's code is, as the robot will run it (default: this copy, {@link ZEDGE_ROOT}). */
  zedgeRoot?: string;
}

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
  const resolver = new Resolver(doc, url, {
    readFile: options.readFile ?? ((path) => Deno.readTextFileSync(path)),
    checkFiles: options.checkFiles ?? true,
    threadWorker: threadWorkerUrl(options.zedgeRoot ?? ZEDGE_ROOT),
    dataflow: raw.dataflow ?? {},
  });
  const control = options.control ?? raw.control ??
    defaultControlEndpoint(raw.robot, options.env ?? safeEnv);
  const components = Object.entries(raw.components).map(([name, c]) =>
    resolver.component(raw.robot, name, c)
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
  const operator = resolver.operator(raw.robot, raw.operator?.publishes);
  resolver.resolveDataflow(components, peers, operator);
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
  if (raw.foxglove !== undefined && raw.insecure !== true) {
    const { host } = parseEndpoint(`tcp://${raw.foxglove}`) as { host: string };
    if (!isLoopbackHost(host)) {
      doc.problem(
        ["foxglove"],
        `'${raw.foxglove}' is reachable beyond this machine, and Foxglove's protocol has no ` +
          `authentication: listen on 127.0.0.1 and reach it over an SSH tunnel ` +
          `(ssh -L 8765:127.0.0.1:PORT robot), or say insecure: true`,
      );
    }
  }
  const graph = options.moduleGraph === false
    ? undefined
    : options.moduleGraph ?? new ModuleGraph();
  for (const spec of components) {
    const c = raw.components[spec.name];
    spec.code = codeFiles(spec, graph, zedgeSourceAt(options.zedgeRoot ?? ZEDGE_ROOT));
    spec.permissions = derivePermissions(spec, {
      read: [
        ...(c.read ?? []).map((p) => resolver.path(p)),
        // Its own key files: a component reads its certificates and allow lists itself.
        ...curveReadPaths(spec.curve),
        ...(spec.kind === "node" || spec.kind === "task-server"
          ? []
          : pipelineCurveReadPaths(spec)),
      ],
      write: (c.write ?? []).map((p) => resolver.path(p)),
      env: c.env ?? [],
    }, graph);
  }
  if (doc.problems.length > 0) throw new ConfigFileError(sortProblems(doc.problems));
  return {
    robot: raw.robot,
    file: display,
    url: url.href,
    control,
    controlIsDefault: raw.control === undefined && options.control === undefined,
    pipelineFiles: [...resolver.pipelineFiles],
    logs: raw.logs ?? null,
    status: statusAddressOf(raw.status) ?? null,
    dataflowDir: raw.dataflow?.transport === "ipc"
      ? raw.dataflow.dir ?? `/tmp/zedge-${raw.robot}`
      : null,
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
}

/** `status:` as `HOST:PORT`, whichever form the file used. */
function statusAddressOf(status: string | { listen: string } | undefined): string | undefined {
  return typeof status === "object" ? status.listen : status;
}

/** Resolves paths and references of one file, recording located problems. */
class Resolver {
  readonly pipelineFiles = new Set<string>();
  /** Schemas declared with the topics' `publishes` entries. */
  readonly topicSchemas: Record<string, TopicSchema> = {};
  readonly #doc: YamlDocument;
  readonly #base: URL;
  readonly #readFile: (path: string) => string;
  readonly #checkFiles: boolean;
  readonly #threadWorker: string;
  readonly #pipelines = new Map<string, PipelineConfig | null>();
  readonly #flow: { transport: "inproc" | "ipc" | "tcp"; dir?: string; host: string; port: number };

  constructor(
    doc: YamlDocument,
    base: URL,
    options: {
      readFile: (path: string) => string;
      checkFiles: boolean;
      threadWorker: string;
      dataflow: {
        transport?: "inproc" | "ipc" | "tcp";
        dir?: string;
        host?: string;
        basePort?: number;
      };
    },
  ) {
    this.#flow = {
      transport: options.dataflow.transport ?? "inproc",
      dir: options.dataflow.dir,
      host: options.dataflow.host ?? "127.0.0.1",
      port: options.dataflow.basePort ?? 7900,
    };
    this.#doc = doc;
    this.#base = base;
    this.#readFile = options.readFile;
    this.#checkFiles = options.checkFiles;
    this.#threadWorker = options.threadWorker;
  }

  /**
   * Where a node's topics (PUB) or services (ROUTER) bind, on the robot's
   * dataflow transport: inproc by default (no permission, no kernel socket).
   */
  #flowEndpoint(robot: string, name: string, what: "topics" | "services"): string {
    switch (this.#flow.transport) {
      case "inproc":
        return `inproc://zedge/${robot}/${name}/${what}`;
      case "ipc":
        return `ipc://${this.#flow.dir ?? `/tmp/zedge-${robot}`}/${name}-${what}.sock`;
      case "tcp":
        return formatTcpEndpoint(this.#flow.host, this.#flow.port++);
    }
  }

  /**
   * A `publishes` field (a node's or the operator's): each topic's encoding
   * (msgpack unless said), and the schemas it declares, kept for the
   * supervisor (a `.json` file's is read here).
   */
  #publishes(field: PublishesField, at: YamlPath): Record<string, TopicEncoding> {
    if (field === undefined) return {};
    if (Array.isArray(field)) return Object.fromEntries(field.map((t) => [t, "msgpack" as const]));
    const encodings: Record<string, TopicEncoding> = {};
    for (const [topic, declared] of Object.entries(field)) {
      if (typeof declared === "string") {
        encodings[topic] = declared;
        continue;
      }
      encodings[topic] = declared.encoding ?? "msgpack";
      if (declared.schema === undefined && declared.schemaName === undefined) continue;
      const schema = typeof declared.schema === "string"
        ? this.#schemaFile(declared.schema, [...at, topic, "schema"])
        : declared.schema;
      this.topicSchemas[topic] ??= {
        ...(declared.schemaName === undefined ? {} : { schemaName: declared.schemaName }),
        ...(schema === undefined ? {} : { schema }),
      };
    }
    return encodings;
  }

  /** A JSON Schema from a `.json` file named in the YAML. */
  #schemaFile(value: string, at: YamlPath): Record<string, unknown> | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#readFile(this.path(value)));
    } catch (error) {
      this.#doc.problem(at, `cannot read the schema '${value}': ${errorText(error)}`);
      return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      this.#doc.problem(at, `'${value}' holds no JSON Schema (a JSON object)`);
      return undefined;
    }
    return parsed as Record<string, unknown>;
  }

  /**
   * The operator's topics (`operator.publishes`) and the endpoint of the
   * supervisor's PUB for them, named as no component can be (`_operator`),
   * on the robot's dataflow transport.
   */
  operator(robot: string, publishes: PublishesField): OperatorSpec {
    const encodings = this.#publishes(publishes, ["operator", "publishes"]);
    return {
      publishes: encodings,
      endpoint: Object.keys(encodings).length > 0
        ? this.#flowEndpoint(robot, "_operator", "topics")
        : null,
    };
  }

  /** An absolute path for a path in the file (relative to the file's directory). */
  path(value: string): string {
    return isAbsolute(value) ? value : resolve(dirname(fromFileUrl(this.#base)), value);
  }

  /** A public key as written: a Z85 key stays, a path becomes absolute. */
  key(value: string): string {
    return isZ85Key(value) ? value : this.path(value);
  }

  /** A module URL for a path or URL in the file; checks that a local file exists. */
  module(value: string, at: YamlPath): string {
    const url = /^[a-z][a-z0-9+.-]*:/i.test(value) ? value : new URL(value, this.#base).href;
    if (url.startsWith("file:")) this.#checkFile(url, at, value);
    else if (!url.startsWith("npm:")) {
      this.#doc.problem(at, `'${value}': remote modules are not allowed (robots import no code)`);
    }
    return url;
  }

  #checkFile(url: string, at: YamlPath, shown: string): void {
    if (!this.#checkFiles) return;
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(fromFileUrl(url));
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound ? "does not exist" : errorText(error);
      this.#doc.problem(at, `module '${shown}' ${why} (${fromFileUrl(url)})`);
      return;
    }
    if (!info.isFile) this.#doc.problem(at, `module '${shown}' is not a file`);
  }

  #pipeline(value: string, at: YamlPath): PipelineConfig | null {
    const path = this.path(value);
    if (this.#pipelines.has(path)) return this.#pipelines.get(path)!;
    let config: PipelineConfig | null = null;
    try {
      config = parsePipelineConfig(this.#readFile(path), path);
      this.pipelineFiles.add(path);
    } catch (error) {
      if (error instanceof PipelineConfigError) {
        const line = this.#doc.lineOf(at);
        for (const problem of error.problems) {
          this.#doc.problems.push(`${this.#doc.file}:${line}: ${at.join(".")}: ${problem}`);
        }
      } else {
        this.#doc.problem(at, `cannot read pipeline file '${value}': ${errorText(error)}`);
      }
    }
    this.#pipelines.set(path, config);
    return config;
  }

  component(robot: string, name: string, c: ComponentFile): ComponentSpec {
    const at = ["components", name];
    const base: ComponentSpecBase = {
      robot,
      name,
      kind: c.kind,
      line: this.#doc.lineOf(at, { key: true }),
      restart: c.restart ?? "always",
      heartbeatTimeoutMs: c.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      maxMessageSize: c.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      binds: {},
      connects: {},
      modules: [],
      code: [],
      curve: {},
      permissions: { net: [], read: [], write: [], env: [] },
    };
    switch (c.kind) {
      case "task-server": {
        const scopes: Record<string, string | null> = {};
        for (const [scope, module] of Object.entries(c.scopes)) {
          scopes[scope] = module === "test" ? null : this.module(module, [...at, "scopes", scope]);
          if (scopes[scope] !== null) base.modules.push(scopes[scope]!);
        }
        base.binds.bind = c.bind;
        if (c.events !== undefined) base.binds.events = c.events;
        return {
          ...base,
          kind: "task-server",
          scopes,
          retentionMs: (c.retention ?? 600) * 1000,
          maxFinished: c.maxFinished ?? 1000,
        };
      }
      case "node": {
        const module = this.module(c.module, [...at, "module"]);
        base.modules.push(module);
        base.binds = keyed(c.bind, "bind");
        // Connect values stay as written until every component is known.
        base.connects = keyed(c.connect, "connect");
        for (const key of Object.keys(base.connects)) {
          if (key in base.binds) {
            this.#doc.problem(
              [...at, "connect", key],
              `'${key}' is also a bind key: ctx.endpoints needs distinct keys`,
            );
          }
        }
        const publishes = this.#publishes(c.publishes, [...at, "publishes"]);
        const flowName = (what: "topics" | "services") => this.#flowEndpoint(robot, name, what);
        const dataflow: DataflowSpec = {
          publishes,
          subscribes: [...(c.subscribes ?? [])],
          provides: [...(c.provides ?? [])],
          calls: [...(c.calls ?? [])],
          topicsEndpoint: Object.keys(publishes).length > 0 ? flowName("topics") : null,
          servicesEndpoint: (c.provides ?? []).length > 0 ? flowName("services") : null,
          publishers: [],
          providers: {},
          peers: {},
        };
        return { ...base, kind: "node", module, config: c.config ?? null, dataflow };
      }
      default: {
        const pipeline = this.#pipeline(c.pipeline, [...at, "pipeline"]);
        const spec: PipelineRoleSpec = {
          ...base,
          kind: c.kind,
          pipeline: pipeline ?? emptyPipeline(c.pipeline),
        };
        if (pipeline !== null) this.#pipelineRole(spec, c, at);
        return spec;
      }
    }
  }

  #pipelineRole(spec: PipelineRoleSpec, c: ComponentFile, at: string[]): void {
    const p = spec.pipeline;
    const e = p.endpoints;
    const needTasks = () => {
      if (p.tasks.length === 0) {
        this.#doc.problem([...at, "pipeline"], `${p.file} has no 'tasks': nothing to ${spec.kind}`);
        return false;
      }
      return true;
    };
    const needBroker = () => {
      if (p.broker === undefined) {
        this.#doc.problem([...at, "pipeline"], `${p.file} has no 'broker' section`);
        return false;
      }
      return true;
    };
    const addModule = (url: string | undefined) => {
      if (url === undefined) return;
      if (url.startsWith("file:")) this.#checkFile(url, [...at, "pipeline"], fromFileUrl(url));
      if (!spec.modules.includes(url)) spec.modules.push(url);
    };
    const entryName = "name" in c ? c.name : undefined;
    switch (spec.kind) {
      case "pipeline-distributor":
        if (!needTasks()) return;
        spec.binds = { workers: e.workers.bind, acks: e.acks.bind };
        if (e.metadata !== undefined) spec.connects.metadata = e.metadata.connect;
        else addModule(p.metadata?.module);
        for (const task of p.tasks) addModule(task.source?.module);
        return;
      case "pipeline-collector":
        if (!needTasks()) return;
        spec.binds = { results: e.results.bind };
        spec.connects = { acks: e.acks.connect };
        addModule(p.collector.module);
        return;
      case "pipeline-metadata":
        if (e.metadata === undefined || p.metadata === undefined) {
          this.#doc.problem(
            [...at, "pipeline"],
            `${p.file} needs 'metadata.module' and 'endpoints.metadata' for a metadata provider`,
          );
          return;
        }
        spec.binds = { metadata: e.metadata.bind };
        addModule(p.metadata.module);
        return;
      case "pipeline-worker": {
        if (!needTasks()) return;
        const entry = this.#entry(p.workers, entryName, [...at], "workers");
        if (entry === undefined) return;
        spec.entry = entry.name;
        spec.connects = { workers: e.workers.connect, results: e.results.connect };
        addModule(entry.handlers);
        // Threads are Web Workers this component starts: it needs to read their module.
        if (entry.threads > 0) addModule(this.#threadWorker);
        return;
      }
      case "service-broker":
        if (!needBroker()) return;
        spec.binds = { frontend: p.broker!.frontend.bind, backend: p.broker!.backend.bind };
        return;
      case "service-worker": {
        if (!needBroker()) return;
        const entry = this.#entry(p.services, entryName, [...at], "services");
        if (entry === undefined) return;
        spec.entry = entry.name;
        spec.connects = { backend: p.broker!.backend.connect };
        addModule(entry.handlers);
        return;
      }
    }
  }

  #entry<T extends { name: string }>(
    entries: T[],
    name: string | undefined,
    at: string[],
    section: string,
  ): T | undefined {
    const names = entries.map((e) => e.name);
    if (name === undefined) {
      if (entries.length === 1) return entries[0];
      this.#doc.problem(
        [...at, "pipeline"],
        entries.length === 0
          ? `the pipeline file has no '${section}' entries`
          : `the pipeline file has several '${section}' entries: say which with name: (${
            names.join(", ")
          })`,
      );
      return undefined;
    }
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) {
      this.#doc.problem(
        [...at, "name"],
        `no '${section}' entry named '${name}' in the pipeline file (it has: ${
          names.join(", ") || "none"
        })`,
      );
    }
    return entry;
  }

  /**
   * Gives each node the publishers of the topics it subscribes to and the
   * providers of the services it calls; a name nobody on this robot offers is
   * a problem (a typo, most often). `peer/name` refers to another robot's.
   */
  resolveDataflow(
    components: ComponentSpec[],
    peers: Record<string, string>,
    operator: OperatorSpec,
  ): void {
    const nodes = components.filter((c): c is NodeSpec => c.kind === "node");
    const published = nodes.flatMap((n) => Object.keys(n.dataflow.publishes));
    const operatorTopics = Object.keys(operator.publishes);
    const provided = nodes.flatMap((n) => n.dataflow.provides);
    const peerOf = (ref: string, at: YamlPath): string | null => {
      const slash = ref.indexOf("/");
      if (slash < 0) return null;
      const peer = ref.slice(0, slash);
      if (peer in peers) return peer;
      {
        this.#doc.problem(
          at,
          `'${ref}': '${peer}' is not among this robot's peers (${
            Object.keys(peers).join(", ") || "it has none: add peers: { " + peer + ": ENDPOINT }"
          })`,
        );
      }
      return peer;
    };
    for (const node of nodes) {
      const flow = node.dataflow;
      const at = ["components", node.name];
      for (const ref of [...flow.subscribes, ...flow.calls]) {
        const peer = ref.includes("/") ? ref.slice(0, ref.indexOf("/")) : null;
        if (peer !== null && peer in peers) flow.peers[peer] = peers[peer];
      }
      flow.subscribes.forEach((prefix, i) => {
        if (peerOf(prefix, [...at, "subscribes", i]) !== null) return;
        const sources = nodes.filter((n) =>
          Object.keys(n.dataflow.publishes).some((t) => matches(prefix, t))
        );
        const fromOperator = operatorTopics.some((t) => matches(prefix, t));
        if (sources.length === 0 && !fromOperator) {
          this.#doc.problem(
            [...at, "subscribes", i],
            `no component publishes ${
              prefix.endsWith("*")
                ? `a topic starting with '${prefix.slice(0, -1)}'`
                : `'${prefix}'`
            } (published: ${
              [...new Set(published)].join(", ") || "none"
            }; topics an operator publishes go under operator.publishes)`,
          );
        }
        if (fromOperator && !flow.publishers.some((p) => p.source === OPERATOR_SOURCE)) {
          flow.publishers.push({
            source: OPERATOR_SOURCE,
            endpoint: operator.endpoint!,
            topics: operatorTopics,
          });
        }
        for (const source of sources) {
          if (flow.publishers.some((p) => p.source === source.name)) continue;
          flow.publishers.push({
            source: source.name,
            endpoint: source.dataflow.topicsEndpoint!,
            topics: Object.keys(source.dataflow.publishes),
          });
        }
      });
      flow.calls.forEach((service, i) => {
        if (peerOf(service, [...at, "calls", i]) !== null) return;
        const providers = nodes.filter((n) => n.dataflow.provides.includes(service));
        if (providers.length === 0) {
          this.#doc.problem(
            [...at, "calls", i],
            `no component provides '${service}' (provided: ${
              [...new Set(provided)].join(", ") || "none"
            })`,
          );
        }
        flow.providers[service] = providers.map((p) => ({
          source: p.name,
          endpoint: p.dataflow.servicesEndpoint!,
        }));
      });
    }
  }

  /** Turns `connect` references (`odometry.odom`, `tasks`) into endpoints. */
  resolveReferences(components: ComponentSpec[], raw: Record<string, ComponentFile>): void {
    const byName = new Map(components.map((c) => [c.name, c]));
    for (const spec of components) {
      if (spec.kind !== "node") continue;
      for (const [key, value] of Object.entries(spec.connects)) {
        if (value.includes("://")) continue;
        const written = (raw[spec.name] as { connect?: unknown }).connect;
        const at = [
          "components",
          spec.name,
          "connect",
          ...(typeof written === "string" ? [] : [key]),
        ];
        const [target, endpointKey] = value.split(".");
        const other = byName.get(target);
        if (other === undefined) {
          this.#doc.problem(
            at,
            `'${value}': there is no component '${target}' (components: ${
              [...byName.keys()].join(", ")
            })`,
          );
          delete spec.connects[key];
          continue;
        }
        const keys = Object.keys(other.binds);
        let bound: string | undefined;
        if (endpointKey !== undefined) {
          bound = other.binds[endpointKey];
          if (bound === undefined) {
            this.#doc.problem(
              at,
              `'${value}': component '${target}' binds no endpoint '${endpointKey}' (it binds: ${
                keys.join(", ") || "nothing"
              })`,
            );
          }
        } else if (keys.length === 1 || "bind" in other.binds) {
          bound = other.binds.bind ?? other.binds[keys[0]];
        } else {
          this.#doc.problem(
            at,
            keys.length === 0
              ? `'${value}': component '${target}' binds no endpoint`
              : `'${value}': component '${target}' binds several endpoints: write one of ${
                keys.map((k) => `${target}.${k}`).join(", ")
              }`,
          );
        }
        if (bound === undefined) {
          delete spec.connects[key];
          continue;
        }
        const connectable = connectableEndpoint(bound);
        if (connectable === undefined) {
          this.#doc.problem(
            at,
            `'${value}': ${bound} is a random port, which cannot be referenced: give it a fixed port`,
          );
          delete spec.connects[key];
          continue;
        }
        spec.connects[key] = connectable;
      }
    }
  }

  /**
   * Each task server's and node's `security` (robot/security.ts), now that
   * references are resolved; `written` are the connects as the file gave them.
   */
  resolveSecurity(
    components: ComponentSpec[],
    raw: Record<string, ComponentFile>,
    written: Record<string, Record<string, string>>,
  ): void {
    const byName = new Map(components.map((c) => [c.name, c]));
    const securityOf = (name: string) => (raw[name] as { security?: SecurityFile }).security;
    for (const spec of components) {
      if (spec.kind !== "node" && spec.kind !== "task-server") continue;
      const references: Record<string, { component: string; key: string }> = {};
      for (const [key, value] of Object.entries(written[spec.name] ?? {})) {
        if (value.includes("://") || !(key in spec.connects)) continue;
        const [component, bindKey] = value.split(".");
        const binds = Object.keys(byName.get(component)?.binds ?? {});
        references[key] = {
          component,
          key: bindKey ?? (binds.includes("bind") ? "bind" : binds[0]),
        };
      }
      const at = ["components", spec.name];
      spec.curve = resolveComponentCurve(
        securityOf(spec.name),
        { binds: Object.keys(spec.binds), connects: Object.keys(spec.connects), references },
        at,
        {
          path: (p) => this.path(p),
          problem: (where, message) => this.#doc.problem(where, message),
          curveOf: (name, key) =>
            key in (byName.get(name)?.binds ?? {}) ? curveFor(securityOf(name), key) : null,
        },
      );
      if (
        spec.kind === "task-server" && spec.binds.events !== undefined &&
        JSON.stringify(spec.curve.events) !== JSON.stringify(spec.curve.bind)
      ) {
        this.#doc.problem(
          [...at, "security"],
          "a task server's events channel shares its bind's CURVE settings: set them for both",
        );
      }
    }
  }

  /** Two binds of one endpoint (or of one tcp port, when either is a wildcard) are refused. */
  checkBinds(
    components: ComponentSpec[],
    raw: Record<string, ComponentFile>,
    control: string,
    controlInFile: boolean,
    gateway: Record<string, string | undefined>,
    logs: string | undefined,
    status: string | undefined,
    foxglove: string | undefined,
    operator: string | null,
  ): void {
    const seen: { endpoint: string; owner: string; at: YamlPath }[] = [];
    const claim = (endpoint: string, owner: string, at: YamlPath) => {
      const clash = seen.find((s) => sameBind(s.endpoint, endpoint));
      if (clash !== undefined) {
        this.#doc.problem(
          at,
          `${endpoint} is also bound by ${clash.owner}${
            clash.endpoint === endpoint ? "" : ` (${clash.endpoint})`
          }`,
        );
      } else {
        seen.push({ endpoint, owner, at });
      }
    };
    claim(control, "the supervisor's control endpoint", controlInFile ? ["control"] : []);
    if (logs !== undefined) claim(logs, "the supervisor's logs endpoint", ["logs"]);
    // The status page is HTTP, but it takes its tcp port from everyone else all the same.
    if (status !== undefined && !status.endsWith(":0")) {
      claim(`tcp://${status}`, "the status page", ["status"]);
    }
    if (foxglove !== undefined && !foxglove.endsWith(":0")) {
      claim(`tcp://${foxglove}`, "the Foxglove server", ["foxglove"]);
    }
    if (operator !== null) {
      claim(operator, "the supervisor's operator topics", ["operator", "publishes"]);
    }
    for (const [key, endpoint] of Object.entries(gateway)) {
      if (endpoint !== undefined) {
        claim(endpoint, `the gateway's ${key} endpoint`, ["gateway", key]);
      }
    }
    for (const spec of components) {
      if (spec.kind === "node") {
        const flow = spec.dataflow;
        if (flow.topicsEndpoint) {
          claim(flow.topicsEndpoint, `component '${spec.name}' (its topics)`, [
            "components",
            spec.name,
            "publishes",
          ]);
        }
        if (flow.servicesEndpoint) {
          claim(flow.servicesEndpoint, `component '${spec.name}' (its services)`, [
            "components",
            spec.name,
            "provides",
          ]);
        }
      }
      const written = (raw[spec.name] as { bind?: unknown }).bind;
      for (const [key, endpoint] of Object.entries(spec.binds)) {
        const at = spec.kind === "task-server"
          ? ["components", spec.name, key]
          : spec.kind === "node"
          ? ["components", spec.name, "bind", ...(typeof written === "string" ? [] : [key])]
          : ["components", spec.name, "pipeline"];
        claim(endpoint, `component '${spec.name}'${key === "bind" ? "" : ` (${key})`}`, at);
      }
    }
  }
}

/**
 * The module every pipeline thread runs, in the zedge at `root`; a worker
 * with threads reads it.
 *
 * @example
 * ```ts
 * import { threadWorkerUrl, ZEDGE_ROOT } from "./config.ts";
 * console.log(threadWorkerUrl(ZEDGE_ROOT).endsWith("/core/pipeline/thread_worker.ts")); // true
 * ```
 */
export function threadWorkerUrl(root: string): string {
  return toFileUrl(join(root, "core/pipeline/thread_worker.ts")).href;
}

function keyed(value: string | Record<string, string> | undefined, key: string) {
  if (value === undefined) return {};
  return typeof value === "string" ? { [key]: value } : { ...value };
}

function emptyPipeline(file: string): PipelineConfig {
  const none = { bind: "", connect: "" };
  return {
    file,
    endpoints: { workers: none, acks: none, results: none },
    heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
    retry: {},
    tasks: [],
    workers: [],
    collector: {},
    services: [],
  };
}

/**
 * The endpoint a peer on this machine connects to for a bound endpoint:
 * wildcard hosts become loopback; a random-port bind has none (undefined).
 *
 * @example
 * ```ts
 * import { connectableEndpoint } from "./config.ts";
 * connectableEndpoint("tcp://*:7779"); // "tcp://127.0.0.1:7779"
 * connectableEndpoint("ipc:///run/x.sock"); // "ipc:///run/x.sock"
 * ```
 */
export function connectableEndpoint(bound: string): string | undefined {
  const parsed = parseEndpoint(bound);
  if (parsed.transport !== "tcp") return bound;
  if (parsed.port === 0) return undefined;
  const host = parsed.wildcardHost || parsed.host === "0.0.0.0"
    ? "127.0.0.1"
    : parsed.host === "::"
    ? "::1"
    : parsed.host;
  return formatTcpEndpoint(host, parsed.port);
}

/** True when binding both endpoints on one machine would clash. */
function sameBind(a: string, b: string): boolean {
  const x = parseEndpoint(a);
  const y = parseEndpoint(b);
  if (x.transport !== y.transport) return false;
  if (x.transport === "ipc" && y.transport === "ipc") return x.path === y.path;
  if (x.transport === "inproc" && y.transport === "inproc") return x.name === y.name;
  if (x.transport === "tcp" && y.transport === "tcp") {
    if (x.port === 0 || y.port === 0 || x.port !== y.port) return false;
    const wild = (h: string) => h === "0.0.0.0" || h === "::";
    return x.host === y.host || wild(x.host) || wild(y.host);
  }
  return false;
}

/**
 * zedge's own source entries under `root`: a component whose modules import
 * zedge code (or that starts pipeline threads) may read these, which hold
 * nothing but code. The files are granted as these few entries rather than
 * one by one.
 *
 * @example
 * ```ts
 * import { zedgeSourceAt } from "./config.ts";
 * zedgeSourceAt("/opt/zedge"); // ["/opt/zedge/cli", "/opt/zedge/core", "/opt/zedge/mod.ts", "/opt/zedge/robot"]
 * ```
 */
export function zedgeSourceAt(root: string): string[] {
  return ["cli", "core", "mod.ts", "robot"].map((entry) => join(root, entry));
}

/**
 * This copy of zedge: the directory holding `mod.ts`.
 *
 * @example
 * ```ts
 * import { ZEDGE_ROOT } from "./config.ts";
 * console.log(ZEDGE_ROOT.endsWith("/")); // false
 * ```
 */
export const ZEDGE_ROOT: string = fromFileUrl(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * This copy of zedge's source entries (see {@link zedgeSourceAt}).
 *
 * @example
 * ```ts
 * import { ZEDGE_SOURCE } from "./config.ts";
 * console.log(ZEDGE_SOURCE.map((p) => p.split("/").pop())); // ["cli", "core", "mod.ts", "robot"]
 * ```
 */
export const ZEDGE_SOURCE: readonly string[] = zedgeSourceAt(ZEDGE_ROOT);

/** Files under zedge's own source become its entries; others stay as they are. */
function collapseZedgeSource(files: string[], source: readonly string[]): string[] {
  const out = new Set<string>();
  for (const file of files) {
    const entry = source.find((e) => file === e || file.startsWith(`${e}/`));
    out.add(entry ?? file);
  }
  return [...out];
}

/**
 * A component's permissions: net from its endpoints; read from its modules
 * and the local files they import (with `graph`; see `module_graph.ts`),
 * ipc sockets, journals and declared paths; write from its ipc sockets,
 * journals and declared paths; env as declared. Run, ffi, sys and remote
 * imports are never granted.
 *
 * @example
 * ```ts
 * import { derivePermissions, parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig("robot: r\ncomponents:\n  n: { kind: node, module: ./n.ts }\n",
 *   "/opt/r/robot.yaml", { checkFiles: false });
 * derivePermissions(robot.components[0], { read: ["/etc/map.yaml"], write: [], env: [] });
 * ```
 */
export function derivePermissions(
  spec: ComponentSpec,
  declared: { read: string[]; write: string[]; env: string[] },
  graph?: ModuleGraph,
): ComponentPermissions {
  // Another robot's control endpoint names its host; its gateway's ports are learnt from
  // that robot, so the host is granted with any port (what port 0 derives).
  const peerHosts = spec.kind === "node"
    ? Object.values(spec.dataflow.peers).map((peer) => {
      const parsed = parseEndpoint(peer);
      return parsed.transport === "tcp" ? formatTcpEndpoint(parsed.host, 0) : peer;
    })
    : [];
  const flow = spec.kind === "node" ? spec.dataflow : null;
  const endpoints = permissionsFor({
    bind: [
      ...Object.values(spec.binds),
      ...[flow?.topicsEndpoint, flow?.servicesEndpoint].filter((e): e is string => !!e),
    ],
    connect: [
      ...Object.values(spec.connects),
      ...peerHosts,
      ...(flow?.publishers ?? []).map((p) => p.endpoint),
      ...Object.values(flow?.providers ?? {}).flat().map((p) => p.endpoint),
    ],
  });
  const modules = spec.code.length > 0 ? spec.code : codeFiles(spec, graph);
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
    read: sorted([...modules, ...endpoints.read, ...journals, ...declared.read]),
    write: sorted([...endpoints.write, ...journals, ...declared.write]),
    env: sorted(declared.env),
  };
}

/**
 * The local code files a component reads: its modules and, with `graph`,
 * every local file they import (zedge's own as its {@link ZEDGE_SOURCE} entries).
 *
 * @example
 * ```ts
 * import { codeFiles, parseRobotConfig } from "./config.ts";
 * const robot = parseRobotConfig("robot: r\ncomponents:\n  n: { kind: node, module: ./n.ts }\n",
 *   "/opt/r/robot.yaml", { checkFiles: false, moduleGraph: false });
 * codeFiles(robot.components[0]); // ["/opt/r/n.ts"]
 * ```
 */
export function codeFiles(
  spec: ComponentSpec,
  graph?: ModuleGraph,
  zedgeSource: readonly string[] = ZEDGE_SOURCE,
): string[] {
  const local = spec.modules.filter((m) => m.startsWith("file:"));
  return collapseZedgeSource(
    graph !== undefined ? graph.files(local) : local.map((m) => fromFileUrl(m)),
    zedgeSource,
  ).sort();
}

/** SQLite writes a journal or WAL beside its database. */
function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
