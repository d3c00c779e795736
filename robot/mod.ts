/**
 * The edge runtime layer: what a component may touch is derived from the
 * endpoints in its configuration.
 *
 * @example
 * ```ts
 * import { permissionFlags, permissionsFor } from "./mod.ts";
 * console.log(permissionFlags(permissionsFor({ bind: ["tcp://*:5555"] })));
 * ```
 * @module
 */
export * from "./permissions.ts";
