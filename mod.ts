/**
 * zedge: an edge runtime for robots that speaks the ZeroMQ wire protocol
 * (ZMTP 3.1) from pure TypeScript on Deno — sockets, remote tasks (ZTL
 * compatible), pipelines and services.
 *
 * This root entry holds the common names: every socket type, the error base
 * `ZedgeError`, logs over PUB, and the main classes of each layer. Each layer
 * has its own entry with all of its names:
 *
 * | entry                    | what                                                        |
 * | ------------------------ | ----------------------------------------------------------- |
 * | `@zedge/zedge/sockets`   | the socket types, their options and events                  |
 * | `@zedge/zedge/tasks`     | remote tasks (ZTL): codec, server, controllers, clients     |
 * | `@zedge/zedge/pipeline`  | pipelines and services: distributor, workers, collector     |
 * | `@zedge/zedge/manager`   | the socket manager: named sockets, serializers, events      |
 * | `@zedge/zedge/security`  | CURVE certificates and the ZAP authenticator                |
 * | `@zedge/zedge/robot`     | robots: YAML, components in Workers, the supervisor         |
 *
 * Names the root exported before the split are still here for one release,
 * marked deprecated with the entry they moved to.
 *
 * @example
 * ```ts
 * import { Reply, Request } from "./mod.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * const req = new Request();
 * req.connect(rep.lastEndpoint!);
 * await req.send("ping");
 * const [ping] = await rep.receive();
 * await rep.send("pong");
 * const [pong] = await req.receive();
 * req.close(); rep.close();
 * ```
 * @module
 */
export { ZedgeError } from "./core/errors.ts";
export * from "./core/sockets/mod.ts";
export { VERSION } from "./core/version.ts";
export { ConfigFileError } from "./core/config/yaml_schema.ts";
export * from "./core/logs/mod.ts";
export {
  Authenticator,
  type AuthenticatorOptions,
  CertificateError,
  type CurveConfig,
  generateKeyPair,
  readCertificate,
  readSecretCertificate,
  writeCertificatePair,
  z85Decode,
  z85Encode,
} from "./core/security/mod.ts";
export {
  type ComponentFunction,
  HandlerController,
  type HandlerControllerOptions,
  RemoteTask,
  type RemoteTaskOptions,
  TaskClient,
  TaskClientError,
  type TaskClientOptions,
  type TaskContext,
  type TaskController,
  TaskNetworkError,
  TaskRejectedError,
  TaskServer,
  type TaskServerOptions,
  type TaskSpec,
  TaskState,
  type TaskStateValue,
  type TaskStatus,
  TaskWaitTimeoutError,
  TestController,
} from "./core/tasks/mod.ts";
export {
  Broker,
  type BrokerOptions,
  Collector,
  type CollectorOptions,
  Distributor,
  type DistributorOptions,
  loadPipelineConfig,
  type PipelineConfig,
  PipelineConfigError,
  PipelineWorker,
  ServiceClient,
  type ServiceClientOptions,
  ServiceError,
  ServiceWorker,
  type ServiceWorkerOptions,
  startPipelineRoles,
  type WorkerOptions,
} from "./core/pipeline/mod.ts";
export {
  SocketManager,
  SocketManagerError,
  type SocketManagerOptions,
} from "./core/manager/mod.ts";
export * from "./core/deprecated.ts";
