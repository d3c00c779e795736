/**
 * The robot supervisor: runs each component of a {@link RobotConfig} in
 * its own Web Worker, whose Deno permissions are that component's alone,
 * and keeps it running.
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
import { getLogger } from "@logtape/logtape";
import type { ComponentSpec, RobotConfig } from "./spec.ts";
import {
  type ComponentState,
  type ComponentStatus,
  ControlServer,
  type RobotStatus,
} from "./control.ts";
import { controlSecurityOf } from "./robot_security.ts";
import { createPubLogSink, type PubLogSink } from "../core/logs/pub_sink.ts";
import { DataflowGateway, robotDirectory } from "./dataflow/gateway.ts";
import { PeerLinks } from "./dataflow/peer_links.ts";
import { ensurePrivateDir } from "./private_dir.ts";
import { FoxgloveServer } from "./foxglove/server.ts";
import { InprocDirectory, isInprocMessage } from "./inproc_bridge.ts";
import { LiveControl } from "./live/control_ops.ts";
import { RobotLive } from "./live/hub.ts";
import { RobotObservatory } from "./observe/observatory.ts";
import { StatusServer } from "./observe/status_server.ts";
import type { RobotView } from "./observe/view.ts";
import { componentWorkerUrl, graphLoadFailure } from "./component_entry.ts";
import { workerPermissions } from "./permissions.ts";
import { HostProcess, hostSocketDir } from "./supervision/host_process.ts";
import type { ComponentLogRecord, FromComponent, LogLevelName, ToComponent } from "./protocol.ts";

const log = getLogger(["zedge", "robot", "supervisor"]);

/** How often the watchdog looks at each component's last heartbeat. */
const WATCHDOG_TICK_MS = 250;

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

/** What a component's Worker shares with the rest of the robot: inproc, and where its figures go. */
interface RobotLinks {
  inproc: InprocDirectory;
  observatory: RobotObservatory;
}

/** One component's Worker and what the supervisor knows of it. */
class SupervisedComponent {
  readonly spec: ComponentSpec;
  state: ComponentState = "stopped";
  restarts = 0;
  lastError: string | null = null;
  readyAt = 0;
  #settings: Settings;
  #worker: Worker | null = null;
  /** Its host process, with `isolation: process` (then `#worker` stays null). */
  #host: HostProcess | null = null;
  /** A killed host not yet exited: no new instance starts before it has. */
  #releasing: HostProcess | null = null;
  #instance = 0;
  #launches = 0;
  #lastHeartbeat = 0;
  /** When the watchdog last ran: a late run means the supervisor itself was not running. */
  #lastWatchdogRun = 0;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;
  #backoffMs: number;
  #crashes: number[] = [];
  #wanted = false;
  #stopped: (() => void) | null = null;
  #readyWaiters: (() => void)[] = [];
  #everSettled = false;

  readonly #links: RobotLinks;

  constructor(spec: ComponentSpec, settings: Settings, links: RobotLinks) {
    this.spec = spec;
    this.#settings = settings;
    this.#links = links;
    this.#backoffMs = settings.backoffInitialMs;
  }

  /** Resolves once the component has been ready (or failed) once. */
  settled(): Promise<void> {
    if (this.#everSettled) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  status(now: number): ComponentStatus {
    const p = this.spec.permissions;
    return {
      name: this.spec.name,
      kind: this.spec.kind,
      state: this.state,
      restarts: this.restarts,
      uptimeMs: this.state === "running" ? Math.round(now - this.readyAt) : 0,
      lastError: this.lastError,
      permissions: { net: [...p.net], read: [...p.read], write: [...p.write], env: [...p.env] },
    };
  }

  start(): void {
    this.#wanted = true;
    if (this.#running() || this.state === "backoff") return;
    this.#crashes = [];
    this.#backoffMs = this.#settings.backoffInitialMs;
    this.#launch();
  }

  #setState(state: ComponentState, error: string | null = this.lastError): void {
    this.state = state;
    this.lastError = error;
    this.#settings.onStateChange?.(this.spec.name, state, error);
    if (state === "running" || state === "failed") this.#settle();
  }

  #settle(): void {
    if (this.#everSettled) return;
    this.#everSettled = true;
    for (const resolve of this.#readyWaiters.splice(0)) resolve();
  }

  #running(): boolean {
    return this.#worker !== null || this.#host !== null;
  }

  #launch(): void {
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
    const releasing = this.#releasing;
    if (releasing !== null) {
      // Its previous instance still holds its threads, memory and ports: never two at once.
      this.#setState(
        "backoff",
        `its previous instance (pid ${releasing.pid}) has not exited yet: not started again until it has`,
      );
      releasing.released.then(() => {
        if (this.#wanted && this.#releasing === null && !this.#running()) this.#launch();
      });
      return;
    }
    if (this.#launches++ > 0) this.restarts++;
    const instance = ++this.#instance;
    if (this.spec.isolation === "process") {
      this.#launchHost(instance);
      return;
    }
    const worker = new Worker(workerScript(this.spec), {
      type: "module",
      name: `${this.spec.robot}/${this.spec.name}`,
      // @ts-ignore: Deno's worker permissions (--unstable-worker-options)
      deno: { permissions: workerPermissions(this.spec.permissions) },
    });
    this.#worker = worker;
    this.#lastHeartbeat = performance.now();
    let heard = false;
    worker.onmessage = (event: MessageEvent<FromComponent>) => {
      heard = true;
      if (instance === this.#instance) this.#onMessage(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (instance !== this.#instance) return;
      // An error before the runtime's first word: the Worker's module graph did not load.
      if (!heard) this.#ended("fatal", graphLoadFailure(event.message));
      else this.#ended("crash", event.message || "uncaught error");
    };
    worker.onmessageerror = () => {
      if (instance === this.#instance) this.#ended("crash", "sent a message that cannot be read");
    };
    this.#begin(instance);
  }

  /** Starts the component in a host process of its own (see supervision/host_process.ts). */
  #launchHost(instance: number): void {
    this.#lastHeartbeat = performance.now();
    try {
      this.#host = this.#startHost(instance);
    } catch (error) {
      // Cannot start a process at all (no leave to run deno, no socket): retrying cannot help.
      this.#setState("starting");
      this.#ended("fatal", `cannot start its host process: ${(error as Error).message}`);
      return;
    }
    this.#begin(instance);
  }

  #startHost(instance: number): HostProcess {
    return new HostProcess(this.spec, {
      message: (message) => {
        if (instance === this.#instance) this.#onMessage(message);
      },
      error: (reason, heard) => {
        if (instance !== this.#instance) return;
        if (!heard) this.#ended("fatal", graphLoadFailure(reason));
        else this.#ended("crash", reason);
      },
    });
  }

  #begin(instance: number): void {
    this.#setState("starting");
    this.#links.inproc.started(this.spec.name);
    this.#post({ op: "start", spec: this.spec, logLevel: this.#settings.logLevel });
    clearInterval(this.#watchdog);
    this.#lastWatchdogRun = performance.now();
    this.#watchdog = setInterval(() => this.#checkHeartbeat(instance), WATCHDOG_TICK_MS);
  }

  /** Posts to the current Worker (none: dropped, as for a component that just ended). */
  post(message: ToComponent, transfer: Transferable[] = []): void {
    this.#post(message, transfer);
  }

  #post(message: ToComponent, transfer: Transferable[] = []): void {
    try {
      if (this.#host !== null) this.#host.post(message);
      else this.#worker?.postMessage(message, transfer);
    } catch (error) {
      this.#ended("crash", `cannot reach its worker: ${error}`);
    }
  }

  #checkHeartbeat(instance: number): void {
    if (instance !== this.#instance || !this.#running()) return;
    const now = performance.now();
    // A run far later than its tick means the supervisor did not run meanwhile (the process
    // was paused with SIGSTOP, the machine suspended, or its own thread was busy): it could
    // not hear heartbeats then, so that time is not the component's silence.
    const late = now - this.#lastWatchdogRun - WATCHDOG_TICK_MS;
    this.#lastWatchdogRun = now;
    if (late > WATCHDOG_TICK_MS) this.#lastHeartbeat += late;
    const silent = now - this.#lastHeartbeat;
    // Loading and starting may block a Worker for long on a slow robot (or under emulation):
    // until it is running, only the load timeout applies.
    const limit = this.state === "running"
      ? this.spec.heartbeatTimeoutMs
      : this.#settings.loadTimeoutMs;
    if (silent > limit) {
      this.#ended(
        "crash",
        `silent for ${Math.round(silent)} ms (busy loop or deadlock?): terminated and replaced`,
      );
    }
  }

  #onMessage(message: FromComponent): void {
    this.#lastHeartbeat = performance.now();
    if (isInprocMessage(message)) {
      this.#links.inproc.handle(this.spec.name, message);
      return;
    }
    switch (message.op) {
      case "heartbeat":
        return;
      case "figures":
        this.#links.observatory.figures(this.spec.name, message.figures);
        return;
      case "ready":
        this.readyAt = performance.now();
        this.#setState("running", this.lastError);
        log.info("{component} is running", { component: this.spec.name });
        return;
      case "log":
        if (this.#settings.onLog) this.#settings.onLog(this.spec.name, message.record);
        else relog(this.spec.name, message.record);
        return;
      case "finished":
        this.#ended("finished", null);
        return;
      case "failed":
        this.#ended(message.fatal ? "fatal" : "crash", message.error);
        return;
      case "exit":
        this.#ended("crash", message.reason);
        return;
      case "stopped":
        this.#detach();
        this.#setState("stopped");
        this.#stopped?.();
        return;
      case "checked":
        return;
    }
  }

  /** Forgets the current Worker (terminating it) so late events are ignored. */
  #detach(): void {
    if (this.#running()) this.#links.inproc.ended(this.spec.name);
    this.#instance++;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    this.#worker?.terminate();
    this.#worker = null;
    const host = this.#host;
    if (host !== null) {
      // SIGKILL: a busy loop, a deadlock or a leak ends with the process.
      host.kill();
      this.#host = null;
      this.#releasing = host;
      host.released.then(() => {
        if (this.#releasing === host) this.#releasing = null;
      });
    }
  }

  #ended(how: "crash" | "fatal" | "finished", error: string | null): void {
    const ranMs = this.state === "running" ? performance.now() - this.readyAt : 0;
    this.#detach();
    if (!this.#wanted) {
      this.#setState("stopped", error ?? this.lastError);
      this.#stopped?.();
      return;
    }
    const name = this.spec.name;
    if (how === "fatal") {
      log.error("{component} failed: {error}", { component: name, error });
      this.#setState("failed", error);
      return;
    }
    if (how === "finished") {
      if (this.spec.restart !== "always") {
        log.info("{component} finished", { component: name });
        this.#setState("stopped", this.lastError);
        return;
      }
      log.info("{component} finished; restarting (restart: always)", { component: name });
    } else {
      const now = performance.now();
      this.#crashes = this.#crashes.filter((t) => now - t < this.#settings.crashWindowMs);
      this.#crashes.push(now);
      if (this.spec.restart === "never") {
        log.error("{component} crashed: {error} (restart: never)", { component: name, error });
        this.#setState("failed", error);
        return;
      }
      if (this.#crashes.length > this.#settings.maxCrashes) {
        log.error("{component} crashed {count} times within {window} s, giving up: {error}", {
          component: name,
          count: this.#crashes.length,
          window: this.#settings.crashWindowMs / 1000,
          error,
        });
        this.#setState("failed", error);
        return;
      }
    }
    if (ranMs >= this.#settings.backoffMaxMs) this.#backoffMs = this.#settings.backoffInitialMs;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#settings.backoffMaxMs);
    if (how === "crash") {
      log.warn("{component} crashed: {error}; restarting in {delay} ms", {
        component: name,
        error,
        delay,
      });
    }
    this.#setState("backoff", how === "crash" ? error : this.lastError);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (this.#wanted) this.#launch();
    }, delay);
  }

  /** Stops gracefully: signal, then terminate after `stopTimeoutMs`. */
  async stop(): Promise<void> {
    this.#wanted = false;
    clearTimeout(this.#backoffTimer);
    this.#backoffTimer = undefined;
    if (!this.#running()) {
      if (this.state !== "failed") this.#setState("stopped");
      return;
    }
    const stopped = new Promise<void>((resolve) => this.#stopped = resolve);
    this.#post({ op: "stop" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), this.#settings.stopTimeoutMs)
    );
    const outcome = await Promise.race([stopped, late]);
    clearTimeout(timer);
    this.#stopped = null;
    if (outcome === "late") {
      log.warn("{component} did not stop within {ms} ms: terminated", {
        component: this.spec.name,
        ms: this.#settings.stopTimeoutMs,
      });
      this.#detach();
      this.#setState("stopped");
    }
    // A host process is gone, not only told to go, before stop returns.
    await this.#releasing?.released;
  }
}

/**
 * The URL a component's Worker starts from: its generated entry module,
 * which loads the kind's runtime and the component's modules as one static
 * graph (see component_entry.ts).
 */
function workerScript(spec: ComponentSpec): string {
  return componentWorkerUrl(spec);
}

/** Re-logs a component's record under `["zedge", "component", name, …its category]`. */
function relog(component: string, record: ComponentLogRecord): void {
  getLogger(["zedge", "component", component, ...record.category]).emit({
    level: record.level,
    message: [record.message],
    rawMessage: record.message,
    timestamp: record.time,
    properties: record.properties,
  });
}

/** The supervisor's own record of a component's state change (its logs and the log tail). */
function stateChangeRecord(
  component: string,
  state: ComponentState,
  error: string | null,
): ComponentLogRecord {
  const level = state === "failed" ? "error" : state === "backoff" ? "warning" : "info";
  return {
    time: Date.now(),
    level,
    category: ["zedge", "robot", "supervisor"],
    message: `${component} is ${state}${error && state !== "running" ? `: ${error}` : ""}`,
    properties: { component, state, error },
  };
}

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
    const inproc = new InprocDirectory((name, message, transfer) =>
      this.#components.find((c) => c.spec.name === name)?.post(message, transfer)
    );
    this.#inproc = inproc;
    const observatory = new RobotObservatory(() => this.status());
    this.#observatory = observatory;
    this.#live = new RobotLive(config, observatory);
    this.#liveControl = new LiveControl(this.#live);
    this.#observe(observatory);
    this.#components = config.components.map((spec) =>
      new SupervisedComponent(spec, this.#settings, { inproc, observatory })
    );
  }

  /** Every log record and state change also reaches the observatory (its log tail and view). */
  #observe(observatory: RobotObservatory): void {
    const onLog = this.#settings.onLog;
    this.#settings.onLog = (component, record) => {
      observatory.log(component, record);
      if (onLog) onLog(component, record);
      else relog(component, record);
    };
    const onStateChange = this.#settings.onStateChange;
    this.#settings.onStateChange = (component, state, error) => {
      onStateChange?.(component, state, error);
      observatory.log("supervisor", stateChangeRecord(component, state, error));
      observatory.stateChanged(component, state);
    };
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
    if (this.config.components.some((c) => c.isolation === "process")) {
      // Where host processes dial in (see supervision/host_process.ts).
      await ensurePrivateDir(hostSocketDir(this.config.robot));
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
      });
      await server.start();
      this.#statusServer = server;
    }
    if (this.config.foxglove !== null) {
      this.#foxglove = new FoxgloveServer(this.config.foxglove, live);
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
    const onLog = this.#settings.onLog;
    this.#settings.onLog = (component, record) => {
      logs.publish(component, record);
      if (onLog) onLog(component, record);
      else relog(component, record);
    };
    const onStateChange = this.#settings.onStateChange;
    this.#settings.onStateChange = (component, state, error) => {
      onStateChange?.(component, state, error);
      logs.publish("supervisor", stateChangeRecord(component, state, error));
    };
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
