/**
 * What every component kind provides to the component worker: `load`
 * imports the component's modules and checks that they export what the
 * kind needs (this is also all `zedge robot check` runs), and the loaded
 * component's `start` brings it up and returns a handle to stop it.
 *
 * @example
 * ```ts
 * import type { ComponentKindRunner } from "./component.ts";
 * const runner: ComponentKindRunner<never> = {
 *   load: async () => ({ start: async () => ({ done: new Promise(() => {}), stop: async () => {} }) }),
 * };
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";
import type { NodeLogger } from "./node.ts";
import { fileURLToPath } from "node:url";
import { importModule } from "../../core/module_import.ts";
import type { ComponentSpec } from "../spec.ts";
import type { KindFigures } from "../observe/figures.ts";

/**
 * What a started component gets from its worker.
 *
 * @example
 * ```ts
 * import type { StartContext } from "./component.ts";
 * const onStop = (ctx: StartContext) => ctx.signal.addEventListener("abort", () => {});
 * ```
 */
export interface StartContext {
  /** Fires when the supervisor stops the component. */
  signal: AbortSignal;
  /** The component's logger. */
  log: NodeLogger;
}

/**
 * A started component.
 *
 * @example
 * ```ts
 * import type { RunningComponent } from "./component.ts";
 * const forever: RunningComponent = { done: new Promise(() => {}), stop: async () => {} };
 * ```
 */
export interface RunningComponent {
  /** Resolves when the component ends on its own; rejects when it fails. */
  done: Promise<unknown>;
  /** Stops it gracefully (called after the signal fired). */
  stop(): Promise<void>;
  /** What its kind reports live (tasks, progress, topics), sampled about once a second. */
  figures?(): KindFigures | Promise<KindFigures>;
}

/**
 * A component whose modules are loaded and checked.
 *
 * @example
 * ```ts
 * import type { LoadedComponent } from "./component.ts";
 * const start = (c: LoadedComponent, ctx: Parameters<LoadedComponent["start"]>[0]) => c.start(ctx);
 * ```
 */
export interface LoadedComponent {
  /** Starts it; resolves once it is up (sockets bound, `main` called). */
  start(context: StartContext): Promise<RunningComponent>;
}

/**
 * One kind's implementation.
 *
 * @example
 * ```ts
 * import type { ComponentKindRunner } from "./component.ts";
 * import type { NodeSpec } from "../config.ts";
 * declare const nodeRunner: ComponentKindRunner<NodeSpec>;
 * ```
 */
export interface ComponentKindRunner<S extends ComponentSpec> {
  /** Imports the modules and checks their exports; throws {@link ComponentLoadError}. */
  load(spec: S): Promise<LoadedComponent>;
}

/**
 * A component that cannot start whatever the supervisor retries: a module
 * that does not load, or does not export what its kind needs. The
 * supervisor marks such a component failed at once.
 *
 * @example
 * ```ts
 * import { ComponentLoadError } from "./component.ts";
 * throw new ComponentLoadError("nodes/odometry.ts: must export default function main(ctx)");
 * ```
 */
export class ComponentLoadError extends ZedgeError {
  /** Always `"component-load"`. */
  readonly code: string = "component-load";
  /** Creates the error; the message names the module and what is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "ComponentLoadError";
  }
}

/**
 * A module URL as people read it: the file path for `file:` URLs.
 *
 * @example
 * ```ts
 * import { displayModule } from "./component.ts";
 * displayModule("file:///opt/robot/nodes/odometry.ts"); // "/opt/robot/nodes/odometry.ts"
 * ```
 */
export function displayModule(url: string): string {
  return url.startsWith("file:") ? fileURLToPath(url) : url;
}

/**
 * Imports a component's module; a module that cannot load (missing, syntax
 * error, throwing at top level, refused permission) becomes a
 * {@link ComponentLoadError} whose message keeps the position Deno gives
 * (`file:line:column`).
 *
 * @example
 * ```ts
 * import { importComponentModule } from "./component.ts";
 * const namespace = await importComponentModule("file:///opt/robot/nodes/odometry.ts", "node");
 * ```
 */
export async function importComponentModule(
  url: string,
  what: string,
): Promise<Record<string, unknown>> {
  try {
    return await importModule(url);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Deno's first line says what failed; a later "at file:line:col" line says where.
    const lines = message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
    const where = lines.find((l) => /^at .*:\d+:\d+$/.test(l));
    const name = error instanceof Error && error.name !== "Error" ? `${error.name}: ` : "";
    throw new ComponentLoadError(
      `cannot load ${what} module ${displayModule(url)}: ${name}${robotHint(lines[0] ?? message)}${
        where !== undefined && !lines[0]?.includes(where.slice(3)) ? ` ${where}` : ""
      }`,
    );
  }
}

/**
 * Deno's permission errors end with ", run again with the --allow-read
 * flag", which is wrong advice inside a robot: a component may touch what
 * its YAML grants, and the robot process what its flags (from `zedge robot
 * systemd` or `zedge robot build`) grant. This says that instead.
 *
 * @example
 * ```ts
 * import { robotHint } from "./component.ts";
 * robotHint('NotCapable: Requires read access to "/etc/x", run again with the --allow-read flag');
 * // 'NotCapable: Requires read access to "/etc/x" (not granted to this component: add it to its read: in the robot YAML)'
 * ```
 */
export function robotHint(message: string): string {
  return message.replace(
    /, run again with the --allow-(read|write|net|env|sys|run|ffi|import)\b[^\n]*/g,
    (_all, what: string) =>
      ["read", "write", "env"].includes(what)
        ? ` (not granted to this component: add it to its ${what}: in the robot YAML)`
        : what === "net"
        ? " (not granted to this component: declare the endpoint in its bind or connect)"
        : ` (a component is never granted ${what})`,
  );
}

/**
 * A promise that never settles: `done` of a component that runs until stopped.
 *
 * @example
 * ```ts
 * import { untilStopped } from "./component.ts";
 * const done = untilStopped();
 * ```
 */
export function untilStopped(): Promise<never> {
  return new Promise<never>(() => {});
}
