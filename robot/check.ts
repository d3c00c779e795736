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
import type { ComponentSpec, RobotConfig } from "./spec.ts";
import { componentWorkerUrl, graphLoadFailure } from "./component_entry.ts";
import { workerPermissions } from "./permissions.ts";
import type { FromComponent, ToComponent } from "./protocol.ts";

/** How long one component may take to load its modules (minutes only on a slow or emulated CPU). */
const CHECK_TIMEOUT_MS = 120_000;

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
export async function checkRobotModules(config: RobotConfig): Promise<string[]> {
  const results = await Promise.all(config.components.map((spec) => checkComponent(spec)));
  return results.flatMap((problems, i) => {
    const spec = config.components[i];
    return problems.map((p) => `${config.file}:${spec.line}: components.${spec.name}: ${p}`);
  });
}

function checkComponent(spec: ComponentSpec): Promise<string[]> {
  return new Promise((resolve) => {
    const worker = new Worker(componentWorkerUrl(spec), {
      type: "module",
      name: `check ${spec.name}`,
      // @ts-ignore: Deno's worker permissions (--unstable-worker-options)
      deno: { permissions: workerPermissions(spec.permissions) },
    });
    const finish = (problems: string[]) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(problems);
    };
    const timer = setTimeout(
      () => finish([`its modules did not load within ${CHECK_TIMEOUT_MS / 1000} s`]),
      CHECK_TIMEOUT_MS,
    );
    let heard = false;
    worker.onmessage = (event: MessageEvent<FromComponent>) => {
      heard = true;
      if (event.data.op === "checked") finish(event.data.problems);
      // A module that threw while the entry loaded it.
      if (event.data.op === "failed") finish([event.data.error]);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish([heard ? event.message || "its worker failed" : graphLoadFailure(event.message)]);
    };
    worker.postMessage({ op: "check", spec } satisfies ToComponent);
  });
}
