import { ZedgeError } from "../errors.ts";
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
export class ZmtpError extends ZedgeError {
  /** A short machine-readable reason, stable across releases. */
  readonly kind: ZmtpErrorKind;
  /** The same as `kind`, as every zedge error has it. */
  readonly code: ZmtpErrorKind;
  /**
   * What the ERROR command sent to the peer says: the message when
   * undefined, nothing at all when null (CURVE never answers a box that
   * does not open; a peer that sent ERROR itself is not answered).
   */
  readonly peerReason: string | null | undefined;
  /** Creates an error of `kind` with a message (and what to tell the peer). */
  constructor(kind: ZmtpErrorKind, message: string, options: { peerReason?: string | null } = {}) {
    super(message);
    this.name = "ZmtpError";
    this.kind = kind;
    this.code = kind;
    this.peerReason = kind === "refused" ? null : options.peerReason;
  }
}

/**
 * Why the codec refused a stream; `refused` means the peer itself ended the
 * handshake with an ERROR command, `crypto` that a CURVE box did not open
 * (or reused a nonce), `denied` that authentication refused the peer.
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
  | "crypto"
  | "denied"
  | "refused";
