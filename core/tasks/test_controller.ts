/**
 * The built-in `test` handler, answering as ZTL 0.2.3's example server does
 * (a script or a client written against that server sees the same replies):
 * the demo, the interop tests and a quick check that a robot's task server
 * answers.
 *
 * | component | goal            | result                               |
 * | --------- | --------------- | ------------------------------------ |
 * | `echo`    | any text        | the goal                             |
 * | `print`   | any text        | `True`, after logging the goal       |
 * | `sleep`   | seconds (≥ 0)   | `slept N s`; abortable at any moment |
 *
 * As in ZTL's example: a handler other than `test` makes INIT throw, so the
 * server answers FAILED `Controller threw exception: No such handler …`; an
 * unknown component (or a sleep goal that is no number) is accepted, then
 * FAILED; INIT replies `Initiated task 'N' with request: {'handler': …}`
 * (the request as Python prints it) and ABORT replies `True` or `False`
 * (whether the abort stopped the task). Unlike ZTL's, a sleep can be
 * aborted. User handlers (`HandlerController`) keep zedge's own replies.
 *
 * @example
 * ```ts
 * import { TestController } from "./test_controller.ts";
 * const controller = new TestController({ print: (text) => console.log(text) });
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  ExecutorController,
  type ExecutorControllerOptions,
  type InitReply,
  type StateReply,
} from "./controller.ts";
import type { TaskWork } from "./executor.ts";
import { decodeTask, TaskState } from "./protocol.ts";
import { pythonRepr } from "./python_str.ts";
import { abortableDelay } from "../abortable_delay.ts";

/** Longest sleep the test handler accepts: one day. */
const MAX_SLEEP_SECONDS = 86_400;

export { abortableDelay };

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

  /**
   * ZTL's INIT: an undecodable request or a handler other than `test`
   * throws (the server answers FAILED); anything else is accepted.
   */
  override init(payload: string): Promise<InitReply> {
    // Thrown inside the promise, so the server answers FAILED as ZTL's does.
    return Promise.resolve().then(() => {
      const spec = decodeTask(payload);
      const id = this.executor.start(spec, this.assign(spec.handler, spec.component, spec.goal));
      const request = pythonRepr({
        handler: spec.handler,
        component: spec.component,
        goal: spec.goal,
      });
      return { id, payload: `Initiated task '${id}' with request: ${request}` };
    });
  }

  /** ZTL's ABORT: the task's state after the abort, and `True` if the abort stopped it. */
  override async abort(id: number, payload: string): Promise<StateReply> {
    const before = this.executor.status(id);
    const after = await this.executor.abort(id, payload || "abort requested");
    if (!before || !after) return { state: TaskState.REJECTED, payload: `Invalid ID '${id}'` };
    const stopped = before.state !== TaskState.ABORTED && after.state === TaskState.ABORTED;
    return { state: after.state, payload: stopped ? "True" : "False" };
  }

  /**
   * Returns the work of a built-in `test` component; throws for another
   * handler. An unknown component's work fails when it runs, as in ZTL.
   */
  assign(handler: string, component: string, goal: string): TaskWork {
    if (handler !== "test") throw new Error(`No such handler '${handler}', try 'test'.`);
    switch (component) {
      case "echo":
        return () => goal;
      case "print":
        return () => {
          this.#print(goal);
          return "True";
        };
      case "sleep":
        return async ({ signal, progress }) => {
          const seconds = Number(goal.trim());
          if (
            goal.trim() === "" || !Number.isFinite(seconds) || seconds < 0 ||
            seconds > MAX_SLEEP_SECONDS
          ) {
            throw new Error(
              `Goal of 'test:sleep' must be a number of seconds from 0 to ${MAX_SLEEP_SECONDS}, got '${goal}'.`,
            );
          }
          progress(`sleeping for ${seconds} s`);
          await abortableDelay(seconds * 1000, signal);
          return `slept ${seconds} s`;
        };
      default:
        return () => {
          throw new Error(`No such component '${component}', try 'echo/print/sleep'.`);
        };
    }
  }
}
