/**
 * CURVE on the pipeline's endpoints. The pipeline YAML is shared by every
 * role, so an endpoint's `curve` says what each side of it uses:
 *
 * ```yaml
 * endpoints:
 *   workers:
 *     bind: tcp://*:5570
 *     connect: tcp://robot1:5570
 *     curve:
 *       secretKey: keys/distributor.key   # the binding role (the CURVE server)
 *       serverKey: keys/distributor.pub   # the connecting roles (default: secretKey's public key)
 *       clientKey: keys/worker.key        # the connecting roles' own (default: one per socket)
 *       allow: [keys/workers/]            # the binding role lets in only these (default: any)
 * ```
 *
 * A binding side with an allow list asks the isolate's shared
 * authenticator, under the ZAP domain `pipeline.NAME`.
 *
 * @module
 */
import { Authenticator } from "../security/authenticator.ts";
import { readCertificateSync } from "../security/certificates.ts";
import {
  curveAllowPolicy,
  curveClientOptions,
  curveServerOptions,
} from "../security/curve_config.ts";
import type { SecurityOptions } from "../sockets/options.ts";

/**
 * Socket security by the role option that names each endpoint (for a
 * Distributor: `workers`, `acks`, `metadata`), as the role constructors
 * take it.
 *
 * @example
 * ```ts
 * import type { EndpointSecurity } from "./endpoint_security.ts";
 * const security: EndpointSecurity<"distributor" | "collector"> = {
 *   distributor: { curveServerKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" },
 * };
 * ```
 */
export type EndpointSecurity<K extends string> = Partial<Record<K, SecurityOptions>>;

/**
 * An endpoint's `curve` as the configuration holds it: paths absolute, keys
 * as written.
 *
 * @example
 * ```ts
 * import type { EndpointCurve } from "./endpoint_security.ts";
 * const curve: EndpointCurve = { secretKey: "/etc/zedge/distributor.key", allow: ["/etc/zedge/workers/"] };
 * ```
 */
export interface EndpointCurve {
  /** The binding role's secret certificate. */
  secretKey?: string;
  /** What the connecting roles check the server against: Z85 or a certificate file. */
  serverKey?: string;
  /** The connecting roles' own secret certificate. */
  clientKey?: string;
  /** The clients the binding role lets in (keys, certificate files, directories). */
  allow?: string[];
}

/**
 * The socket options of the role that binds endpoint `name` (nothing
 * without `curve`); with an allow list, its policy goes to the shared
 * authenticator first.
 *
 * @example
 * ```ts
 * import { bindSecurity } from "./endpoint_security.ts";
 * bindSecurity("workers", undefined); // {}: NULL
 * ```
 */
export function bindSecurity(name: string, curve: EndpointCurve | undefined): SecurityOptions {
  if (curve === undefined) return {};
  const what = `endpoints.${name}.curve (the role that binds it)`;
  if (curve.allow === undefined || curve.allow.length === 0) {
    return curveServerOptions({ secretKey: curve.secretKey }, { what });
  }
  const zapDomain = `pipeline.${name}`;
  const options = curveServerOptions({ secretKey: curve.secretKey }, { what, zapDomain });
  Authenticator.shared().setPolicy(zapDomain, curveAllowPolicy({ allow: curve.allow }));
  return options;
}

/**
 * The socket options of a role that connects to endpoint `name` (nothing
 * without `curve`): the server key is `serverKey`, or the public key in
 * `secretKey`'s file when only that is given (one machine, one file).
 *
 * @example
 * ```ts
 * import { connectSecurity } from "./endpoint_security.ts";
 * connectSecurity("workers", undefined); // {}: NULL
 * ```
 */
export function connectSecurity(name: string, curve: EndpointCurve | undefined): SecurityOptions {
  if (curve === undefined) return {};
  const serverKey = curve.serverKey ??
    (curve.secretKey === undefined ? undefined : readCertificateSync(curve.secretKey).publicKey);
  return curveClientOptions(
    { serverKey, secretKey: curve.clientKey },
    { what: `endpoints.${name}.curve (the roles that connect to it)` },
  );
}
