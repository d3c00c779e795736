/**
 * ZMTP security mechanisms behind one seam ({@link Mechanism}): NULL today;
 * PLAIN and CURVE later.
 *
 * @example
 * ```ts
 * import { NULL_MECHANISM } from "./mod.ts";
 * NULL_MECHANISM.name; // "NULL"
 * ```
 * @module
 */
export * from "./mechanism.ts";
export * from "./null.ts";
