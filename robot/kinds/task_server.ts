/**
 * The `task-server` kind: a ZTL-compatible task server with one controller
 * per scope — a handlers module's map, or the built-in `test` handler. On
 * stop it aborts its running tasks and lets polling clients see ABORTED
 * before it closes (see `TaskServer.shutdown`).
 *
 * @example
 * ```ts
 * import { taskServerRunner } from "./task_server.ts";
 * // const loaded = await taskServerRunner.load(spec); const running = await loaded.start(ctx);
 * ```
 * @module
 */
import type { TaskController } from "../../core/tasks/controller.ts";
import { HandlerController, handlerMapFromModule } from "../../core/tasks/handlers.ts";
import { TaskServer } from "../../core/tasks/server.ts";
import { TestController } from "../../core/tasks/test_controller.ts";
import type { TaskServerSpec } from "../spec.ts";
import { TaskBoard } from "../observe/task_board.ts";
import { curveSocketOptions } from "../security.ts";
import {
  type ComponentKindRunner,
  ComponentLoadError,
  displayModule,
  importComponentModule,
  untilStopped,
} from "./component.ts";

/**
 * Loads and runs a task-server component.
 *
 * @example
 * ```ts
 * import { taskServerRunner } from "./task_server.ts";
 * console.log(typeof taskServerRunner.load); // "function"
 * ```
 */
export const taskServerRunner: ComponentKindRunner<TaskServerSpec> = {
  async load(spec) {
    const options = { retentionMs: spec.retentionMs, maxFinished: spec.maxFinished };
    const makers: Record<string, () => TaskController> = {};
    for (const [scope, module] of Object.entries(spec.scopes)) {
      if (module === null) {
        makers[scope] = () => new TestController(options);
        continue;
      }
      const namespace = await importComponentModule(module, `handlers (scope ${scope})`);
      let handlers;
      try {
        handlers = handlerMapFromModule(namespace, displayModule(module));
      } catch (error) {
        throw new ComponentLoadError((error as Error).message);
      }
      makers[scope] = () => new HandlerController({ handlers, ...options });
    }
    return {
      async start() {
        const controllers: Record<string, TaskController> = {};
        // The board sees every task of every scope, for the supervisor's figures.
        const board = new TaskBoard();
        // One controller per scope: each scope has its own task ids, as separate ZTL servers would.
        for (const [scope, make] of Object.entries(makers)) {
          controllers[scope] = board.watch(scope, make());
        }
        const server = new TaskServer({
          endpoint: spec.binds.bind,
          events: spec.binds.events,
          maxMessageSize: spec.maxMessageSize,
          controllers,
          // The events channel shares the bind's CURVE (the config checks they agree).
          security: curveSocketOptions(spec.name, "bind", spec.curve),
        });
        try {
          await server.start();
        } catch (error) {
          await server.close();
          throw error;
        }
        return {
          done: untilStopped(),
          stop: () => server.shutdown(),
          figures: async () => ({ tasks: await board.figures() }),
        };
      },
    };
  },
};
