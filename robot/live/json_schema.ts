/**
 * A JSON Schema taken from a message, for topics whose YAML declares none:
 * Foxglove uses a `json` channel's schema to offer message paths (plots,
 * raw messages), and recordings keep it with each channel. The shape of
 * one value is all it says — `type`, `properties` of objects, `items` of
 * arrays (from the first item) — which is what those tools need; written
 * here because it is that small (the npm inferrers do more, with more
 * dependencies).
 *
 * @example
 * ```ts
 * import { inferJsonSchema } from "./json_schema.ts";
 * inferJsonSchema({ x: 1, tags: ["a"] });
 * // { type: "object", properties: { x: { type: "number" }, tags: { type: "array", items: { type: "string" } } } }
 * ```
 * @module
 */
import type { JsonValue } from "./json_value.ts";

/** Nesting beyond this is described as any value. */
const MAX_DEPTH = 16;

/**
 * The JSON Schema (draft 2020-12 keywords) of one JSON value's shape.
 *
 * @example
 * ```ts
 * import { inferJsonSchema } from "./json_schema.ts";
 * inferJsonSchema(42); // { type: "number" }
 * ```
 */
export function inferJsonSchema(value: JsonValue, depth = 0): Record<string, unknown> {
  if (value === null) return { type: "null" };
  if (depth >= MAX_DEPTH) return {};
  if (Array.isArray(value)) {
    return value.length === 0
      ? { type: "array" }
      : { type: "array", items: inferJsonSchema(value[0], depth + 1) };
  }
  if (typeof value === "object") {
    const properties: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      properties[key] = inferJsonSchema(item, depth + 1);
    }
    return { type: "object", properties };
  }
  return { type: typeof value };
}
