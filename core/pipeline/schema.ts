/**
 * The schema of the pipeline YAML: endpoints, task types, workers, the
 * collector, the broker and service workers. This zod schema is the one
 * description of the file's keys: it validates the file (with `file:line`
 * problems, see `core/config/yaml_schema.ts`), types the result and exports
 * a JSON Schema (`zedge pipeline schema`) for editors.
 *
 * Checks that need more than one field (dependencies between task types,
 * worker names used twice, module files that must exist) live in
 * `config.ts`.
 *
 * @example
 * ```ts
 * import { pipelineFileSchema } from "./schema.ts";
 * const parsed = pipelineFileSchema.safeParse({ broker: { frontend: "tcp://*:5580", backend: "tcp://*:5581" } });
 * console.log(parsed.success); // true
 * ```
 * @module
 */
import { z } from "zod";
import { parseEndpoint } from "../transport/endpoint.ts";

const ENDPOINT_FORMS = "tcp://host:port, ipc:///absolute/path or inproc://name";

/** Why `value` is no endpoint a pipeline role can bind or connect, or undefined when it is one. */
function endpointProblem(value: string): string | undefined {
  try {
    const parsed = parseEndpoint(value);
    if (parsed.transport === "ipc" && !parsed.path.startsWith("/")) {
      return "an ipc path must be absolute";
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const endpointString = z.string({ error: `must be an endpoint (${ENDPOINT_FORMS})` })
  .superRefine((value, ctx) => {
    const why = endpointProblem(value);
    if (why !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `'${value}' is not an endpoint (${ENDPOINT_FORMS}): ${why}`,
      });
    }
  });

/**
 * The mapping form. `bind` is checked by a refinement rather than by being
 * required: a missing required key would fail both forms of the union and
 * hide behind one vague message, while a refinement's issue is reported as
 * it is.
 */
const keyFile = z.string({ error: "must be the path of a certificate file" }).min(1);

/** CURVE on one endpoint (see core/pipeline/endpoint_security.ts for who uses what). */
const endpointCurve = z.strictObject({
  secretKey: keyFile.optional().describe("the binding role's secret certificate (NAME.key)"),
  serverKey: z.string({ error: "must be a Z85 key or the path of a certificate file" }).min(1)
    .optional().describe(
      "what connecting roles check the server against (Z85 or NAME.pub; default: secretKey's)",
    ),
  clientKey: keyFile.optional().describe("the connecting roles' own secret certificate"),
  allow: z.array(z.string().min(1), { error: "must be a list of keys, files or directories" })
    .optional().describe("the only clients the binding role lets in (default: any)"),
}).superRefine((value, ctx) => {
  if (value.secretKey === undefined && value.serverKey === undefined) {
    ctx.addIssue({ code: "custom", message: "needs secretKey (the server's) or serverKey" });
  }
});

const endpointPair = z.strictObject({
  bind: endpointString.optional().describe("what the owning role binds (tcp://*:5570)"),
  connect: endpointString.optional().describe(
    "what the other roles connect to (default: bind, with * or 0.0.0.0 as 127.0.0.1)",
  ),
  curve: endpointCurve.optional().describe("CURVE on this endpoint"),
}).superRefine((value, ctx) => {
  if (value.bind === undefined) {
    ctx.addIssue({ code: "custom", path: ["bind"], message: "is required" });
  }
});

/** An endpoint, or its owner's `bind` and its peers' `connect` when they differ. */
const endpoint = z.union([endpointString, endpointPair], {
  error: "must be an endpoint, or a mapping with 'bind' and optionally 'connect'",
});

const text = (what: string) => z.string({ error: `must be ${what}` }).min(1);
const modulePath = text("the path or URL of a TypeScript module");
const filePath = text("a file path");
const nameList = (what: string) => z.array(text(what), { error: `must be a list of ${what}s` });
/** An integer of at least `min`; only the type message is ours, so a range error says `must be ≥ N`. */
const int = (min: number) =>
  z.int({ error: (issue) => issue.code === "invalid_type" ? "must be an integer" : undefined })
    .min(min);
const flag = z.boolean({ error: "must be true or false" });

const BYTE_LIMIT = "must be a positive number of bytes, or -1 for no limit";

const task = z.strictObject({
  count: int(0).optional().describe("items are the integers 0..count-1"),
  items: z.array(z.unknown(), { error: "must be a list" }).optional().describe(
    "items listed inline",
  ),
  source: modulePath.optional().describe(
    "module whose export (named like the task type, or `export`) gives the items",
  ),
  export: text("the name of an export").optional().describe("the export of `source` to use"),
  dependsOn: nameList("task type").default([]).describe(
    "task types whose items must all be done first",
  ),
  timeoutMs: int(0).default(0).describe("per-item time limit (0 = none)"),
  retries: int(0).default(3).describe("redeliveries after the first attempt"),
  forwardMetadata: flag.default(false).describe("hand the metadata to the handlers"),
  runIfParentsFailed: flag.default(false).describe("run even if a parent had failed items"),
}).superRefine((value, ctx) => {
  const given = ["count", "items", "source"].filter((key) => key in value);
  if (given.length !== 1) {
    ctx.addIssue({ code: "custom", message: "needs exactly one of 'count', 'items' or 'source'" });
  }
  if ("export" in value && !("source" in value)) {
    ctx.addIssue({ code: "custom", path: ["export"], message: "only applies with 'source'" });
  }
});

const worker = z.strictObject({
  name: text("a name").optional().describe("default worker-INDEX"),
  handlers: modulePath.describe("module exporting one handler per task type"),
  threads: int(0).default(0).describe(
    "Web-Worker threads (0 = run in the worker's own thread)",
  ),
  prefetch: int(0).default(1).describe("items held beyond the running ones"),
  types: nameList("task type").optional().describe(
    "task types to ask for (default: every type the module exports)",
  ),
  replicas: int(0).default(1).describe("how many `zedge pipeline run` starts"),
});

const service = z.strictObject({
  name: text("a name").optional().describe("default service-INDEX"),
  handlers: modulePath.describe("module exporting one function per service"),
  services: nameList("service").optional().describe(
    "services offered (default: every export of the module)",
  ),
  replicas: int(0).default(1).describe(
    "how many `zedge pipeline service --all` starts",
  ),
  inThread: flag.optional().describe(
    "run the handlers in a Web-Worker thread, so a blocking handler cannot stop heartbeats",
  ),
});

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
const logLevel = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` });

/** What the `zedge pipeline` commands log, and where (the seed's logging configuration). */
const logging = z.strictObject({
  level: logLevel.optional().describe(
    "the lowest level logged for every category (default warning; --log-level wins)",
  ),
  categories: z.record(
    z.string().regex(
      /^[\w-]+(\.[\w-]+)*$/,
      "must be a dotted category such as zedge.pipeline.worker",
    ),
    logLevel,
    { error: "must map categories (zedge.pipeline.distributor, tiles, …) to levels" },
  ).optional().describe(
    "levels per category and below it: zedge.pipeline.distributor, zedge.pipeline.worker, " +
      "zedge.zmtp, or a handler's own (getLogger(['tiles']))",
  ),
  file: filePath.optional().describe(
    "also append every record logged to this file, one per line with its time (relative to " +
      "this file)",
  ),
});

/**
 * The pipeline YAML file, as written.
 *
 * @example
 * ```ts
 * import { pipelineFileSchema } from "./schema.ts";
 * const file = pipelineFileSchema.parse({
 *   endpoints: { workers: "tcp://*:5570", acks: "tcp://*:5571", results: "tcp://*:5572" },
 *   tasks: { square: { count: 10 } },
 *   workers: [{ handlers: "./handlers.ts" }],
 * });
 * console.log(file.tasks?.square.retries); // 3
 * ```
 */
export const pipelineFileSchema = z.strictObject({
  endpoints: z.strictObject({
    workers: endpoint.describe("the distributor binds it, workers connect"),
    acks: endpoint.describe("the distributor binds it, the collector connects"),
    results: endpoint.describe("the collector binds it, workers connect"),
    metadata: endpoint.optional().describe("the metadata provider binds it"),
  }).optional().describe("required when tasks or workers are configured"),
  journal: filePath.optional().describe("the distributor's journal (resumes a run after a crash)"),
  heartbeat: z.strictObject({
    intervalMs: int(1).optional().describe("default 1000"),
    timeoutMs: int(1).optional().describe("default 3 × intervalMs"),
  }).optional(),
  ackTimeoutMs: int(1).optional().describe(
    "redeliver a result reported done but not ACKed after this long",
  ),
  retry: z.strictObject({
    backoffMs: int(1).optional(),
    maxBackoffMs: int(1).optional(),
  }).optional(),
  minWorkers: int(0).optional().describe("workers to wait for before the first item"),
  metadata: z.strictObject({
    module: modulePath.describe("module exporting getMetadata()"),
  }).optional(),
  tasks: z.record(
    text("a task type"),
    task,
    { error: "must be a mapping of task type to its settings" },
  ).optional(),
  workers: z.array(worker, { error: "must be a list" }).optional(),
  collector: z.strictObject({
    module: modulePath.optional().describe("module exporting onResult / onFinished"),
    journal: filePath.optional().describe("the collector's journal (de-duplicates results)"),
  }).optional(),
  broker: z.strictObject({
    frontend: endpoint.describe("clients connect here"),
    backend: endpoint.describe("service workers connect here"),
    services: nameList("service").optional().describe("services that exist even with no worker"),
    maxAttempts: int(1).optional().describe("deliveries per request"),
    queueTimeoutMs: int(1).optional().describe(
      "how long a request may wait for a worker",
    ),
  }).optional(),
  services: z.array(service, { error: "must be a list" }).optional(),
  maxMessageSize: z.number({ error: BYTE_LIMIT })
    .refine((v) => Number.isSafeInteger(v) && (v >= 1 || v === -1), BYTE_LIMIT)
    .optional()
    .describe("largest message every role accepts, in bytes (default 64 MiB; -1 = no limit)"),
  logging: logging.optional().describe(
    "what the zedge pipeline commands log and where (a robot's components log to the supervisor)",
  ),
});

/**
 * The pipeline YAML file as validated by {@link pipelineFileSchema}, before
 * paths and defaults that depend on other fields are resolved.
 *
 * @example
 * ```ts
 * import type { PipelineFile } from "./schema.ts";
 * const file: PipelineFile = { broker: { frontend: "tcp://*:1", backend: "tcp://*:2" } };
 * ```
 */
export type PipelineFile = z.output<typeof pipelineFileSchema>;

/**
 * The pipeline YAML's JSON Schema (draft 2020-12), for editors
 * (`# yaml-language-server: $schema=…`).
 *
 * @example
 * ```ts
 * import { pipelineJsonSchema } from "./schema.ts";
 * console.log(Object.keys(pipelineJsonSchema().properties as object));
 * ```
 */
export function pipelineJsonSchema(): Record<string, unknown> {
  return {
    title: "zedge pipeline",
    ...z.toJSONSchema(pipelineFileSchema, {
      io: "input",
      unrepresentable: "any",
      override: (ctx) => {
        if (ctx.zodSchema === endpointPair) ctx.jsonSchema.required = ["bind"];
      },
    }),
  } as Record<string, unknown>;
}
