/**
 * TCP ports as the task commands and files give them: a number, or digits
 * in a string (`"7779"`, as YAML and flags hand them over).
 *
 * @example
 * ```ts
 * import { parsePort } from "./port.ts";
 * parsePort("7779"); // 7779
 * parsePort(0, 0); // 0
 * ```
 * @module
 */

/**
 * Parses a TCP port given as number or digits; returns undefined if it is
 * not an integer from `min` to 65535.
 *
 * @example
 * ```ts
 * import { parsePort } from "./port.ts";
 * parsePort("7779"); // 7779
 * parsePort("x"); // undefined
 * ```
 */
export function parsePort(value: unknown, min = 1): number | undefined {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value : "";
  if (!/^\d{1,5}$/.test(text.trim())) return undefined;
  const port = Number(text);
  return port >= min && port <= 65535 ? port : undefined;
}
