/**
 * Scene scripts, as ZTL's `run_script` reads them: an ordered map of scenes →
 * steps → handlers → components → goal. Keys may carry parameters in
 * parentheses:
 *
 * - scene `name(delay = 2)`: wait 2 s before the scene starts (a scene's
 *   `wait` is accepted and, as in ZTL, has no effect);
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
 * The file is read as ZTL reads it: YAML 1.1 as PyYAML loads it, and each
 * goal sent as Python's `str()` renders it (`yes` → `True`, `010` → `8`,
 * an empty goal → `None`, a mapping or list → its Python repr). Everything
 * is validated on load and every problem is reported at once as
 * `file:line: …`; a parameter ZTL would ignore is ignored with a warning.
 *
 * @example
 * ```ts
 * import { parseScript } from "./script.ts";
 * const script = parseScript("scene:\n  step:\n    test:\n      echo: hi\n", "s.yaml");
 * script.scenes[0].steps[0].handlers[0].components[0].goal; // "hi"
 * ```
 * @module
 */
import { isMap, isScalar, isSeq, type Node, type Pair } from "yaml";
import { z } from "zod";
import { validateDocument, YamlDocument } from "../config/yaml_schema.ts";
import { pythonStr } from "./python_str.ts";
import { PYYAML_OPTIONS } from "./pyyaml.ts";
import { logConfigWarning, type Remote } from "./remotes.ts";
import { ConfigError } from "./yaml_source.ts";

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

/** The parameters each level of a script understands. */
const PARAMETERS = {
  scene: ["delay", "wait"],
  step: ["delay", "wait"],
  handler: ["remote"],
  component: ["delay", "wait"],
} as const;

type Level = keyof typeof PARAMETERS;

const mappingOf = <T extends z.ZodType>(what: string, inner: T) =>
  z.record(z.string(), inner, { error: `must be a mapping of ${what}` });

/**
 * A scene script, as written: scenes → steps → handlers → components →
 * goal. Keys are `name` or `name(param = value, …)`; see the module
 * documentation for the parameters.
 */
const scriptFileSchema = mappingOf(
  "scenes to their steps",
  mappingOf(
    "steps to their handlers",
    mappingOf(
      "handlers to their components",
      mappingOf(
        "components to their goals",
        z.unknown().describe(
          "the goal: any YAML value, sent as Python's str() renders it (yes → True, a map → {'a': 1})",
        ),
      ).describe("handler(remote = NAME): components → goals"),
    ).describe("step(delay = S, wait = False): handlers"),
  ).describe("scene(delay = S): steps, run in order"),
).describe("a ZTL scene script");

/**
 * The scene script's JSON Schema (draft 2020-12), for editors.
 *
 * @example
 * ```ts
 * import { scriptJsonSchema } from "./script.ts";
 * console.log(scriptJsonSchema().title); // "zedge / ZTL scene script"
 * ```
 */
export function scriptJsonSchema(): Record<string, unknown> {
  return {
    title: "zedge / ZTL scene script",
    ...z.toJSONSchema(scriptFileSchema, { io: "input", unrepresentable: "any" }),
  } as Record<string, unknown>;
}

/**
 * Options of {@link parseScript}.
 *
 * @example
 * ```ts
 * import type { ScriptOptions } from "./script.ts";
 * const warnings: string[] = [];
 * const options: ScriptOptions = { onWarning: (w) => warnings.push(w) };
 * ```
 */
export interface ScriptOptions {
  /**
   * Called with each `file:line: …` warning (a parameter that is ignored);
   * by default they are logged at warning level.
   */
  onWarning?: (warning: string) => void;
}

interface KeyParameters {
  name: string;
  delay: number;
  wait: boolean;
  remote?: string;
}

/** The entries of a mapping node, merge keys (`<<: *base`) expanded as YAML 1.1 does. */
function entries(doc: YamlDocument, node: Node | null): Pair<Node, Node | null>[] {
  const map = doc.deref(node);
  if (!isMap(map)) return [];
  const own: Pair<Node, Node | null>[] = [];
  const merged: Pair<Node, Node | null>[] = [];
  for (const pair of map.items as Pair<Node, Node | null>[]) {
    if (isScalar(pair.key) && pair.key.value === "<<") {
      const source = doc.deref(pair.value);
      for (const map of isSeq(source) ? (source.items as Node[]) : [source]) {
        merged.push(...entries(doc, map));
      }
    } else {
      own.push(pair);
    }
  }
  const keys = new Set(own.map((p) => keyText(p.key)));
  return [...own, ...merged.filter((p) => !keys.has(keyText(p.key)))];
}

/** A key as Python's str() gives it (ZTL names stages with `str(key)`). */
function keyText(key: Node | null): string {
  return isScalar(key) ? pythonStr(key.value) : "";
}

/** Reads the parameters of one key, recording problems and warnings at its line. */
function keyParameters(
  doc: YamlDocument,
  key: Node,
  level: Level,
  located: (line: number, message: string, warning?: boolean) => void,
): KeyParameters | undefined {
  const line = doc.lineOfNode(key);
  if (!isScalar(key)) {
    located(line, `${level} keys must be plain values`);
    return undefined;
  }
  const text = keyText(key);
  const parsed = parseStageKey(text);
  if (typeof parsed === "string") {
    located(line, `${level}: ${parsed}`);
    return undefined;
  }
  if (parsed.name === "") {
    located(line, `${level} '${text}' has no name`);
    return undefined;
  }
  const result: KeyParameters = { name: parsed.name, delay: 0, wait: true };
  const known: readonly string[] = PARAMETERS[level];
  const what = `${level} '${parsed.name}'`;
  for (const [param, value] of parsed.params) {
    if (!known.includes(param)) {
      located(
        line,
        `${what}: unknown parameter '${param}', ignored (known: ${known.join(", ")})`,
        true,
      );
    } else if (param === "delay") {
      if (!/^\d+(\.\d+)?$/.test(value)) {
        located(line, `${what}: 'delay' must be a number of seconds, got '${value}'`);
      }
      result.delay = Number(value);
    } else if (param === "wait") {
      const lower = value.toLowerCase();
      if (!TRUE.includes(lower) && !FALSE.includes(lower)) {
        located(line, `${what}: 'wait' must be True or False, got '${value}'`);
      }
      result.wait = TRUE.includes(lower);
    } else if (param === "remote") {
      result.remote = value;
    }
  }
  return result;
}

/**
 * Parses a script's text as ZTL does; throws {@link ConfigError} with every
 * problem (`file:line: …`): bad YAML, a wrong shape or bad parameters.
 *
 * @example
 * ```ts
 * import { parseScript } from "./script.ts";
 * const script = parseScript("s(delay = 1):\n  a:\n    test:\n      sleep: 1\n", "s.yaml");
 * script.scenes[0].delay; // 1
 * ```
 */
export function parseScript(text: string, file: string, options: ScriptOptions = {}): Script {
  const doc = new YamlDocument(text, file, PYYAML_OPTIONS);
  if (doc.problems.length === 0 && (doc.value === null || doc.value === undefined)) {
    throw new ConfigError(file, 0, "script is empty; expected a map of scenes");
  }
  validateDocument(scriptFileSchema, doc);
  const located = (line: number, message: string, warning = false) =>
    (warning ? doc.warnings : doc.problems).push(`${file}:${line}: ${message}`);
  const read = (key: Node, level: Level) => keyParameters(doc, key, level, located);
  const scenes: ScriptScene[] = [];
  for (const scenePair of entries(doc, doc.root)) {
    const scene = read(scenePair.key, "scene");
    const steps: ScriptStep[] = [];
    for (const stepPair of entries(doc, scenePair.value)) {
      const step = read(stepPair.key, "step");
      const handlers: ScriptHandler[] = [];
      for (const handlerPair of entries(doc, stepPair.value)) {
        const handler = read(handlerPair.key, "handler");
        const components: ScriptComponent[] = [];
        for (const componentPair of entries(doc, handlerPair.value)) {
          const component = read(componentPair.key, "component");
          if (component === undefined) continue;
          components.push({
            name: component.name,
            goal: pythonStr(doc.js(componentPair.value, { mapAsMap: true })),
            delay: component.delay,
            wait: component.wait,
            line: doc.lineOfNode(componentPair.key),
          });
        }
        if (handler === undefined) continue;
        handlers.push({
          name: handler.name,
          remote: handler.remote ?? handler.name,
          components,
          line: doc.lineOfNode(handlerPair.key),
        });
      }
      if (step === undefined) continue;
      steps.push({
        key: keyText(stepPair.key),
        name: step.name,
        delay: step.delay,
        wait: step.wait,
        handlers,
        line: doc.lineOfNode(stepPair.key),
      });
    }
    if (scene === undefined) continue;
    scenes.push({
      key: keyText(scenePair.key),
      name: scene.name,
      delay: scene.delay,
      steps,
      line: doc.lineOfNode(scenePair.key),
    });
  }
  if (doc.problems.length > 0) throw ConfigError.of(file, doc.sortedProblems);
  for (const warning of doc.sortedWarnings) (options.onWarning ?? logConfigWarning)(warning);
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
