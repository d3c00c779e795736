/**
 * Checks a robot's modules the way the robot will load them: each
 * component's Web Worker is started with that component's own permissions
 * and asked to load its modules and check their exports, without starting
 * anything. A module that throws at import time, a syntax error
 * (`file:line:column`), a missing export, or a module that needs a
 * permission the component was not given, all show up here.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { checkRobotModules } from "./check.ts";
 * const problems = await checkRobotModules(await loadRobotConfig("examples/robot/robot.yaml"));
 * console.log(problems.length === 0 ? "ok" : problems.join("\n"));
 * ```
 * @module
 */
import { readComponentMessage } from "./supervision/component_message.ts";
import type { ComponentSpec, RobotConfig } from "./spec.ts";
import { componentWorkerUrl, graphLoadFailure } from "./component_entry.ts";
import { workerPermissions } from "./permissions.ts";
import type { ToComponent } from "./protocol.ts";

/** How long one component may take to load its modules (minutes only on a slow or emulated CPU). */
const CHECK_TIMEOUT_MS = 120_000;

/** How often a component still loading is said to be, so a long wait is never a silent one. */
const STILL_LOADING_EVERY_MS = 10_000;

/**
 * Every module problem of `config`, each `file:line: components.NAME: …`.
 *
 * @example
 * ```ts
 * import { loadRobotConfig } from "./config.ts";
 * import { checkRobotModules } from "./check.ts";
 * await checkRobotModules(await loadRobotConfig("robot.yaml"));
 * ```
 */
export async function checkRobotModules(
  config: RobotConfig,
  options: {
    /** Told every 10 s while a component's modules are still loading (default: nothing). */
    onStillLoading?: (component: string, seconds: number) => void;
  } = {},
): Promise<string[]> {
  const results = await Promise.all(
    config.components.map((spec) => checkComponent(spec, options.onStillLoading)),
  );
  return results.flatMap((problems, i) => {
    const spec = config.components[i];
    return problems.map((p) => `${config.file}:${spec.line}: components.${spec.name}: ${p}`);
  });
}

function checkComponent(
  spec: ComponentSpec,
  onStillLoading?: (component: string, seconds: number) => void,
): Promise<string[]> {
  return new Promise((resolve) => {
    const worker = new Worker(componentWorkerUrl(spec), {
      type: "module",
      name: `check ${spec.name}`,
      // @ts-ignore: Deno's worker permissions (--unstable-worker-options)
      deno: { permissions: workerPermissions(spec.permissions) },
    });
    const started = performance.now();
    const still = setInterval(
      () => onStillLoading?.(spec.name, Math.round((performance.now() - started) / 1000)),
      STILL_LOADING_EVERY_MS,
    );
    const finish = (problems: string[]) => {
      clearTimeout(timer);
      clearInterval(still);
      // A Worker in a synchronous loop outlives terminate(): the caller's process ending ends it.
      worker.terminate();
      resolve(problems);
    };
    const timer = setTimeout(
      () =>
        finish([
          `its modules did not finish loading within ${CHECK_TIMEOUT_MS / 1000} s ` +
          `(a loop at a module's top level, or an await there that never settles?)`,
        ]),
      CHECK_TIMEOUT_MS,
    );
    let heard = false;
    worker.onmessage = (event: MessageEvent<unknown>) => {
      heard = true;
      // The module's own code runs here and may post anything: read as the supervisor reads.
      const message = readComponentMessage(event.data);
      if (typeof message === "string") {
        finish([`sent ${message}, which zedge does not take`]);
        return;
      }
      if (message.op === "checked") finish(message.problems);
      // A module that threw while the entry loaded it.
      if (message.op === "failed") finish([message.error]);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish([heard ? event.message || "its worker failed" : graphLoadFailure(event.message)]);
    };
    worker.postMessage({ op: "check", spec } satisfies ToComponent);
  });
}
