/**
 * The names the root module (`@zedge/zedge`) exported before the public
 * surface was split by layer, kept for one release: each is an alias of the
 * same class, function, value or type in its layer's entry
 * (`@zedge/zedge/tasks`, `/pipeline`, `/manager`, `/security`), marked
 * deprecated so editors and `deno doc` say where it moved. The pipeline's
 * prefixed aliases (`PipelineJournal`, `encodePipelineMessage`, ...) are its
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
import type { Socket } from "./sockets/mod.ts";
import * as manager from "./manager/mod.ts";
import * as pipeline from "./pipeline/mod.ts";
import * as security from "./security/mod.ts";
import * as tasks from "./tasks/mod.ts";

// ---- @zedge/zedge/tasks -------------------------------------------------------

/** @deprecated Import `RequestCode` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const RequestCode: typeof tasks.RequestCode = tasks.RequestCode;
/** @deprecated Import `RequestCodeValue` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type RequestCodeValue = tasks.RequestCodeValue;
/** @deprecated Import `TaskStateName` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskStateName = tasks.TaskStateName;
/** @deprecated Import `stateName` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const stateName: typeof tasks.stateName = tasks.stateName;
/** @deprecated Import `isTaskState` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const isTaskState: typeof tasks.isTaskState = tasks.isTaskState;
/** @deprecated Import `isFinalState` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const isFinalState: typeof tasks.isFinalState = tasks.isFinalState;
/** @deprecated Import `ProtocolField` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ProtocolField = tasks.ProtocolField;
/** @deprecated Import `ProtocolError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ProtocolError: typeof tasks.ProtocolError = tasks.ProtocolError;
/** @deprecated Import `ProtocolError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ProtocolError = tasks.ProtocolError;
/** @deprecated Import `ZtlMessage` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ZtlMessage = tasks.ZtlMessage;
/** @deprecated Import `encodeMessage` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const encodeMessage: typeof tasks.encodeMessage = tasks.encodeMessage;
/** @deprecated Import `decodeMessage` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const decodeMessage: typeof tasks.decodeMessage = tasks.decodeMessage;
/** @deprecated Import `TaskSeparator` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskSeparator = tasks.TaskSeparator;
/** @deprecated Import `isTaskSeparator` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const isTaskSeparator: typeof tasks.isTaskSeparator = tasks.isTaskSeparator;
/** @deprecated Import `encodeTask` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const encodeTask: typeof tasks.encodeTask = tasks.encodeTask;
/** @deprecated Import `decodeTask` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const decodeTask: typeof tasks.decodeTask = tasks.decodeTask;
/** @deprecated Import `parseTaskSpec` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const parseTaskSpec: typeof tasks.parseTaskSpec = tasks.parseTaskSpec;
/** @deprecated Import `TaskEvent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskEvent = tasks.TaskEvent;
/** @deprecated Import `TASK_EVENT_VERSION` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const TASK_EVENT_VERSION: typeof tasks.TASK_EVENT_VERSION = tasks.TASK_EVENT_VERSION;
/** @deprecated Import `encodeTaskEvent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const encodeTaskEvent: typeof tasks.encodeTaskEvent = tasks.encodeTaskEvent;
/** @deprecated Import `decodeTaskEvent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const decodeTaskEvent: typeof tasks.decodeTaskEvent = tasks.decodeTaskEvent;
/** @deprecated Import `TaskWork` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskWork = tasks.TaskWork;
/** @deprecated Import `TaskSnapshot` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskSnapshot = tasks.TaskSnapshot;
/** @deprecated Import `TaskStateChange` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskStateChange = tasks.TaskStateChange;
/** @deprecated Import `TaskExecutorOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskExecutorOptions = tasks.TaskExecutorOptions;
/** @deprecated Import `ExecutorFullError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ExecutorFullError: typeof tasks.ExecutorFullError = tasks.ExecutorFullError;
/** @deprecated Import `ExecutorFullError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ExecutorFullError = tasks.ExecutorFullError;
/** @deprecated Import `formatResult` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const formatResult: typeof tasks.formatResult = tasks.formatResult;
/** @deprecated Import `TaskExecutor` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const TaskExecutor: typeof tasks.TaskExecutor = tasks.TaskExecutor;
/** @deprecated Import `TaskExecutor` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskExecutor = tasks.TaskExecutor;
/** @deprecated Import `Awaitable` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type Awaitable<T> = tasks.Awaitable<T>;
/** @deprecated Import `InitReply` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type InitReply = tasks.InitReply;
/** @deprecated Import `StateReply` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type StateReply = tasks.StateReply;
/** @deprecated Import `TaskRejection` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const TaskRejection: typeof tasks.TaskRejection = tasks.TaskRejection;
/** @deprecated Import `TaskRejection` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskRejection = tasks.TaskRejection;
/** @deprecated Import `ExecutorControllerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ExecutorControllerOptions = tasks.ExecutorControllerOptions;
/** @deprecated Import `ExecutorController` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ExecutorController: typeof tasks.ExecutorController = tasks.ExecutorController;
/** @deprecated Import `ExecutorController` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ExecutorController = tasks.ExecutorController;
/** @deprecated Import `HandlerMap` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type HandlerMap = tasks.HandlerMap;
/** @deprecated Import `validateHandlerMap` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const validateHandlerMap: typeof tasks.validateHandlerMap = tasks.validateHandlerMap;
/** @deprecated Import `handlerMapFromModule` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const handlerMapFromModule: typeof tasks.handlerMapFromModule = tasks.handlerMapFromModule;
/** @deprecated Import `abortableDelay` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const abortableDelay: typeof tasks.abortableDelay = tasks.abortableDelay;
/** @deprecated Import `TestControllerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TestControllerOptions = tasks.TestControllerOptions;
/** @deprecated Import `RequestChannelOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type RequestChannelOptions = tasks.RequestChannelOptions;
/** @deprecated Import `RequestChannel` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const RequestChannel: typeof tasks.RequestChannel = tasks.RequestChannel;
/** @deprecated Import `RequestChannel` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type RequestChannel = tasks.RequestChannel;
/** @deprecated Import `TaskEventListenerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskEventListenerOptions = tasks.TaskEventListenerOptions;
/** @deprecated Import `TaskEventListener` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const TaskEventListener: typeof tasks.TaskEventListener = tasks.TaskEventListener;
/** @deprecated Import `TaskEventListener` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskEventListener = tasks.TaskEventListener;
/** @deprecated Import `TriggeredTask` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type TriggeredTask = tasks.TriggeredTask;
/** @deprecated Import `WaitOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type WaitOptions = tasks.WaitOptions;
/** @deprecated Import `ConfigError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ConfigError: typeof tasks.ConfigError = tasks.ConfigError;
/** @deprecated Import `ConfigError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ConfigError = tasks.ConfigError;
/** @deprecated Import `YamlSource` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type YamlSource = tasks.YamlSource;
/** @deprecated Import `loadYaml` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const loadYaml: typeof tasks.loadYaml = tasks.loadYaml;
/** @deprecated Import `MapEntry` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type MapEntry = tasks.MapEntry;
/** @deprecated Import `mapEntries` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const mapEntries: typeof tasks.mapEntries = tasks.mapEntries;
/** @deprecated Import `scalarValue` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const scalarValue: typeof tasks.scalarValue = tasks.scalarValue;
/** @deprecated Import `parsePort` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const parsePort: typeof tasks.parsePort = tasks.parsePort;
/** @deprecated Import `Remote` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type Remote = tasks.Remote;
/** @deprecated Import `remotesJsonSchema` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const remotesJsonSchema: typeof tasks.remotesJsonSchema = tasks.remotesJsonSchema;
/** @deprecated Import `RemotesOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type RemotesOptions = tasks.RemotesOptions;
/** @deprecated Import `logConfigWarning` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const logConfigWarning: typeof tasks.logConfigWarning = tasks.logConfigWarning;
/** @deprecated Import `parseRemotes` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const parseRemotes: typeof tasks.parseRemotes = tasks.parseRemotes;
/** @deprecated Import `loadRemotes` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const loadRemotes: typeof tasks.loadRemotes = tasks.loadRemotes;
/** @deprecated Import `readConfigText` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const readConfigText: typeof tasks.readConfigText = tasks.readConfigText;
/** @deprecated Import `defaultRemotesPath` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const defaultRemotesPath: typeof tasks.defaultRemotesPath = tasks.defaultRemotesPath;
/** @deprecated Import `ScriptComponent` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptComponent = tasks.ScriptComponent;
/** @deprecated Import `ScriptHandler` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptHandler = tasks.ScriptHandler;
/** @deprecated Import `ScriptStep` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptStep = tasks.ScriptStep;
/** @deprecated Import `ScriptScene` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptScene = tasks.ScriptScene;
/** @deprecated Import `Script` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type Script = tasks.Script;
/** @deprecated Import `StageKey` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type StageKey = tasks.StageKey;
/** @deprecated Import `parseStageKey` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const parseStageKey: typeof tasks.parseStageKey = tasks.parseStageKey;
/** @deprecated Import `scriptJsonSchema` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const scriptJsonSchema: typeof tasks.scriptJsonSchema = tasks.scriptJsonSchema;
/** @deprecated Import `ScriptOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptOptions = tasks.ScriptOptions;
/** @deprecated Import `parseScript` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const parseScript: typeof tasks.parseScript = tasks.parseScript;
/** @deprecated Import `unknownRemotes` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const unknownRemotes: typeof tasks.unknownRemotes = tasks.unknownRemotes;
/** @deprecated Import `ScriptRunnerOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptRunnerOptions = tasks.ScriptRunnerOptions;
/** @deprecated Import `ScriptSummary` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptSummary = tasks.ScriptSummary;
/** @deprecated Import `ScriptInterrupted` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ScriptInterrupted: typeof tasks.ScriptInterrupted = tasks.ScriptInterrupted;
/** @deprecated Import `ScriptInterrupted` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptInterrupted = tasks.ScriptInterrupted;
/** @deprecated Import `ScriptInputEnded` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ScriptInputEnded: typeof tasks.ScriptInputEnded = tasks.ScriptInputEnded;
/** @deprecated Import `ScriptInputEnded` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptInputEnded = tasks.ScriptInputEnded;
/** @deprecated Import `ScriptRunner` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ScriptRunner: typeof tasks.ScriptRunner = tasks.ScriptRunner;
/** @deprecated Import `ScriptRunner` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ScriptRunner = tasks.ScriptRunner;
/** @deprecated Import `OBJECT_ENCODINGS` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const OBJECT_ENCODINGS: typeof tasks.OBJECT_ENCODINGS = tasks.OBJECT_ENCODINGS;
/** @deprecated Import `ObjectEncoding` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ObjectEncoding = tasks.ObjectEncoding;
/** @deprecated Import `PICKLE_REFUSAL` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const PICKLE_REFUSAL: typeof tasks.PICKLE_REFUSAL = tasks.PICKLE_REFUSAL;
/** @deprecated Import `PickleRefusedError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const PickleRefusedError: typeof tasks.PickleRefusedError = tasks.PickleRefusedError;
/** @deprecated Import `PickleRefusedError` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type PickleRefusedError = tasks.PickleRefusedError;
/** @deprecated Import `parseObjectEncoding` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const parseObjectEncoding: typeof tasks.parseObjectEncoding = tasks.parseObjectEncoding;
/** @deprecated Import `encodeObject` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const encodeObject: typeof tasks.encodeObject = tasks.encodeObject;
/** @deprecated Import `decodeObject` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const decodeObject: typeof tasks.decodeObject = tasks.decodeObject;
/** @deprecated Import `ObjectPublisherOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ObjectPublisherOptions = tasks.ObjectPublisherOptions;
/** @deprecated Import `ObjectPublisher` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ObjectPublisher: typeof tasks.ObjectPublisher = tasks.ObjectPublisher;
/** @deprecated Import `ObjectPublisher` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ObjectPublisher = tasks.ObjectPublisher;
/** @deprecated Import `ObjectSubscriberOptions` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ObjectSubscriberOptions = tasks.ObjectSubscriberOptions;
/** @deprecated Import `ReceivedObject` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ReceivedObject = tasks.ReceivedObject;
/** @deprecated Import `ObjectSubscriber` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export const ObjectSubscriber: typeof tasks.ObjectSubscriber = tasks.ObjectSubscriber;
/** @deprecated Import `ObjectSubscriber` from "@zedge/zedge/tasks" (the root keeps the common names only); this name leaves the root in the next release. */
export type ObjectSubscriber = tasks.ObjectSubscriber;

// ---- @zedge/zedge/pipeline ----------------------------------------------------

/** @deprecated Import `AckData` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type AckData = pipeline.AckData;
/** @deprecated Import `CodecError` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export const PipelineCodecError: typeof pipeline.CodecError = pipeline.CodecError;
/** @deprecated Import `CodecError` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineCodecError = pipeline.CodecError;
/** @deprecated Import `decodeMessage` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export const decodePipelineMessage: typeof pipeline.decodeMessage = pipeline.decodeMessage;
/** @deprecated Import `encodeMessage` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export const encodePipelineMessage: typeof pipeline.encodeMessage = pipeline.encodeMessage;
/** @deprecated Import `FailedItem` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type FailedItem = pipeline.FailedItem;
/** @deprecated Import `ItemFailure` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ItemFailure = pipeline.ItemFailure;
/** @deprecated Import `ItemResult` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ItemResult = pipeline.ItemResult;
/** @deprecated Import `PipelineMessage` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type PipelineMessage = pipeline.PipelineMessage;
/** @deprecated Import `PipelineSummary` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type PipelineSummary = pipeline.PipelineSummary;
/** @deprecated Import `WorkItem` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type WorkItem = pipeline.WorkItem;
/** @deprecated Import `checkDependencies` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const checkDependencies: typeof pipeline.checkDependencies = pipeline.checkDependencies;
/** @deprecated Import `DependencyError` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const DependencyError: typeof pipeline.DependencyError = pipeline.DependencyError;
/** @deprecated Import `DependencyError` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type DependencyError = pipeline.DependencyError;
/** @deprecated Import `Journal` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export const PipelineJournal: typeof pipeline.Journal = pipeline.Journal;
/** @deprecated Import `Journal` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineJournal = pipeline.Journal;
/** @deprecated Import `JournalOptions` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineJournalOptions = pipeline.JournalOptions;
/** @deprecated Import `Handler` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineHandler = pipeline.Handler;
/** @deprecated Import `HandlerContext` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineHandlerContext = pipeline.HandlerContext;
/** @deprecated Import `HandlerHooks` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineHandlerHooks = pipeline.HandlerHooks;
/** @deprecated Import `HandlerMap` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineHandlerMap = pipeline.HandlerMap;
/** @deprecated Import `handlersFromModule` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export const pipelineHandlersFromModule: typeof pipeline.handlersFromModule =
  pipeline.handlersFromModule;
/** @deprecated Import `InitContext` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineInitContext = pipeline.InitContext;
/** @deprecated Import `loadHandlers` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export const loadPipelineHandlers: typeof pipeline.loadHandlers = pipeline.loadHandlers;
/** @deprecated Import `Executor` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineExecutor = pipeline.Executor;
/** @deprecated Import `InlineExecutor` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const InlineExecutor: typeof pipeline.InlineExecutor = pipeline.InlineExecutor;
/** @deprecated Import `InlineExecutor` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type InlineExecutor = pipeline.InlineExecutor;
/** @deprecated Import `InlineExecutorOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type InlineExecutorOptions = pipeline.InlineExecutorOptions;
/** @deprecated Import `Outcome` from "@zedge/zedge/pipeline" (the prefixed alias goes); this name leaves the root in the next release. */
export type PipelineOutcome = pipeline.Outcome;
/** @deprecated Import `ThreadPool` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const ThreadPool: typeof pipeline.ThreadPool = pipeline.ThreadPool;
/** @deprecated Import `ThreadPool` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ThreadPool = pipeline.ThreadPool;
/** @deprecated Import `ThreadPoolOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ThreadPoolOptions = pipeline.ThreadPoolOptions;
/** @deprecated Import `ItemSource` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ItemSource = pipeline.ItemSource;
/** @deprecated Import `MetadataOption` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type MetadataOption = pipeline.MetadataOption;
/** @deprecated Import `Progress` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type Progress = pipeline.Progress;
/** @deprecated Import `TaskSource` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskSource = pipeline.TaskSource;
/** @deprecated Import `WorkerStats` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type WorkerStats = pipeline.WorkerStats;
/** @deprecated Import `CollectedResult` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type CollectedResult = pipeline.CollectedResult;
/** @deprecated Import `MetadataProvider` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const MetadataProvider: typeof pipeline.MetadataProvider = pipeline.MetadataProvider;
/** @deprecated Import `MetadataProvider` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type MetadataProvider = pipeline.MetadataProvider;
/** @deprecated Import `MetadataProviderOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type MetadataProviderOptions = pipeline.MetadataProviderOptions;
/** @deprecated Import `BrokerStats` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type BrokerStats = pipeline.BrokerStats;
/** @deprecated Import `ServiceErrorCode` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ServiceErrorCode = pipeline.ServiceErrorCode;
/** @deprecated Import `BrokerConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type BrokerConfig = pipeline.BrokerConfig;
/** @deprecated Import `EndpointConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type EndpointConfig = pipeline.EndpointConfig;
/** @deprecated Import `parsePipelineConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const parsePipelineConfig: typeof pipeline.parsePipelineConfig =
  pipeline.parsePipelineConfig;
/** @deprecated Import `PipelineConfigOptions` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type PipelineConfigOptions = pipeline.PipelineConfigOptions;
/** @deprecated Import `PipelineLogging` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type PipelineLogging = pipeline.PipelineLogging;
/** @deprecated Import `ServiceConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type ServiceConfig = pipeline.ServiceConfig;
/** @deprecated Import `TaskConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type TaskConfig = pipeline.TaskConfig;
/** @deprecated Import `WorkerConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type WorkerConfig = pipeline.WorkerConfig;
/** @deprecated Import `pipelineJsonSchema` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const pipelineJsonSchema: typeof pipeline.pipelineJsonSchema = pipeline.pipelineJsonSchema;
/** @deprecated Import `EndpointCurve` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type EndpointCurve = pipeline.EndpointCurve;
/** @deprecated Import `EndpointSecurity` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type EndpointSecurity<K extends string> = pipeline.EndpointSecurity<K>;
/** @deprecated Import `brokerFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const brokerFromConfig: typeof pipeline.brokerFromConfig = pipeline.brokerFromConfig;
/** @deprecated Import `collectorFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const collectorFromConfig: typeof pipeline.collectorFromConfig =
  pipeline.collectorFromConfig;
/** @deprecated Import `distributorFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const distributorFromConfig: typeof pipeline.distributorFromConfig =
  pipeline.distributorFromConfig;
/** @deprecated Import `metadataProviderFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const metadataProviderFromConfig: typeof pipeline.metadataProviderFromConfig =
  pipeline.metadataProviderFromConfig;
/** @deprecated Import `PipelineRoles` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export type PipelineRoles = pipeline.PipelineRoles;
/** @deprecated Import `serviceWorkerFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const serviceWorkerFromConfig: typeof pipeline.serviceWorkerFromConfig =
  pipeline.serviceWorkerFromConfig;
/** @deprecated Import `taskSourcesFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const taskSourcesFromConfig: typeof pipeline.taskSourcesFromConfig =
  pipeline.taskSourcesFromConfig;
/** @deprecated Import `workerFromConfig` from "@zedge/zedge/pipeline" (the root keeps the common names only); this name leaves the root in the next release. */
export const workerFromConfig: typeof pipeline.workerFromConfig = pipeline.workerFromConfig;

// ---- @zedge/zedge/manager -----------------------------------------------------

/** @deprecated Import `SocketAlreadyExists` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const SocketAlreadyExists: typeof manager.SocketAlreadyExists = manager.SocketAlreadyExists;
/** @deprecated Import `SocketAlreadyExists` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketAlreadyExists = manager.SocketAlreadyExists;
/** @deprecated Import `SocketBindError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const SocketBindError: typeof manager.SocketBindError = manager.SocketBindError;
/** @deprecated Import `SocketBindError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketBindError = manager.SocketBindError;
/** @deprecated Import `SocketConnectError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const SocketConnectError: typeof manager.SocketConnectError = manager.SocketConnectError;
/** @deprecated Import `SocketConnectError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketConnectError = manager.SocketConnectError;
/** @deprecated Import `SocketDecodeError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const SocketDecodeError: typeof manager.SocketDecodeError = manager.SocketDecodeError;
/** @deprecated Import `SocketDecodeError` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketDecodeError = manager.SocketDecodeError;
/** @deprecated Import `SocketNotFound` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const SocketNotFound: typeof manager.SocketNotFound = manager.SocketNotFound;
/** @deprecated Import `SocketNotFound` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketNotFound = manager.SocketNotFound;
/** @deprecated Import `Event` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const Event: typeof manager.Event = manager.Event;
/** @deprecated Import `Event` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type Event<T = unknown> = manager.Event<T>;
/** @deprecated Import `PollResult` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type PollResult = manager.PollResult;
/** @deprecated Import `ManagerWaitOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type ManagerWaitOptions = manager.ManagerWaitOptions;
/** @deprecated Import `PollOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type PollOptions = manager.PollOptions;
/** @deprecated Import `SendSafeOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SendSafeOptions = manager.SendSafeOptions;
/** @deprecated Import `SubscribeOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SubscribeOptions = manager.SubscribeOptions;
/** @deprecated Import `JSON_SERIALIZER` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const JSON_SERIALIZER: typeof manager.JSON_SERIALIZER = manager.JSON_SERIALIZER;
/** @deprecated Import `MSGPACK_SERIALIZER` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const MSGPACK_SERIALIZER: typeof manager.MSGPACK_SERIALIZER = manager.MSGPACK_SERIALIZER;
/** @deprecated Import `RAW_SERIALIZER` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export const RAW_SERIALIZER: typeof manager.RAW_SERIALIZER = manager.RAW_SERIALIZER;
/** @deprecated Import `Serializer` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type Serializer = manager.Serializer;
/** @deprecated Import `SerializerName` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SerializerName = manager.SerializerName;
/** @deprecated Import `Direction` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type Direction = manager.Direction;
/** @deprecated Import `ManagedSocketOptions` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type ManagedSocketOptions = manager.ManagedSocketOptions;
/** @deprecated Import `SocketClass` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketClass<S extends Socket = Socket> = manager.SocketClass<S>;
/** @deprecated Import `SocketFor` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketFor<T extends manager.SocketTypeSpec> = manager.SocketFor<T>;
/** @deprecated Import `SocketsByName` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketsByName = manager.SocketsByName;
/** @deprecated Import `SocketTypeSpec` from "@zedge/zedge/manager" (the root keeps the common names only); this name leaves the root in the next release. */
export type SocketTypeSpec = manager.SocketTypeSpec;

// ---- @zedge/zedge/security ----------------------------------------------------

/** @deprecated Import `AuthDecision` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export type AuthDecision = security.AuthDecision;
/** @deprecated Import `AuthPolicy` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export type AuthPolicy = security.AuthPolicy;
/** @deprecated Import `parsePasswords` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const parsePasswords: typeof security.parsePasswords = security.parsePasswords;
/** @deprecated Import `Certificate` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export type Certificate = security.Certificate;
/** @deprecated Import `formatCertificate` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const formatCertificate: typeof security.formatCertificate = security.formatCertificate;
/** @deprecated Import `isZ85Key` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const isZ85Key: typeof security.isZ85Key = security.isZ85Key;
/** @deprecated Import `parseCertificate` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const parseCertificate: typeof security.parseCertificate = security.parseCertificate;
/** @deprecated Import `readCertificateSync` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const readCertificateSync: typeof security.readCertificateSync =
  security.readCertificateSync;
/** @deprecated Import `readPublicKeys` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const readPublicKeys: typeof security.readPublicKeys = security.readPublicKeys;
/** @deprecated Import `readSecretCertificateSync` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const readSecretCertificateSync: typeof security.readSecretCertificateSync =
  security.readSecretCertificateSync;
/** @deprecated Import `resolvePublicKey` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const resolvePublicKey: typeof security.resolvePublicKey = security.resolvePublicKey;
/** @deprecated Import `resolvePublicKeySync` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const resolvePublicKeySync: typeof security.resolvePublicKeySync =
  security.resolvePublicKeySync;
/** @deprecated Import `curveAllowPolicy` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const curveAllowPolicy: typeof security.curveAllowPolicy = security.curveAllowPolicy;
/** @deprecated Import `curveClientOptions` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const curveClientOptions: typeof security.curveClientOptions = security.curveClientOptions;
/** @deprecated Import `curveServerOptions` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const curveServerOptions: typeof security.curveServerOptions = security.curveServerOptions;
/** @deprecated Import `ZAP_ENDPOINT` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export const ZAP_ENDPOINT: typeof security.ZAP_ENDPOINT = security.ZAP_ENDPOINT;
/** @deprecated Import `ZapRequest` from "@zedge/zedge/security" (the root keeps the common names only); this name leaves the root in the next release. */
export type ZapRequest = security.ZapRequest;
