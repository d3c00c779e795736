/**
 * An example handlers module for `zedge task-server --handlers`.
 *
 * ```sh
 * deno task zedge task-server -p 7779 -s /robot --handlers examples/tasks/my_handlers.ts
 * deno task zedge task-client -p 7779 -s /robot speech:say:"hello there"
 * deno task zedge task-client -p 7779 -s /robot -t 1 base:drive:5     # aborted after 1 s
 * ```
 *
 * Export `handlers` (or a default export): handler name → component name →
 * function of the goal. Whatever the function returns is the task's result;
 * whatever it throws makes the task FAILED; it is ABORTED when it throws after
 * `signal` fired. Use `progress()` for what status requests should show while
 * it runs.
 *
 * @example
 * ```ts
 * import { handlers } from "./my_handlers.ts";
 * handlers.speech.say("hi"); // "said 'hi'"
 * ```
 * @module
 */
import type { HandlerMap, TaskContext } from "../../core/tasks/mod.ts";

/** Resolves after `ms` unless the task is aborted first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/**
 * The handlers this module serves: `speech` (say) and `base` (drive).
 *
 * @example
 * ```ts
 * import { handlers } from "./my_handlers.ts";
 * Object.keys(handlers); // ["speech", "base"]
 * ```
 */
export const handlers = {
  speech: {
    /** Pretends to speak; the result is what was said. */
    say: (goal: string) => `said '${goal}'`,
  },
  base: {
    /** Drives `goal` metres at 1 m/s, reporting progress; stops on abort. */
    drive: async (goal: string, { signal, progress }: TaskContext) => {
      const metres = Number(goal);
      if (!Number.isFinite(metres) || metres < 0) {
        throw new Error(`goal must be a distance in metres, got '${goal}'`);
      }
      for (let done = 0; done < metres; done++) {
        progress(`driven ${done} of ${metres} m`);
        await pause(1000, signal);
      }
      return `arrived after ${metres} m`;
    },
  },
} satisfies HandlerMap;
