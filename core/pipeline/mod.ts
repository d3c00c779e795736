/**
 * Pipelines and services: a load-balanced distributor with task
 * dependencies, workers (single-threaded or Web-Worker pools), a collector
 * with ACKs, a metadata provider, and a service broker with clients and
 * service workers — with redelivery, heartbeats and an optional journal so
 * nothing is lost and nothing is counted twice.
 *
 * @example
 * ```ts
 * import { Collector, Distributor, PipelineWorker } from "./mod.ts";
 * const distributor = new Distributor({
 *   workers: "tcp://127.0.0.1:0",
 *   acks: "tcp://127.0.0.1:0",
 *   tasks: [{ type: "square", items: [1, 2, 3] }],
 * });
 * await distributor.start();
 * const collector = new Collector({
 *   results: "tcp://127.0.0.1:0",
 *   distributor: distributor.endpoints.acks,
 *   onResult: (r) => console.log(r.id, r.value),
 * });
 * await collector.start();
 * const worker = new PipelineWorker({
 *   distributor: distributor.endpoints.workers,
 *   collector: collector.endpoint,
 *   handlers: { square: (n) => (n as number) ** 2 },
 * });
 * worker.run();
 * console.log(await distributor.run());
 * ```
 * @module
 */
export { ZedgeError } from "../errors.ts";
export {
  type AckData,
  CodecError,
  decodeMessage,
  encodeMessage,
  type FailedItem,
  type IndexRanges,
  type ItemFailure,
  type ItemResult,
  PIPELINE_WIRE,
  type PipelineMessage,
  type PipelineSummary,
  type WorkItem,
} from "./codec.ts";
export { checkDependencies, DependencyError } from "./graph.ts";
export { Journal, type JournalOptions } from "./journal.ts";
export {
  type Handler,
  type HandlerContext,
  type HandlerHooks,
  type HandlerMap,
  handlersFromModule,
  type InitContext,
  loadHandlers,
} from "./handlers.ts";
export {
  type Executor,
  InlineExecutor,
  type InlineExecutorOptions,
  onStuckThread,
  type Outcome,
  ThreadPool,
  type ThreadPoolOptions,
} from "./executor.ts";
export {
  Distributor,
  type DistributorOptions,
  type ItemSource,
  type MetadataOption,
  type Progress,
  type TaskSource,
} from "./distributor.ts";
export { PipelineWorker, type WorkerOptions, type WorkerStats } from "./worker.ts";
export { type CollectedResult, Collector, type CollectorOptions } from "./collector.ts";
export { MetadataProvider, type MetadataProviderOptions } from "./metadata.ts";
export { Broker, type BrokerOptions, type BrokerStats, type ServiceErrorCode } from "./broker.ts";
export { ServiceWorker, type ServiceWorkerOptions } from "./service_worker.ts";
export { ServiceClient, type ServiceClientOptions, ServiceError } from "./service_client.ts";
export {
  type BrokerConfig,
  type EndpointConfig,
  loadPipelineConfig,
  parsePipelineConfig,
  type PipelineConfig,
  PipelineConfigError,
  type PipelineConfigOptions,
  type PipelineLogging,
  type ServiceConfig,
  type TaskConfig,
  type WorkerConfig,
} from "./config.ts";
export { pipelineJsonSchema } from "./schema.ts";
export { type EndpointCurve, type EndpointSecurity } from "./endpoint_security.ts";
export {
  brokerFromConfig,
  collectorFromConfig,
  distributorFromConfig,
  metadataProviderFromConfig,
  type PipelineRoles,
  serviceWorkerFromConfig,
  startPipelineRoles,
  taskSourcesFromConfig,
  workerFromConfig,
} from "./roles.ts";
// Types this entry's own API names, from the layers below: a reader of this entry alone finds them.
export { ConfigFileError } from "../config/yaml_schema.ts";
export type { SecurityOptions, SocketOptions } from "../sockets/mod.ts";
