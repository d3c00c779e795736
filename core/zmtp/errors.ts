/**
 * The one error type the ZMTP codec throws. Anything the codec rejects (a bad
 * signature, an impossible frame length, a malformed command) becomes a
 * `ZmtpError`, so the engine can close just that connection with a reason.
 *
 * @example
 * ```ts
 * import { ZmtpError } from "./errors.ts";
 * try {
 *   throw new ZmtpError("bad-signature", "first byte was 0x47, not 0xFF");
 * } catch (e) {
 *   if (e instanceof ZmtpError) console.log(e.kind); // "bad-signature"
 * }
 * ```
 */
export class ZmtpError extends Error {
  /** A short machine-readable reason, stable across releases. */
  readonly kind: ZmtpErrorKind;
  /** Creates an error of `kind` with a message. */
  constructor(kind: ZmtpErrorKind, message: string) {
    super(message);
    this.name = "ZmtpError";
    this.kind = kind;
  }
}

/**
 * Why the codec refused a stream; `refused` means the peer itself ended the
 * handshake with an ERROR command.
 *
 * @example
 * ```ts
 * import type { ZmtpErrorKind } from "./errors.ts";
 * const kind: ZmtpErrorKind = "frame-too-large";
 * ```
 */
export type ZmtpErrorKind =
  | "bad-signature"
  | "unsupported-version"
  | "unsupported-mechanism"
  | "bad-flags"
  | "frame-too-large"
  | "too-many-frames"
  | "bad-command"
  | "protocol"
  | "refused";
