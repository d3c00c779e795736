/**
 * Values in and out as people write and read them: a value given on the
 * command line as JSON, or as YAML (`{to: [3, 1]}`, as `ros2 topic pub`
 * takes it), and a value printed as YAML (what `ros2 topic echo` prints),
 * with every untrusted character escaped.
 *
 * @example
 * ```ts
 * import { parseValueArgument, yamlText } from "./live_values.ts";
 * parseValueArgument("{to: [3, 1]}", "VALUE"); // { to: [3, 1] }
 * yamlText({ to: [3, 1] }); // "to:\n  - 3\n  - 1\n"
 * ```
 * @module
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { CliError } from "./errors.ts";

/**
 * A value given on the command line: JSON, or YAML (`{to: [3, 1]}`, as
 * `ros2 topic pub` takes it); a {@link CliError} (exit 2) saying what is
 * wrong otherwise.
 *
 * @example
 * ```ts
 * import { parseValueArgument } from "./live_values.ts";
 * parseValueArgument("42", "JSON"); // 42
 * ```
 */
export function parseValueArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: YAML, which also reads JSON's superset of flow mappings.
  }
  try {
    return parseYaml(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new CliError(`${what}: not JSON (or YAML): ${why} (e.g. '{"to": [3, 1]}')`, 2);
  }
}

/**
 * A value as YAML for a terminal (what `ros2 topic echo` prints), every
 * untrusted character escaped.
 *
 * @example
 * ```ts
 * import { yamlText } from "./live_values.ts";
 * yamlText({ x: 1, name: "a\x1b[2J" }); // 'x: 1\nname: "a\\x1b[2J"\n'
 * ```
 */
export function yamlText(value: unknown): string {
  return escapeUntrusted(stringifyYaml(value ?? null), { newline: "\n" });
}
