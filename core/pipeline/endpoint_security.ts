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
 * Where a connecting role finds the server's public key when the endpoint
 * gives only `secretKey`: the `NAME.pub` beside `NAME.key` when there is one
 * (so the connecting roles need not read the server's secret), else the
 * secret certificate itself.
 *
 * @example
 * ```ts
 * import { serverKeyFile } from "./endpoint_security.ts";
 * serverKeyFile({ secretKey: "/etc/zedge/distributor.key" }); // "/etc/zedge/distributor.pub" if it exists
 * ```
 */
export function serverKeyFile(curve: EndpointCurve): string | undefined {
  if (curve.secretKey === undefined) return undefined;
  const pub = curve.secretKey.replace(/\.key$/, ".pub");
  if (pub !== curve.secretKey) {
    try {
      Deno.statSync(pub);
      return pub;
    } catch {
      // No public certificate beside it: read the key from the secret one.
    }
  }
  return curve.secretKey;
}

/**
 * The socket options of a role that connects to endpoint `name` (nothing
 * without `curve`): the server key is `serverKey`, or the public key beside
 * or in `secretKey` when only that is given (one machine, one pair).
 *
 * @example
 * ```ts
 * import { connectSecurity } from "./endpoint_security.ts";
 * connectSecurity("workers", undefined); // {}: NULL
 * ```
 */
export function connectSecurity(name: string, curve: EndpointCurve | undefined): SecurityOptions {
  if (curve === undefined) return {};
  const serverKey = curve.serverKey ?? serverKeyFile(curve);
  return curveClientOptions(
    { serverKey, secretKey: curve.clientKey },
    { what: `endpoints.${name}.curve (the roles that connect to it)` },
  );
}
