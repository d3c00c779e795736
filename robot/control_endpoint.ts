/**
 * Where a robot's control endpoint is by default, kept apart from the
 * configuration's code so that a command naming a robot by its YAML
 * (`zedge topic list robot.yaml`) finds it without loading the schema.
 *
 * @example
 * ```ts
 * import { defaultControlEndpoint } from "./control_endpoint.ts";
 * defaultControlEndpoint("kitchen-bot", () => undefined); // "ipc:///tmp/zedge-kitchen-bot.sock"
 * ```
 * @module
 */

/**
 * The default control endpoint of a robot: `$XDG_RUNTIME_DIR/zedge/<robot>.sock`
 * when XDG_RUNTIME_DIR is set, else `/tmp/zedge-<robot>.sock`.
 *
 * @example
 * ```ts
 * import { defaultControlEndpoint } from "./control_endpoint.ts";
 * defaultControlEndpoint("kitchen-bot", () => undefined); // "ipc:///tmp/zedge-kitchen-bot.sock"
 * ```
 */
export function defaultControlEndpoint(
  robot: string,
  env: (name: string) => string | undefined = safeEnv,
): string {
  const runtimeDir = env("XDG_RUNTIME_DIR");
  return runtimeDir !== undefined && runtimeDir.startsWith("/")
    ? `ipc://${runtimeDir.replace(/\/+$/, "")}/zedge/${robot}.sock`
    : `ipc:///tmp/zedge-${robot}.sock`;
}

/**
 * Reads a variable, or undefined when it is unset or not permitted.
 *
 * @example
 * ```ts
 * import { safeEnv } from "./control_endpoint.ts";
 * safeEnv("HOME");
 * ```
 */
export function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
