/**
 * The CURVE flags of the task commands, one meaning everywhere:
 *
 * - `task-server --curve-secret FILE [--curve-allow PATH]...`: serve CURVE
 *   with that secret certificate; with allow lists only those clients get
 *   in (keys, certificate files or directories), otherwise any client that
 *   knows the server's public key;
 * - `task-client --curve-server-key KEY [--curve-secret FILE]`: be the
 *   client of that server (KEY is Z85 or a certificate file), with this
 *   certificate as its identity (one made for the run when not given);
 * - `remote-task` / `run-script --curve-secret FILE`: the identity, the
 *   server key coming from remotes.yaml's `serverKey`.
 *
 * @module
 */
import { Authenticator } from "../core/security/authenticator.ts";
import { CertificateError, readSecretCertificate } from "../core/security/certificates.ts";
import {
  curveAllowPolicy,
  curveClientOptions,
  curveServerOptions,
} from "../core/security/curve_config.ts";
import type { SecurityOptions } from "../core/sockets/mod.ts";
import { CliError } from "./errors.ts";

/**
 * `--curve-secret FILE`, for commander's `.option(...)`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { CURVE_SECRET_FLAG } from "./curve_flags.ts";
 * new Command("x").option(...CURVE_SECRET_FLAG);
 * ```
 */
export const CURVE_SECRET_FLAG = [
  "--curve-secret <file>",
  "CURVE: this side's secret certificate (NAME.key, from `zedge keys generate NAME`)",
] as const;

/**
 * `--curve-server-key KEY`, for commander's `.option(...)`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { CURVE_SERVER_KEY_FLAG } from "./curve_flags.ts";
 * new Command("x").option(...CURVE_SERVER_KEY_FLAG);
 * ```
 */
export const CURVE_SERVER_KEY_FLAG = [
  "--curve-server-key <key>",
  "CURVE: the server's public key (Z85) or certificate file (NAME.pub)",
] as const;

/** CertificateError (a key file that cannot be used) as one CLI line. */
async function asCliError<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CertificateError) throw new CliError(error.message, 2);
    throw error;
  }
}

/**
 * A task server's security from its flags: nothing without `--curve-secret`;
 * otherwise the CURVE options, the server's public key (for the log line
 * clients need), and the authenticator applying `--curve-allow` (started;
 * close it with the server).
 *
 * @example
 * ```ts
 * import { serverCurve } from "./curve_flags.ts";
 * const curve = await serverCurve({ curveSecret: "keys/robot.key", curveAllow: [] });
 * curve?.publicKey; // what clients pass as --curve-server-key
 * ```
 */
export async function serverCurve(
  flags: { curveSecret?: string; curveAllow?: string[] },
): Promise<
  { security: SecurityOptions; publicKey: string; authenticator: Authenticator | null } | null
> {
  const allow = flags.curveAllow ?? [];
  if (flags.curveSecret === undefined) {
    if (allow.length > 0) throw new CliError("--curve-allow needs --curve-secret", 2);
    return null;
  }
  const secretKey = flags.curveSecret;
  const security = await asCliError(() => curveServerOptions({ secretKey }));
  const { publicKey } = await asCliError(() => readSecretCertificate(secretKey));
  if (allow.length === 0) return { security, publicKey, authenticator: null };
  const authenticator = new Authenticator(curveAllowPolicy({ allow }));
  await asCliError(() => authenticator.start());
  return { security, publicKey, authenticator };
}

/**
 * A task client's security: CURVE when a server key is given (by flag or
 * from remotes.yaml), nothing otherwise; `--curve-secret` alone is an error
 * (it names no server).
 *
 * @example
 * ```ts
 * import { clientCurve } from "./curve_flags.ts";
 * await clientCurve({ serverKey: "keys/robot.pub" }); // { curveServerKey: "…" }
 * await clientCurve({}); // undefined: NULL
 * ```
 */
export async function clientCurve(
  options: { serverKey?: string; curveSecret?: string },
): Promise<SecurityOptions | undefined> {
  if (options.serverKey === undefined) {
    if (options.curveSecret !== undefined) {
      throw new CliError(
        "--curve-secret needs the server's key (--curve-server-key, or serverKey in remotes.yaml)",
        2,
      );
    }
    return undefined;
  }
  const { serverKey, curveSecret } = options;
  return await asCliError(() => curveClientOptions({ serverKey, secretKey: curveSecret }));
}
