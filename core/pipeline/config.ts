/**
 * The pipeline's YAML configuration: endpoints, task types with their items
 * and dependencies, worker and service handler modules, threads, timeouts,
 * retries and the journal. Validation collects every problem and reports
 * each as `file:line: field: what is wrong`. Relative paths resolve against
 * the configuration file's directory.
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
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { EndpointError, parseEndpoint } from "../transport/endpoint.ts";
import { checkDependencies, DependencyError } from "./graph.ts";

/**
 * A configuration problem; `message` lists every error, one per line.
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
export class PipelineConfigError extends Error {
  /** One `file:line: field: problem` string per error. */
  readonly problems: string[];
  /** Creates the error from its `file:line: field: problem` strings. */
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "PipelineConfigError";
    this.problems = problems;
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
}

/**
 * Reads and validates a configuration file.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * const config = await loadPipelineConfig("./pipeline.yaml");
 * ```
 */
export async function loadPipelineConfig(path: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new PipelineConfigError([
      `${path}: cannot read: ${error instanceof Error ? error.message : error}`,
    ]);
  }
  return parsePipelineConfig(text, path);
}

/**
 * Validates configuration text; `file` names it in errors and anchors
 * relative paths.
 *
 * @example
 * ```ts
 * import { parsePipelineConfig } from "./config.ts";
 * parsePipelineConfig("broker: { frontend: tcp://127.0.0.1:1, backend: tcp://127.0.0.1:2 }", "b.yaml");
 * ```
 */
export function parsePipelineConfig(text: string, file: string): PipelineConfig {
  const v = new Validator(text, file);
  const config = v.config();
  if (v.problems.length > 0) {
    // In file order, so the first line printed is the first problem in the file.
    const line = (p: string) => Number(/:(\d+):/.exec(p)?.[1] ?? 0);
    throw new PipelineConfigError([...v.problems].sort((a, b) => line(a) - line(b)));
  }
  return config!;
}

/** Walks the YAML tree, collecting problems with line numbers. */
class Validator {
  readonly problems: string[] = [];
  readonly #file: string;
  readonly #lines = new LineCounter();
  readonly #root: Node | null;
  readonly #dir: URL;

  constructor(text: string, file: string) {
    this.#file = file;
    const absolute = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
    this.#dir = new URL(".", `file://${absolute}`);
    const doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false });
    for (const error of doc.errors) {
      const line = this.#lines.linePos(error.pos[0]).line;
      this.problems.push(`${file}:${line}: YAML syntax: ${error.message.split("\n")[0]}`);
    }
    this.#root = doc.errors.length > 0 ? null : (doc.contents as Node | null);
  }

  #line(node: Node | null | undefined): number {
    const offset = node?.range?.[0] ?? 0;
    return this.#lines.linePos(offset).line;
  }

  #error(node: Node | null | undefined, field: string, message: string): undefined {
    this.problems.push(`${this.#file}:${this.#line(node)}: ${field}: ${message}`);
    return undefined;
  }

  /** The fields of a mapping; unknown keys are errors. */
  #map(node: Node | null | undefined, field: string, allowed: readonly string[]) {
    const fields = new Map<string, { key: Node; value: Node | null }>();
    if (!isMap(node)) {
      this.#error(node, field, "must be a mapping");
      return null;
    }
    for (const pair of node.items) {
      const key = pair.key as Node;
      const name = isScalar(key) ? String(key.value) : "";
      if (!allowed.includes(name)) {
        this.#error(
          key,
          `${field}.${name}`,
          `unknown field (expected one of: ${allowed.join(", ")})`,
        );
        continue;
      }
      fields.set(name, { key, value: (pair.value as Node | null) ?? null });
    }
    return fields;
  }

  #str(node: Node | null, field: string): string | undefined {
    if (!isScalar(node) || typeof node.value !== "string" || node.value.length === 0) {
      return this.#error(node, field, "must be a non-empty string");
    }
    return node.value;
  }

  #int(node: Node | null, field: string, min: number): number | undefined {
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isInteger(node.value)) {
      return this.#error(node, field, "must be an integer");
    }
    if (node.value < min) return this.#error(node, field, `must be ≥ ${min}`);
    return node.value;
  }

  /** A size in bytes: a positive integer, or -1 for no limit. */
  #byteLimit(node: Node | null, field: string): number | undefined {
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === "number" && Number.isSafeInteger(value) && (value >= 1 || value === -1)) {
      return value;
    }
    return this.#error(node, field, "must be a positive number of bytes, or -1 for no limit");
  }

  #bool(node: Node | null, field: string): boolean | undefined {
    if (!isScalar(node) || typeof node.value !== "boolean") {
      return this.#error(node, field, "must be true or false");
    }
    return node.value;
  }

  #strList(node: Node | null, field: string): string[] | undefined {
    if (!isSeq(node)) return this.#error(node, field, "must be a list of strings");
    const out: string[] = [];
    node.items.forEach((item, i) => {
      const s = this.#str(item as Node, `${field}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  #endpoint(node: Node | null, field: string): EndpointConfig | undefined {
    const check = (n: Node | null, f: string): string | undefined => {
      const s = this.#str(n, f);
      if (s === undefined) return undefined;
      // The transport's own parser, so config and sockets agree on what is valid.
      let why: string | undefined;
      try {
        const parsed = parseEndpoint(s);
        if (parsed.transport === "ipc" && !parsed.path.startsWith("/")) {
          why = "an ipc path must be absolute";
        }
      } catch (error) {
        why = error instanceof EndpointError ? error.message : String(error);
      }
      if (why !== undefined) {
        return this.#error(
          n,
          f,
          `'${s}' is not an endpoint (tcp://host:port, ipc:///absolute/path or inproc://name): ${why}`,
        );
      }
      return s;
    };
    if (isMap(node)) {
      const f = this.#map(node, field, ["bind", "connect"]);
      if (f === null) return undefined;
      const bind = f.has("bind") ? check(f.get("bind")!.value, `${field}.bind`) : undefined;
      if (!f.has("bind")) this.#error(node, field, "needs 'bind'");
      const connect = f.has("connect")
        ? check(f.get("connect")!.value, `${field}.connect`)
        : bind?.replace("tcp://*:", "tcp://127.0.0.1:").replace(
          "tcp://0.0.0.0:",
          "tcp://127.0.0.1:",
        );
      return bind !== undefined && connect !== undefined ? { bind, connect } : undefined;
    }
    const s = check(node, field);
    if (s === undefined) return undefined;
    return {
      bind: s,
      connect: s.replace("tcp://*:", "tcp://127.0.0.1:").replace(
        "tcp://0.0.0.0:",
        "tcp://127.0.0.1:",
      ),
    };
  }

  #path(node: Node | null, field: string): string | undefined {
    const s = this.#str(node, field);
    if (s === undefined) return undefined;
    if (/^[a-z][a-z0-9+.-]*:/i.test(s)) return s;
    return new URL(s, this.#dir).href;
  }

  #filePath(node: Node | null, field: string): string | undefined {
    const s = this.#str(node, field);
    if (s === undefined) return undefined;
    return s.startsWith("/") ? s : decodeURIComponent(new URL(s, this.#dir).pathname);
  }

  config(): PipelineConfig | undefined {
    if (this.problems.length > 0) return undefined;
    const root = this.#map(this.#root, "(top level)", [
      "endpoints",
      "journal",
      "heartbeat",
      "ackTimeoutMs",
      "retry",
      "minWorkers",
      "metadata",
      "tasks",
      "workers",
      "collector",
      "broker",
      "services",
      "maxMessageSize",
    ]);
    if (root === null) return undefined;
    const get = (name: string) => root.get(name)?.value ?? null;

    const tasks = root.has("tasks") ? this.#tasks(get("tasks")) : [];
    let endpoints: PipelineConfig["endpoints"] | undefined;
    if (root.has("endpoints")) {
      const e = this.#map(get("endpoints"), "endpoints", [
        "workers",
        "acks",
        "results",
        "metadata",
      ]);
      if (e !== null) {
        const need = (name: string) => {
          if (!e.has(name)) {
            return this.#error(root.get("endpoints")!.key, `endpoints.${name}`, "is required");
          }
          return this.#endpoint(e.get(name)!.value, `endpoints.${name}`);
        };
        endpoints = {
          workers: need("workers")!,
          acks: need("acks")!,
          results: need("results")!,
          metadata: e.has("metadata")
            ? this.#endpoint(e.get("metadata")!.value, "endpoints.metadata")
            : undefined,
        };
      }
    } else if (tasks.length > 0 || root.has("workers")) {
      this.#error(this.#root, "endpoints", "is required for tasks and workers");
    }

    const heartbeat = { intervalMs: 1000, timeoutMs: 3000 };
    if (root.has("heartbeat")) {
      const h = this.#map(get("heartbeat"), "heartbeat", ["intervalMs", "timeoutMs"]);
      if (h?.has("intervalMs")) {
        heartbeat.intervalMs = this.#int(h.get("intervalMs")!.value, "heartbeat.intervalMs", 1) ??
          heartbeat.intervalMs;
        heartbeat.timeoutMs = heartbeat.intervalMs * 3;
      }
      if (h?.has("timeoutMs")) {
        heartbeat.timeoutMs = this.#int(h.get("timeoutMs")!.value, "heartbeat.timeoutMs", 1) ??
          heartbeat.timeoutMs;
      }
    }
    const retry: PipelineConfig["retry"] = {};
    if (root.has("retry")) {
      const r = this.#map(get("retry"), "retry", ["backoffMs", "maxBackoffMs"]);
      if (r?.has("backoffMs")) {
        retry.backoffMs = this.#int(r.get("backoffMs")!.value, "retry.backoffMs", 1);
      }
      if (r?.has("maxBackoffMs")) {
        retry.maxBackoffMs = this.#int(r.get("maxBackoffMs")!.value, "retry.maxBackoffMs", 1);
      }
    }
    let metadata: PipelineConfig["metadata"];
    if (root.has("metadata")) {
      const m = this.#map(get("metadata"), "metadata", ["module"]);
      if (m !== null) {
        if (!m.has("module")) this.#error(get("metadata"), "metadata.module", "is required");
        else {
          const module = this.#path(m.get("module")!.value, "metadata.module");
          if (module !== undefined) metadata = { module };
        }
      }
    }
    const collector: PipelineConfig["collector"] = {};
    if (root.has("collector")) {
      const c = this.#map(get("collector"), "collector", ["module", "journal"]);
      if (c?.has("module")) {
        collector.module = this.#path(c.get("module")!.value, "collector.module");
      }
      if (c?.has("journal")) {
        collector.journal = this.#filePath(c.get("journal")!.value, "collector.journal");
      }
    }
    const workers = root.has("workers") ? this.#workers(get("workers"), tasks) : [];
    const broker = root.has("broker") ? this.#broker(get("broker")) : undefined;
    const services = root.has("services") ? this.#services(get("services")) : [];
    if (tasks.length === 0 && broker === undefined && services.length === 0) {
      this.#error(this.#root, "(top level)", "configures nothing: add 'tasks' or 'broker'");
    }
    if (services.length > 0 && broker === undefined) {
      this.#error(get("services"), "services", "need a 'broker' section");
    }
    if (this.problems.length > 0) return undefined;
    return {
      file: this.#file,
      endpoints: endpoints ?? {
        workers: { bind: "", connect: "" },
        acks: { bind: "", connect: "" },
        results: { bind: "", connect: "" },
      },
      journal: root.has("journal") ? this.#filePath(get("journal"), "journal") : undefined,
      heartbeat,
      ackTimeoutMs: root.has("ackTimeoutMs")
        ? this.#int(get("ackTimeoutMs"), "ackTimeoutMs", 1)
        : undefined,
      retry,
      minWorkers: root.has("minWorkers")
        ? this.#int(get("minWorkers"), "minWorkers", 0)
        : undefined,
      maxMessageSize: root.has("maxMessageSize")
        ? this.#byteLimit(get("maxMessageSize"), "maxMessageSize")
        : undefined,
      metadata,
      tasks,
      workers,
      collector,
      broker,
      services,
    };
  }

  #tasks(node: Node | null): TaskConfig[] {
    if (!isMap(node)) {
      this.#error(node, "tasks", "must be a mapping of task type to its settings");
      return [];
    }
    const tasks: TaskConfig[] = [];
    const lines = new Map<string, { line: number; deps: Node | null }>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const type = isScalar(keyNode) ? String(keyNode.value) : "";
      const field = `tasks.${type}`;
      const f = this.#map((pair.value as Node | null) ?? null, field, [
        "count",
        "items",
        "source",
        "export",
        "dependsOn",
        "timeoutMs",
        "retries",
        "forwardMetadata",
        "runIfParentsFailed",
      ]);
      if (f === null) continue;
      const task: TaskConfig = {
        type,
        line: this.#line(keyNode),
        dependsOn: [],
        timeoutMs: 0,
        retries: 3,
        forwardMetadata: false,
        runIfParentsFailed: false,
      };
      const given = ["count", "items", "source"].filter((k) => f.has(k));
      if (given.length !== 1) {
        this.#error(keyNode, field, "needs exactly one of 'count', 'items' or 'source'");
      }
      if (f.has("count")) task.count = this.#int(f.get("count")!.value, `${field}.count`, 0);
      if (f.has("items")) {
        const items = f.get("items")!.value;
        if (!isSeq(items)) this.#error(items, `${field}.items`, "must be a list");
        else task.items = (items.toJSON() as unknown[]) ?? [];
      }
      if (f.has("source")) {
        const module = this.#path(f.get("source")!.value, `${field}.source`);
        const exported = f.has("export")
          ? this.#str(f.get("export")!.value, `${field}.export`)
          : type;
        if (module !== undefined && exported !== undefined) {
          task.source = { module, export: exported };
        }
      } else if (f.has("export")) {
        this.#error(f.get("export")!.key, `${field}.export`, "only applies with 'source'");
      }
      if (f.has("dependsOn")) {
        task.dependsOn = this.#strList(f.get("dependsOn")!.value, `${field}.dependsOn`) ?? [];
      }
      if (f.has("timeoutMs")) {
        task.timeoutMs = this.#int(f.get("timeoutMs")!.value, `${field}.timeoutMs`, 0) ?? 0;
      }
      if (f.has("retries")) {
        task.retries = this.#int(f.get("retries")!.value, `${field}.retries`, 0) ?? 3;
      }
      if (f.has("forwardMetadata")) {
        task.forwardMetadata =
          this.#bool(f.get("forwardMetadata")!.value, `${field}.forwardMetadata`) ?? false;
      }
      if (f.has("runIfParentsFailed")) {
        task.runIfParentsFailed =
          this.#bool(f.get("runIfParentsFailed")!.value, `${field}.runIfParentsFailed`) ?? false;
      }
      lines.set(type, { line: task.line, deps: f.get("dependsOn")?.value ?? null });
      tasks.push(task);
    }
    // Dependencies: unknown names point at the dependsOn line, cycles at the task.
    for (const task of tasks) {
      for (const dep of task.dependsOn) {
        if (!lines.has(dep)) {
          this.#error(
            lines.get(task.type)!.deps,
            `tasks.${task.type}.dependsOn`,
            `unknown task type '${dep}'`,
          );
        }
      }
    }
    if (this.problems.length === 0) {
      try {
        checkDependencies(tasks);
      } catch (error) {
        if (!(error instanceof DependencyError)) throw error;
        const first = /cycle: ([^ ]+)/.exec(error.message)?.[1];
        const line = (first !== undefined ? lines.get(first)?.line : undefined) ?? this.#line(node);
        this.problems.push(`${this.#file}:${line}: tasks: ${error.message}`);
      }
    }
    return tasks;
  }

  #workers(node: Node | null, tasks: TaskConfig[]): WorkerConfig[] {
    if (!isSeq(node)) {
      this.#error(node, "workers", "must be a list");
      return [];
    }
    const out: WorkerConfig[] = [];
    const types = new Set(tasks.map((t) => t.type));
    node.items.forEach((item, i) => {
      const field = `workers[${i}]`;
      const f = this.#map(item as Node, field, [
        "name",
        "handlers",
        "threads",
        "prefetch",
        "types",
        "replicas",
      ]);
      if (f === null) return;
      const worker: WorkerConfig = {
        name: `worker-${i}`,
        handlers: "",
        threads: 0,
        prefetch: 1,
        replicas: 1,
      };
      if (f.has("name")) {
        worker.name = this.#str(f.get("name")!.value, `${field}.name`) ?? worker.name;
      }
      if (!f.has("handlers")) this.#error(item as Node, `${field}.handlers`, "is required");
      else worker.handlers = this.#path(f.get("handlers")!.value, `${field}.handlers`) ?? "";
      if (f.has("threads")) {
        worker.threads = this.#int(f.get("threads")!.value, `${field}.threads`, 0) ?? 0;
      }
      if (f.has("prefetch")) {
        worker.prefetch = this.#int(f.get("prefetch")!.value, `${field}.prefetch`, 0) ?? 1;
      }
      if (f.has("replicas")) {
        worker.replicas = this.#int(f.get("replicas")!.value, `${field}.replicas`, 0) ?? 1;
      }
      if (f.has("types")) {
        const list = f.get("types")!.value;
        worker.types = this.#strList(list, `${field}.types`);
        for (const t of worker.types ?? []) {
          if (!types.has(t)) this.#error(list, `${field}.types`, `unknown task type '${t}'`);
        }
      }
      out.push(worker);
    });
    const names = new Set<string>();
    out.forEach((w, i) => {
      if (names.has(w.name)) {
        this.#error(node.items[i] as Node, `workers[${i}].name`, `'${w.name}' is used twice`);
      }
      names.add(w.name);
    });
    return out;
  }

  #broker(node: Node | null): BrokerConfig | undefined {
    const f = this.#map(node, "broker", [
      "frontend",
      "backend",
      "services",
      "maxAttempts",
      "queueTimeoutMs",
    ]);
    if (f === null) return undefined;
    for (const name of ["frontend", "backend"]) {
      if (!f.has(name)) this.#error(node, `broker.${name}`, "is required");
    }
    const frontend = f.has("frontend")
      ? this.#endpoint(f.get("frontend")!.value, "broker.frontend")
      : undefined;
    const backend = f.has("backend")
      ? this.#endpoint(f.get("backend")!.value, "broker.backend")
      : undefined;
    if (frontend === undefined || backend === undefined) return undefined;
    return {
      frontend,
      backend,
      services: f.has("services")
        ? this.#strList(f.get("services")!.value, "broker.services")
        : undefined,
      maxAttempts: f.has("maxAttempts")
        ? this.#int(f.get("maxAttempts")!.value, "broker.maxAttempts", 1)
        : undefined,
      queueTimeoutMs: f.has("queueTimeoutMs")
        ? this.#int(f.get("queueTimeoutMs")!.value, "broker.queueTimeoutMs", 1)
        : undefined,
    };
  }

  #services(node: Node | null): ServiceConfig[] {
    if (!isSeq(node)) {
      this.#error(node, "services", "must be a list");
      return [];
    }
    const out: ServiceConfig[] = [];
    node.items.forEach((item, i) => {
      const field = `services[${i}]`;
      const f = this.#map(item as Node, field, [
        "name",
        "handlers",
        "services",
        "replicas",
        "inThread",
      ]);
      if (f === null) return;
      const entry: ServiceConfig = { name: `service-${i}`, handlers: "", replicas: 1 };
      if (f.has("name")) {
        entry.name = this.#str(f.get("name")!.value, `${field}.name`) ?? entry.name;
      }
      if (!f.has("handlers")) this.#error(item as Node, `${field}.handlers`, "is required");
      else entry.handlers = this.#path(f.get("handlers")!.value, `${field}.handlers`) ?? "";
      if (f.has("services")) {
        entry.services = this.#strList(f.get("services")!.value, `${field}.services`);
      }
      if (f.has("replicas")) {
        entry.replicas = this.#int(f.get("replicas")!.value, `${field}.replicas`, 0) ?? 1;
      }
      if (f.has("inThread")) {
        entry.inThread = this.#bool(f.get("inThread")!.value, `${field}.inThread`);
      }
      out.push(entry);
    });
    return out;
  }
}
