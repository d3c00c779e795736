/**
 * Keeps a task server's tasks for the status page and `zedge robot top`:
 * each scope's controller is wrapped, so every task a client starts is
 * seen (from its INIT and the controller's state changes) whatever kind of
 * controller runs it, and the progress text of running tasks is read with
 * the controller's own STATUS when the figures are sampled — a progress
 * call inside a handler costs nothing more than it did.
 *
 * @example
 * ```ts
 * import { TaskBoard } from "./task_board.ts";
 * import { TestController } from "../../core/tasks/test_controller.ts";
 * import { encodeTask } from "../../core/tasks/protocol.ts";
 * const board = new TaskBoard();
 * const controller = board.watch("/test", new TestController());
 * await controller.init(encodeTask("test", "echo", "hi"));
 * console.log((await board.figures()).tasks[0].state); // "COMPLETED"
 * await controller.close?.();
 * ```
 * @module
 */
import type { InitReply, StateReply, TaskController } from "../../core/tasks/controller.ts";
import type { TaskStateChange } from "../../core/tasks/executor.ts";
import { decodeTask, isFinalState, stateName, TaskState } from "../../core/tasks/protocol.ts";
import type { TaskFigures, TaskServerFigures } from "./figures.ts";
import { clipText } from "../protocol.ts";

/** Finished tasks listed, per scope (the most recent). */
const RECENT_FINISHED = 20;
/** A task's handler and component names as shown, in characters. */
const SHOWN_NAME_CHARS = 256;
/** A task's goal and payload as shown, in characters. */
const SHOWN_TEXT_CHARS = 4096;
/** Running tasks whose progress is read and listed, per scope (the most recent). */
const LISTED_RUNNING = 50;
/** State changes kept for ids whose INIT reply has not come back yet. */
const EARLY_CHANGES = 256;

/** One task as the board keeps it. */
interface BoardTask extends TaskFigures {
  /** The state as a number, for isFinalState. */
  stateValue: number;
}

/** One scope's controller and its tasks. */
class ScopeBoard {
  readonly scope: string;
  readonly inner: TaskController;
  readonly running = new Map<number, BoardTask>();
  readonly finished: BoardTask[] = [];
  readonly counts: Record<string, number> = {};
  started = 0;
  /** Changes that arrived before the task's INIT reply (the executor reports at once). */
  readonly #early = new Map<number, TaskStateChange>();

  constructor(scope: string, inner: TaskController) {
    this.scope = scope;
    this.inner = inner;
    inner.onStateChange?.((change) => this.changed(change));
  }

  added(id: number, payload: string): void {
    let spec = { handler: "?", component: "?", goal: "" };
    try {
      spec = decodeTask(payload);
    } catch { /* the controller accepted what it could read; show what it is */ }
    const task: BoardTask = {
      scope: this.scope,
      id,
      // A client's text, shown on the status page: cut to what a page shows (and what the
      // supervisor takes in a component's figures).
      handler: clipText(String(spec.handler), SHOWN_NAME_CHARS),
      component: clipText(String(spec.component), SHOWN_NAME_CHARS),
      goal: clipText(String(spec.goal), SHOWN_TEXT_CHARS),
      state: stateName(TaskState.INITIATED),
      stateValue: TaskState.INITIATED,
      payload: "",
      createdAt: Date.now(),
      finishedAt: null,
    };
    this.started++;
    this.running.set(id, task);
    const early = this.#early.get(id);
    this.#early.delete(id);
    if (early !== undefined) this.#apply(task, early.state, early.payload);
  }

  /** An INIT the controller refused (REJECTED: no task, no id). */
  rejected(): void {
    const state = stateName(TaskState.REJECTED);
    this.counts[state] = (this.counts[state] ?? 0) + 1;
  }

  changed(change: TaskStateChange): void {
    const task = this.running.get(change.id);
    if (task === undefined) {
      this.#early.set(change.id, change);
      while (this.#early.size > EARLY_CHANGES) {
        this.#early.delete(this.#early.keys().next().value!);
      }
      return;
    }
    this.#apply(task, change.state, change.payload);
  }

  #apply(task: BoardTask, state: number, payload: string): void {
    task.stateValue = state;
    task.state = stateName(state);
    task.payload = clipText(payload, SHOWN_TEXT_CHARS);
    if (!isFinalState(state)) return;
    task.finishedAt = Date.now();
    this.running.delete(task.id);
    this.counts[task.state] = (this.counts[task.state] ?? 0) + 1;
    this.finished.push(task);
    if (this.finished.length > RECENT_FINISHED) this.finished.shift();
  }

  /** Reads the state and progress of the most recent running tasks from the controller. */
  async refresh(): Promise<void> {
    const listed = [...this.running.values()].slice(-LISTED_RUNNING);
    // A controller without a change feed is asked about every running task: that is how it ends.
    const asked = this.inner.onStateChange === undefined ? [...this.running.values()] : listed;
    await Promise.all(asked.map(async (task) => {
      let reply: StateReply;
      try {
        reply = await this.inner.status(task.id, "");
      } catch {
        return;
      }
      if (this.running.get(task.id) === task) this.#apply(task, reply.state, reply.payload);
    }));
  }

  listed(): TaskFigures[] {
    const running = [...this.running.values()].slice(-LISTED_RUNNING).reverse();
    return [...running, ...[...this.finished].reverse()].map(({ stateValue: _, ...t }) => ({
      ...t,
    }));
  }
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { TaskBoard } from "./task_board.ts";
 * import { TestController } from "../../core/tasks/test_controller.ts";
 * const board = new TaskBoard();
 * const controllers = { "/test": board.watch("/test", new TestController()) };
 * ```
 */
export class TaskBoard {
  readonly #scopes: ScopeBoard[] = [];

  /** Wraps `controller` (scope `scope`) so its tasks are kept; use the wrapper in its place. */
  watch(scope: string, controller: TaskController): TaskController {
    const board = new ScopeBoard(scope, controller);
    this.#scopes.push(board);
    const wrapper: TaskController = {
      async init(payload: string): Promise<InitReply> {
        const reply = await controller.init(payload);
        if (reply.id > 0) board.added(reply.id, payload);
        else board.rejected();
        return reply;
      },
      status: (id, payload) => controller.status(id, payload),
      abort: (id, payload) => controller.abort(id, payload),
      close: () => controller.close?.(),
    };
    if (controller.onStateChange !== undefined) {
      wrapper.onStateChange = (listener) => controller.onStateChange!(listener);
    }
    return wrapper;
  }

  /** Running and recent tasks of every scope, with the latest progress text. */
  async figures(): Promise<TaskServerFigures> {
    await Promise.all(this.#scopes.map((s) => s.refresh()));
    const finished: Record<string, number> = {};
    let started = 0;
    let running = 0;
    for (const scope of this.#scopes) {
      started += scope.started;
      running += scope.running.size;
      for (const [state, count] of Object.entries(scope.counts)) {
        finished[state] = (finished[state] ?? 0) + count;
      }
    }
    const tasks = this.#scopes.flatMap((s) => s.listed());
    // Running first, then finished; newest first within each.
    tasks.sort((a, b) =>
      Number(a.finishedAt !== null) - Number(b.finishedAt !== null) ||
      (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt)
    );
    return { tasks, running, finished, started };
  }
}
