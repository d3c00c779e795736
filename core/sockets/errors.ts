/**
 * Errors a socket call can raise, with libzmq's errno names as `code` so code
 * written for zeromq.js reads the same.
 *
 * @module
 */
import { ZedgeError } from "../errors.ts";

/**
 * Error codes, named after libzmq's errno values.
 *
 * @example
 * ```ts
 * import type { ZmqErrorCode } from "./errors.ts";
 * const code: ZmqErrorCode = "EAGAIN";
 * ```
 */
export type ZmqErrorCode =
  | "EAGAIN"
  | "EFSM"
  | "EHOSTUNREACH"
  | "ETERM"
  | "EINVAL"
  | "EADDRINUSE"
  | "ENOTSUP"
  | "EACCES";

/**
 * A socket-level failure.
 *
 * @example
 * ```ts
 * import { Request, ZmqError } from "../../mod.ts";
 * const req = new Request({ receiveTimeout: 10 });
 * try {
 *   await req.receive();
 * } catch (e) {
 *   if (e instanceof ZmqError) console.log(e.code); // "EFSM": nothing was sent yet
 * }
 * req.close();
 * ```
 */
export class ZmqError extends ZedgeError {
  /** What went wrong, as a libzmq errno name. */
  readonly code: ZmqErrorCode;
  /** Creates an error with a libzmq-style `code` and a message. */
  constructor(code: ZmqErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ZmqError";
    this.code = code;
  }
}
