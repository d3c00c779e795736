/**
 * Scene scripts, as ZTL's `run_script` reads them: an ordered map of scenes →
 * steps → handlers → components → goal. Keys may carry parameters in
 * parentheses:
 *
 * - scene `name(delay = 2)`: wait 2 s before the scene starts;
 * - step `name(delay = 1, wait = False)`: wait before the step; with
 *   `wait = False` the step's tasks run in the background and the next step
 *   starts at once;
 * - handler `name(remote = other)`: send this handler's tasks to remote
 *   `other` instead of the remote named like the handler;
 * - component `name(delay = 0.5, wait = False)`: per-task delay and wait.
 *
 * ```yaml
 * intro(delay = 1):
 *   greet:
 *     test:
 *       print: hello
 *       sleep(wait = False): 2
 *   answer:
 *     speech(remote = test):
 *       echo: how are you
 * ```
 *
 * Everything is validated on load; errors read `file:line: …`.
 *
 * @example
 * ```ts
 * import { parseScript } from "./script.ts";
 * const script = parseScript("scene:\n  step:\n    test:\n      echo: hi\n", "s.yaml");
 * script.scenes[0].steps[0].handlers[0].components[0].goal; // "hi"
 * ```
 * @module
 */
import type { Remote } from "./remotes.ts";
import { loadYaml, mapEntries, scalarValue, type YamlSource } from "./yaml_source.ts";

/**
 * One task of a step.
 *
 * @example
 * ```ts
 * import type { ScriptComponent } from "./script.ts";
 * const c: ScriptComponent = { name: "echo", goal: "hi", delay: 0, wait: true, line: 4 };
 * ```
 */
export interface ScriptComponent {
  /** The component's name. */
  name: string;
  /** The goal sent to the component. */
  goal: string;
  /** Seconds to wait before triggering. */
  delay: number;
  /** Whether the step waits for this task. */
  wait: boolean;
  /** Line in the script file. */
  line: number;
}

/**
 * A handler's tasks within a step, and the remote they go to.
 *
 * @example
 * ```ts
 * import type { ScriptHandler } from "./script.ts";
 * const h: ScriptHandler = { name: "test", remote: "test", components: [], line: 3 };
 * ```
 */
export interface ScriptHandler {
  /** The handler's name. */
  name: string;
  /** Name of the remote that runs this handler. */
  remote: string;
  /** The components to trigger. */
  components: ScriptComponent[];
  /** Line in the script file. */
  line: number;
}

/**
 * One step: its tasks are triggered together.
 *
 * @example
 * ```ts
 * import type { ScriptStep } from "./script.ts";
 * const s: ScriptStep = { key: "go", name: "go", delay: 0, wait: true, handlers: [], line: 2 };
 * ```
 */
export interface ScriptStep {
  /** The key as written, parameters included. */
  key: string;
  /** The step's name, without parameters. */
  name: string;
  /** Seconds to wait before the step. */
  delay: number;
  /** Whether the step waits for its tasks. */
  wait: boolean;
  /** The handlers to trigger. */
  handlers: ScriptHandler[];
  /** Line in the script file. */
  line: number;
}

/**
 * One scene: steps run in order.
 *
 * @example
 * ```ts
 * import type { ScriptScene } from "./script.ts";
 * const s: ScriptScene = { key: "intro", name: "intro", delay: 0, steps: [], line: 1 };
 * ```
 */
export interface ScriptScene {
  /** The key as written, parameters included. */
  key: string;
  /** The scene's name, without parameters. */
  name: string;
  /** Seconds to wait before the scene. */
  delay: number;
  /** The scene's steps, in order. */
  steps: ScriptStep[];
  /** Line in the script file. */
  line: number;
}

/**
 * A parsed script.
 *
 * @example
 * ```ts
 * import type { Script } from "./script.ts";
 * const empty: Script = { file: "s.yaml", scenes: [] };
 * ```
 */
export interface Script {
  /** The script file's name. */
  file: string;
  /** The scenes, in file order. */
  scenes: ScriptScene[];
}

/**
 * A key split into its name and `(key = value, …)` parameters.
 *
 * @example
 * ```ts
 * import type { StageKey } from "./script.ts";
 * const k: StageKey = { name: "step", params: new Map([["delay", "2"]]) };
 * ```
 */
export interface StageKey {
  /** The name part of the key. */
  name: string;
  /** The key's parameters, by name. */
  params: Map<string, string>;
}

const TRUE = ["true", "1", "t", "y", "yes", "on"];
const FALSE = ["false", "0", "f", "n", "no", "off"];

/**
 * Splits `name(delay = 2, wait = False)` into name and parameters. Returns an
 * error text (not a throw) so the caller can point at the right line.
 *
 * @example
 * ```ts
 * import { parseStageKey } from "./script.ts";
 * parseStageKey("walk(delay = 2)"); // { name: "walk", params: Map { "delay" => "2" } }
 * ```
 */
export function parseStageKey(key: string): StageKey | string {
  const open = key.indexOf("(");
  if (open < 0) {
    if (key.includes(")")) return `unbalanced ')' in '${key}'`;
    return { name: key.trim(), params: new Map() };
  }
  if (!key.trimEnd().endsWith(")")) return `parameters in '${key}' must end with ')'`;
  const name = key.slice(0, open).trim();
  const inner = key.trimEnd().slice(open + 1, -1);
  const params = new Map<string, string>();
  if (inner.trim() !== "") {
    for (const part of inner.split(",")) {
      const eq = part.indexOf("=");
      if (eq < 0) return `parameter '${part.trim()}' in '${key}' must be written name = value`;
      const param = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (param === "" || value === "") {
        return `parameter '${part.trim()}' in '${key}' must be written name = value`;
      }
      if (params.has(param)) return `parameter '${param}' given twice in '${key}'`;
      params.set(param, value);
    }
  }
  return { name, params };
}

interface Parsed {
  name: string;
  delay: number;
  wait: boolean;
  remote?: string;
}

function parseKey(
  source: YamlSource,
  keyNode: unknown,
  key: string,
  what: string,
  allowed: readonly string[],
): Parsed {
  const parsed = parseStageKey(key);
  if (typeof parsed === "string") source.fail(keyNode, `${what}: ${parsed}`);
  if (parsed.name === "") source.fail(keyNode, `${what} '${key}' has no name`);
  const result: Parsed = { name: parsed.name, delay: 0, wait: true };
  for (const [param, value] of parsed.params) {
    if (!allowed.includes(param)) {
      source.fail(
        keyNode,
        `${what} '${parsed.name}': unknown parameter '${param}' (allowed: ${allowed.join(", ")})`,
      );
    }
    if (param === "delay") {
      const delay = Number(value);
      if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(delay)) {
        source.fail(
          keyNode,
          `${what} '${parsed.name}': 'delay' must be a number of seconds, got '${value}'`,
        );
      }
      result.delay = delay;
    } else if (param === "wait") {
      const lower = value.toLowerCase();
      if (!TRUE.includes(lower) && !FALSE.includes(lower)) {
        source.fail(
          keyNode,
          `${what} '${parsed.name}': 'wait' must be True or False, got '${value}'`,
        );
      }
      result.wait = TRUE.includes(lower);
    } else if (param === "remote") {
      result.remote = value;
    }
  }
  return result;
}

/**
 * Parses a script's text; throws {@link ConfigError} (`file:line: …`) for
 * bad YAML, a wrong shape or bad parameters.
 *
 * @example
 * ```ts
 * import { parseScript } from "./script.ts";
 * const script = parseScript("s(delay = 1):\n  a:\n    test:\n      sleep: 1\n", "s.yaml");
 * script.scenes[0].delay; // 1
 * ```
 */
export function parseScript(text: string, file: string): Script {
  const source: YamlSource = loadYaml(text, file);
  if (source.root === null) source.fail(null, "script is empty; expected a map of scenes");
  const scenes: ScriptScene[] = [];
  for (const sceneEntry of mapEntries(source, source.root, "the script (scenes)")) {
    const scene = parseKey(source, sceneEntry.keyNode, sceneEntry.key, "scene", ["delay"]);
    const steps: ScriptStep[] = [];
    const sceneWhat = `scene '${scene.name}'`;
    for (const stepEntry of mapEntries(source, sceneEntry.value, `${sceneWhat} (steps)`)) {
      const step = parseKey(source, stepEntry.keyNode, stepEntry.key, "step", ["delay", "wait"]);
      const handlers: ScriptHandler[] = [];
      const stepWhat = `step '${step.name}'`;
      for (const handlerEntry of mapEntries(source, stepEntry.value, `${stepWhat} (handlers)`)) {
        const handler = parseKey(source, handlerEntry.keyNode, handlerEntry.key, "handler", [
          "remote",
        ]);
        const components: ScriptComponent[] = [];
        const handlerWhat = `handler '${handler.name}'`;
        for (
          const componentEntry of mapEntries(
            source,
            handlerEntry.value,
            `${handlerWhat} (components)`,
          )
        ) {
          const component = parseKey(
            source,
            componentEntry.keyNode,
            componentEntry.key,
            "component",
            ["delay", "wait"],
          );
          const goal = scalarValue(
            source,
            componentEntry.value,
            `goal of ${handlerWhat} [${component.name}]`,
          );
          components.push({
            name: component.name,
            goal: goal === null ? "" : String(goal),
            delay: component.delay,
            wait: component.wait,
            line: source.lineOf(componentEntry.keyNode),
          });
        }
        handlers.push({
          name: handler.name,
          remote: handler.remote ?? handler.name,
          components,
          line: source.lineOf(handlerEntry.keyNode),
        });
      }
      steps.push({
        key: stepEntry.key,
        name: step.name,
        delay: step.delay,
        wait: step.wait,
        handlers,
        line: source.lineOf(stepEntry.keyNode),
      });
    }
    scenes.push({
      key: sceneEntry.key,
      name: scene.name,
      delay: scene.delay,
      steps,
      line: source.lineOf(sceneEntry.keyNode),
    });
  }
  return { file, scenes };
}

/**
 * Checks that every handler's remote exists; returns `file:line: …` texts for
 * those that do not (empty when all are known).
 *
 * @example
 * ```ts
 * import { parseScript, unknownRemotes } from "./script.ts";
 * const script = parseScript("s:\n  a:\n    arm:\n      home: now\n", "s.yaml");
 * unknownRemotes(script, new Map()); // ["s.yaml:3: handler 'arm' uses remote 'arm', which is not configured"]
 * ```
 */
export function unknownRemotes(script: Script, remotes: Map<string, Remote>): string[] {
  const problems: string[] = [];
  for (const scene of script.scenes) {
    for (const step of scene.steps) {
      for (const handler of step.handlers) {
        if (!remotes.has(handler.remote)) {
          problems.push(
            `${script.file}:${handler.line}: handler '${handler.name}' uses remote '${handler.remote}', which is not configured`,
          );
        }
      }
    }
  }
  return problems;
}
