/**
 * Security for zedge's sockets beyond the mechanisms themselves: CURVE key
 * files (czmq's certificate format) and an in-process ZAP authenticator
 * (RFC 27) with allow lists of client keys, PLAIN passwords and IP allow
 * and deny lists.
 *
 * @example
 * ```ts
 * import { Authenticator, writeCertificatePair } from "./mod.ts";
 * const { publicKey } = await writeCertificatePair("/tmp/zedge-example/server");
 * const auth = new Authenticator({ curve: { allowAny: true } });
 * await auth.start();
 * await auth.close();
 * ```
 * @module
 */
export { ZedgeError } from "../errors.ts";
export {
  type AuthDecision,
  Authenticator,
  type AuthenticatorOptions,
  type AuthPolicy,
  parsePasswords,
} from "./authenticator.ts";
export {
  type Certificate,
  CertificateError,
  formatCertificate,
  generateKeyPair,
  isZ85Key,
  parseCertificate,
  readCertificate,
  readCertificateSync,
  readPublicKeys,
  readSecretCertificate,
  readSecretCertificateSync,
  resolvePublicKey,
  resolvePublicKeySync,
  writeCertificatePair,
} from "./certificates.ts";
export {
  curveAllowPolicy,
  curveClientOptions,
  type CurveConfig,
  curveServerOptions,
} from "./curve_config.ts";
export { ZAP_ENDPOINT, type ZapRequest } from "../sockets/zap_client.ts";
export { z85Decode, z85Encode } from "../zmtp/z85.ts";
// Types this entry's own API names, from the layers below: a reader of this entry alone finds them.
export type { SecurityOptions, SocketOptions } from "../sockets/mod.ts";
