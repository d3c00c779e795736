/**
 * Builds pipeline roles from a validated {@link PipelineConfig}: loads the
 * item-source, collector and metadata modules and turns each section into
 * the plain options object its role starts from. `startPipelineRoles` runs
 * any subset in one process (`zedge pipeline run` uses all of them).
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { startPipelineRoles } from "./roles.ts";
 * const config = await loadPipelineConfig("examples/pipeline/pipeline.yaml");
 * const roles = await startPipelineRoles(config, { roles: ["distributor", "collector", "workers"] });
 * console.log(await roles.distributor!.run());
 * await roles.close();
 * ```
 * @module
 */
import { displayUrl, importModule as importUrl, moduleLoadReason } from "../module_import.ts";
import { bindSecurity, connectSecurity } from "./endpoint_security.ts";
import { Broker } from "./broker.ts";
import type { PipelineSummary } from "./codec.ts";
import { type CollectedResult, Collector } from "./collector.ts";
import type { PipelineConfig, ServiceConfig, WorkerConfig } from "./config.ts";
import { Distributor, type ItemSource, type Progress, type TaskSource } from "./distributor.ts";
import { MetadataProvider } from "./metadata.ts";
import { ServiceWorker } from "./service_worker.ts";
import { PipelineWorker } from "./worker.ts";

async function importModule(url: string, what: string): Promise<Record<string, unknown>> {
  try {
    return await importUrl(url);
  } catch (error) {
    throw new Error(`cannot load ${what} module ${displayUrl(url)}: ${moduleLoadReason(error)}`);
  }
}

function exportOf(namespace: Record<string, unknown>, name: string): unknown {
  if (name in namespace && name !== "default") return namespace[name];
  const fallback = namespace.default;
  if (typeof fallback === "object" && fallback !== null && name in fallback) {
    return (fallback as Record<string, unknown>)[name];
  }
  return undefined;
}

/**
 * The task sources of a configuration, with `source` modules imported.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { taskSourcesFromConfig } from "./roles.ts";
 * const tasks = await taskSourcesFromConfig(await loadPipelineConfig("pipeline.yaml"));
 * ```
 */
export async function taskSourcesFromConfig(config: PipelineConfig): Promise<TaskSource[]> {
  const tasks: TaskSource[] = [];
  for (const task of config.tasks) {
    let items: ItemSource;
    let isAvailableForHandling: TaskSource["isAvailableForHandling"];
    if (task.count !== undefined) {
      const count = task.count;
      items = function* () {
        for (let i = 0; i < count; i++) yield i;
      };
    } else if (task.items !== undefined) {
      items = task.items;
    } else {
      const { module, export: name } = task.source!;
      let value = exportOf(await importModule(module, `item source for '${task.type}'`), name);
      // A task source object: { items, isAvailableForHandling? }.
      const gate = sourceObjectGate(value);
      if (gate !== null) {
        isAvailableForHandling = gate;
        value = (value as { items: unknown }).items;
      }
      const iterable = typeof value === "object" && value !== null &&
        (Symbol.iterator in value || Symbol.asyncIterator in value);
      if (typeof value !== "function" && !iterable) {
        throw new Error(
          `${config.file}:${task.line}: tasks.${task.type}.source: ${module} has no export '${name}' ` +
            "that is a function, an iterable or { items, isAvailableForHandling }",
        );
      }
      items = value as ItemSource;
    }
    tasks.push({
      type: task.type,
      items,
      dependsOn: task.dependsOn,
      timeoutMs: task.timeoutMs,
      maxRetries: task.retries,
      forwardMetadata: task.forwardMetadata,
      runIfParentsFailed: task.runIfParentsFailed,
      isAvailableForHandling,
    });
  }
  return tasks;
}

/**
 * For a task source object (a plain object with `items` and a function
 * `isAvailableForHandling`), that function, bound to the object; `null` for
 * anything else.
 */
function sourceObjectGate(value: unknown): TaskSource["isAvailableForHandling"] | null {
  if (typeof value !== "object" || value === null || !("items" in value)) return null;
  if (Symbol.iterator in value || Symbol.asyncIterator in value) return null;
  const gate = (value as { isAvailableForHandling?: unknown }).isAvailableForHandling;
  if (gate === undefined) return undefined;
  if (typeof gate !== "function") return null;
  return (gate as NonNullable<TaskSource["isAvailableForHandling"]>).bind(value);
}

/**
 * A distributor for the configuration.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { distributorFromConfig } from "./roles.ts";
 * const d = await distributorFromConfig(await loadPipelineConfig("pipeline.yaml"));
 * ```
 */
export async function distributorFromConfig(
  config: PipelineConfig,
  extra: { onProgress?: (p: Progress) => void; progressIntervalMs?: number } = {},
): Promise<Distributor> {
  let metadata: (() => unknown) | { endpoint: string } | undefined;
  if (config.endpoints.metadata !== undefined) {
    metadata = { endpoint: config.endpoints.metadata.connect };
  } else if (config.metadata !== undefined) {
    metadata = await metadataFunction(config.metadata.module);
  }
  const { endpoints } = config;
  return new Distributor({
    workers: endpoints.workers.bind,
    acks: endpoints.acks.bind,
    security: {
      workers: bindSecurity("workers", endpoints.workers.curve),
      acks: bindSecurity("acks", endpoints.acks.curve),
      metadata: connectSecurity("metadata", endpoints.metadata?.curve),
    },
    tasks: await taskSourcesFromConfig(config),
    journal: config.journal,
    metadata,
    heartbeatIntervalMs: config.heartbeat.intervalMs,
    heartbeatTimeoutMs: config.heartbeat.timeoutMs,
    ackTimeoutMs: config.ackTimeoutMs,
    retryBackoffMs: config.retry.backoffMs,
    retryBackoffMaxMs: config.retry.maxBackoffMs,
    minWorkers: config.minWorkers,
    maxMessageSize: config.maxMessageSize,
    onProgress: extra.onProgress,
    progressIntervalMs: extra.progressIntervalMs,
  });
}

async function metadataFunction(module: string): Promise<() => unknown> {
  const fn = exportOf(await importModule(module, "metadata"), "getMetadata");
  if (typeof fn !== "function") {
    throw new Error(`metadata module ${module} must export getMetadata()`);
  }
  return fn as () => unknown;
}

/**
 * A metadata provider for the configuration (needs `metadata.module` and
 * `endpoints.metadata`).
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { metadataProviderFromConfig } from "./roles.ts";
 * const p = await metadataProviderFromConfig(await loadPipelineConfig("pipeline.yaml"));
 * ```
 */
export async function metadataProviderFromConfig(
  config: PipelineConfig,
): Promise<MetadataProvider> {
  if (config.metadata === undefined || config.endpoints.metadata === undefined) {
    throw new Error(
      `${config.file}: a metadata provider needs 'metadata.module' and 'endpoints.metadata'`,
    );
  }
  return new MetadataProvider({
    endpoint: config.endpoints.metadata.bind,
    security: { endpoint: bindSecurity("metadata", config.endpoints.metadata.curve) },
    getMetadata: await metadataFunction(config.metadata.module),
    maxMessageSize: config.maxMessageSize,
  });
}

/**
 * A collector for the configuration; callbacks passed here run before the
 * ones exported by `collector.module`.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { collectorFromConfig } from "./roles.ts";
 * const c = await collectorFromConfig(await loadPipelineConfig("pipeline.yaml"));
 * ```
 */
export async function collectorFromConfig(
  config: PipelineConfig,
  extra: {
    onResult?: (r: CollectedResult) => void;
    onFinished?: (s: PipelineSummary) => void;
  } = {},
): Promise<Collector> {
  let onResult: ((r: CollectedResult) => unknown) | undefined;
  let onFinished: ((s: PipelineSummary) => unknown) | undefined;
  if (config.collector.module !== undefined) {
    const namespace = await importModule(config.collector.module, "collector");
    const r = exportOf(namespace, "onResult");
    const f = exportOf(namespace, "onFinished");
    if (typeof r !== "function" && typeof f !== "function") {
      throw new Error(
        `collector module ${config.collector.module} exports neither onResult nor onFinished`,
      );
    }
    if (typeof r === "function") onResult = r as (r: CollectedResult) => unknown;
    if (typeof f === "function") onFinished = f as (s: PipelineSummary) => unknown;
  }
  return new Collector({
    results: config.endpoints.results.bind,
    distributor: config.endpoints.acks.connect,
    security: {
      results: bindSecurity("results", config.endpoints.results.curve),
      distributor: connectSecurity("acks", config.endpoints.acks.curve),
    },
    journal: config.collector.journal,
    heartbeatIntervalMs: config.heartbeat.intervalMs,
    maxMessageSize: config.maxMessageSize,
    // The module's onResult answers with the ACK data.
    onResult: async (result) => {
      extra.onResult?.(result);
      return await onResult?.(result);
    },
    onFinished: async (summary) => {
      extra.onFinished?.(summary);
      await onFinished?.(summary);
    },
  });
}

/**
 * A worker for one `workers` entry.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { workerFromConfig } from "./roles.ts";
 * const config = await loadPipelineConfig("pipeline.yaml");
 * const w = workerFromConfig(config, config.workers[0]);
 * ```
 */
export function workerFromConfig(
  config: PipelineConfig,
  entry: WorkerConfig,
  overrides: { name?: string; threads?: number; exitOnEnd?: boolean; keepRunning?: boolean } = {},
): PipelineWorker {
  return new PipelineWorker({
    distributor: config.endpoints.workers.connect,
    collector: config.endpoints.results.connect,
    security: {
      distributor: connectSecurity("workers", config.endpoints.workers.curve),
      collector: connectSecurity("results", config.endpoints.results.curve),
    },
    module: entry.handlers,
    threads: overrides.threads ?? entry.threads,
    prefetch: entry.prefetch,
    types: entry.types,
    name: overrides.name ?? entry.name,
    heartbeatIntervalMs: config.heartbeat.intervalMs,
    heartbeatTimeoutMs: config.heartbeat.timeoutMs,
    maxMessageSize: config.maxMessageSize,
    exitOnEnd: overrides.exitOnEnd,
    keepRunning: overrides.keepRunning,
  });
}

/**
 * The broker of the configuration.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { brokerFromConfig } from "./roles.ts";
 * const b = brokerFromConfig(await loadPipelineConfig("services.yaml"));
 * ```
 */
export function brokerFromConfig(config: PipelineConfig): Broker {
  if (config.broker === undefined) throw new Error(`${config.file}: has no 'broker' section`);
  return new Broker({
    frontend: config.broker.frontend.bind,
    backend: config.broker.backend.bind,
    security: {
      frontend: bindSecurity("frontend", config.broker.frontend.curve),
      backend: bindSecurity("backend", config.broker.backend.curve),
    },
    services: config.broker.services,
    maxAttempts: config.broker.maxAttempts,
    queueTimeoutMs: config.broker.queueTimeoutMs,
    heartbeatIntervalMs: config.heartbeat.intervalMs,
    heartbeatTimeoutMs: config.heartbeat.timeoutMs,
    maxMessageSize: config.maxMessageSize,
  });
}

/**
 * A service worker for one `services` entry.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { serviceWorkerFromConfig } from "./roles.ts";
 * const config = await loadPipelineConfig("services.yaml");
 * const s = serviceWorkerFromConfig(config, config.services[0]);
 * ```
 */
export function serviceWorkerFromConfig(
  config: PipelineConfig,
  entry: ServiceConfig,
  name?: string,
): ServiceWorker {
  if (config.broker === undefined) throw new Error(`${config.file}: has no 'broker' section`);
  return new ServiceWorker({
    broker: config.broker.backend.connect,
    security: { broker: connectSecurity("backend", config.broker.backend.curve) },
    module: entry.handlers,
    inThread: entry.inThread,
    services: entry.services,
    name: name ?? entry.name,
    heartbeatIntervalMs: config.heartbeat.intervalMs,
    heartbeatTimeoutMs: config.heartbeat.timeoutMs,
    maxMessageSize: config.maxMessageSize,
  });
}

/**
 * Roles running in this process.
 *
 * @example
 * ```ts
 * import type { PipelineRoles } from "./roles.ts";
 * const stop = (roles: PipelineRoles) => roles.close();
 * ```
 */
export interface PipelineRoles {
  /** The distributor, if started. */
  distributor?: Distributor;
  /** The collector, if started. */
  collector?: Collector;
  /** The metadata provider, if started. */
  metadata?: MetadataProvider;
  /** Workers started (every replica of every entry). */
  workers: PipelineWorker[];
  /** Resolves when every started role has ended. */
  finished: Promise<unknown>;
  /** Stops everything. */
  close(): Promise<void>;
}

/**
 * Starts the batch roles of a configuration in this process: binders first
 * (metadata provider, distributor, collector), then workers.
 *
 * @example
 * ```ts
 * import { loadPipelineConfig } from "./config.ts";
 * import { startPipelineRoles } from "./roles.ts";
 * const roles = await startPipelineRoles(await loadPipelineConfig("pipeline.yaml"), {
 *   roles: ["distributor", "collector", "workers"],
 * });
 * await roles.finished;
 * ```
 */
export async function startPipelineRoles(
  config: PipelineConfig,
  options: {
    roles: ("distributor" | "collector" | "workers" | "metadata")[];
    onProgress?: (p: Progress) => void;
    onResult?: (r: CollectedResult) => void;
  },
): Promise<PipelineRoles> {
  const want = new Set(options.roles);
  const roles: PipelineRoles = {
    workers: [],
    finished: Promise.resolve(),
    close: async () => {
      await Promise.all([
        ...roles.workers.map((w) => w.close()),
        roles.collector?.close(),
        roles.distributor?.close(),
        roles.metadata?.close(),
      ]);
    },
  };
  const running: Promise<unknown>[] = [];
  try {
    if (want.has("metadata") && config.metadata !== undefined && config.endpoints.metadata) {
      roles.metadata = await metadataProviderFromConfig(config);
      await roles.metadata.start();
    }
    if (want.has("distributor")) {
      roles.distributor = await distributorFromConfig(config, { onProgress: options.onProgress });
      await roles.distributor.start();
      running.push(roles.distributor.run());
    }
    if (want.has("collector")) {
      roles.collector = await collectorFromConfig(config, { onResult: options.onResult });
      await roles.collector.start();
      running.push(roles.collector.run());
    }
    if (want.has("workers")) {
      for (const entry of config.workers) {
        for (let r = 0; r < entry.replicas; r++) {
          const name = entry.replicas > 1 ? `${entry.name}-${r}` : entry.name;
          const worker = workerFromConfig(config, entry, { name });
          await worker.start();
          roles.workers.push(worker);
          running.push(worker.run());
        }
      }
    }
  } catch (error) {
    // The runs started so far end with this close: their rejections are not news.
    for (const run of running) run.catch(() => {});
    await roles.close();
    throw error;
  }
  roles.finished = Promise.all(running).finally(() => roles.metadata?.close());
  // A caller that stops the roles (close, Ctrl-C) need not await `finished` to keep a
  // rejection from surfacing as an uncaught error; awaiting it still sees the rejection.
  roles.finished.catch(() => {});
  return roles;
}
