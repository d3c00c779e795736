/**
 * The greeting check of the mechanisms with a client and a server role
 * (PLAIN, CURVE): the peer must speak the same mechanism. Its as-server
 * flag tells little — libzmq sends 0 whatever its role — so only two
 * servers that both say so are refused here; two clients learn it from the
 * HELLO each gets instead of a WELCOME.
 *
 * @module
 */
import { ZmtpError } from "../errors.ts";
import type { Greeting } from "../greeting.ts";

/**
 * Throws `ZmtpError` unless `greeting` comes from a peer speaking
 * `mechanism` (and, when we are the server, not claiming to be one too).
 *
 * @example
 * ```ts
 * import { checkPeerRole } from "./roles.ts";
 * checkPeerRole({ major: 3, minor: 1, mechanism: "CURVE", asServer: false }, "CURVE", true);
 * ```
 */
export function checkPeerRole(greeting: Greeting, mechanism: string, server: boolean): void {
  if (greeting.mechanism !== mechanism) {
    throw new ZmtpError(
      "unsupported-mechanism",
      `peer uses security mechanism ${
        greeting.mechanism || "(none)"
      }; this socket uses ${mechanism}`,
    );
  }
  if (server && greeting.asServer) {
    throw new ZmtpError("protocol", bothRoles(mechanism, "server"));
  }
}

/**
 * The reason given when both ends took the same role.
 *
 * @example
 * ```ts
 * import { bothRoles } from "./roles.ts";
 * bothRoles("CURVE", "client"); // "both sides are CURVE clients: ..."
 * ```
 */
export function bothRoles(mechanism: string, role: "client" | "server"): string {
  const option = mechanism === "CURVE" ? "curveServer" : "plainServer";
  return `both sides are ${mechanism} ${role}s: one side must set ${option}, the other be its client`;
}
