/**
 * What a server mechanism does with the ZAP handler's verdict (RFC 27, and
 * libzmq's reading of it): 200 goes on; 300, a temporary failure, closes
 * without a word; 400 and 500 answer ERROR with the status code as its
 * reason — exactly the three characters, which is how a libzmq client tells
 * an authentication failure from other errors.
 *
 * @module
 */
import { ZmtpError } from "../errors.ts";
import type { ZapVerdict } from "./mechanism.ts";

/**
 * Returns when `verdict` lets the peer in; throws the `denied` ZmtpError
 * (with the ERROR reason the peer is told) otherwise. No handler bound
 * (`none`) lets it in unless `requireHandler`, as for PLAIN.
 *
 * @example
 * ```ts
 * import { refuseUnlessAllowed } from "./zap_verdict.ts";
 * refuseUnlessAllowed({ status: "200", text: "OK", userId: "bob" }, "PLAIN"); // returns
 * ```
 */
export function refuseUnlessAllowed(
  verdict: ZapVerdict,
  mechanism: string,
  options: { requireHandler?: boolean } = {},
): void {
  switch (verdict.status) {
    case "200":
      return;
    case "none":
      if (!options.requireHandler) return;
      throw new ZmtpError(
        "denied",
        `${mechanism} needs a ZAP handler to check credentials and none is bound to ` +
          "inproc://zeromq.zap.01 (start an Authenticator)",
        { peerReason: "500" },
      );
    case "300":
      throw new ZmtpError(
        "denied",
        `ZAP handler failed temporarily (300${describe(verdict.text)}); closing without ERROR`,
        { peerReason: null },
      );
    default:
      throw new ZmtpError(
        "denied",
        `${mechanism} client refused by the ZAP handler: ${verdict.status}${
          describe(verdict.text)
        }`,
        { peerReason: verdict.status },
      );
  }
}

function describe(text: string): string {
  return text === "" ? "" : ` ${text}`;
}
