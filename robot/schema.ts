/**
 * The schema of the robot YAML: one file per robot naming its components,
 * each with a `kind`, its endpoints and what else it may touch. This zod
 * schema is the one description of the file's keys: it validates the file
 * (with `file:line` problems, see `core/config/yaml_schema.ts`), types the
 * result, and exports a JSON Schema (`zedge robot schema`) for editors.
 *
 * Checks that need more than one field (references between components,
 * endpoints bound twice, module files and their exports) live in
 * `config.ts`.
 *
 * @example
 * ```ts
 * import { robotFileSchema } from "./schema.ts";
 * const parsed = robotFileSchema.safeParse({
 *   robot: "kitchen-bot",
 *   components: { tasks: { kind: "task-server", bind: "tcp://*:7779", scopes: { "/test": "test" } } },
 * });
 * console.log(parsed.success); // true
 * ```
 * @module
 */
import { z } from "zod";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import { TOPIC_ENCODINGS } from "./dataflow/codec.ts";

/**
 * Every component kind, in the order the docs list them.
 *
 * @example
 * ```ts
 * import { COMPONENT_KINDS } from "./schema.ts";
 * console.log(COMPONENT_KINDS.includes("node")); // true
 * ```
 */
export const COMPONENT_KINDS = [
  "task-server",
  "node",
  "pipeline-distributor",
  "pipeline-worker",
  "pipeline-collector",
  "pipeline-metadata",
  "service-broker",
  "service-worker",
] as const;

/**
 * A component kind.
 *
 * @example
 * ```ts
 * import type { ComponentKind } from "./schema.ts";
 * const kind: ComponentKind = "pipeline-worker";
 * ```
 */
export type ComponentKind = typeof COMPONENT_KINDS[number];

/**
 * What the supervisor does when a component ends: `always` restarts it
 * whatever the reason, `on-failure` only after a crash, `never` leaves it.
 *
 * @example
 * ```ts
 * import { RESTART_POLICIES } from "./schema.ts";
 * console.log(RESTART_POLICIES); // ["always", "on-failure", "never"]
 * ```
 */
export const RESTART_POLICIES = ["always", "on-failure", "never"] as const;

/**
 * A restart policy.
 *
 * @example
 * ```ts
 * import type { RestartPolicy } from "./schema.ts";
 * const policy: RestartPolicy = "on-failure";
 * ```
 */
export type RestartPolicy = typeof RESTART_POLICIES[number];

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ROBOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)?$/;

function endpointProblem(value: string): string | undefined {
  try {
    const parsed = parseEndpoint(value);
    if (parsed.transport === "ipc" && !parsed.path.startsWith("/")) {
      return `'${value}': an ipc path must be absolute (ipc:///run/robot/x.sock)`;
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** An endpoint string, checked by the transport's own parser. */
const endpoint = z.string({
  error: "must be an endpoint (tcp://host:port, ipc:///path or inproc://name)",
})
  .superRefine((value, ctx) => {
    const problem = endpointProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

/** `HOST:PORT` of a server of the supervisor's (HTTP, WebSocket): a tcp address, port 0 for any. */
const hostPort = (example: string) =>
  z.string({ error: `must be HOST:PORT (e.g. ${example})` })
    .superRefine((value, ctx) => {
      const problem = value.includes("://")
        ? `'${value}' is HOST:PORT, without a scheme (e.g. ${example})`
        : value.startsWith("*")
        ? `'${value}': name the host (0.0.0.0 for every interface)`
        : endpointProblem(`tcp://${value}`);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    });

/** `HOST:PORT` of the status page. */
const statusAddress = hostPort("127.0.0.1:7800");

/** A literal endpoint, or a reference to another component's endpoint (`odometry.odom`). */
const endpointOrReference = z.string({
  error: "must be an endpoint or a reference to another component's endpoint (name or name.key)",
}).superRefine((value, ctx) => {
  if (value.includes("://")) {
    const problem = endpointProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  } else if (!REFERENCE.test(value)) {
    ctx.addIssue({
      code: "custom",
      message:
        `'${value}' is neither an endpoint (tcp://, ipc://, inproc://) nor a reference (component or component.key)`,
    });
  }
});

const endpointKey = z.string().regex(
  NAME,
  "endpoint keys are names: a letter, then letters, digits, - or _",
);

const bindField = z.union([endpoint, z.record(endpointKey, endpoint)], {
  error: "must be an endpoint, or a mapping of names to endpoints",
});
const connectField = z.union([endpointOrReference, z.record(endpointKey, endpointOrReference)], {
  error: "must be an endpoint or reference, or a mapping of names to them",
});

const pathList = z.array(z.string().min(1), { error: "must be a list of paths" });

/**
 * Where a component runs, always as a Web Worker with its own permissions: `host` (the
 * default), in the robot's shared host process; `process`, in a host process of its own;
 * `worker`, in the robot process itself (no host: what cannot be stopped there stays). The
 * supervisor can always kill a host process (see supervision/host_process.ts).
 *
 * @example
 * ```ts
 * import { ISOLATIONS } from "./schema.ts";
 * console.log(ISOLATIONS.join(", ")); // host, process, worker
 * ```
 */
export const ISOLATIONS = ["host", "process", "worker"] as const;

/** Keys every kind accepts. */
const common = {
  restart: z.enum(RESTART_POLICIES).optional(),
  read: pathList.optional(),
  write: pathList.optional(),
  env: z.array(z.string().regex(ENV_NAME, "must be an environment variable name"), {
    error: "must be a list of environment variable names",
  }).optional(),
  heartbeatTimeoutMs: z.int({ error: "must be an integer number of milliseconds" }).min(100)
    .optional(),
  maxMessageSize: z.int({ error: "must be an integer number of bytes" }).min(64).optional(),
  isolation: z.enum(ISOLATIONS, { error: "must be host, process or worker" }).optional()
    .describe("process: a host process of its own, which the supervisor can always kill"),
  limits: z.strictObject({
    memoryMb: z.int({ error: "must be an integer number of megabytes" }).min(16),
  }, { error: "must be a mapping: memoryMb" }).optional()
    .describe("over memoryMb, this component alone restarts (it gets a host process of its own)"),
};

/** CURVE settings (robot/security.ts says who uses what). */
const curve = z.strictObject({
  secretKey: z.string({ error: "must be the path of a secret certificate (NAME.key)" }).min(1)
    .optional().describe("this component's secret certificate: serves its binds, identifies it"),
  serverKey: z.string({ error: "must be a Z85 key or a certificate file (NAME.pub)" }).min(1)
    .optional().describe("the server a connect checks (default for a reference: its NAME.pub)"),
  allow: pathList.optional().describe("the only clients its binds let in (keys, files, dirs)"),
}, { error: "must be a mapping: secretKey, serverKey, allow" });

/** `security:` of a component: CURVE for all its endpoints, or per endpoint key. */
const security = z.strictObject({
  curve: curve.optional(),
  endpoints: z.record(endpointKey, z.strictObject({ curve }), {
    error: "must map endpoint keys to { curve: … }",
  }).optional(),
}, { error: "must be a mapping: curve, endpoints" });

const modulePath = z.string({ error: "must be the path of a TypeScript module" }).min(1);
const pipelinePath = z.string({ error: "must be the path of a pipeline YAML file" }).min(1);

const taskServer = z.strictObject({
  kind: z.literal("task-server"),
  bind: endpoint,
  events: endpoint.optional(),
  scopes: z.record(
    z.string().regex(/^[^;]+$/, "a scope must be non-empty and must not contain ';'"),
    z.string({ error: "must be a handlers module path, or `test` for the built-in test handler" })
      .min(1),
    { error: "must map each scope to a handlers module (or `test`)" },
  ).refine((scopes) => Object.keys(scopes).length > 0, "must name at least one scope"),
  retention: z.number({ error: "must be a number of seconds" }).min(0).optional(),
  maxFinished: z.int({ error: "must be a positive integer" }).min(1).optional(),
  security: security.optional(),
  ...common,
});

/** A topic or service of this robot: letters, digits, `_`, `-` and `.`. */
const LOCAL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** …or of another robot: `peer/name`; a subscription may end in `*` (a prefix). */
const NAME_REF = /^([A-Za-z0-9][A-Za-z0-9_-]*\/)?[A-Za-z0-9_][A-Za-z0-9_.-]*\*?$/;
const topicName = z.string().regex(LOCAL_NAME, "a topic is named with letters, digits, _, - and .");
const serviceName = z.string().regex(
  LOCAL_NAME,
  "a service is named with letters, digits, _, - and .",
);
const nameRef = (what: string) =>
  z.string().regex(NAME_REF, `a ${what} is \`name\`, or \`peer/name\` for another robot's`);

/**
 * A published topic: its encoding, or its encoding with a JSON Schema (inline, or a `.json` file)
 * and a schema name for Foxglove's panels and recordings.
 */
const topicDeclaration = z.union([
  z.enum(TOPIC_ENCODINGS),
  z.strictObject({
    encoding: z.enum(TOPIC_ENCODINGS).optional(),
    schema: z.union([z.record(z.string(), z.unknown()), z.string().min(1)], {
      error: "must be a JSON Schema (a mapping) or the path of a .json file holding one",
    }).optional(),
    schemaName: z.string().min(1).optional(),
  }, { error: "must be an encoding, or a mapping: encoding, schema, schemaName" }),
]);
const publishesField = z.union([
  z.array(topicName),
  z.record(topicName, topicDeclaration),
], { error: "must be a list of topics, or a mapping of topics to msgpack, json or raw" });

const node = z.strictObject({
  kind: z.literal("node"),
  module: modulePath,
  bind: bindField.optional(),
  connect: connectField.optional(),
  config: z.unknown().optional(),
  publishes: publishesField.optional(),
  subscribes: z.array(nameRef("topic or topic prefix"), { error: "must be a list of topics" })
    .optional(),
  provides: z.array(serviceName, { error: "must be a list of services" }).optional(),
  calls: z.array(nameRef("service"), { error: "must be a list of services" }).optional(),
  security: security.optional(),
  ...common,
});

const pipelineRole = <K extends string>(kind: K) =>
  z.strictObject({ kind: z.literal(kind), pipeline: pipelinePath, ...common });
const pipelineEntry = <K extends string>(kind: K) =>
  z.strictObject({
    kind: z.literal(kind),
    pipeline: pipelinePath,
    name: z.string().min(1).optional(),
    ...common,
  });

const component = z.discriminatedUnion("kind", [
  taskServer,
  node,
  pipelineRole("pipeline-distributor"),
  pipelineEntry("pipeline-worker"),
  pipelineRole("pipeline-collector"),
  pipelineRole("pipeline-metadata"),
  pipelineRole("service-broker"),
  pipelineEntry("service-worker"),
]);

/** Public keys: Z85 keys, certificate files (NAME.pub) or directories of them. */
const keyList = z.array(z.string().min(1), {
  error: "must be a list of public keys (Z85, NAME.pub files or directories of them)",
});

/** `security:` of the robot: its own key pair, and the operators' public keys. */
const robotSecurity = z.strictObject({
  curve: z.strictObject({
    secretKey: z.string({ error: "must be the path of this robot's secret key (NAME.key)" })
      .min(1).describe("the robot's key pair: its control endpoint and gateway serve CURVE"),
    operators: keyList.optional().describe("public keys allowed every control request"),
  }, { error: "must be a mapping: secretKey, operators" }),
}, { error: "must be a mapping: curve" });

/** A peer's control endpoint: tcp. */
const peerControl = endpoint.refine(
  (e) => e.startsWith("tcp://"),
  "a peer's control endpoint is tcp://host:port",
);

/** A peer with its key: where its control endpoint is, and its public key. */
const peerWithKey = z.strictObject({
  control: peerControl,
  serverKey: z.string({ error: "must be the peer's public key (Z85 or NAME.pub)" }).min(1),
}, { error: "must be a mapping: control, serverKey" });

/** The status page with a login. */
const statusWithLogin = z.strictObject({
  listen: statusAddress,
  users: z.string().min(1).optional()
    .describe("a file of name=password lines: HTTP basic auth"),
  tokenFile: z.string().min(1).optional()
    .describe("a file holding a token: `Authorization: Bearer TOKEN`"),
}, { error: "must be a mapping: listen, users, tokenFile" });

/**
 * The robot YAML file, as written.
 *
 * @example
 * ```ts
 * import { robotFileSchema } from "./schema.ts";
 * robotFileSchema.parse({ robot: "r", components: { n: { kind: "node", module: "./n.ts" } } });
 * ```
 */
export const robotFileSchema = z.strictObject({
  robot: z.string({ error: "must be the robot's name" }).regex(
    ROBOT_NAME,
    "must be a name: letters, digits, - or _ (it names files and the systemd unit)",
  ),
  insecure: z.boolean({ error: "must be true or false" }).optional()
    .describe("allow unauthenticated control, gateway and status page beyond loopback"),
  isolation: z.enum(ISOLATIONS, { error: "must be host, process or worker" }).optional()
    .describe("the components' default isolation (default host: one shared host process)"),
  sharedHost: z.strictObject({
    memoryMb: z.int({ error: "must be an integer number of megabytes" }).min(16),
  }, { error: "must be a mapping: memoryMb" }).optional()
    .describe("the shared host's heap bound: over it, its components restart (the largest named)"),
  security: robotSecurity.optional(),
  control: endpoint.optional(),
  logs: endpoint.optional(),
  status: z.union([statusAddress, statusWithLogin], {
    error: "must be HOST:PORT, or { listen: HOST:PORT, users: FILE, tokenFile: FILE }",
  }).optional(),
  foxglove: hostPort("127.0.0.1:8765").optional()
    .describe("serve Foxglove's WebSocket protocol here (loopback unless insecure: true)"),
  operator: z.strictObject({
    publishes: publishesField.optional()
      .describe("topics an operator may publish: Foxglove, zedge topic pub, zedge robot play"),
  }, { error: "must be a mapping: publishes" }).optional(),
  dataflow: z.strictObject({
    transport: z.enum(["inproc", "ipc", "tcp"]).optional(),
    dir: z.string().regex(/^\//, "must be an absolute directory").optional(),
    host: z.string().min(1).optional(),
    basePort: z.int({ error: "must be a port number" }).min(1).max(65535).optional(),
  }, { error: "must be a mapping: transport (inproc, ipc, tcp), dir, host, basePort" })
    .optional(),
  gateway: z.strictObject({
    topics: endpoint.optional(),
    services: endpoint.optional(),
    export: z.strictObject({
      topics: z.array(topicName, { error: "must be a list of topics" }).optional(),
      services: z.array(serviceName, { error: "must be a list of services" }).optional(),
    }, { error: "must be a mapping: topics, services (what other robots may use)" }).optional()
      .describe("what the gateway offers (default: nothing)"),
    allow: keyList.optional().describe("more client keys let into the gateway (fleet tools)"),
  }, { error: "must be a mapping: topics, services, export, allow" }).optional(),
  peers: z.record(
    z.string().regex(ROBOT_NAME, "a peer is named like a robot: letters, digits, - or _"),
    z.union([peerControl, peerWithKey], {
      error: "must be the peer's control endpoint, or { control: ENDPOINT, serverKey: KEY }",
    }),
    { error: "must map other robots' names to their control endpoints" },
  ).optional(),
  components: z.record(
    z.string().regex(NAME, "component names start with a letter, then letters, digits, - or _"),
    component,
    { error: "must map component names to their settings" },
  ).refine((c) => Object.keys(c).length > 0, "must name at least one component"),
});

/**
 * The robot YAML file as written (before references are resolved).
 *
 * @example
 * ```ts
 * import type { RobotFile } from "./schema.ts";
 * const file: RobotFile = { robot: "r", components: {} };
 * ```
 */
export type RobotFile = z.output<typeof robotFileSchema>;

/**
 * One component as written.
 *
 * @example
 * ```ts
 * import type { ComponentFile } from "./schema.ts";
 * const c: ComponentFile = { kind: "node", module: "./n.ts" };
 * ```
 */
export type ComponentFile = z.output<typeof component>;

/**
 * The robot YAML's JSON Schema (draft 2020-12), for editors
 * (`# yaml-language-server: $schema=…`).
 *
 * @example
 * ```ts
 * import { robotJsonSchema } from "./schema.ts";
 * console.log(JSON.stringify(robotJsonSchema()).length > 0);
 * ```
 */
export function robotJsonSchema(): Record<string, unknown> {
  return {
    title: "zedge robot",
    ...z.toJSONSchema(robotFileSchema, { io: "input", unrepresentable: "any" }),
  } as Record<string, unknown>;
}
