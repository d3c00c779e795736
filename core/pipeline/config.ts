/**
 * The pipeline's YAML configuration: endpoints, task types with their items
 * and dependencies, worker and service handler modules, threads, timeouts,
 * retries and the journal. Validation collects every problem and reports
 * each as `file:line: field: what is wrong`. Relative paths resolve against
 * the configuration file's directory. Values may refer to the environment:
 * `${NAME}`, `${NAME:-default}` (see `core/config/env_refs.ts`).
 *
 * @example
 * ```ts
 * import { parsePipelineConfig } from "./config.ts";
 * const config = parsePipelineConfig(`
 * endpoints:
 *   workers: tcp://127.0.0.1:5570
 *   acks: tcp://127.0.0.1:5571
 *   results: tcp://127.0.0.1:5572
 * tasks:
 *   square: { count: 10 }
 * workers:
 *   - handlers: ./handlers.ts
 * `, "/etc/zedge/pipeline.yaml");
 * console.log(config.tasks[0].type); // "square"
 * ```
 * @module
 */
import { namesKey } from "../security/certificates.ts";
import type { EndpointCurve } from "./endpoint_security.ts";
import { fileURLToPath } from "node:url";
import {
  ConfigFileError,
  validateDocument,
  YamlDocument,
  type YamlPath,
} from "../config/yaml_schema.ts";
import { expandEnvReferences } from "../config/env_refs.ts";
import { checkDependencies, DependencyError } from "./graph.ts";
import { type PipelineFile, pipelineFileSchema } from "./schema.ts";

/**
 * Every problem of a pipeline configuration, one `file:line: field: problem`
 * per line; a {@link ConfigFileError} like the robot YAML's.
 *
 * @example
 * ```ts
 * import { PipelineConfigError, parsePipelineConfig } from "./config.ts";
 * try {
 *   parsePipelineConfig("tasks: 3", "p.yaml");
 * } catch (e) {
 *   if (e instanceof PipelineConfigError) console.log(e.problems);
 * }
 * ```
 */
export class PipelineConfigError extends ConfigFileError {
  /** Always `"pipeline-config"`. */
  override readonly code: string = "pipeline-config";
  /** Creates the error from its `file:line: field: problem` strings. */
  constructor(problems: string[]) {
    super(problems);
    this.name = "PipelineConfigError";
  }
}

/**
 * An endpoint as bound by its owner and as connected to by its peers
 * (they differ when binding a wildcard: `tcp://*:5570` vs `tcp://robot1:5570`).
 *
 * @example
 * ```ts
 * import type { EndpointConfig } from "./config.ts";
 * const e: EndpointConfig = { bind: "tcp://*:5570", connect: "tcp://robot1:5570" };
 * ```
 */
export interface EndpointConfig {
  /** Address the owning role binds. */
  bind: string;
  /** Address the other roles connect to. */
  connect: string;
  /** CURVE on this endpoint, paths made absolute (see endpoint_security.ts). */
  curve?: EndpointCurve;
}

/**
 * One task type from the configuration.
 *
 * @example
 * ```ts
 * import type { TaskConfig } from "./config.ts";
 * const t: TaskConfig = {
 *   type: "tiles", line: 7, count: 10, dependsOn: [], timeoutMs: 0, retries: 3,
 *   forwardMetadata: false, runIfParentsFailed: false,
 * };
 * ```
 */
export interface TaskConfig {
  /** Task type. */
  type: string;
  /** Line of the task in the file (for later error messages). */
  line: number;
  /** Items are the integers 0..count-1. */
  count?: number;
  /** Items listed inline. */
  items?: unknown[];
  /** Items from a module export: an iterable, or a function `({ metadata }) => iterable`. */
  source?: { module: string; export: string };
  /** Parent task types. */
  dependsOn: string[];
  /** Per-item time limit in ms (0 = none). */
  timeoutMs: number;
  /** Redeliveries after the first attempt. */
  retries: number;
  /** Forward the metadata to workers. */
  forwardMetadata: boolean;
  /** Run even if a parent had failed items. */
  runIfParentsFailed: boolean;
}

/**
 * One worker entry.
 *
 * @example
 * ```ts
 * import type { WorkerConfig } from "./config.ts";
 * const w: WorkerConfig = { name: "cpu", handlers: "file:///h.ts", threads: 4, prefetch: 1, replicas: 1 };
 * ```
 */
export interface WorkerConfig {
  /** Name (default `worker-<index>`). */
  name: string;
  /** Handler module URL. */
  handlers: string;
  /** Web-Worker threads (0 = run in the worker's own thread). */
  threads: number;
  /** Items held beyond the running ones. */
  prefetch: number;
  /** Task types to ask for (default: all the module exports). */
  types?: string[];
  /** How many of this worker `zedge pipeline run` starts. */
  replicas: number;
  /** Line of the entry in the file (for later error messages). */
  line?: number;
}

/**
 * The broker section.
 *
 * @example
 * ```ts
 * import type { BrokerConfig } from "./config.ts";
 * const b: BrokerConfig = {
 *   frontend: { bind: "tcp://*:5580", connect: "tcp://127.0.0.1:5580" },
 *   backend: { bind: "tcp://*:5581", connect: "tcp://127.0.0.1:5581" },
 * };
 * ```
 */
export interface BrokerConfig {
  /** Client-facing endpoint. */
  frontend: EndpointConfig;
  /** Worker-facing endpoint. */
  backend: EndpointConfig;
  /** Services that exist even with no worker. */
  services?: string[];
  /** Deliveries per request before giving up on dying workers. */
  maxAttempts?: number;
  /** ms a request may wait for a worker. */
  queueTimeoutMs?: number;
}

/**
 * A service worker entry.
 *
 * @example
 * ```ts
 * import type { ServiceConfig } from "./config.ts";
 * const s: ServiceConfig = { name: "planner", handlers: "file:///s.ts", replicas: 1 };
 * ```
 */
export interface ServiceConfig {
  /** Name (default `service-<index>`). */
  name: string;
  /** Handler module URL (one function per service). */
  handlers: string;
  /** Services offered (default: all the module exports). */
  services?: string[];
  /** How many of this service worker `zedge pipeline service --all` starts. */
  replicas: number;
  /** Run the handlers in a Web-Worker thread, so a blocking handler cannot stop heartbeats. */
  inThread?: boolean;
  /** Line of the entry in the file (for later error messages). */
  line?: number;
}

/**
 * A validated pipeline configuration.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * const config = await loadPipelineConfig("examples/pipeline/pipeline.yaml");
 * console.log(config.endpoints.workers.bind);
 * ```
 */
export interface PipelineConfig {
  /** The file it came from. */
  file: string;
  /** Endpoints; `workers`, `acks` and `results` are required when tasks are configured. */
  endpoints: {
    workers: EndpointConfig;
    acks: EndpointConfig;
    results: EndpointConfig;
    metadata?: EndpointConfig;
  };
  /** Distributor journal path. */
  journal?: string;
  /** Heartbeats. */
  heartbeat: { intervalMs: number; timeoutMs: number };
  /** Redelivery of results reported done but not ACKed. */
  ackTimeoutMs?: number;
  /** Retry delays. */
  retry: { backoffMs?: number; maxBackoffMs?: number };
  /** Workers to wait for before the first item. */
  minWorkers?: number;
  /** Metadata module exporting `getMetadata()`. */
  metadata?: { module: string };
  /** Task types in file order. */
  tasks: TaskConfig[];
  /** Worker entries. */
  workers: WorkerConfig[];
  /** Collector module (exports `onResult` / `onFinished`) and journal. */
  collector: { module?: string; journal?: string };
  /** Broker, when services are used. */
  broker?: BrokerConfig;
  /** Service worker entries. */
  services: ServiceConfig[];
  /**
   * Largest message every role accepts from a peer, in bytes (-1 = no
   * limit); unset means each role's default of 64 MiB.
   */
  maxMessageSize?: number;
  /** What the `zedge pipeline` commands log (`file` made absolute). */
  logging?: PipelineLogging;
}

/**
 * The `logging` section: a level for every category, levels per category
 * (dotted: `zedge.pipeline.worker`, or a handler's own), a log file.
 *
 * @example
 * ```ts
 * import type { PipelineLogging } from "./config.ts";
 * const l: PipelineLogging = { level: "info", categories: { "zedge.zmtp": "error" }, file: "/var/log/p.log" };
 * ```
 */
export interface PipelineLogging {
  /** Lowest level for every category. */
  level?: "trace" | "debug" | "info" | "warning" | "error" | "fatal";
  /** Levels by dotted category. */
  categories?: Record<string, "trace" | "debug" | "info" | "warning" | "error" | "fatal">;
  /** Absolute path of the log file. */
  file?: string;
}

/**
 * Options of {@link parsePipelineConfig} and {@link loadPipelineConfig}.
 *
 * @example
 * ```ts
 * import type { PipelineConfigOptions } from "./config.ts";
 * const options: PipelineConfigOptions = { checkModuleFiles: true };
 * ```
 */
export interface PipelineConfigOptions {
  /**
   * Report module and source files (`file:` URLs) that do not exist.
   * {@link loadPipelineConfig} does by default; {@link parsePipelineConfig}
   * does not (its text may describe files on another machine).
   */
  checkModuleFiles?: boolean;
}

/**
 * Reads and validates a configuration file, including that the module files
 * it names exist (unless `checkModuleFiles: false`).
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * const config = await loadPipelineConfig("./pipeline.yaml");
 * ```
 */
export async function loadPipelineConfig(
  path: string,
  options: PipelineConfigOptions = {},
): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new PipelineConfigError([
      `${path}: cannot read: ${error instanceof Error ? error.message : error}`,
    ]);
  }
  return parsePipelineConfig(text, path, { checkModuleFiles: true, ...options });
}

/**
 * Validates configuration text; `file` names it in errors and anchors
 * relative paths. Throws {@link PipelineConfigError} with every problem, in
 * line order.
 *
 * @example
 * ```ts
 * import { parsePipelineConfig } from "./config.ts";
 * parsePipelineConfig("broker: { frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2 }", "b.yaml");
 * ```
 */
export function parsePipelineConfig(
  text: string,
  file: string,
  options: PipelineConfigOptions = {},
): PipelineConfig {
  const doc = new YamlDocument(text, file);
  expandEnvReferences(doc);
  const parsed = validateDocument(pipelineFileSchema, doc);
  if (doc.value !== undefined) checkAcrossFields(doc, doc.value);
  if (doc.value !== undefined && options.checkModuleFiles) checkModuleFiles(doc, doc.value);
  const config = parsed === undefined || doc.problems.length > 0
    ? undefined
    : resolveConfig(parsed, doc);
  if (config === undefined || doc.problems.length > 0) {
    throw new PipelineConfigError(doc.sortedProblems);
  }
  return config;
}

type Raw = Record<string, unknown>;

function asRecord(value: unknown): Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Raw : {};
}

const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/**
 * The checks that span fields, run on the file as written so they are
 * reported together with the schema's problems, not after them.
 */
function checkAcrossFields(doc: YamlDocument, value: unknown): void {
  // Not a mapping: the schema said so, and there is nothing else to check.
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  const root = value as Raw;
  const tasks = asRecord(root.tasks);
  const types = new Set(Object.keys(tasks));
  const hasBroker = root.broker !== undefined;
  const hasServices = Array.isArray(root.services) && root.services.length > 0;
  if (root.endpoints === undefined && (types.size > 0 || root.workers !== undefined)) {
    doc.problem(["endpoints"], "is required for tasks and workers");
  }
  if (types.size === 0 && !hasBroker && !hasServices) {
    doc.problem([], "configures nothing: add 'tasks' or 'broker'");
  }
  if (root.services !== undefined && !hasBroker) {
    doc.problem(["services"], "need a 'broker' section");
  }
  const before = doc.problems.length;
  for (const [type, settings] of Object.entries(tasks)) {
    const at = ["tasks", type, "dependsOn"];
    for (const parent of names(asRecord(settings).dependsOn)) {
      if (parent === type) doc.problem(at, `task type '${type}' depends on itself`);
      else if (!types.has(parent)) doc.problem(at, `unknown task type '${parent}'`);
    }
  }
  if (doc.problems.length === before) checkCycles(doc, tasks);
  const workers = Array.isArray(root.workers) ? root.workers : [];
  workers.forEach((entry, i) => {
    for (const type of names(asRecord(entry).types)) {
      if (!types.has(type)) doc.problem(["workers", i, "types"], `unknown task type '${type}'`);
    }
  });
  checkNamesUnique(doc, "workers", workers, "worker");
  checkNamesUnique(doc, "services", Array.isArray(root.services) ? root.services : [], "service");
}

function checkCycles(doc: YamlDocument, tasks: Raw): void {
  const graph = Object.entries(tasks).map(([type, settings]) => ({
    type,
    dependsOn: names(asRecord(settings).dependsOn),
  }));
  try {
    checkDependencies(graph);
  } catch (error) {
    if (!(error instanceof DependencyError)) throw error;
    // The cycle is reported at its first task, where a reader starts following it.
    const first = /cycle: ([^ ]+)/.exec(error.message)?.[1];
    const at: YamlPath = first !== undefined && first in tasks ? ["tasks", first] : ["tasks"];
    doc.problems.push(`${doc.file}:${doc.lineOf(at, { key: true })}: tasks: ${error.message}`);
  }
}

/** Entries named by default `PREFIX-INDEX`, like {@link resolveConfig} names them. */
function checkNamesUnique(doc: YamlDocument, key: string, entries: unknown[], prefix: string) {
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const name = asRecord(entry).name;
    const resolved = typeof name === "string" ? name : `${prefix}-${i}`;
    if (seen.has(resolved)) doc.problem([key, i, "name"], `'${resolved}' is used twice`);
    seen.add(resolved);
  });
}

/** What `tcp://*:P` and `tcp://0.0.0.0:P` are connected to on this machine. */
function connectAddress(bind: string): string {
  return bind.replace("tcp://*:", "tcp://127.0.0.1:").replace("tcp://0.0.0.0:", "tcp://127.0.0.1:");
}

type EndpointFile = NonNullable<PipelineFile["broker"]>["frontend"];

function resolveEndpoint(
  endpoint: EndpointFile,
  filePath: (path: string) => string,
): EndpointConfig {
  if (typeof endpoint === "string") return { bind: endpoint, connect: connectAddress(endpoint) };
  // The schema refuses a mapping without `bind`.
  const bind = endpoint.bind!;
  const resolved: EndpointConfig = { bind, connect: endpoint.connect ?? connectAddress(bind) };
  const curve = endpoint.curve;
  if (curve !== undefined) {
    const keyOrPath = (value: string) => namesKey(value, filePath(value)) ? value : filePath(value);
    resolved.curve = {
      secretKey: curve.secretKey === undefined ? undefined : filePath(curve.secretKey),
      serverKey: curve.serverKey === undefined ? undefined : keyOrPath(curve.serverKey),
      clientKey: curve.clientKey === undefined ? undefined : filePath(curve.clientKey),
      allow: curve.allow?.map(keyOrPath),
    };
  }
  return resolved;
}

/** Resolves the file's relative paths against its directory. */
function pathResolvers(file: string) {
  const absolute = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  const dir = new URL(".", `file://${absolute}`);
  return {
    /** A module's URL: URLs stay as they are, paths resolve to `file:` URLs. */
    moduleUrl: (path: string) => /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : new URL(path, dir).href,
    /** A data file's absolute path. */
    filePath: (path: string) =>
      path.startsWith("/") ? path : decodeURIComponent(new URL(path, dir).pathname),
  };
}

/** Paths and defaults that depend on the file's location or on other fields. */
function resolveConfig(file: PipelineFile, doc: YamlDocument): PipelineConfig {
  const { moduleUrl, filePath } = pathResolvers(doc.file);
  const none = { bind: "", connect: "" };
  const intervalMs = file.heartbeat?.intervalMs ?? 1000;
  return {
    file: doc.file,
    endpoints: file.endpoints
      ? {
        workers: resolveEndpoint(file.endpoints.workers, filePath),
        acks: resolveEndpoint(file.endpoints.acks, filePath),
        results: resolveEndpoint(file.endpoints.results, filePath),
        metadata: file.endpoints.metadata === undefined
          ? undefined
          : resolveEndpoint(file.endpoints.metadata, filePath),
      }
      : { workers: none, acks: none, results: none },
    journal: file.journal === undefined ? undefined : filePath(file.journal),
    heartbeat: { intervalMs, timeoutMs: file.heartbeat?.timeoutMs ?? intervalMs * 3 },
    ackTimeoutMs: file.ackTimeoutMs,
    retry: { ...file.retry },
    minWorkers: file.minWorkers,
    maxMessageSize: file.maxMessageSize,
    logging: file.logging && {
      ...file.logging,
      file: file.logging.file === undefined ? undefined : filePath(file.logging.file),
    },
    metadata: file.metadata && { module: moduleUrl(file.metadata.module) },
    tasks: Object.entries(file.tasks ?? {}).map(([type, task]) => ({
      type,
      line: doc.lineOf(["tasks", type], { key: true }),
      count: task.count,
      items: task.items,
      source: task.source === undefined
        ? undefined
        : { module: moduleUrl(task.source), export: task.export ?? type },
      dependsOn: task.dependsOn,
      timeoutMs: task.timeoutMs,
      retries: task.retries,
      forwardMetadata: task.forwardMetadata,
      runIfParentsFailed: task.runIfParentsFailed,
    })),
    workers: (file.workers ?? []).map((worker, i) => ({
      name: worker.name ?? `worker-${i}`,
      handlers: moduleUrl(worker.handlers),
      threads: worker.threads,
      prefetch: worker.prefetch,
      types: worker.types,
      replicas: worker.replicas,
      line: doc.lineOf(["workers", i]),
    })),
    collector: {
      module: file.collector?.module === undefined ? undefined : moduleUrl(file.collector.module),
      journal: file.collector?.journal === undefined ? undefined : filePath(file.collector.journal),
    },
    broker: file.broker && {
      frontend: resolveEndpoint(file.broker.frontend, filePath),
      backend: resolveEndpoint(file.broker.backend, filePath),
      services: file.broker.services,
      maxAttempts: file.broker.maxAttempts,
      queueTimeoutMs: file.broker.queueTimeoutMs,
    },
    services: (file.services ?? []).map((entry, i) => ({
      name: entry.name ?? `service-${i}`,
      handlers: moduleUrl(entry.handlers),
      services: entry.services,
      replicas: entry.replicas,
      inThread: entry.inThread,
      line: doc.lineOf(["services", i]),
    })),
  };
}

/**
 * Every `file:` module the file names that is missing, at the line naming
 * it; read from the file as written, so it comes with any other problem.
 */
function checkModuleFiles(doc: YamlDocument, value: unknown): void {
  const root = asRecord(value);
  const { moduleUrl } = pathResolvers(doc.file);
  const modules: [YamlPath, unknown][] = [
    [["metadata", "module"], asRecord(root.metadata).module],
    [["collector", "module"], asRecord(root.collector).module],
    ...Object.entries(asRecord(root.tasks)).map((
      [type, task],
    ): [YamlPath, unknown] => [["tasks", type, "source"], asRecord(task).source]),
    ...(Array.isArray(root.workers) ? root.workers : []).map((
      worker,
      i,
    ): [YamlPath, unknown] => [["workers", i, "handlers"], asRecord(worker).handlers]),
    ...(Array.isArray(root.services) ? root.services : []).map((
      service,
      i,
    ): [YamlPath, unknown] => [["services", i, "handlers"], asRecord(service).handlers]),
  ];
  for (const [path, module] of modules) {
    if (typeof module !== "string" || module === "") continue;
    const url = moduleUrl(module);
    if (!url.startsWith("file:")) continue;
    const problem = moduleFileProblem(fileURLToPath(url));
    if (problem !== undefined) doc.problem(path, problem);
  }
}

function moduleFileProblem(path: string): string | undefined {
  try {
    return Deno.statSync(path).isFile ? undefined : `${path} is not a file`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return `file not found: ${path}`;
    return `cannot read ${path}: ${error instanceof Error ? error.message : error}`;
  }
}
