/**
 * What a component still has going after its `main` returned: timers
 * (`setTimeout` not yet fired, `setInterval` not cleared) and open sockets.
 * A node whose `main` returns while those run has forgotten to
 * `await` until `ctx.signal` aborts; its `main` returning ends it, and
 * with them, at once.
 *
 * {@link trackTimers} wraps the Worker's timer functions before the
 * component's modules load (the component runtime calls it first).
 *
 * @example
 * ```ts
 * import { pendingWorkNote, trackTimers } from "./pending_work.ts";
 * const timers = trackTimers();
 * const id = setInterval(() => {}, 1000);
 * console.log(pendingWorkNote(timers.active(), 0)); // "1 timer"
 * clearInterval(id);
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";

/**
 * The timers a Worker has pending.
 *
 * @example
 * ```ts
 * import { type TimerTracker, trackTimers } from "./pending_work.ts";
 * const timers: TimerTracker = trackTimers();
 * timers.active(); // 0
 * ```
 */
export interface TimerTracker {
  /** Timers set and neither fired (a timeout) nor cleared. */
  active(): number;
  /** The runtime's own timers, which are not counted: `setInterval` as it was. */
  readonly untrackedSetInterval: (handler: () => void, delay?: number) => number;
}

/**
 * Wraps `setTimeout`, `setInterval`, `clearTimeout` and `clearInterval` of
 * this global scope to count pending timers (see the module documentation).
 *
 * @example
 * ```ts
 * import { trackTimers } from "./pending_work.ts";
 * const timers = trackTimers();
 * setTimeout(() => console.log(timers.active()), 10); // 0 once it fired
 * ```
 */
export function trackTimers(scope: object = globalThis): TimerTracker {
  type Handler = (...args: unknown[]) => void;
  type Timers = {
    setTimeout(handler: Handler, delay?: number, ...args: unknown[]): number;
    setInterval(handler: Handler, delay?: number, ...args: unknown[]): number;
    clearTimeout(id?: number): void;
    clearInterval(id?: number): void;
  };
  const timers = scope as Timers;
  const pending = new Set<number | undefined>();
  const timeout = timers.setTimeout.bind(scope);
  const interval = timers.setInterval.bind(scope);
  const clear = timers.clearTimeout.bind(scope);
  const clearBoth = (id?: number) => {
    pending.delete(id);
    clear(id);
  };
  try {
    timers.setTimeout = (handler, delay, ...args) => {
      const id = timeout(() => {
        pending.delete(id);
        if (typeof handler === "function") handler(...args);
      }, delay);
      pending.add(id);
      return id;
    };
    timers.setInterval = (handler, delay, ...args) => {
      const id = interval(handler, delay, ...args);
      pending.add(id);
      return id;
    };
    timers.clearTimeout = clearBoth;
    timers.clearInterval = clearBoth;
  } catch {
    // A frozen scope: nothing counted, no warning.
  }
  return { active: () => pending.size, untrackedSetInterval: interval };
}

/**
 * What is still going, said for people (`2 timers and 1 socket`), or null
 * when nothing is.
 *
 * @example
 * ```ts
 * import { pendingWorkNote } from "./pending_work.ts";
 * pendingWorkNote(2, 1); // "2 timers and 1 socket"
 * pendingWorkNote(0, 0); // null
 * ```
 */
export function pendingWorkNote(timers: number, sockets: number): string | null {
  const parts = [
    timers > 0 ? `${timers} timer${timers === 1 ? "" : "s"}` : "",
    sockets > 0 ? `${sockets} socket${sockets === 1 ? "" : "s"}` : "",
  ].filter((p) => p !== "");
  return parts.length === 0 ? null : parts.join(" and ");
}

const warned = new Set<string>();

/**
 * The warning for a node whose `main` returned with `pending` still going,
 * once per component of a supervisor's process (null after the first).
 *
 * @example
 * ```ts
 * import { earlyReturnWarning } from "./pending_work.ts";
 * earlyReturnWarning("kitchen-bot", "odometry", "1 timer");
 * ```
 */
export function earlyReturnWarning(
  robot: string,
  component: string,
  pending: string,
): string | null {
  const key = `${robot}/${component}`;
  if (warned.has(key)) return null;
  warned.add(key);
  return `${component}: main returned while ${pending} still ran, so the component ended with ` +
    "them; `await` until ctx.signal aborts (e.g. `await new Promise((r) => " +
    'ctx.signal.addEventListener("abort", r))`) to keep it running';
}

/**
 * Logs {@link earlyReturnWarning} as the supervisor (once per component).
 *
 * @example
 * ```ts
 * import { reportEarlyReturn } from "./pending_work.ts";
 * reportEarlyReturn("kitchen-bot", "odometry", "1 timer");
 * ```
 */
export function reportEarlyReturn(robot: string, component: string, pending: string): void {
  const warning = earlyReturnWarning(robot, component, pending);
  if (warning !== null) getLogger(["zedge", "robot", "supervisor"]).warn(warning);
}
