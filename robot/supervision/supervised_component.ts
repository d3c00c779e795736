/**
 * One supervised component: its crash policy (restart with backoff, give
 * up after too many crashes, `restart:`), its watchdog (heartbeats, the
 * load timeout), and where it runs — a Web Worker of the robot process, or
 * a host process of its own (`isolation: process`, host_process.ts) that is
 * SIGKILLed when it must stop and whose exit is awaited before a
 * replacement starts.
 *
 * @example
 * ```ts
 * import { SupervisedComponent } from "./supervised_component.ts";
 * import type { ComponentSpec } from "../spec.ts";
 * declare const spec: ComponentSpec;
 * declare const links: ConstructorParameters<typeof SupervisedComponent>[2];
 * const component = new SupervisedComponent(spec, {
 *   logLevel: "info", backoffInitialMs: 500, backoffMaxMs: 30_000, maxCrashes: 5,
 *   crashWindowMs: 60_000, stopTimeoutMs: 1500, loadTimeoutMs: 60_000,
 *   onLog: () => {}, onStateChange: () => {},
 * }, links);
 * component.start();
 * await component.stop();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ComponentSpec } from "../spec.ts";
import type { ComponentState, ComponentStatus } from "../observe/view.ts";
import {
  type InprocDirectory,
  type InprocFromComponent,
  isInprocMessage,
} from "../inproc_bridge.ts";
import type { RobotObservatory } from "../observe/observatory.ts";
import { componentWorkerUrl, graphLoadFailure } from "../component_entry.ts";
import { crashLines } from "../crash_report.ts";
import { explainHeld } from "../endpoint_holder.ts";
import { inprocAccess } from "../grants.ts";
import { reportEarlyReturn } from "../pending_work.ts";
import { workerPermissions } from "../permissions.ts";
import type { HostPool, HostProcess } from "./host_process.ts";
import { readComponentMessage } from "./component_message.ts";
import type { ComponentLogRecord, LogLevelName, ToComponent } from "../protocol.ts";

const log = getLogger(["zedge", "robot", "supervisor"]);

/** How often the watchdog looks at each component's last heartbeat. */
const WATCHDOG_TICK_MS = 250;

/**
 * How a component is supervised (the supervisor's settings, see SupervisorOptions), and where
 * its logs and state changes go.
 *
 * @example
 * ```ts
 * import type { ComponentPolicy } from "./supervised_component.ts";
 * const p: Partial<ComponentPolicy> = { maxCrashes: 5, crashWindowMs: 60_000 };
 * ```
 */
export interface ComponentPolicy {
  /** Lowest level of component log records forwarded. */
  logLevel: LogLevelName;
  /** First restart delay, doubling per crash. */
  backoffInitialMs: number;
  /** Longest restart delay; a component that ran this long starts over. */
  backoffMaxMs: number;
  /** More crashes than this within `crashWindowMs` mark a component failed. */
  maxCrashes: number;
  /** The window for `maxCrashes`. */
  crashWindowMs: number;
  /** How long a stopping component may take before it is terminated. */
  stopTimeoutMs: number;
  /** How long a component may take to load its modules and start. */
  loadTimeoutMs: number;
  /** Every record the component logs. */
  onLog: (component: string, record: ComponentLogRecord) => void;
  /** Every state change. */
  onStateChange: (component: string, state: ComponentState, error: string | null) => void;
}

/**
 * What a component shares with the rest of the robot: inproc, and where its figures go.
 *
 * @example
 * ```ts
 * import type { RobotLinks } from "./supervised_component.ts";
 * const describe = (links: RobotLinks) => typeof links.inproc;
 * ```
 */
export interface RobotLinks {
  /** The robot's inproc names. */
  inproc: InprocDirectory;
  /** Where its live figures go. */
  observatory: RobotObservatory;
  /** The robot's host processes. */
  hosts: HostPool;
}

/**
 * One component's Worker (or host process) and what the supervisor knows of it.
 *
 * @example
 * ```ts
 * import { SupervisedComponent } from "./supervised_component.ts";
 * declare const component: SupervisedComponent;
 * console.log(component.status(performance.now()).state);
 * ```
 */
export class SupervisedComponent {
  /** What the YAML says of it. */
  readonly spec: ComponentSpec;
  /** Its state now. */
  state: ComponentState = "stopped";
  /** How often it was started again. */
  restarts = 0;
  /** Why it last ended or waits (null: never). */
  lastError: string | null = null;
  /** When it last became ready (performance.now()). */
  readyAt = 0;
  #settings: ComponentPolicy;
  #worker: Worker | null = null;
  /** Its host process, with `isolation: process` (then `#worker` stays null). */
  #host: HostProcess | null = null;
  /** A killed host not yet exited: no new instance starts before it has. */
  #releasing: HostProcess | null = null;
  /** Why its host must be killed on detach (it did not answer), or null. */
  #stuck: string | null = null;
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

  /** Prepares it; nothing runs before {@link start}. */
  constructor(spec: ComponentSpec, settings: ComponentPolicy, links: RobotLinks) {
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

  /** Its status for `robot status`. */
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

  /** Starts it unless it runs or waits to restart. */
  start(): void {
    this.#wanted = true;
    if (this.#running() || this.state === "backoff") return;
    this.#crashes = [];
    this.#backoffMs = this.#settings.backoffInitialMs;
    this.#launch();
  }

  #setState(state: ComponentState, error: string | null = this.lastError): void {
    if (state === "running") this.#host?.loaded(this.spec.name);
    this.state = state;
    this.lastError = error;
    this.#settings.onStateChange(this.spec.name, state, error);
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
      // Why it ended stays the reason shown (the wait is said beside it): an operator who asks
      // after the restart learns why there was one, not that an exit took a while.
      const reason = this.lastError;
      const waiting =
        `its previous instance (pid ${releasing.pid}) has not exited yet: not started again until it has`;
      this.#setState("backoff", reason === null ? waiting : `${reason} (${waiting})`);
      releasing.released.then(() => {
        if (!this.#wanted || this.#releasing !== null || this.#running()) return;
        this.lastError = reason;
        this.#launch();
      });
      return;
    }
    if (this.#launches++ > 0) this.restarts++;
    const instance = ++this.#instance;
    if (this.spec.isolation !== "worker") {
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
    worker.onmessage = (event: MessageEvent<unknown>) => {
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
      const host = this.#startHost(instance);
      this.#host = host;
      // Starting a process (a Deno, under emulation a slow one) is not the component's loading.
      host.connected.then(() => {
        if (instance === this.#instance) this.#lastHeartbeat = performance.now();
      });
    } catch (error) {
      // Cannot start a process at all (no leave to run deno, no socket): retrying cannot help.
      this.#setState("starting");
      this.#ended("fatal", `cannot start its host process: ${(error as Error).message}`);
      return;
    }
    this.#begin(instance);
  }

  #startHost(instance: number): HostProcess {
    const host = this.#links.hosts.hostFor(this.spec);
    host.attach(this.spec.name, {
      message: (message) => {
        if (instance === this.#instance) this.#onMessage(message);
      },
      error: (reason, heard) => {
        if (instance !== this.#instance) return;
        if (!heard) this.#ended("fatal", graphLoadFailure(reason));
        else this.#ended("crash", reason);
      },
    });
    return host;
  }

  #begin(instance: number): void {
    this.#setState("starting");
    this.#links.inproc.started(this.spec.name, inprocAccess(this.spec));
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
      if (this.#host !== null) this.#host.post(this.spec.name, message);
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
    if (late > WATCHDOG_TICK_MS) {
      // What the components said meanwhile waits, buffered on a host's socket, behind this
      // tick and perhaps a caught-up one: the silence is counted afresh from now.
      this.#lastHeartbeat = now;
      return;
    }
    const silent = now - this.#lastHeartbeat;
    if (silent <= Math.min(this.spec.heartbeatTimeoutMs, this.#settings.loadTimeoutMs)) return;
    // A host stopped by a signal (or a debugger) is said to be: an operator looks for a busy
    // loop that is not there otherwise. And it is not loading: its silence counts as a running
    // component's does.
    const host = this.#host;
    const stopped = host?.stopped === true;
    // Loading and starting may block a Worker for long on a slow robot (or under emulation):
    // until it is running, only the load timeout applies — and to a running one too while a
    // sibling in its host still loads, which stalls every thread of the process there (under
    // qemu-user the example robot's shared host was killed for it at every start).
    const judgedRunning = this.state === "running" && host?.othersLoading(this.spec.name) !== true;
    const limit = judgedRunning || stopped
      ? this.spec.heartbeatTimeoutMs
      : this.#settings.loadTimeoutMs;
    if (silent > limit) {
      // Its thread cannot be stopped but with its process.
      const why = stopped ? `its host process (pid ${host!.pid}) is stopped` : null;
      const ms = Math.round(silent);
      this.#stuck = why === null ? `was silent for ${ms} ms` : `was silent for ${ms} ms: ${why}`;
      this.#ended(
        "crash",
        why === null
          ? `silent for ${ms} ms (busy loop or deadlock?): terminated and replaced`
          : `silent for ${ms} ms: ${why} (SIGSTOP, or a debugger): killed and replaced`,
      );
    }
  }

  #onMessage(data: unknown): void {
    // The component's own code can post on this channel: what does not fit the protocol ends
    // it here, never throws in the supervisor.
    const message = readComponentMessage(data);
    if (typeof message === "string") {
      this.#ended("crash", `sent the supervisor ${message}, which it does not take: ended`);
      return;
    }
    this.#lastHeartbeat = performance.now();
    if (isInprocMessage(message)) {
      this.#links.inproc.handle(this.spec.name, message as InprocFromComponent);
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
        this.#settings.onLog(this.spec.name, message.record);
        return;
      case "finished":
        if (message.pending) reportEarlyReturn(this.spec.robot, this.spec.name, message.pending);
        this.#ended("finished", null);
        return;
      case "failed":
        this.#ended(
          message.fatal ? "fatal" : "crash",
          message.held === undefined ? message.error : explainHeld(message.held, message.error),
        );
        return;
      case "exit":
        this.#ended("crash", message.reason);
        return;
      case "stuck":
        // Its host must go: the thread cannot be stopped but with its process.
        this.#stuck = message.reason;
        this.#ended("crash", message.reason);
        return;
      case "stopped":
        // Only an answer to `stop`: a component that says it stopped unasked ended on its own.
        if (this.#stopped === null) {
          this.#ended("crash", "said it stopped, unasked: ended");
          return;
        }
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
    const stuck = this.#stuck;
    this.#stuck = null;
    if (host !== null) {
      this.#host = null;
      // A component that ended on its own leaves its siblings be; one that may still run (a
      // busy loop, a deadlock, a leak) ends with its host: SIGKILL, its siblings restart.
      if (stuck !== null || this.spec.isolation === "process") {
        host.kill(this.spec.name, stuck ?? "stopped");
      } else host.detach(this.spec.name);
      if (!host.alive) {
        this.#releasing = host;
        host.released.then(() => {
          if (this.#releasing === host) this.#releasing = null;
        });
      }
    }
  }

  #ended(how: "crash" | "fatal" | "finished", report: string | null): void {
    // The log says the first line (the error and where) in the crash's record and the
    // component's stack frames in their own records; its state keeps the whole report.
    const { headline: error, frames } = crashLines(report);
    const logStack = (level: "warn" | "error") => {
      for (const frame of frames) {
        log[level]("{component}   {frame}", { component: this.spec.name, frame });
      }
    };
    const ranMs = this.state === "running" ? performance.now() - this.readyAt : 0;
    this.#detach();
    if (!this.#wanted) {
      this.#setState("stopped", report ?? this.lastError);
      this.#stopped?.();
      return;
    }
    const name = this.spec.name;
    if (how === "fatal") {
      log.error("{component} failed: {error}", { component: name, error });
      logStack("error");
      this.#setState("failed", report);
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
        logStack("error");
        this.#setState("failed", report);
        return;
      }
      if (this.#crashes.length > this.#settings.maxCrashes) {
        log.error("{component} crashed {count} times within {window} s, giving up: {error}", {
          component: name,
          count: this.#crashes.length,
          window: this.#settings.crashWindowMs / 1000,
          error,
        });
        logStack("error");
        this.#setState("failed", report);
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
      logStack("warn");
    }
    this.#setState("backoff", how === "crash" ? report : this.lastError);
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
      this.#stuck = `did not stop within ${this.#settings.stopTimeoutMs} ms`;
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
