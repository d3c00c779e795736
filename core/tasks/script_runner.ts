/**
 * Runs a scene script (see `script.ts`) against task servers, with ZTL's
 * interactive flow: before each scene it shows the scene and asks for a key —
 * Enter runs it, R replays the last scene run, any other key skips; after the
 * last scene, R replays, A restarts the script, any other key exits. With
 * `yes` every scene runs once, without asking. Input that ends at a prompt
 * ends the run with {@link ScriptInputEnded} (ZTL's `input()` raises
 * EOFError there): a piped script that runs out of answers says so rather
 * than quietly skipping what is left.
 *
 * Input and output are plain functions, so the same runner serves a terminal,
 * a pipe and a test.
 *
 * @example
 * ```ts
 * import { ScriptRunner } from "./script_runner.ts";
 * import { parseScript } from "./script.ts";
 * import { TaskClient } from "./client.ts";
 * const script = parseScript("s:\n  a:\n    test:\n      echo: hi\n", "s.yaml");
 * const clients = new Map([["test", new TaskClient({ endpoint: "tcp://127.0.0.1:7779", scope: "/test" })]]);
 * const runner = new ScriptRunner({ script, clients, yes: true, write: console.log, readKey: () => Promise.resolve(null) });
 * const summary = await runner.run();
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import type { TaskClient, TaskStatus } from "./client.ts";
import { TaskNetworkError, TaskRejectedError, TaskWaitTimeoutError } from "./errors.ts";
import { stateName, TaskState } from "./protocol.ts";
import type { Script, ScriptScene } from "./script.ts";

/**
 * Options of a {@link ScriptRunner}.
 *
 * @example
 * ```ts
 * import type { ScriptRunnerOptions } from "./script_runner.ts";
 * const partial: Partial<ScriptRunnerOptions> = { yes: true, stepTimeoutMs: 60_000 };
 * ```
 */
export interface ScriptRunnerOptions {
  /** The script to run. */
  script: Script;
  /** A client per remote name (every remote the script uses). */
  clients: Map<string, TaskClient>;
  /** Writes one line of output. */
  write: (line: string) => void;
  /**
   * Reads one key press: "\r" or "\n" for Enter, the character otherwise,
   * null at end of input (the run then ends with {@link ScriptInputEnded}).
   */
  readKey: () => Promise<string | null>;
  /** Run every scene once without asking. */
  yes?: boolean;
  /** Give up waiting for a step's tasks after this many ms (they are aborted); 0 = never. */
  stepTimeoutMs?: number;
  /** Stops the run between and during steps. */
  signal?: AbortSignal;
}

/**
 * Counts of the tasks a run triggered, by outcome.
 *
 * @example
 * ```ts
 * import type { ScriptSummary } from "./script_runner.ts";
 * const ok = (s: ScriptSummary) => s.failed === 0;
 * ```
 */
export interface ScriptSummary {
  /** Scenes that were run. */
  scenesRun: number;
  /** Tasks that were triggered. */
  tasksTriggered: number;
  /** Tasks that completed. */
  completed: number;
  /** Tasks that did not complete: rejected, failed, aborted or timed out. */
  failed: number;
  /** Tasks left running in the background (not waited for). */
  background: number;
}

/**
 * Thrown when the user presses Ctrl-C at a prompt.
 *
 * @example
 * ```ts
 * import { ScriptInterrupted } from "./script_runner.ts";
 * const error = new ScriptInterrupted();
 * ```
 */
export class ScriptInterrupted extends ZedgeError {
  /** Always `"script-interrupted"`. */
  readonly code: string = "script-interrupted";
  constructor() {
    super("interrupted");
    this.name = "ScriptInterrupted";
  }
}

/**
 * Thrown when the input ends at a prompt; `at` names the prompt (`scene
 * 'pick'`, or `the end of the script`) and `summary` holds what ran before.
 *
 * @example
 * ```ts
 * import { ScriptInputEnded } from "./script_runner.ts";
 * const error = new ScriptInputEnded("scene 'pick'", {
 *   scenesRun: 0, tasksTriggered: 0, completed: 0, failed: 0, background: 0,
 * });
 * console.log(error.message); // "end of input at the prompt for scene 'pick'"
 * ```
 */
export class ScriptInputEnded extends ZedgeError {
  /** Always `"script-input-ended"`. */
  readonly code: string = "script-input-ended";
  /** The prompt the input ended at. */
  readonly at: string;
  /** What the run did before. */
  readonly summary: ScriptSummary;
  /** Creates the error for the prompt `at`, with the run's `summary` so far. */
  constructor(at: string, summary: ScriptSummary) {
    super(`end of input at the prompt for ${at}`);
    this.name = "ScriptInputEnded";
    this.at = at;
    this.summary = summary;
  }
}

const RULE = "----------------------------";

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const isEnter = (key: string) => key === "\r" || key === "\n";
const isKey = (key: string, letter: string) => key.toLowerCase() === letter;

/**
 * Runs a script (see the module documentation).
 *
 * @example
 * ```ts
 * import { ScriptRunner, type ScriptRunnerOptions } from "./script_runner.ts";
 * function runAll(options: ScriptRunnerOptions) {
 *   return new ScriptRunner({ ...options, yes: true }).run();
 * }
 * ```
 */
export class ScriptRunner {
  readonly #options: ScriptRunnerOptions;
  readonly #summary: ScriptSummary = {
    scenesRun: 0,
    tasksTriggered: 0,
    completed: 0,
    failed: 0,
    background: 0,
  };

  /** Creates a runner for `options`. */
  constructor(options: ScriptRunnerOptions) {
    for (const scene of options.script.scenes) {
      for (const step of scene.steps) {
        for (const handler of step.handlers) {
          if (!options.clients.has(handler.remote)) {
            throw new Error(
              `${options.script.file}:${handler.line}: no client for remote '${handler.remote}'`,
            );
          }
        }
      }
    }
    this.#options = options;
  }

  async #key(at: string): Promise<string> {
    const key = await this.#options.readKey();
    if (key === "\x03") throw new ScriptInterrupted();
    if (key === null) throw new ScriptInputEnded(at, { ...this.#summary });
    return key;
  }

  /** Runs the script; resolves with what happened. */
  async run(): Promise<ScriptSummary> {
    const { script, yes, write } = this.#options;
    if (yes) {
      for (const scene of script.scenes) {
        this.#describe(scene);
        await this.#execute(scene);
      }
      return { ...this.#summary };
    }
    let restart = true;
    while (restart) {
      let last: ScriptScene | undefined;
      for (const scene of script.scenes) {
        while (true) {
          this.#describe(scene);
          write(
            last
              ? "PRESS <ENTER> TO CONFIRM, PRESS <R> TO REPLAY LAST SCENE OR ANY OTHER KEY TO SKIP"
              : "PRESS <ENTER> TO CONFIRM or ANY OTHER KEY TO SKIP",
          );
          const key = await this.#key(`scene '${scene.name}'`);
          if (isEnter(key)) {
            await this.#execute(scene);
            last = scene;
            break;
          } else if (last && isKey(key, "r")) {
            write(`REPLAYING SCENE '${last.name}'`);
            await this.#execute(last);
          } else {
            write(`SKIPPING SCENE '${scene.name}'`);
            break;
          }
        }
      }
      restart = false;
      while (true) {
        write(
          last
            ? "PRESS <R> TO REPLAY THE LAST SCENE, PRESS <A> TO RESTART THE SCRIPT OR ANY OTHER KEY TO EXIT"
            : "PRESS <A> TO RESTART THE SCRIPT OR ANY OTHER KEY TO EXIT",
        );
        const key = await this.#key("the end of the script");
        if (last && isKey(key, "r")) {
          write(`REPLAYING SCENE '${last.name}'`);
          await this.#execute(last);
        } else if (isKey(key, "a")) {
          write("RESTARTING SCRIPT");
          restart = true;
          break;
        } else {
          break;
        }
      }
    }
    return { ...this.#summary };
  }

  #describe(scene: ScriptScene): void {
    const { write } = this.#options;
    write("");
    write(RULE);
    write(`ABOUT TO EXECUTE SCENE '${scene.name}'`);
    for (const step of scene.steps) {
      write(`STEP: ${step.name}`);
      for (const handler of step.handlers) {
        for (const component of handler.components) {
          write(`\t${handler.name} [${component.name}]: -> ${component.goal}`);
        }
      }
    }
  }

  async #execute(scene: ScriptScene): Promise<void> {
    const { write, clients, signal } = this.#options;
    const timeoutMs = this.#options.stepTimeoutMs ?? 0;
    this.#summary.scenesRun++;
    write(
      `EXECUTING SCENE '${scene.name}'${scene.delay > 0 ? ` WITH DELAY ${scene.delay}s` : ""}...`,
    );
    await delay(scene.delay * 1000, signal);
    for (const step of scene.steps) {
      write(
        `STARTING STEP '${step.name}'${step.wait ? "" : " IN BACKGROUND"}${
          step.delay > 0 ? ` WITH DELAY ${step.delay}s` : ""
        }...`,
      );
      await delay(step.delay * 1000, signal);
      const waiting: { label: string; client: TaskClient; id: number }[] = [];
      for (const handler of step.handlers) {
        const client = clients.get(handler.remote)!;
        for (const component of handler.components) {
          await delay(component.delay * 1000, signal);
          const label = `${handler.name} [${component.name}]`;
          try {
            const { id } = await client.trigger({
              handler: handler.name,
              component: component.name,
              goal: component.goal,
            });
            this.#summary.tasksTriggered++;
            if (step.wait && component.wait) {
              waiting.push({ label, client, id });
            } else {
              this.#summary.background++;
              write(`\t${label}: task ${id} TRIGGERED TO RUN IN BACKGROUND`);
            }
          } catch (error) {
            // As in ZTL, a task refused or a remote out of reach does not stop the script.
            if (error instanceof TaskRejectedError) {
              this.#couldNotTrigger(label, error.reply);
            } else if (error instanceof TaskNetworkError) {
              this.#couldNotTrigger(label, `cannot reach ${error.message}`);
            } else {
              await Promise.allSettled(waiting.map((t) => t.client.abort(t.id)));
              throw error;
            }
          }
        }
      }
      const results = await Promise.allSettled(
        waiting.map((task) => task.client.wait(task.id, { timeoutMs, signal })),
      );
      for (const [i, result] of results.entries()) {
        const task = waiting[i];
        if (result.status === "fulfilled") {
          this.#report(task.label, task.id, result.value);
        } else if (result.reason instanceof TaskWaitTimeoutError) {
          this.#summary.failed++;
          const aborted = await task.client.abort(task.id).catch(() => undefined);
          write(
            `\t${task.label}: task ${task.id} did not finish within ${timeoutMs / 1000}s, ${
              aborted ? `abort gave ${stateName(aborted.state)}` : "abort failed"
            }`,
          );
        } else if (result.reason instanceof TaskNetworkError) {
          this.#summary.failed++;
          write(`\t${task.label}: task ${task.id} LOST: cannot reach ${result.reason.message}`);
        } else {
          // Interrupted (the signal fired): stop what this step started before leaving.
          await Promise.allSettled(waiting.map((t) => t.client.abort(t.id)));
          throw result.reason;
        }
      }
    }
  }

  #couldNotTrigger(label: string, reason: string): void {
    this.#summary.failed++;
    this.#options.write(`\t${label}: COULD NOT BE TRIGGERED: ${reason}`);
  }

  #report(label: string, id: number, status: TaskStatus): void {
    if (status.state === TaskState.COMPLETED) this.#summary.completed++;
    else this.#summary.failed++;
    this.#options.write(
      `\t${label}: task ${id} finished in state '${stateName(status.state)}': ${status.payload}`,
    );
  }
}
