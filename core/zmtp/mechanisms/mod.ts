/**
 * ZMTP security mechanisms behind one seam ({@link Mechanism}): NULL, PLAIN
 * (RFC 24) and CURVE (RFC 25/26), the cryptography CURVE is built from, and
 * the ZAP verdicts (RFC 27) the servers act on.
 *
 * @example
 * ```ts
 * import { NULL_MECHANISM, PLAIN_SERVER } from "./mod.ts";
 * NULL_MECHANISM.name; // "NULL"
 * PLAIN_SERVER.name; // "PLAIN"
 * ```
 * @module
 */
export * from "./mechanism.ts";
export * from "./null.ts";
export * from "./plain.ts";
export * from "./curve.ts";
export * from "./curve_crypto.ts";
export * from "./roles.ts";
export * from "./zap_verdict.ts";
