/**
 * Environment references in a YAML file's values: `${NAME}` is replaced by
 * the variable's value and `${NAME:-default}` falls back to `default` when
 * it is unset or empty; `$${` writes a literal `${`. So a file can keep
 * working defaults and still be pointed elsewhere without editing it:
 * `workers: tcp://127.0.0.1:${WORKERS_PORT:-5570}`.
 *
 * A value that is a reference and nothing else takes the type its text
 * has (`threads: ${THREADS:-2}` is the number 2). Only string values are
 * expanded (keys and comments are left alone), and
 * the environment is read only for a file that has a reference, so a file
 * without any needs no env permission. A variable that is unset and has no
 * default, or that may not be read, is a problem at its line.
 *
 * @example
 * ```ts
 * import { YamlDocument } from "./yaml_schema.ts";
 * import { expandEnvReferences } from "./env_refs.ts";
 * const doc = new YamlDocument("port: ${PORT:-5570}\n", "p.yaml");
 * expandEnvReferences(doc, () => undefined);
 * console.log(doc.value); // { port: 5570 }
 * ```
 * @module
 */
import type { YamlDocument, YamlPath } from "./yaml_schema.ts";

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE = /^\$\{[^}]*\}$/;

/** An integer, a decimal, true or false as YAML would read it; any other text as it is. */
function typed(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

/**
 * Replaces the references in every string value of `doc` (in place);
 * problems go to `doc.problem`. `env` reads a variable (default
 * `Deno.env.get`).
 *
 * @example
 * ```ts
 * import { YamlDocument } from "./yaml_schema.ts";
 * import { expandEnvReferences } from "./env_refs.ts";
 * const doc = new YamlDocument("a: ${HOME}\n", "a.yaml");
 * expandEnvReferences(doc);
 * ```
 */
export function expandEnvReferences(
  doc: YamlDocument,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): void {
  const walk = (value: unknown, path: YamlPath): unknown => {
    if (typeof value !== "string") {
      // fall through to the containers below
    } else if (!value.includes("${")) {
      return value;
    } else {
      const expanded = expand(value, path);
      // A value that is one reference takes the type its text has: `threads: ${THREADS:-2}`.
      return WHOLE.test(value) ? typed(expanded) : expanded;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => value[i] = walk(item, [...path, i]));
    } else if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = walk(record[key], [...path, key]);
    }
    return value;
  };
  const expand = (text: string, path: YamlPath): string =>
    text.replace(REFERENCE, (whole, escaped: string, inner: string) => {
      if (escaped === "$") return whole.slice(1);
      const separator = inner.indexOf(":-");
      const name = separator < 0 ? inner : inner.slice(0, separator);
      const fallback = separator < 0 ? undefined : inner.slice(separator + 2);
      if (!NAME.test(name)) {
        doc.problem(path, `'\${${inner}}' is not a reference: write \${NAME} or \${NAME:-default}`);
        return whole;
      }
      let found: string | undefined;
      try {
        found = env(name);
      } catch (error) {
        doc.problem(
          path,
          `cannot read \${${name}}: ${error instanceof Error ? error.message : error}`,
        );
        return whole;
      }
      if (found !== undefined && found !== "") return found;
      if (fallback !== undefined) return fallback;
      doc.problem(path, `\${${name}} is not set (give it a default: \${${name}:-value})`);
      return whole;
    });
  walk(doc.value, []);
}
