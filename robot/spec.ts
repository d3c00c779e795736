/**
 * What a robot YAML resolves to, as plain data: the {@link RobotConfig}
 * and one {@link ComponentSpec} per component, which the supervisor hands
 * to each component's Worker as it is. `config.ts` reads and resolves the
 * file into these; nothing here does I/O.
 *
 * @example
 * ```ts
 * import type { ComponentSpec } from "./spec.ts";
 * const describe = (c: ComponentSpec) => `${c.name} (${c.kind})`;
 * ```
 * @module
 */
import type { PipelineConfig } from "../core/pipeline/config.ts";
import type { TopicEncoding } from "./dataflow/codec.ts";
import type { DataflowSpec } from "./dataflow/dataflow_spec.ts";
import type { ComponentPermissions } from "./permissions.ts";
import type { ComponentKind, RestartPolicy } from "./schema.ts";

/** A component silent this long (no heartbeat) is terminated and replaced. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;

/**
 * What every component spec carries, whatever its kind.
 *
 * @example
 * ```ts
 * import type { ComponentSpecBase } from "./spec.ts";
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
  /**
   * The YAML says `restart:` (not the default): an endpoint another program holds fails
   * the component at once unless its YAML says `restart: always`.
   */
  restartGiven?: boolean;
  /** Silence (no heartbeat) after which the component is replaced, in ms. */
  heartbeatTimeoutMs: number;
  /** Largest message its sockets accept, in bytes. */
  maxMessageSize: number;
  /** `host`: in the shared host process; `process`: a host of its own (always so with `limits`); `worker`: in the robot process. */
  isolation: "host" | "process" | "worker";
  /** Its heap limit in MB (`limits.memoryMb`), or null. */
  memoryMb: number | null;
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
  /** Its staged entry module inside a robot binary (see component_entry.ts); absent from source. */
  workerModule?: string;
}

/**
 * A task server component.
 *
 * @example
 * ```ts
 * import type { TaskServerSpec } from "./spec.ts";
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
 * import type { NodeSpec } from "./spec.ts";
 * const url = (s: NodeSpec) => s.module;
 * ```
 */
export interface NodeSpec extends ComponentSpecBase {
  /** Kind. */
  kind: "node";
  /** The node's module URL. */
  module: string;
  /** The component's `config` value from the YAML (`{}` without one), given as `ctx.config`. */
  config: unknown;
  /** Its topics and services, and where the peers it needs are. */
  dataflow: DataflowSpec;
}

/**
 * One role of a pipeline YAML (or of its services section).
 *
 * @example
 * ```ts
 * import type { PipelineRoleSpec } from "./spec.ts";
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
 * import type { ComponentSpec } from "./spec.ts";
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
  /** The shared host process's heap bound in MB (`sharedHost.memoryMb`), or null: V8's default. */
  sharedHostMemoryMb: number | null;
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
 * import type { OperatorSpec } from "./spec.ts";
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
 * import type { TopicSchema } from "./spec.ts";
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
 * import { OPERATOR_SOURCE } from "./spec.ts";
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
 * import type { RobotSecurity } from "./spec.ts";
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
 * import type { StatusLogin } from "./spec.ts";
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
 * import type { RobotConfigOptions } from "./spec.ts";
 * const options: RobotConfigOptions = { checkFiles: false, env: () => undefined };
 * ```
 */
export interface RobotConfigOptions {
  /** Reads a file the configuration refers to (pipeline YAMLs); default: from disk. */
  readFile?: (path: string) => string;
  /** Check that module files exist (default true; off inside a compiled binary). */
  checkFiles?: boolean;
  /**
   * Refuse secret files other users may read: \`security.curve.secretKey\`,
   * \`status.users\`, \`status.tokenFile\` (default true; see secret_files.ts).
   */
  checkSecrets?: boolean;
  /**
   * The user id the robot will run as, for the secret files' rule (default:
   * this process's; `zedge robot systemd --user USER` gives USER's).
   */
  secretsUid?: number;
  /** Looks up an environment variable (default: `Deno.env.get`, undefined without permission). */
  env?: (name: string) => string | undefined;
  /** The control endpoint to use instead of the file's (`--control`). */
  control?: string;
  /**
   * Refuse unauthenticated control, gateway, status page and peers beyond
   * loopback unless the YAML says `insecure: true` (default true; off for
   * commands that only read the file to ask a running robot).
   */
  protectedMode?: boolean;
  /** Where zedge's code is, as the robot will run it (default: this copy, {@link ZEDGE_ROOT}). */
  zedgeRoot?: string;
}

/**
 * One endpoint's CURVE, resolved: the server side of a bind or the client
 * side of a connect, paths absolute.
 *
 * @example
 * ```ts
 * import type { EndpointCurveSpec } from "./spec.ts";
 * const spec: EndpointCurveSpec = { role: "server", secretKey: "/etc/zedge/tasks.key", allow: null };
 * ```
 */
export type EndpointCurveSpec =
  /** `allow` null: any client that knows the server's key; a list (even empty): only those. */
  | { role: "server"; secretKey: string; allow: string[] | null }
  | { role: "client"; serverKey: string; secretKey?: string };
