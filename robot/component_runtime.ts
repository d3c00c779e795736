/**
 * What runs in every component's Web Worker: it loads the component's
 * modules with its kind's runner, starts it, heartbeats, forwards its log
 * records, carries its inproc connections to the rest of the robot, and
 * stops it when told to. A component that ends itself (`self.close()`,
 * `Deno.exit()`) says so first, because the supervisor gets no event for
 * that; uncaught errors and unhandled rejections reach the supervisor as an
 * `error` event. Either way the supervisor applies the restart policy.
 *
 * The Worker scripts are small entries that pass their runners in:
 * `component_worker.ts` (every kind; `zedge robot check` uses it) and one
 * per kind under `kinds/` (`node_worker.ts`, `task_server_worker.ts`,
 * `pipeline_worker.ts`), so a component loads only its own kind's code.
 *
 * @example
 * ```ts
 * import { serveComponent } from "./component_runtime.ts";
 * import { runnerFor } from "./kinds/mod.ts";
 * // in a Worker script: serveComponent(runnerFor);
 * ```
 * @module
 */
import { configure, getLogger, type LogRecord } from "@logtape/logtape";
import { fileURLToPath } from "node:url";
import { formLogRecord } from "../core/logs/record.ts";
import { entryLoading, whenEntryLoaded } from "./entry_prelude.ts";
import { crashReport } from "./crash_report.ts";
import { heldEndpoint } from "./endpoint_holder.ts";
import { pendingWorkNote, trackTimers } from "./pending_work.ts";
import type { ComponentSpec } from "./spec.ts";
import { ComponentInprocBridge } from "./inproc_bridge.ts";
import { SocketWatch } from "./observe/socket_watch.ts";
import {
  type ComponentKindRunner,
  ComponentLoadError,
  robotHint,
  type RunningComponent,
} from "./kinds/component.ts";
import {
  type ComponentLogRecord,
  fitToProtocol,
  type FromComponent,
  HEARTBEAT_INTERVAL_MS,
  type ToComponent,
} from "./protocol.ts";
import { onStuckThread } from "../core/pipeline/executor.ts";

/**
 * How often a component whose silence is judged after `timeoutMs` says it is alive: every
 * {@link HEARTBEAT_INTERVAL_MS}, or a quarter of a shorter timeout.
 */
function heartbeatEvery(timeoutMs: number): number {
  return Math.min(HEARTBEAT_INTERVAL_MS, Math.max(25, Math.floor(timeoutMs / 4)));
}

/** How long a component with a stuck thread may take to hand back its work before its host goes. */
const STUCK_STOP_MS = 1000;

/** What a Worker's global scope offers (typed for the component runtime). */
export interface ComponentScope {
  postMessage(message: FromComponent, transfer?: Transferable[]): void;
  close(): void;
  onmessage: ((event: MessageEvent<ToComponent>) => void) | null;
  addEventListener(type: "unhandledrejection", listener: (e: PromiseRejectionEvent) => void): void;
  addEventListener(type: "error", listener: (e: ErrorEvent) => void): void;
}

/** A module that threw while the entry loaded it: what, and where (the first file frame). */
function loadFailure(reason: unknown): string {
  const where = reason instanceof Error
    ? reason.stack?.split("\n").map((l) => l.match(/(file:\/\/\/[^\s)]+:\d+:\d+)/)?.[1])
      .find((l) => l !== undefined)
    : undefined;
  return `cannot load its modules: ${robotHint(describe(reason))}${
    where === undefined
      ? ""
      : ` (at ${fileURLToPath(where.replace(/:\d+:\d+$/, ""))}${where.match(/:\d+:\d+$/)![0]})`
  }`;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Structured clone refuses functions and the like: keep what crosses. */
function cloneable(properties: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value instanceof Error) out[key] = describe(value);
    else if (typeof value === "function" || typeof value === "symbol") out[key] = String(value);
    else {
      try {
        structuredClone(value);
        out[key] = value;
      } catch {
        out[key] = String(value);
      }
    }
  }
  return out;
}

/** The record as core/logs forms it, with properties made safe to post. */
function toRecord(record: LogRecord): ComponentLogRecord {
  const formed = formLogRecord(record);
  return { ...formed, category: [...formed.category], properties: cloneable(formed.properties) };
}

/**
 * Serves the supervisor's messages in this Worker, running components with
 * the runner `runnerFor` gives for their kind (see the module documentation).
 *
 * @example
 * ```ts
 * import { serveComponent } from "./component_runtime.ts";
 * import { nodeRunner } from "./kinds/node.ts";
 * // in a Worker script: serveComponent(() => nodeRunner);
 * ```
 */
export function serveComponent(
  runnerFor: (spec: ComponentSpec) => ComponentKindRunner<ComponentSpec>,
  scope: ComponentScope = globalThis as unknown as ComponentScope,
): void {
  // Inside the sizes the supervisor takes: a long error or log line is cut, never refused.
  const post = (message: FromComponent) => scope.postMessage(fitToProtocol(message));
  // inproc:// reaches the robot's other components through the supervisor.
  const inproc = new ComponentInprocBridge((message, transfer) =>
    scope.postMessage(message, transfer)
  );
  inproc.install();
  // Before any module loads, so every socket and timer the component makes is seen.
  const sockets = new SocketWatch();
  const timers = trackTimers();
  const stopping = new AbortController();
  let running: RunningComponent | null = null;
  let heartbeat: number | undefined;

  const close = scope.close.bind(scope);
  scope.close = () => {
    if (!stopping.signal.aborted) post({ op: "exit", reason: "component called self.close()" });
    close();
  };
  const exit = Deno.exit;
  // Taken before the component's code runs, which could replace it. Its heap is the Worker's own
  // (V8 counts per isolate); what it reports is advisory, read only to name an out-of-memory's
  // likeliest cause.
  const memoryUsage = Deno.memoryUsage;
  const beat = (): FromComponent => ({ op: "heartbeat", heapBytes: memoryUsage().heapUsed });
  try {
    (Deno as { exit: (code?: number) => never }).exit = (code?: number): never => {
      post({ op: "exit", reason: `component called Deno.exit(${code ?? 0})` });
      return exit(code);
    };
  } catch {
    // A frozen Deno namespace only costs the early notice; the heartbeat watchdog still applies.
  }
  scope.addEventListener("unhandledrejection", (event) => {
    if (entryLoading()) {
      // A module of the component's entry threw while it loaded: restarting cannot help.
      event.preventDefault();
      post({ op: "failed", error: loadFailure(event.reason), fatal: true });
      return;
    }
    // Reported here with its reason (the supervisor ends this worker as a crash); not also
    // printed by Deno with its own frames.
    event.preventDefault();
    crashed(event.reason, "unhandled rejection: ");
  });
  // An uncaught error (a timer's callback, an event handler): said here, where its stack is
  // known — the supervisor's error event gets only the message — and the supervisor ends
  // this worker as a crash (Deno would print it again, with its own frames).
  scope.addEventListener("error", (event) => {
    if (entryLoading() || stopping.signal.aborted) return;
    event.preventDefault();
    post({
      op: "failed",
      error: crashReport(event.error ?? event.message, {
        url: event.filename,
        line: event.lineno,
        column: event.colno,
      }),
      fatal: false,
    });
  });
  let current: ComponentSpec | null = null;
  /**
   * Says the component crashed. An endpoint another program holds will not come free by
   * retrying: the failure is fatal (the supervisor names the holder) unless the YAML says
   * `restart: always` (the default `always` is for components that end, not for this).
   */
  const crashed = (error: unknown, prefix = "") => {
    const held = heldEndpoint(error);
    post({
      op: "failed",
      error: prefix + crashReport(error),
      fatal: held !== null && !(current?.restart === "always" && current.restartGiven === true),
      ...(held === null ? {} : { held }),
    });
  };
  // Said before the component's modules load: an error event before any message means
  // its graph did not even load (a syntax error, a missing import), not a crash.
  post({ op: "heartbeat" });

  async function load(spec: ComponentSpec) {
    // Its modules may still be running their top-level awaits: their exports come after.
    await whenEntryLoaded();
    return await runnerFor(spec).load(spec);
  }

  let sampling: Promise<void> | null = null;
  /**
   * Posts the component's figures. A slow sample (a task controller's
   * STATUS) is not doubled; `last` (the component ended on its own) waits
   * for it and samples once more, so the final counts reach the supervisor.
   */
  async function postFigures(component: RunningComponent, last = false) {
    if (sampling !== null) {
      if (!last) return;
      await sampling;
    }
    const sample = (async () => {
      try {
        const kind = await component.figures?.() ?? {};
        post({ op: "figures", figures: { at: Date.now(), sockets: sockets.sample(), ...kind } });
      } catch (error) {
        getLogger(["zedge", "robot", "figures"]).debug("cannot sample figures: {error}", { error });
      }
    })();
    sampling = sample;
    await sample;
    if (sampling === sample) sampling = null;
  }

  async function start(spec: ComponentSpec, logLevel: Parameters<typeof configure>[0]) {
    current = spec;
    if (spec.isolation === "host") await withholdThreads(scope, spec.name);
    // At least four beats per heartbeatTimeoutMs: a timeout of one interval would fire whenever
    // a beat came a millisecond late. Figures keep their own pace.
    const every = heartbeatEvery(spec.heartbeatTimeoutMs);
    let sinceFigures = 0;
    heartbeat = timers.untrackedSetInterval(() => {
      post(beat());
      sinceFigures += every;
      if (sinceFigures < HEARTBEAT_INTERVAL_MS) return;
      sinceFigures = 0;
      if (running !== null && !stopping.signal.aborted) postFigures(running);
    }, every);
    post(beat());
    await configure(logLevel);
    const log = getLogger([spec.robot, spec.name]);
    let loaded;
    try {
      loaded = await load(spec);
    } catch (error) {
      post({
        op: "failed",
        error: error instanceof ComponentLoadError ? error.message : describe(error),
        fatal: error instanceof ComponentLoadError,
      });
      return;
    }
    try {
      running = await loaded.start({ signal: stopping.signal, log });
    } catch (error) {
      crashed(error);
      return;
    }
    if (stopping.signal.aborted) return;
    post({ op: "ready" });
    postFigures(running);
    const started = running;
    running.done.then(
      async () => {
        if (stopping.signal.aborted) return;
        await postFigures(started, true);
        if (stopping.signal.aborted) return;
        // A node's main that returns with work still going forgot to await ctx.signal.
        const pending = spec.kind === "node"
          ? pendingWorkNote(timers.active(), sockets.open)
          : null;
        post({ op: "finished", ...(pending === null ? {} : { pending }) });
      },
      (error) => {
        if (!stopping.signal.aborted) crashed(error);
      },
    );
  }

  // A pool thread in a synchronous loop past its time limit outlives terminate(): the component
  // hands back what it holds as a stop does (bounded: the stuck thread may be what it waits on),
  // then asks the supervisor to end its host, the only way to take that core back.
  onStuckThread(async (reason) => {
    if (stopping.signal.aborted) return;
    stopping.abort(new DOMException("a thread is stuck", "AbortError"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bounded = new Promise((resolve) => timer = setTimeout(resolve, STUCK_STOP_MS));
    try {
      await Promise.race([running?.stop(), bounded]);
    } catch {
      // Its host ends next either way.
    }
    clearTimeout(timer);
    clearInterval(heartbeat);
    post({ op: "stuck", reason });
  });

  async function stop() {
    if (stopping.signal.aborted) return;
    stopping.abort(new DOMException("component stopped", "AbortError"));
    try {
      await running?.stop();
    } catch (error) {
      post({ op: "failed", error: `while stopping: ${describe(error)}`, fatal: false });
    }
    clearInterval(heartbeat);
    post({ op: "stopped" });
    close();
  }

  scope.onmessage = (event) => {
    const message = event.data;
    switch (message.op) {
      case "start":
        start(message.spec, {
          sinks: {
            supervisor: (record: LogRecord) => post({ op: "log", record: toRecord(record) }),
          },
          loggers: [
            { category: [], sinks: ["supervisor"], lowestLevel: message.logLevel },
            {
              category: ["logtape", "meta"],
              sinks: ["supervisor"],
              parentSinks: "override",
              lowestLevel: "warning",
            },
          ],
        });
        return;
      case "check":
        load(message.spec).then(
          () => post({ op: "checked", problems: [] }),
          (error) =>
            post({
              op: "checked",
              problems: [error instanceof ComponentLoadError ? error.message : describe(error)],
            }),
        ).finally(close);
        return;
      case "stop":
        stop();
        return;
      default:
        inproc.handle(message);
    }
  };
}

/**
 * Takes threads away from a component in the robot's shared host, before its code loads: `Worker`
 * and `node:worker_threads` (npm packages start threads through it). A thread it started would
 * outlive it: `terminate()` does not stop a synchronous loop, and the supervisor could take that
 * core back only by killing the host, with every sibling in it. A component of its own host
 * (`isolation: process`) keeps both: its host ends with it. What code set on attacking its
 * siblings could still reach (the runtime's ops) is why untrusted code belongs in a host of its
 * own; this stops the mistakes.
 */
async function withholdThreads(scope: ComponentScope, name: string): Promise<void> {
  const refusal = () =>
    new Error(
      `${name} runs in the robot's shared host, where a thread it starts could not be stopped ` +
        `(terminate() does not end a synchronous loop): give it isolation: process to start Workers`,
    );
  const withheld = function Worker(): never {
    throw refusal();
  };
  Object.defineProperty(scope, "Worker", { value: withheld, writable: false, configurable: false });
  // node:worker_threads' Worker is an EventEmitter whose constructor calls EventEmitter.init
  // (through super()) before it starts its thread.
  const { Worker: NodeWorker } = await import("node:worker_threads");
  const { EventEmitter } = await import("node:events");
  const emitter = EventEmitter as unknown as { init: (this: unknown, ...args: unknown[]) => void };
  const init = emitter.init;
  Object.defineProperty(emitter, "init", {
    value: function (this: unknown, ...args: unknown[]) {
      if (this instanceof NodeWorker) throw refusal();
      return init.apply(this, args);
    },
    writable: false,
    configurable: false,
  });
}
