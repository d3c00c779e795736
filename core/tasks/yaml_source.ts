/**
 * YAML loading with line numbers, shared by the remotes and script files: a
 * syntax error or a bad value becomes a {@link ConfigError} reading
 * `file:line: what is wrong`.
 *
 * @example
 * ```ts
 * import { loadYaml, ConfigError } from "./yaml_source.ts";
 * try {
 *   loadYaml("a: [1,", "bad.yaml");
 * } catch (error) {
 *   if (error instanceof ConfigError) console.log(error.message); // bad.yaml:1: ...
 * }
 * ```
 * @module
 */
import { isMap, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";

/**
 * A configuration file problem, located: `file:line: message`.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./yaml_source.ts";
 * const error = new ConfigError("remotes.yaml", 3, "field 'port' must be an integer");
 * error.message; // "remotes.yaml:3: field 'port' must be an integer"
 * ```
 */
export class ConfigError extends Error {
  /** The file the problem is in. */
  readonly file: string;
  /** 1-based line, 0 when the problem is the whole file. */
  readonly line: number;
  /** Creates the error; `line` 0 means the whole file. */
  constructor(file: string, line: number, message: string) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
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
 * Parses `text` (named `file` in errors). Throws {@link ConfigError} at the
 * first syntax error, including duplicate keys.
 *
 * @example
 * ```ts
 * import { loadYaml } from "./yaml_source.ts";
 * const { root } = loadYaml("remotes: {}\n", "remotes.yaml");
 * ```
 */
export function loadYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOfOffset = (offset: number) => lineCounter.linePos(offset).line;
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const line = error.linePos?.[0]?.line ?? lineOfOffset(error.pos[0]);
    throw new ConfigError(file, line, `invalid YAML: ${error.message.split("\n")[0]}`);
  }
  const lineOf = (node: unknown): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineOfOffset(range[0]) : 0;
  };
  return {
    file,
    root: (document.contents ?? null) as Node | null,
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
