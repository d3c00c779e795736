/**
 * The robot supervisor: runs each component of a {@link RobotConfig} in
 * its own Web Worker, whose Deno permissions are that component's alone,
 * and keeps it running. The concerns live in `supervision/`: each
 * component's crash policy and watchdog (supervised_component.ts), host
 * processes for `isolation: process` and `limits` (host_process.ts,
 * host_main.ts, frame_link.ts), and the log sinks (log_sinks.ts); this
 * module wires them to the control server, the status page, the gateway,
 * peer links and the live view.
 *
 * - A crash (uncaught error, unhandled rejection, `self.close()`,
 *   `Deno.exit()`, a module that throws) restarts the component after a
 *   backoff of 0.5 s doubling to 30 s (starting over once it has run 30 s).
 *   More than 5 crashes within 60 s mark it `failed`; the others carry on.
 * - A component whose modules cannot load, or do not export what its kind
 *   needs, is `failed` at once: retrying cannot fix it.
 * - Components heartbeat every second; a running one silent for
 *   `heartbeatTimeoutMs` (default 5 s: a busy loop, a deadlock) is
 *   terminated and replaced; one still loading and starting gets
 *   `loadTimeoutMs` (60 s).
 *   Deno cannot stop a thread stuck in a synchronous loop: `terminate()`
 *   returns but the thread keeps its core (and any socket it bound) until
 *   the loop ends, so its replacement may find its port taken and fail.
 *   A component with `isolation: process` (or `limits: { memoryMb }`) runs
 *   in a host process of its own instead: it is SIGKILLed, and its
 *   replacement starts only once it has exited; over its heap limit it
 *   alone restarts, with `out of memory (N MB)` as its reason.
 * - {@link Supervisor.shutdown} fires every component's signal and waits
 *   up to 1.5 s; components still running then are terminated.
 * - Components report their live figures with each heartbeat; the
 *   supervisor's observatory turns them into {@link Supervisor.view}
 *   (the control channel's `view`, and the status page with `/metrics`
 *   when the YAML says `status: HOST:PORT`).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { Supervisor } from "./supervisor.ts";
 * const supervisor = new Supervisor(await loadRobotConfig("examples/robot/robot.yaml"));
 * await supervisor.start();
 * console.log(supervisor.status().components.map((c) => `${c.name}: ${c.state}`));
 * await supervisor.shutdown();
 * ```
 * @module
 */
import type { RobotConfig } from "./spec.ts";
import { type ComponentState, ControlServer, type RobotStatus } from "./control.ts";
import { controlSecurityOf } from "./robot_security.ts";
import { createPubLogSink, type PubLogSink } from "../core/logs/pub_sink.ts";
import { DataflowGateway, robotDirectory } from "./dataflow/gateway.ts";
import { PeerLinks } from "./dataflow/peer_links.ts";
import { ensurePrivateDir } from "./private_dir.ts";
import { VERSION } from "../core/version.ts";
import { taskServersOf } from "./task_servers.ts";
import { FoxgloveServer } from "./foxglove/server.ts";
import { httpSocketPath } from "./http_guard.ts";
import { InprocDirectory } from "./inproc_bridge.ts";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { LiveControl } from "./live/control_ops.ts";
import { RobotLive } from "./live/hub.ts";
import { RobotObservatory } from "./observe/observatory.ts";
import { StatusServer } from "./observe/status_server.ts";
import type { RobotView } from "./observe/view.ts";
import { HostPool, hostSocketDir } from "./supervision/host_process.ts";
import { LogSinks, relogSink } from "./supervision/log_sinks.ts";
import { SupervisedComponent } from "./supervision/supervised_component.ts";
import type { ComponentLogRecord, LogLevelName } from "./protocol.ts";
import { getLogger } from "@logtape/logtape";

const log = getLogger(["zedge", "robot", "supervisor"]);

/** Log tail lines a control `view` reply carries at most (`zedge robot top` shows a few). */
const CONTROL_LOG_LINES = 50;

/**
 * Supervisor settings; every field has a default.
 *
 * @example
 * ```ts
 * import type { SupervisorOptions } from "./supervisor.ts";
 * const options: SupervisorOptions = { logLevel: "debug", control: false };
 * ```
 */
export interface SupervisorOptions {
  /** Lowest level of component log records forwarded (default "info"). */
  logLevel?: LogLevelName;
  /** Bind the robot's control endpoint (default true). */
  control?: boolean;
  /** First restart delay, doubling per crash (default 500 ms). */
  backoffInitialMs?: number;
  /** Longest restart delay (default 30 s); a component that ran this long starts over. */
  backoffMaxMs?: number;
  /** More crashes than this within `crashWindowMs` mark a component failed (default 5). */
  maxCrashes?: number;
  /** The window for `maxCrashes` (default 60 s). */
  crashWindowMs?: number;
  /** How long a stopping component may take before it is terminated (default 1.5 s). */
  stopTimeoutMs?: number;
  /** How long a component may take to load its modules and start (default 60 s). */
  loadTimeoutMs?: number;
  /** Called for every record a component logs (default: re-logged under `["zedge", "component", name]`). */
  onLog?: (component: string, record: ComponentLogRecord) => void;
  /** Called on every state change. */
  onStateChange?: (component: string, state: ComponentState, error: string | null) => void;
}

type Settings = Required<Omit<SupervisorOptions, "onLog" | "onStateChange">> & SupervisorOptions;

/**
 * Runs a robot's components (see the module documentation).
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { Supervisor } from "./supervisor.ts";
 * const supervisor = new Supervisor(await loadRobotConfig("robot.yaml"), { control: false });
 * await supervisor.start();
 * await supervisor.restart("planner");
 * await supervisor.shutdown();
 * ```
 */
export class Supervisor {
  /** The configuration it runs. */
  readonly config: RobotConfig;
  readonly #settings: Settings;
  readonly #components: SupervisedComponent[];
  readonly #startedAt = performance.now();
  #control: ControlServer | null = null;
  #shuttingDown: Promise<void> | null = null;
  readonly #inproc: InprocDirectory;
  #gateway: DataflowGateway | null = null;
  #peers: PeerLinks | null = null;
  #logs: PubLogSink | null = null;
  readonly #sinks: LogSinks;
  readonly #hosts: HostPool;
  #uninstallBridge: (() => void) | null = null;
  readonly #observatory: RobotObservatory;
  #statusServer: StatusServer | null = null;
  readonly #live: RobotLive;
  readonly #liveControl: LiveControl;
  #foxglove: FoxgloveServer | null = null;

  /** Prepares the components; nothing starts before {@link start}. */
  constructor(config: RobotConfig, options: SupervisorOptions = {}) {
    this.config = config;
    this.#settings = {
      logLevel: "info",
      control: true,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      maxCrashes: 5,
      crashWindowMs: 60_000,
      stopTimeoutMs: 1500,
      loadTimeoutMs: 60_000,
      ...options,
    };
    const inproc = new InprocDirectory(
      (name, message, transfer) =>
        this.#components.find((c) => c.spec.name === name)?.post(message, transfer),
      // The name in the reason comes from the component: escaped.
      (name, reason) =>
        log.warn("{name}: refused: {reason}", { name, reason: escapeUntrusted(reason) }),
    );
    this.#inproc = inproc;
    const observatory = new RobotObservatory(() => this.status());
    this.#observatory = observatory;
    this.#live = new RobotLive(config, observatory);
    this.#liveControl = new LiveControl(this.#live);
    this.#hosts = new HostPool(config.components, config.sharedHostMemoryMb);
    const onLog = this.#settings.onLog;
    this.#sinks = new LogSinks([
      {
        component: (name, record) => observatory.log(name, record),
        supervisor: (record) => observatory.log("supervisor", record),
      },
      onLog ? { component: onLog } : relogSink,
    ]);
    const sinks = this.#sinks;
    const policy = {
      ...this.#settings,
      onLog: (component: string, record: ComponentLogRecord) => sinks.component(component, record),
      onStateChange: (component: string, state: ComponentState, error: string | null) => {
        this.#settings.onStateChange?.(component, state, error);
        sinks.stateChanged(component, state, error);
        observatory.stateChanged(component, state);
      },
    };
    this.#components = config.components.map((spec) =>
      new SupervisedComponent(spec, policy, { inproc, observatory, hosts: this.#hosts })
    );
  }

  /** Where the status page listens (`HOST:PORT`), once started; null without `status`. */
  get statusAddress(): string | null {
    return this.#statusServer?.address ?? null;
  }

  /** Where the Foxglove server listens (`HOST:PORT`), once started; null without `foxglove`. */
  get foxgloveAddress(): string | null {
    return this.#foxglove?.address ?? null;
  }

  /** The robot's data for people (topics, logs, states, services; its topics once started). */
  get live(): RobotLive {
    return this.#live;
  }

  /** The control endpoint, once bound (null with `control: false`). */
  get controlEndpoint(): string | null {
    return this.#control?.endpoint ?? null;
  }

  /**
   * Binds the control endpoint, starts every component and resolves once
   * each has been ready (or failed) once. Throws if the control endpoint
   * cannot be bound.
   */
  async start(): Promise<void> {
    if (this.config.logs !== null) await this.#publishLogs(this.config.logs);
    if (this.#settings.control) {
      const control = new ControlServer(this.config.control, {
        status: () => this.status(),
        directory: () => robotDirectory(this.config),
        tasks: () => taskServersOf(this.config),
        view: (logsAfter) => ({
          view: this.view(),
          logs: this.#observatory.logs(logsAfter, CONTROL_LOG_LINES),
        }),
        act: (op, name) =>
          op === "restart"
            ? this.restart(name)
            : op === "stop"
            ? this.stopComponent(name)
            : this.startComponent(name),
        live: this.#liveControl,
      }, { security: controlSecurityOf(this.config), robot: this.config.robot });
      await control.start();
      this.#control = control;
    }
    if (this.config.dataflowDir !== null) {
      // Before anything binds there (the operator's topics on ipc, then the nodes').
      await ensurePrivateDir(this.config.dataflowDir);
    }
    if (this.config.components.some((c) => c.isolation !== "worker")) {
      // Where host processes dial in (see supervision/host_process.ts).
      await ensurePrivateDir(hostSocketDir(this.config.robot));
      await this.#hosts.prepare(this.config.components);
    }
    // The supervisor tap: its isolate dials the components' inproc names and binds its own
    // (the operator's topics, the links to peer robots), which components dial.
    this.#uninstallBridge = this.#inproc.installLocal();
    const live = this.#live;
    await live.start();
    if (this.config.status !== null) {
      const server = new StatusServer(this.config.status, this.#observatory, {
        login: this.config.statusLogin,
        latest: live,
        socketPath: httpSocketPath(this.config.robot, "status", this.config.status),
      });
      await server.start();
      this.#statusServer = server;
    }
    if (this.config.foxglove !== null) {
      this.#foxglove = new FoxgloveServer(this.config.foxglove, live, {
        socketPath: httpSocketPath(this.config.robot, "foxglove", this.config.foxglove),
      });
      await this.#foxglove.start();
    }
    // Peer traffic goes through the supervisor (peer_links.ts): bound before nodes dial it.
    const peers = new PeerLinks(this.config);
    if (peers.any) {
      this.#peers = peers;
      await peers.start();
    }
    for (const component of this.#components) component.start();
    const { topics, services } = this.config.gateway;
    if (topics !== undefined || services !== undefined) {
      this.#gateway = new DataflowGateway(this.config);
      await this.#gateway.start();
    }
    await this.ready();
  }

  /**
   * Publishes every component's records on a PUB socket at `endpoint` (the
   * YAML's `logs`), and the supervisor's word on each state change — who
   * crashed, why, what restarts — as component `supervisor`.
   */
  async #publishLogs(endpoint: string): Promise<void> {
    const logs = await createPubLogSink({
      endpoint,
      robot: this.config.robot,
      component: "supervisor",
    });
    this.#logs = logs;
    this.#sinks.add({
      component: (name, record) => logs.publish(name, record),
      supervisor: (record) => logs.publish("supervisor", record),
    });
  }

  /** Resolves once every component has been ready (or failed) once. */
  async ready(): Promise<void> {
    await Promise.all(this.#components.map((c) => c.settled()));
  }

  /** The robot's status (what `zedge robot status --json` prints). */
  status(): RobotStatus {
    const now = performance.now();
    return {
      robot: this.config.robot,
      pid: Deno.pid,
      version: VERSION,
      uptimeMs: Math.round(now - this.#startedAt),
      components: this.#components.map((c) => c.status(now)),
    };
  }

  /** The robot's live view: status with tasks, pipelines, topics and sockets (see view.ts). */
  view(): RobotView {
    return this.#observatory.view();
  }

  #find(name: string): SupervisedComponent {
    const component = this.#components.find((c) => c.spec.name === name);
    if (component === undefined) {
      throw new Error(
        `no component '${name}' (components: ${
          this.#components.map((c) => c.spec.name).join(", ")
        })`,
      );
    }
    return component;
  }

  /** Stops one component and starts it again (its restart count goes up). */
  async restart(name: string): Promise<void> {
    const component = this.#find(name);
    await component.stop();
    component.start();
  }

  /** Stops one component; it stays stopped until {@link startComponent}. */
  async stopComponent(name: string): Promise<void> {
    await this.#find(name).stop();
  }

  /** Starts a stopped or failed component. */
  startComponent(name: string): Promise<void> {
    this.#find(name).start();
    return Promise.resolve();
  }

  /**
   * Stops every component gracefully (each within `stopTimeoutMs`, then
   * terminated) and closes the control endpoint. Safe to call twice.
   */
  shutdown(): Promise<void> {
    this.#shuttingDown ??= (async () => {
      await this.#gateway?.close();
      await this.#foxglove?.close();
      await Promise.all(this.#components.map((c) => c.stop()));
      // The shared host outlives its components' Workers: it goes with the robot.
      await this.#hosts.close();
      await this.#peers?.close();
      await this.#statusServer?.close();
      this.#liveControl.close();
      await this.#live.close();
      this.#uninstallBridge?.();
      await this.#control?.close();
      this.#control = null;
      await this.#logs?.close();
    })();
    return this.#shuttingDown;
  }
}
