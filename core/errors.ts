/**
 * The one base of every error zedge throws on purpose: a caller can tell
 * zedge's errors from everything else with one `instanceof`, and tell them
 * apart by `code` without importing each class.
 *
 * @example
 * ```ts
 * import { ZedgeError } from "./errors.ts";
 * try {
 *   JSON.parse("{");
 * } catch (error) {
 *   console.log(error instanceof ZedgeError); // false: not one of zedge's
 * }
 * ```
 * @module
 */

/**
 * Base of every zedge error class. `code` is a short string that stays the
 * same across releases: libzmq's errno name for a `ZmqError` (`EAGAIN`),
 * the kind for a `ZmtpError` or `ServiceError`, and one fixed kebab-case
 * name per class otherwise (`config-file`, `task-network`, ...).
 *
 * @example
 * ```ts
 * import { ZedgeError } from "./errors.ts";
 * class LidarError extends ZedgeError {
 *   readonly code = "lidar";
 * }
 * const error: unknown = new LidarError("no scan for 2 s");
 * if (error instanceof ZedgeError) console.log(error.code, error.message);
 * ```
 */
export abstract class ZedgeError extends Error {
  /** What went wrong, as a short string that stays the same across releases. */
  abstract readonly code: string;
}
