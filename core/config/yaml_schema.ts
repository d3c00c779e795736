/**
 * YAML configuration files validated against a zod schema, with every
 * problem reported at once as `file:line: field: what is wrong`. The YAML
 * parser keeps each node's position, so a schema issue at
 * `components.planner.restart` points at the line of that value (or of the
 * nearest key that exists, for a missing field).
 *
 * The schema is the single description of a file's keys: the same zod
 * object validates, types the result and exports a JSON Schema for editors.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { ConfigFileError, validateYamlConfig } from "./yaml_schema.ts";
 * const schema = z.strictObject({ port: z.int().min(1).max(65535) });
 * try {
 *   validateYamlConfig(schema, "port: 70000\n", "server.yaml");
 * } catch (error) {
 *   if (error instanceof ConfigFileError) console.log(error.problems);
 *   // ["server.yaml:1: port: must be ≤ 65535"]
 * }
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Tags,
  type ToJSOptions,
} from "yaml";
import { z } from "zod";

/**
 * Every problem found in one configuration file (or several files that were
 * validated together), each `file:line: field: message`, in file order.
 *
 * @example
 * ```ts
 * import { ConfigFileError } from "./yaml_schema.ts";
 * const error = new ConfigFileError(["robot.yaml:3: robot: is required"]);
 * console.log(error.message);
 * ```
 */
export class ConfigFileError extends ZedgeError {
  /** Always `"config-file"`. */
  readonly code: string = "config-file";
  /** One `file:line: field: message` line per problem. */
  readonly problems: string[];
  /** Creates the error; `message` is the problems joined by newlines. */
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigFileError";
    this.problems = problems;
  }
}

/** A path into a YAML document: keys of mappings and indexes of sequences. */
export type YamlPath = readonly (string | number)[];

/**
 * A parsed YAML document that can say where a value (or the key naming it)
 * is, and collect located problems.
 *
 * @example
 * ```ts
 * import { YamlDocument } from "./yaml_schema.ts";
 * const doc = new YamlDocument("a:\n  b: 1\n", "x.yaml");
 * doc.lineOf(["a", "b"]); // 2
 * doc.problem(["a", "b"], "must be a string");
 * console.log(doc.problems); // ["x.yaml:2: a.b: must be a string"]
 * ```
 */
export class YamlDocument {
  /** The file name used in problems. */
  readonly file: string;
  /** The plain value of the document (undefined when it has syntax errors). */
  readonly value: unknown;
  /** Problems found so far, unsorted; see {@link YamlDocument.sortedProblems}. */
  readonly problems: string[] = [];
  /** Things worth saying that do not stop the file from being used, unsorted. */
  readonly warnings: string[] = [];
  readonly #lines = new LineCounter();
  readonly #root: Node | null;
  readonly #document: Document;

  /**
   * Parses `text`; syntax errors (duplicate keys included) become problems.
   * `customTags` changes how plain scalars resolve (see the `yaml` package).
   */
  constructor(
    text: string,
    file: string,
    options: { version?: "1.1" | "1.2"; customTags?: Tags | ((tags: Tags) => Tags) } = {},
  ) {
    this.file = file;
    const document = parseDocument(text, {
      lineCounter: this.#lines,
      prettyErrors: false,
      uniqueKeys: true,
      version: options.version ?? "1.2",
      customTags: options.customTags,
    });
    this.#document = document;
    for (const error of document.errors) {
      const line = this.#lines.linePos(error.pos[0]).line;
      this.problems.push(`${file}:${line}: YAML syntax: ${error.message.split("\n")[0]}`);
    }
    this.#root = document.errors.length > 0 ? null : (document.contents as Node | null);
    this.value = document.errors.length > 0 ? undefined : document.toJS({ maxAliasCount: 100 });
  }

  /**
   * The line of the value at `path`; for a path that does not exist, the
   * line of the deepest part that does (so a missing field points at its
   * parent). `key: true` gives the line of the key instead of the value.
   */
  lineOf(path: YamlPath, options: { key?: boolean } = {}): number {
    let node: Node | null = this.#root;
    let line = this.#line(node);
    // Where the value being walked into is named: a missing field points there.
    let named = line;
    for (const [i, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
        if (pair === undefined) return named;
        named = line = this.#line(pair.key as Node);
        if (options.key && i === path.length - 1) return line;
        node = (pair.value as Node | null) ?? null;
        if (node !== null) line = this.#line(node);
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
        node = node.items[segment] as Node;
        named = line = this.#line(node);
      } else {
        return line;
      }
    }
    return line;
  }

  /** Records a problem located at `path` (its value, or its key with `key: true`). */
  problem(path: YamlPath, message: string, options: { key?: boolean } = {}): void {
    this.problems.push(this.#located(path, message, options));
  }

  /** Records a warning located at `path`, formatted like a problem. */
  warn(path: YamlPath, message: string, options: { key?: boolean } = {}): void {
    this.warnings.push(this.#located(path, message, options));
  }

  /** The problems in line order (stable for problems on the same line). */
  get sortedProblems(): string[] {
    return sortProblems(this.problems);
  }

  /** The warnings in line order. */
  get sortedWarnings(): string[] {
    return sortProblems(this.warnings);
  }

  /** The document's root node, for callers that walk it (null with syntax errors). */
  get root(): Node | null {
    return this.#root;
  }

  /** `node`, or the node an alias (`*name`) in this document points to. */
  deref(node: Node | null | undefined): Node | null {
    if (node === null || node === undefined) return null;
    return isAlias(node) ? (node.resolve(this.#document) ?? null) : node;
  }

  /** The plain value of one node of this document (aliases and merge keys resolved). */
  js(node: Node | null | undefined, options: ToJSOptions = {}): unknown {
    if (node === null || node === undefined) return null;
    return node.toJS(this.#document, { maxAliasCount: 100, ...options });
  }

  /** The line of a node of this document (1 when it has no position). */
  lineOfNode(node: Node | null | undefined): number {
    return this.#line(node);
  }

  #located(path: YamlPath, message: string, options: { key?: boolean }): string {
    return `${this.file}:${this.lineOf(path, options)}: ${formatPath(path)}: ${message}`;
  }

  #line(node: Node | null | undefined): number {
    return this.#lines.linePos(node?.range?.[0] ?? 0).line;
  }
}

/**
 * Sorts `file:line: …` problems by file, then line, keeping the order of
 * problems on the same line.
 *
 * @example
 * ```ts
 * import { sortProblems } from "./yaml_schema.ts";
 * sortProblems(["a.yaml:9: x", "a.yaml:2: y"]); // ["a.yaml:2: y", "a.yaml:9: x"]
 * ```
 */
export function sortProblems(problems: readonly string[]): string[] {
  const key = (p: string) => {
    const m = /^(.*?):(\d+):/.exec(p);
    return { file: m?.[1] ?? p, line: Number(m?.[2] ?? 0) };
  };
  return problems
    .map((problem, index) => ({ problem, index, ...key(problem) }))
    .sort((a, b) =>
      a.file === b.file ? a.line - b.line || a.index - b.index : a.file < b.file ? -1 : 1
    )
    .map((p) => p.problem);
}

/**
 * Formats a path the way users write it: `components.planner.connect.odom`,
 * `workers[0].name`; the empty path is `(top level)`.
 *
 * @example
 * ```ts
 * import { formatPath } from "./yaml_schema.ts";
 * formatPath(["workers", 0, "name"]); // "workers[0].name"
 * ```
 */
export function formatPath(path: YamlPath): string {
  if (path.length === 0) return "(top level)";
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[\w-]+$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * Validates a YAML document against `schema`, adding one located problem per
 * schema issue to `doc.problems`. Returns the parsed value, or undefined
 * when there were problems (syntax or schema).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { validateDocument, YamlDocument } from "./yaml_schema.ts";
 * const doc = new YamlDocument("name: 3\n", "x.yaml");
 * const value = validateDocument(z.strictObject({ name: z.string() }), doc);
 * console.log(value, doc.problems); // undefined ["x.yaml:1: name: must be a string"]
 * ```
 */
export function validateDocument<S extends z.ZodType>(
  schema: S,
  doc: YamlDocument,
): z.output<S> | undefined {
  if (doc.problems.length > 0) return undefined;
  const result = schema.safeParse(doc.value ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) reportIssue(doc, schema, issue);
  return undefined;
}

/**
 * Parses and validates `text` (named `file` in problems); throws
 * {@link ConfigFileError} with every problem, in line order.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { validateYamlConfig } from "./yaml_schema.ts";
 * const { value } = validateYamlConfig(z.strictObject({ a: z.int() }), "a: 1\n", "x.yaml");
 * console.log(value.a); // 1
 * ```
 */
export function validateYamlConfig<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
): { value: z.output<S>; doc: YamlDocument } {
  const doc = new YamlDocument(text, file);
  const value = validateDocument(schema, doc);
  if (value === undefined) throw new ConfigFileError(doc.sortedProblems);
  return { value, doc };
}

/**
 * `unknown field (did you mean 'port'?)` for a near miss, else `unknown
 * field (expected one of: …)`; `suffix` goes after `unknown field` (such as
 * `, ignored`).
 *
 * @example
 * ```ts
 * import { unknownFieldMessage } from "./yaml_schema.ts";
 * unknownFieldMessage("prot", ["host", "port"]); // "unknown field (did you mean 'port'?)"
 * ```
 */
export function unknownFieldMessage(key: string, allowed: readonly string[], suffix = ""): string {
  const hint = suggestion(key, allowed);
  const expected = allowed.length > 0 ? ` (expected one of: ${allowed.join(", ")})` : "";
  return `unknown field${suffix}${hint || expected}`;
}

function reportIssue(doc: YamlDocument, schema: z.ZodType, issue: z.core.$ZodIssue): void {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeys(schema, path, doc.value);
      for (const key of issue.keys) {
        doc.problem([...path, key], unknownFieldMessage(key, allowed), { key: true });
      }
      return;
    }
    case "invalid_type":
      if (valueAt(doc.value, path) === undefined) {
        doc.problem(path, "is required");
        return;
      }
      doc.problem(
        path,
        issue.message.startsWith("Invalid input") ? typeMessage(issue) : issue.message,
      );
      return;
    case "invalid_union": {
      if ("discriminator" in issue && issue.discriminator !== undefined) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const given = valueAt(doc.value, path);
        doc.problem(
          path,
          given === undefined
            ? `is required (one of: ${options.join(", ")})`
            : `'${given}' is not one of: ${options.join(", ")}`,
        );
        return;
      }
      // Missing, a value of either form is simply required.
      if (valueAt(doc.value, path) === undefined) {
        doc.problem(path, "is required");
        return;
      }
      doc.problem(path, issue.message === "Invalid input" ? unionMessage(issue) : issue.message);
      return;
    }
    case "invalid_value":
      doc.problem(
        path,
        issue.message.startsWith("Invalid option")
          ? `must be one of: ${issue.values.map(String).join(", ")}`
          : issue.message,
      );
      return;
    case "too_big":
      doc.problem(path, customOr(issue.message, `must be ≤ ${issue.maximum}`));
      return;
    case "too_small":
      doc.problem(
        path,
        customOr(
          issue.message,
          issue.origin === "string" && Number(issue.minimum) === 1
            ? "must not be empty"
            : `must be ≥ ${issue.minimum}`,
        ),
      );
      return;
    default:
      doc.problem(path, issue.message);
  }
}

/** Zod's built-in messages start with "Invalid"/"Too"; ours never do. */
function customOr(message: string, fallback: string): string {
  return /^(Invalid|Too (big|small)|Expected)/.test(message) ? fallback : message;
}

function typeMessage(issue: z.core.$ZodIssueInvalidType): string {
  const names: Record<string, string> = {
    string: "must be a string",
    number: "must be a number",
    int: "must be an integer",
    boolean: "must be true or false",
    array: "must be a list",
    object: "must be a mapping",
    record: "must be a mapping",
  };
  return names[issue.expected] ?? `must be ${issue.expected}`;
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = new Set<string>();
  for (const branch of issue.errors) {
    for (const inner of branch) {
      if (inner.code === "invalid_type") expected.add(typeMessage(inner).replace(/^must be /, ""));
    }
  }
  return expected.size > 0 ? `must be ${[...expected].join(" or ")}` : "has an invalid value";
}

function valueAt(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** The keys an object schema at `path` accepts, following the data through unions. */
function allowedKeys(schema: z.ZodType, path: YamlPath, data: unknown): string[] {
  let current: z.ZodType | undefined = schema;
  let value = data;
  for (let i = 0; i <= path.length && current !== undefined; i++) {
    current = resolveObject(current, value);
    if (i === path.length) break;
    const segment = path[i];
    value = valueAt(value, [segment]);
    if (current instanceof z.ZodObject) current = current.shape[segment] as z.ZodType | undefined;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else current = undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Unwraps optional/default/pipe wrappers and picks the union member that fits `value`. */
function resolveObject(schema: z.ZodType, value: unknown): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 10; depth++) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else if (current instanceof z.ZodDiscriminatedUnion) {
      const key = current.def.discriminator;
      const tag = valueAt(value, [key]);
      const match = current.options.find((option) =>
        option instanceof z.ZodObject &&
        (option.shape[key] as z.ZodType).safeParse(tag).success
      );
      if (match === undefined) return current;
      current = match as z.ZodType;
    } else if (current instanceof z.ZodUnion) {
      const objects = current.options.filter((o) => o instanceof z.ZodObject);
      if (objects.length !== 1) return current;
      current = objects[0] as z.ZodType;
    } else {
      return current;
    }
  }
  return current;
}

/** ` (did you mean 'connect'?)` for a near miss, else "". */
function suggestion(key: string, allowed: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3))
    ? ` (did you mean '${best}'?)`
    : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
