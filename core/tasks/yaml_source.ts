/**
 * The error of the task configuration files (remotes and scene scripts):
 * {@link ConfigError}, a {@link ConfigFileError} that also names the file
 * and the line of its first problem. Both files are validated by
 * `core/config/yaml_schema.ts`, like the robot and pipeline YAML.
 *
 * The node helpers below ({@link loadYaml}, {@link mapEntries},
 * {@link scalarValue}) stay for code that used them; zedge's own files use
 * {@link YamlDocument}.
 *
 * @example
 * ```ts
 * import { parseRemotes } from "./remotes.ts";
 * import { ConfigError } from "./yaml_source.ts";
 * try {
 *   parseRemotes("remotes: [1,", "bad.yaml");
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.line, error.problems);
 * }
 * ```
 * @module
 */
import { isMap, isScalar, type Node, type YAMLMap } from "yaml";
import { ConfigFileError, YamlDocument } from "../config/yaml_schema.ts";

/**
 * A configuration file's problems, located: `file:line: message`, one per
 * line. `line` is the first problem's (0 when it is about the whole file).
 *
 * @example
 * ```ts
 * import { ConfigError } from "./yaml_source.ts";
 * const error = new ConfigError("remotes.yaml", 3, "remotes.arm.port: is required");
 * error.message; // "remotes.yaml:3: remotes.arm.port: is required"
 * ```
 */
export class ConfigError extends ConfigFileError {
  /** Always `"tasks-config"`. */
  override readonly code: string = "tasks-config";
  /** The file the problems are in. */
  readonly file: string;
  /** 1-based line of the first problem, 0 when it is the whole file. */
  readonly line: number;
  /** Creates the error; `line` 0 means the whole file; `more` are further `file:line: …` problems. */
  constructor(file: string, line: number, message: string, more: readonly string[] = []) {
    super([line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`, ...more]);
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
  }

  /**
   * The error for a document's problems (`file:line: …` each, in line order).
   *
   * @example
   * ```ts
   * import { ConfigError } from "./yaml_source.ts";
   * const error = ConfigError.of("s.yaml", ["s.yaml:2: a: must be a mapping"]);
   * error.line; // 2
   * ```
   */
  static of(file: string, problems: readonly string[]): ConfigError {
    const [first = "invalid", ...more] = problems;
    const rest = first.startsWith(`${file}:`) ? first.slice(file.length + 1) : ` ${first}`;
    const located = /^(\d+): (.*)$/s.exec(rest);
    return located === null
      ? new ConfigError(file, 0, rest.trimStart(), more)
      : new ConfigError(file, Number(located[1]), located[2], more);
  }
}

/**
 * A parsed YAML file that can tell the line of any of its nodes.
 *
 * @example
 * ```ts
 * import { loadYaml } from "./yaml_source.ts";
 * const source = loadYaml("a: 1\n", "x.yaml");
 * source.lineOf(source.root);
 * ```
 */
export interface YamlSource {
  /** The file's name, used in errors. */
  readonly file: string;
  /** The document's root node, or null for an empty file. */
  readonly root: unknown;
  /** The 1-based line of `node`, 0 when unknown. */
  lineOf(node: unknown): number;
  /** Throws a {@link ConfigError} located at `node`. */
  fail(node: unknown, message: string): never;
}

/**
 * Parses `text` (named `file` in errors). Throws {@link ConfigError} with
 * its syntax errors, duplicate keys included.
 *
 * @example
 * ```ts
 * import { loadYaml } from "./yaml_source.ts";
 * const { root } = loadYaml("remotes: {}\n", "remotes.yaml");
 * ```
 */
export function loadYaml(text: string, file: string): YamlSource {
  const doc = new YamlDocument(text, file);
  if (doc.problems.length > 0) throw ConfigError.of(file, doc.sortedProblems);
  const lineOf = (node: unknown): number =>
    (node as Node | null)?.range ? doc.lineOfNode(node as Node) : 0;
  return {
    file,
    root: doc.root,
    lineOf,
    fail(node: unknown, message: string): never {
      throw new ConfigError(file, lineOf(node), message);
    },
  };
}

/**
 * One entry of a YAML map, with the key as text and both nodes for line
 * numbers.
 *
 * @example
 * ```ts
 * import type { MapEntry } from "./yaml_source.ts";
 * function keyOf(entry: MapEntry) { return entry.key; }
 * ```
 */
export interface MapEntry {
  /** The key as text. */
  key: string;
  /** The key's node, for line numbers. */
  keyNode: unknown;
  /** The value's node. */
  value: unknown;
}

/**
 * The entries of a YAML map in file order; fails (naming `what`) if `node`
 * is not a map. Keys must be scalars.
 *
 * @example
 * ```ts
 * import { loadYaml, mapEntries } from "./yaml_source.ts";
 * const source = loadYaml("a: 1\nb: 2\n", "x.yaml");
 * mapEntries(source, source.root, "the file").map((e) => e.key); // ["a", "b"]
 * ```
 */
export function mapEntries(source: YamlSource, node: unknown, what: string): MapEntry[] {
  if (!isMap(node)) source.fail(node, `${what} must be a map`);
  return (node as YAMLMap).items.map((pair) => {
    if (!isScalar(pair.key)) source.fail(pair.key ?? node, `keys of ${what} must be plain values`);
    const raw = pair.key.value;
    return {
      key: raw === null || raw === undefined ? "" : String(raw),
      keyNode: pair.key,
      value: pair.value,
    };
  });
}

/**
 * The value of a scalar node (string, number, boolean or null), or a failure
 * naming `what` for maps and lists.
 *
 * @example
 * ```ts
 * import { loadYaml, scalarValue } from "./yaml_source.ts";
 * const source = loadYaml("7\n", "x.yaml");
 * scalarValue(source, source.root, "the port"); // 7
 * ```
 */
export function scalarValue(
  source: YamlSource,
  node: unknown,
  what: string,
): string | number | boolean | null {
  if (node === null || node === undefined) return null;
  if (!isScalar(node)) source.fail(node, `${what} must be a single value, not a map or list`);
  const value = node.value;
  if (
    value === null || typeof value === "string" || typeof value === "number" ||
    typeof value === "boolean"
  ) return value;
  return String(value);
}
