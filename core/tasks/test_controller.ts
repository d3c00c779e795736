/**
 * The built-in `test` handler, as in ZTL's example server: the demo, the
 * interop tests and a quick check that a robot's task server answers.
 *
 * | component | goal            | result                               |
 * | --------- | --------------- | ------------------------------------ |
 * | `echo`    | any text        | the goal                             |
 * | `print`   | any text        | `true`, after logging the goal       |
 * | `sleep`   | seconds (≥ 0)   | `slept N s`; abortable at any moment |
 *
 * @example
 * ```ts
 * import { TestController } from "./test_controller.ts";
 * const controller = new TestController({ print: (text) => console.log(text) });
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ExecutorController, type ExecutorControllerOptions } from "./controller.ts";
import type { TaskWork } from "./executor.ts";

/** Longest sleep the test handler accepts: one day. */
const MAX_SLEEP_SECONDS = 86_400;

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it
 * aborts.
 *
 * @example
 * ```ts
 * import { abortableDelay } from "./test_controller.ts";
 * await abortableDelay(10, new AbortController().signal);
 * ```
 */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Options of a {@link TestController}.
 *
 * @example
 * ```ts
 * import type { TestControllerOptions } from "./test_controller.ts";
 * const lines: string[] = [];
 * const options: TestControllerOptions = { print: (text) => lines.push(text) };
 * ```
 */
export interface TestControllerOptions extends ExecutorControllerOptions {
  /** Where `test:print` writes its goal; defaults to an INFO log line. */
  print?: (text: string) => void;
}

/**
 * Controller for handler `test` with components `echo`, `print` and `sleep`.
 *
 * @example
 * ```ts
 * import { TestController } from "./test_controller.ts";
 * import { encodeTask } from "./protocol.ts";
 * const controller = new TestController();
 * const { id } = await controller.init(encodeTask("test", "echo", "hi"));
 * await controller.close();
 * ```
 */
export class TestController extends ExecutorController {
  readonly #print: (text: string) => void;

  /** Creates the controller for `options`. */
  constructor(options: TestControllerOptions = {}) {
    super({ name: "test", ...options });
    const logger = getLogger(["zedge", "tasks", "test"]);
    this.#print = options.print ?? ((text) => logger.info("{text}", { text }));
  }

  /** Returns the work of a built-in `test` component; rejects other handlers and components. */
  assign(handler: string, component: string, goal: string): TaskWork {
    if (handler !== "test") throw new Error(`No such handler '${handler}', try 'test'.`);
    switch (component) {
      case "echo":
        return () => goal;
      case "print":
        return () => {
          this.#print(goal);
          return true;
        };
      case "sleep": {
        const seconds = Number(goal.trim());
        if (
          goal.trim() === "" || !Number.isFinite(seconds) || seconds < 0 ||
          seconds > MAX_SLEEP_SECONDS
        ) {
          throw new Error(
            `Goal of 'test:sleep' must be a number of seconds from 0 to ${MAX_SLEEP_SECONDS}, got '${goal}'.`,
          );
        }
        return async ({ signal, progress }) => {
          progress(`sleeping for ${seconds} s`);
          await abortableDelay(seconds * 1000, signal);
          return `slept ${seconds} s`;
        };
      }
      default:
        throw new Error(
          `No such component '${component}' for handler 'test', try 'echo', 'print', 'sleep'.`,
        );
    }
  }
}
