/**
 * CURVE as the configuration files and command lines name it — a secret
 * key file, the server's public key, an allow list — turned into socket
 * options and the authenticator policy. One place for the task commands'
 * `--curve-secret` / `--curve-server-key` / `--curve-allow`, remotes.yaml's
 * `serverKey`, the pipeline YAML's per-endpoint `curve` and the robot
 * YAML's `security: { curve }`, so all of them mean the same:
 *
 * - a side that binds serves CURVE with its `secretKey` and lets in the
 *   clients in `allow` (every client that knows its public key when no
 *   list is given);
 * - a side that connects is the client of `serverKey`, with `secretKey` as
 *   its own key pair (one made for the socket when none is given — fine
 *   unless the server has an allow list).
 *
 * @module
 */
import type { SecurityOptions } from "../sockets/options.ts";
import type { AuthPolicy } from "./authenticator.ts";
import {
  CertificateError,
  namesKey,
  readSecretCertificateSync,
  resolvePublicKeySync,
} from "./certificates.ts";
import { resolve } from "node:path";

/**
 * CURVE settings as written: file paths (relative to `baseDir`) or Z85 keys.
 *
 * @example
 * ```ts
 * import type { CurveConfig } from "./curve_config.ts";
 * const config: CurveConfig = {
 *   secretKey: "keys/robot.key",
 *   serverKey: "keys/base-station.pub",
 *   allow: ["keys/operators/"],
 * };
 * ```
 */
export interface CurveConfig {
  /** This side's secret certificate (NAME.key). */
  secretKey?: string;
  /** The server's public key for a side that connects: Z85, or a certificate file. */
  serverKey?: string;
  /** Clients a binding side lets in: Z85 keys, certificate files or directories of them. */
  allow?: readonly string[];
}

/**
 * The socket options of a CURVE server: needs `secretKey`. With a
 * `zapDomain`, the authenticator applies that domain's policy to it. Reads
 * the key file at once (layers that build their sockets synchronously call
 * this).
 *
 * @example
 * ```ts
 * import { curveServerOptions } from "./curve_config.ts";
 * const options = curveServerOptions({ secretKey: "keys/robot.key" });
 * // { curveServer: true, curveSecretKey: "…" }
 * ```
 */
export function curveServerOptions(
  config: CurveConfig,
  options: { baseDir?: string; zapDomain?: string; what?: string } = {},
): SecurityOptions {
  const what = options.what ?? "a CURVE server";
  if (config.secretKey === undefined) {
    throw new CertificateError(`${what} needs its secret key (secretKey: NAME.key)`);
  }
  const { secretKey } = readSecretCertificateSync(
    resolve(options.baseDir ?? ".", config.secretKey),
  );
  return {
    curveServer: true,
    curveSecretKey: secretKey,
    ...(options.zapDomain === undefined ? {} : { zapDomain: options.zapDomain }),
  };
}

/**
 * The socket options of a CURVE client: needs `serverKey`; `secretKey`,
 * when given, is its own identity (what a server's allow list names).
 * Reads the key files at once.
 *
 * @example
 * ```ts
 * import { curveClientOptions } from "./curve_config.ts";
 * const options = curveClientOptions({ serverKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" });
 * // { curveServerKey: "rq:rM…" }
 * ```
 */
export function curveClientOptions(
  config: CurveConfig,
  options: { baseDir?: string; what?: string } = {},
): SecurityOptions {
  const baseDir = options.baseDir ?? ".";
  if (config.serverKey === undefined) {
    throw new CertificateError(
      `${options.what ?? "a CURVE client"} needs the server's public key (serverKey)`,
    );
  }
  const security: SecurityOptions = {
    curveServerKey: resolvePublicKeySync(config.serverKey, baseDir),
  };
  if (config.secretKey !== undefined) {
    const own = readSecretCertificateSync(resolve(baseDir, config.secretKey));
    security.curveSecretKey = own.secretKey;
    security.curvePublicKey = own.publicKey;
  }
  return security;
}

/**
 * The authenticator policy for a CURVE server's clients: its allow list
 * (paths relative to `baseDir`), or any client when it has none.
 *
 * @example
 * ```ts
 * import { curveAllowPolicy } from "./curve_config.ts";
 * curveAllowPolicy({ allow: ["keys/operators/"] }, "/etc/zedge");
 * // { curve: { allow: ["/etc/zedge/keys/operators/"] } }
 * ```
 */
export function curveAllowPolicy(config: CurveConfig, baseDir = "."): AuthPolicy {
  if (config.allow === undefined || config.allow.length === 0) {
    return { curve: { allowAny: true } };
  }
  return {
    curve: {
      allow: config.allow.map((entry) => {
        const path = resolve(baseDir, entry);
        return namesKey(entry, path) ? entry : path;
      }),
    },
  };
}
