/**
 * The kitchen robot's task handlers (scope `/robot` of its task server):
 * `drive` moves the base, `speech` speaks. Each component is a function of
 * the goal; it reports progress while it runs and stops when its task is
 * aborted (including when the robot shuts down: clients then see ABORTED).
 *
 * ```sh
 * deno task zedge task-client -p 7779 -s /robot drive:forward:2
 * deno task zedge task-client -p 7779 -s /robot speech:say:"hello there"
 * ```
 *
 * @example
 * ```ts
 * import { handlers } from "./robot.ts";
 * console.log(Object.keys(handlers)); // ["drive", "speech"]
 * ```
 * @module
 */
import { abortableDelay, type HandlerMap, type TaskContext } from "../../../core/tasks/mod.ts";

/** Drives `goal` metres (10 cm steps at 0.5 m/s), reporting progress. */
async function drive(direction: string, goal: string, { signal, progress }: TaskContext) {
  const metres = Number(goal);
  if (!Number.isFinite(metres) || metres < 0 || metres > 100) {
    throw new Error(`goal must be a distance from 0 to 100 m, got '${goal}'`);
  }
  for (let done = 0; done < metres; done = Math.min(metres, done + 0.1)) {
    progress(`driving ${direction}: ${done.toFixed(1)} of ${metres} m`);
    await abortableDelay(200, signal);
  }
  return `drove ${direction} ${metres} m`;
}

/** The handlers of scope `/robot`. */
export const handlers = {
  drive: {
    forward: (goal: string, ctx: TaskContext) => drive("forward", goal, ctx),
    backward: (goal: string, ctx: TaskContext) => drive("backward", goal, ctx),
  },
  speech: {
    say: async (goal: string, { signal, progress }: TaskContext) => {
      progress(`saying '${goal}'`);
      await abortableDelay(50 * goal.length, signal); // about 20 characters a second
      return `said '${goal}'`;
    },
  },
} satisfies HandlerMap;
