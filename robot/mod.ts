/**
 * The edge runtime: one robot YAML → supervised, permission-scoped
 * components. `loadRobotConfig` validates the file and resolves it; a
 * `Supervisor` runs each component in its own Web Worker with the Deno
 * permissions its configuration names; `controlRequest` asks a running
 * robot (what `zedge robot status` does); `systemdUnit` writes its unit and
 * `stageRobot` lays out its own binary. Node modules take a
 * {@link NodeContext}.
 *
 * @example
 * ```ts
 * import { loadRobotConfig, Supervisor } from "./mod.ts";
 * const supervisor = new Supervisor(await loadRobotConfig("examples/robot/robot.yaml"));
 * await supervisor.start();
 * console.log(supervisor.status().components.map((c) => `${c.name}: ${c.state}`));
 * await supervisor.shutdown();
 * ```
 * @module
 */
export { ZedgeError } from "../core/errors.ts";
export {
  type ComponentEndpoints,
  type ComponentPermissions,
  type EndpointPermissions,
  permissionFlags,
  permissionsFor,
  unionPermissions,
  workerPermissions,
} from "./permissions.ts";
export {
  COMPONENT_KINDS,
  type ComponentKind,
  RESTART_POLICIES,
  type RestartPolicy,
  robotJsonSchema,
} from "./schema.ts";
export {
  type ComponentSpec,
  type ComponentSpecBase,
  connectableEndpoint,
  defaultControlEndpoint,
  loadRobotConfig,
  type NodeSpec,
  parseRobotConfig,
  type PipelineRoleSpec,
  type RobotConfig,
  type RobotConfigOptions,
  type RobotSecurity,
  type StatusLogin,
  type TaskServerSpec,
} from "./config.ts";
export {
  type ComponentState,
  type ComponentStatus,
  CONTROL_OPS,
  type ControlReply,
  type ControlRequest,
  controlRequest,
  type ControlRequestOptions,
  type ControlRole,
  type ControlSecurity,
  ControlUnreachableError,
  mayCall,
  type RobotStatus,
} from "./control.ts";
export { Supervisor, type SupervisorOptions } from "./supervisor.ts";
export { type TaskServerEntry, taskServersOf } from "./task_servers.ts";
export type { EndpointCurveSpec } from "./security.ts";
export type { SecurityOptions, SocketOptions } from "../core/sockets/options.ts";
export type { EndpointCurve } from "../core/pipeline/endpoint_security.ts";
export { checkRobotModules } from "./check.ts";
export { robotProcessFlags, robotProcessPermissions } from "./process_permissions.ts";
export { type SystemdOptions, type SystemdUnit, systemdUnit } from "./systemd.ts";
export { type BuildPlan, stageRobot } from "./build.ts";
export type { NodeContext, NodeLogger, NodeMain } from "./kinds/mod.ts";
export type { ComponentLogRecord, LogLevelName } from "./protocol.ts";
export { LOG_LEVELS } from "../core/logs/record.ts";
export { ModuleGraph } from "./module_graph.ts";
export type {
  LogLine,
  PipelineView,
  RobotView,
  SocketView,
  TaskCountsView,
  TaskView,
  TopicView,
} from "./observe/view.ts";
export type {
  ComponentFigures,
  PipelineFigures,
  SocketFigures,
  TaskFigures,
  TaskServerFigures,
  TopicFigures,
} from "./observe/figures.ts";
export { RobotObservatory } from "./observe/observatory.ts";
export { StatusPageError, StatusServer } from "./observe/status_server.ts";
export { robotMetricsText } from "./observe/robot_metrics.ts";
export type {
  CallOptions,
  DataflowSpec,
  DiscoverOptions,
  ServiceCallContext,
  ServiceHandler,
} from "./dataflow/node_dataflow.ts";
export { TOPIC_ENCODINGS, type TopicEncoding, type TopicMessage } from "./dataflow/codec.ts";
export type { ProcessMode } from "./process_permissions.ts";
export type {
  BrokerConfig,
  EndpointConfig,
  PipelineConfig,
  PipelineLogging,
  ServiceConfig,
  TaskConfig,
  WorkerConfig,
} from "../core/pipeline/config.ts";
export { type RecordingOptions, RecordingWriter } from "./record/mcap_writer.ts";
export {
  type RecordedChannel,
  type RecordedMessage,
  RecordingFormatError,
  RecordingReader,
} from "./record/mcap_reader.ts";
export { playableChannels, type PlayOptions, playRecording } from "./record/player.ts";
export {
  LiveClient,
  LiveClientError,
  type LiveReply,
  type StreamEvent,
  type StreamRequest,
} from "./live/control_client.ts";
export type { TopicInfo } from "./live/control_wire.ts";
export {
  BwMeter,
  type BwReport,
  formatBw,
  formatHz,
  HzMeter,
  type HzReport,
} from "./live/topic_stats.ts";
export type { OperatorSpec, TopicSchema } from "./config.ts";
export {
  type ComponentStateValue,
  type LatestValue,
  type LiveTopic,
  LOG_TOPIC,
  PublishRefusedError,
  RobotLive,
  STATES_TOPIC,
} from "./live/hub.ts";
export type { LiveRequest } from "./live/control_wire.ts";
export { type JsonValue, toJsonValue } from "./live/json_value.ts";
export { type TapListener, type TappedMessage, TopicTap } from "./live/tap.ts";
export type { CallOutcome } from "./live/service_caller.ts";
export { LIVE_OPS } from "./live/control_wire.ts";
