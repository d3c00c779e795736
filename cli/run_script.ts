/**
 * `zedge run-script`: run a scene script against the remotes of a remotes
 * file, like `ztl_run_script`, with its interactive prompts, or every scene
 * at once with `--yes`. A task that cannot be triggered (refused, or its
 * remote out of reach) is reported `COULD NOT BE TRIGGERED` and the script
 * carries on, as ZTL's does.
 *
 * ```sh
 * zedge run-script -c examples/tasks/remotes.yaml -s examples/tasks/script.yaml
 * zedge run-script -c remotes.yaml -s script.yaml --yes     # services and tests
 * ```
 *
 * @module
 */
import type { Command } from "commander";
import { TaskClient } from "../core/tasks/client.ts";
import { readConfigText, type Remote } from "../core/tasks/remotes.ts";
import { parseScript, unknownRemotes } from "../core/tasks/script.ts";
import {
  ScriptInputEnded,
  ScriptInterrupted,
  ScriptRunner,
  type ScriptSummary,
} from "../core/tasks/script_runner.ts";
import { ConfigError } from "../core/tasks/yaml_source.ts";
import { clientCurve, CURVE_SECRET_FLAG } from "./curve_flags.ts";
import { CliError } from "./errors.ts";
import { remotesForCli } from "./remote_task.ts";
import { KeyReader } from "./tasks_keys.ts";
import { shutdownSignal } from "./shutdown.ts";
import {
  outcomeExitCode,
  parseSecondsFlag,
  setupTaskLogging,
  ZTL_EXIT_CODES_FLAG,
} from "./tasks_common.ts";

interface ScriptFlags {
  config?: string;
  script: string;
  yes?: boolean;
  stepTimeout: number;
  ztlExitCodes?: boolean;
  curveSecret?: string;
}

/**
 * Registers `zedge run-script`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { register } from "./run_script.ts";
 * register(new Command("zedge"));
 * ```
 */
export function register(program: Command): void {
  program
    .command("run-script")
    // Bad flags get one line, not the whole help.
    .showHelpAfterError(false)
    .description(
      "run a scene script (scenes → steps → handlers → components → goal) against remote task servers",
    )
    .requiredOption("-s, --script <file>", "the scene script (YAML)")
    .option(
      "-c, --config <file>",
      "remotes file (default $XDG_CONFIG_HOME/zmq-remotes.yaml, else ~/.config/zmq-remotes.yaml)",
    )
    .option("-y, --yes", "run every scene once without asking (for services and tests)")
    .option(
      "--step-timeout <seconds>",
      "abort a step's tasks if they take longer; 0 (default) waits forever",
      parseSecondsFlag,
      0,
    )
    .option(...ZTL_EXIT_CODES_FLAG)
    .option(...CURVE_SECRET_FLAG)
    .addHelpText(
      "after",
      "\nAt each prompt: Enter runs the scene, R replays the last scene, A restarts the script,\n" +
        "any other key skips. From a pipe, each line is one answer (an empty line is Enter).\n" +
        "Parameters: scene(delay = S), step(delay = S, wait = False), handler(remote = NAME).",
    )
    .action(async (flags: ScriptFlags) => {
      await setupTaskLogging("warning");
      await runScript(flags);
    });
}

async function runScript(flags: ScriptFlags): Promise<void> {
  const { remotes } = await remotesForCli(flags.config);
  await runSceneScript(remotes, flags);
}

/**
 * How a scene script runs: its file, `--yes`, the step timeout, ZTL's exit
 * codes, and the operator's key for the remotes that name a server key.
 *
 * @example
 * ```ts
 * import type { SceneScriptFlags } from "./run_script.ts";
 * const flags: SceneScriptFlags = { script: "scene.yaml", yes: true, stepTimeout: 0 };
 * ```
 */
export type SceneScriptFlags = Omit<ScriptFlags, "config">;

/**
 * Runs the scene script `flags.script` against `remotes` (from a remotes
 * file, or the robots of a fleet file), printing as `zedge run-script`
 * does; a remote with a `serverKey` is reached over CURVE as
 * `flags.curveSecret`. Throws a {@link CliError} when a task did not
 * complete or the script names a remote not in `remotes`.
 *
 * @example
 * ```ts
 * import { runSceneScript } from "./run_script.ts";
 * import type { Remote } from "../core/tasks/remotes.ts";
 * declare const remotes: Map<string, Remote>;
 * await runSceneScript(remotes, { script: "scene.yaml", yes: true, stepTimeout: 0 });
 * ```
 */
export async function runSceneScript(
  remotes: Map<string, Remote>,
  flags: SceneScriptFlags,
): Promise<void> {
  let script;
  try {
    script = parseScript(await readConfigText(flags.script), flags.script);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  const problems = unknownRemotes(script, remotes);
  if (problems.length > 0) {
    throw new CliError(
      problems.length === 1 ? problems[0] : `${problems[0]} (and ${problems.length - 1} more)`,
    );
  }
  const used = new Set(
    script.scenes.flatMap((scene) =>
      scene.steps.flatMap((step) => step.handlers.map((h) => h.remote))
    ),
  );
  const clients = new Map<string, TaskClient>();
  for (const name of used) {
    const remote = remotes.get(name)!;
    clients.set(
      name,
      new TaskClient({
        endpoint: remote.endpoint,
        scope: remote.scope,
        events: remote.events,
        // CURVE to the remotes whose entry names the server's key.
        security: await clientCurve({
          serverKey: remote.serverKey,
          curveSecret: remote.serverKey === undefined ? undefined : flags.curveSecret,
        }),
      }),
    );
  }
  const keys = new KeyReader(Deno.stdin);
  const stop = shutdownSignal();
  const interrupted = new AbortController();
  stop.promise.then(() => interrupted.abort(new ScriptInterrupted()));
  try {
    const runner = new ScriptRunner({
      script,
      clients,
      yes: flags.yes,
      stepTimeoutMs: flags.stepTimeout > 0 ? flags.stepTimeout * 1000 : 0,
      write: (line) => console.log(line),
      readKey: () =>
        Promise.race([
          keys.read(),
          new Promise<never>((_, reject) => {
            if (interrupted.signal.aborted) reject(interrupted.signal.reason);
            interrupted.signal.addEventListener("abort", () => reject(interrupted.signal.reason), {
              once: true,
            });
          }),
        ]),
      signal: interrupted.signal,
    });
    let summary: ScriptSummary;
    try {
      summary = await runner.run();
    } catch (error) {
      if (!(error instanceof ScriptInputEnded)) throw error;
      // ZTL's prompts shout; the scene's name stays as written.
      const at = error.at.replace(/^[a-z ]+/, (words) => words.toUpperCase());
      console.log(`\nEND OF INPUT AT THE PROMPT FOR ${at}, EXITING`);
      console.log(finishedLine("SCRIPT STOPPED", error.summary));
      throw new CliError(
        `${error.message}: give one answer per prompt (Enter runs a scene), or --yes`,
      );
    }
    console.log(finishedLine("SCRIPT FINISHED", summary));
    if (summary.failed > 0) {
      throw new CliError(
        `${summary.failed} task(s) did not complete`,
        outcomeExitCode(flags.ztlExitCodes),
      );
    }
  } catch (error) {
    if (error instanceof ScriptInterrupted || interrupted.signal.aborted) {
      throw new CliError("interrupted, exiting", 130);
    }
    throw error;
  } finally {
    stop.cancel();
    try {
      keys.close();
    } catch { /* a read may still be pending after an interrupt */ }
    await Promise.all([...clients.values()].map((client) => client.close()));
  }
}

function finishedLine(title: string, summary: ScriptSummary): string {
  return `\n${title}: ${summary.scenesRun} scene(s) run, ${summary.tasksTriggered} task(s) triggered, ` +
    `${summary.completed} completed, ${summary.failed} not completed, ${summary.background} in background`;
}
