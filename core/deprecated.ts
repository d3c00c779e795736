/**
 * The names the root module (`@zedge/zedge`) exported before the public
 * surface was split by layer, kept for one release: each is a re-export of
 * the same class, function, value or type from its layer's entry
 * (`@zedge/zedge/tasks`, `/pipeline`, `/manager`, `/security`), marked
 * deprecated on its export specifier so editors strike it through and say
 * where it moved. Re-exports (not `const X = layer.X` aliases) keep one
 * declaration per name, so `deno doc --lint mod.ts` sees every type a root
 * signature uses as public. The pipeline's prefixed names
 * (`PipelineJournal`, `encodePipelineMessage`, ...) are its
 * plain names there (`Journal`, `encodeMessage`, ...).
 *
 * @example
 * ```ts
 * // Before (still works, deprecated):
 * import { PipelineJournal } from "../mod.ts";
 * // Now:
 * import { Journal } from "./pipeline/mod.ts";
 * console.log(PipelineJournal === Journal); // true
 * ```
 * @module
 */

// ---- @zedge/zedge/tasks -----------------------------------------------------
export {
  /** @deprecated Import `abortableDelay` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  abortableDelay,
  /** @deprecated Import `Awaitable` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type Awaitable,
  /** @deprecated Import `ConfigError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ConfigError,
  /** @deprecated Import `decodeMessage` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  decodeMessage,
  /** @deprecated Import `decodeObject` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  decodeObject,
  /** @deprecated Import `decodeTask` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  decodeTask,
  /** @deprecated Import `decodeTaskEvent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  decodeTaskEvent,
  /** @deprecated Import `defaultRemotesPath` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  defaultRemotesPath,
  /** @deprecated Import `encodeMessage` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  encodeMessage,
  /** @deprecated Import `encodeObject` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  encodeObject,
  /** @deprecated Import `encodeTask` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  encodeTask,
  /** @deprecated Import `encodeTaskEvent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  encodeTaskEvent,
  /** @deprecated Import `ExecutorController` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ExecutorController,
  /** @deprecated Import `ExecutorControllerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ExecutorControllerOptions,
  /** @deprecated Import `ExecutorFullError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ExecutorFullError,
  /** @deprecated Import `formatResult` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  formatResult,
  /** @deprecated Import `HandlerMap` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type HandlerMap,
  /** @deprecated Import `handlerMapFromModule` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  handlerMapFromModule,
  /** @deprecated Import `InitReply` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type InitReply,
  /** @deprecated Import `isFinalState` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  isFinalState,
  /** @deprecated Import `isTaskSeparator` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  isTaskSeparator,
  /** @deprecated Import `isTaskState` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  isTaskState,
  /** @deprecated Import `loadRemotes` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  loadRemotes,
  /** @deprecated Import `loadYaml` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  loadYaml,
  /** @deprecated Import `logConfigWarning` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  logConfigWarning,
  /** @deprecated Import `mapEntries` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  mapEntries,
  /** @deprecated Import `MapEntry` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type MapEntry,
  /** @deprecated Import `OBJECT_ENCODINGS` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  OBJECT_ENCODINGS,
  /** @deprecated Import `ObjectEncoding` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ObjectEncoding,
  /** @deprecated Import `ObjectPublisher` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ObjectPublisher,
  /** @deprecated Import `ObjectPublisherOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ObjectPublisherOptions,
  /** @deprecated Import `ObjectSubscriber` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ObjectSubscriber,
  /** @deprecated Import `ObjectSubscriberOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ObjectSubscriberOptions,
  /** @deprecated Import `parseObjectEncoding` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  parseObjectEncoding,
  /** @deprecated Import `parsePort` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  parsePort,
  /** @deprecated Import `parseRemotes` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  parseRemotes,
  /** @deprecated Import `parseScript` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  parseScript,
  /** @deprecated Import `parseStageKey` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  parseStageKey,
  /** @deprecated Import `parseTaskSpec` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  parseTaskSpec,
  /** @deprecated Import `PICKLE_REFUSAL` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  PICKLE_REFUSAL,
  /** @deprecated Import `PickleRefusedError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  PickleRefusedError,
  /** @deprecated Import `ProtocolError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ProtocolError,
  /** @deprecated Import `ProtocolField` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ProtocolField,
  /** @deprecated Import `readConfigText` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  readConfigText,
  /** @deprecated Import `ReceivedObject` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ReceivedObject,
  /** @deprecated Import `Remote` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type Remote,
  /** @deprecated Import `remotesJsonSchema` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  remotesJsonSchema,
  /** @deprecated Import `RemotesOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type RemotesOptions,
  /** @deprecated Import `RequestChannel` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  RequestChannel,
  /** @deprecated Import `RequestChannelOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type RequestChannelOptions,
  /** @deprecated Import `RequestCode` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  RequestCode,
  /** @deprecated Import `RequestCodeValue` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type RequestCodeValue,
  /** @deprecated Import `scalarValue` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  scalarValue,
  /** @deprecated Import `Script` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type Script,
  /** @deprecated Import `ScriptComponent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptComponent,
  /** @deprecated Import `ScriptHandler` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptHandler,
  /** @deprecated Import `ScriptInputEnded` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ScriptInputEnded,
  /** @deprecated Import `ScriptInterrupted` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ScriptInterrupted,
  /** @deprecated Import `scriptJsonSchema` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  scriptJsonSchema,
  /** @deprecated Import `ScriptOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptOptions,
  /** @deprecated Import `ScriptRunner` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  ScriptRunner,
  /** @deprecated Import `ScriptRunnerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptRunnerOptions,
  /** @deprecated Import `ScriptScene` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptScene,
  /** @deprecated Import `ScriptStep` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptStep,
  /** @deprecated Import `ScriptSummary` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ScriptSummary,
  /** @deprecated Import `StageKey` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type StageKey,
  /** @deprecated Import `stateName` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  stateName,
  /** @deprecated Import `StateReply` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type StateReply,
  /** @deprecated Import `TASK_EVENT_VERSION` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  TASK_EVENT_VERSION,
  /** @deprecated Import `TaskEvent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskEvent,
  /** @deprecated Import `TaskEventListener` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  TaskEventListener,
  /** @deprecated Import `TaskEventListenerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskEventListenerOptions,
  /** @deprecated Import `TaskExecutor` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  TaskExecutor,
  /** @deprecated Import `TaskExecutorOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskExecutorOptions,
  /** @deprecated Import `TaskRejection` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  TaskRejection,
  /** @deprecated Import `TaskSeparator` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskSeparator,
  /** @deprecated Import `TaskSnapshot` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskSnapshot,
  /** @deprecated Import `TaskStateChange` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskStateChange,
  /** @deprecated Import `TaskStateName` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskStateName,
  /** @deprecated Import `TaskWork` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskWork,
  /** @deprecated Import `TestControllerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TestControllerOptions,
  /** @deprecated Import `TriggeredTask` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type TriggeredTask,
  /** @deprecated Import `unknownRemotes` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  unknownRemotes,
  /** @deprecated Import `validateHandlerMap` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  validateHandlerMap,
  /** @deprecated Import `WaitOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type WaitOptions,
  /** @deprecated Import `YamlSource` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type YamlSource,
  /** @deprecated Import `ZtlMessage` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
  type ZtlMessage,
} from "./tasks/mod.ts";

// ---- @zedge/zedge/pipeline --------------------------------------------------
export {
  /** @deprecated Import `AckData` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type AckData,
  /** @deprecated Import `BrokerConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type BrokerConfig,
  /** @deprecated Import `brokerFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  brokerFromConfig,
  /** @deprecated Import `BrokerStats` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type BrokerStats,
  /** @deprecated Import `checkDependencies` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  checkDependencies,
  /** @deprecated Import `CodecError` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  CodecError as PipelineCodecError,
  /** @deprecated Import `CollectedResult` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type CollectedResult,
  /** @deprecated Import `collectorFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  collectorFromConfig,
  /** @deprecated Import `decodeMessage` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  decodeMessage as decodePipelineMessage,
  /** @deprecated Import `DependencyError` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  DependencyError,
  /** @deprecated Import `distributorFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  distributorFromConfig,
  /** @deprecated Import `encodeMessage` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  encodeMessage as encodePipelineMessage,
  /** @deprecated Import `EndpointConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type EndpointConfig,
  /** @deprecated Import `EndpointCurve` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type EndpointCurve,
  /** @deprecated Import `EndpointSecurity` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type EndpointSecurity,
  /** @deprecated Import `Executor` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type Executor as PipelineExecutor,
  /** @deprecated Import `FailedItem` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type FailedItem,
  /** @deprecated Import `Handler` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type Handler as PipelineHandler,
  /** @deprecated Import `HandlerContext` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type HandlerContext as PipelineHandlerContext,
  /** @deprecated Import `HandlerHooks` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type HandlerHooks as PipelineHandlerHooks,
  /** @deprecated Import `HandlerMap` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type HandlerMap as PipelineHandlerMap,
  /** @deprecated Import `handlersFromModule` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  handlersFromModule as pipelineHandlersFromModule,
  /** @deprecated Import `IndexRanges` from "@zedge/zedge/pipeline" (a part of the deprecated `PipelineMessage`, here so that name stays whole); this name leaves the root in the next release. */
  type IndexRanges,
  /** @deprecated Import `InitContext` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type InitContext as PipelineInitContext,
  /** @deprecated Import `InlineExecutor` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  InlineExecutor,
  /** @deprecated Import `InlineExecutorOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type InlineExecutorOptions,
  /** @deprecated Import `ItemFailure` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type ItemFailure,
  /** @deprecated Import `ItemResult` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type ItemResult,
  /** @deprecated Import `ItemSource` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type ItemSource,
  /** @deprecated Import `Journal` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  Journal as PipelineJournal,
  /** @deprecated Import `JournalOptions` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type JournalOptions as PipelineJournalOptions,
  /** @deprecated Import `loadHandlers` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  loadHandlers as loadPipelineHandlers,
  /** @deprecated Import `MetadataOption` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type MetadataOption,
  /** @deprecated Import `MetadataProvider` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  MetadataProvider,
  /** @deprecated Import `metadataProviderFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  metadataProviderFromConfig,
  /** @deprecated Import `MetadataProviderOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type MetadataProviderOptions,
  /** @deprecated Import `Outcome` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
  type Outcome as PipelineOutcome,
  /** @deprecated Import `parsePipelineConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  parsePipelineConfig,
  /** @deprecated Import `PipelineConfigOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type PipelineConfigOptions,
  /** @deprecated Import `pipelineJsonSchema` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  pipelineJsonSchema,
  /** @deprecated Import `PipelineLogging` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type PipelineLogging,
  /** @deprecated Import `PipelineMessage` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type PipelineMessage,
  /** @deprecated Import `PipelineRoles` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type PipelineRoles,
  /** @deprecated Import `PipelineSummary` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type PipelineSummary,
  /** @deprecated Import `Progress` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type Progress,
  /** @deprecated Import `ServiceConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type ServiceConfig,
  /** @deprecated Import `ServiceErrorCode` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type ServiceErrorCode,
  /** @deprecated Import `serviceWorkerFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  serviceWorkerFromConfig,
  /** @deprecated Import `TaskConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskConfig,
  /** @deprecated Import `TaskSource` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type TaskSource,
  /** @deprecated Import `taskSourcesFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  taskSourcesFromConfig,
  /** @deprecated Import `ThreadPool` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  ThreadPool,
  /** @deprecated Import `ThreadPoolOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type ThreadPoolOptions,
  /** @deprecated Import `WorkerConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type WorkerConfig,
  /** @deprecated Import `workerFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  workerFromConfig,
  /** @deprecated Import `WorkerStats` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type WorkerStats,
  /** @deprecated Import `WorkItem` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
  type WorkItem,
} from "./pipeline/mod.ts";

// ---- @zedge/zedge/manager ---------------------------------------------------
export {
  /** @deprecated Import `Direction` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type Direction,
  /** @deprecated Import `Event` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  Event,
  /** @deprecated Import `JSON_SERIALIZER` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  JSON_SERIALIZER,
  /** @deprecated Import `ManagedSocketOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type ManagedSocketOptions,
  /** @deprecated Import `ManagerWaitOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type ManagerWaitOptions,
  /** @deprecated Import `MSGPACK_SERIALIZER` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  MSGPACK_SERIALIZER,
  /** @deprecated Import `PollOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type PollOptions,
  /** @deprecated Import `PollResult` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type PollResult,
  /** @deprecated Import `RAW_SERIALIZER` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  RAW_SERIALIZER,
  /** @deprecated Import `SendSafeOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SendSafeOptions,
  /** @deprecated Import `Serializer` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type Serializer,
  /** @deprecated Import `SerializerName` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SerializerName,
  /** @deprecated Import `SocketAlreadyExists` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  SocketAlreadyExists,
  /** @deprecated Import `SocketBindError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  SocketBindError,
  /** @deprecated Import `SocketClass` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SocketClass,
  /** @deprecated Import `SocketConnectError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  SocketConnectError,
  /** @deprecated Import `SocketDecodeError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  SocketDecodeError,
  /** @deprecated Import `SocketFor` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SocketFor,
  /** @deprecated Import `SocketNotFound` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  SocketNotFound,
  /** @deprecated Import `SocketsByName` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SocketsByName,
  /** @deprecated Import `SocketTypeSpec` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SocketTypeSpec,
  /** @deprecated Import `SubscribeOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
  type SubscribeOptions,
} from "./manager/mod.ts";

// ---- @zedge/zedge/security --------------------------------------------------
export {
  /** @deprecated Import `AuthDecision` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  type AuthDecision,
  /** @deprecated Import `AuthPolicy` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  type AuthPolicy,
  /** @deprecated Import `Certificate` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  type Certificate,
  /** @deprecated Import `curveAllowPolicy` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  curveAllowPolicy,
  /** @deprecated Import `curveClientOptions` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  curveClientOptions,
  /** @deprecated Import `curveServerOptions` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  curveServerOptions,
  /** @deprecated Import `formatCertificate` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  formatCertificate,
  /** @deprecated Import `isZ85Key` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  isZ85Key,
  /** @deprecated Import `parseCertificate` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  parseCertificate,
  /** @deprecated Import `parsePasswords` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  parsePasswords,
  /** @deprecated Import `readCertificateSync` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  readCertificateSync,
  /** @deprecated Import `readPublicKeys` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  readPublicKeys,
  /** @deprecated Import `readSecretCertificateSync` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  readSecretCertificateSync,
  /** @deprecated Import `resolvePublicKey` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  resolvePublicKey,
  /** @deprecated Import `resolvePublicKeySync` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  resolvePublicKeySync,
  /** @deprecated Import `ZAP_ENDPOINT` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  ZAP_ENDPOINT,
  /** @deprecated Import `ZapRequest` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
  type ZapRequest,
} from "./security/mod.ts";
