/**
 * The security runs of the interop table: what each end of a CURVE or
 * PLAIN conversation is given. The server's ZAP handler lets in exactly the
 * client's key (or user and password), so a run that gets through also
 * proves the credentials arrived intact.
 *
 * @module
 */
import { generateKeyPair } from "../../mod.ts";
import type { SideSecurity } from "./sides.ts";

/**
 * The two ends' security for one mechanism.
 *
 * @example
 * ```ts
 * import { PLAIN } from "./security.ts";
 * PLAIN.client.plainUsername; // "robot"
 * ```
 */
export interface SecurityProfile {
  name: "CURVE" | "PLAIN";
  server: SideSecurity;
  client: SideSecurity;
}

/**
 * CURVE with a fresh server and client key pair.
 *
 * @example
 * ```ts
 * import { curveProfile } from "./security.ts";
 * const curve = await curveProfile();
 * curve.server.curveServer; // true
 * ```
 */
export async function curveProfile(): Promise<SecurityProfile> {
  const server = await generateKeyPair();
  const client = await generateKeyPair();
  return {
    name: "CURVE",
    server: {
      curveServer: true,
      curvePublicKey: server.publicKey,
      curveSecretKey: server.secretKey,
      allowCurve: [client.publicKey],
    },
    client: {
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    },
  };
}

/**
 * PLAIN with one user.
 *
 * @example
 * ```ts
 * import { PLAIN } from "./security.ts";
 * PLAIN.server.allowPlain; // ["robot=s3cret"]
 * ```
 */
export const PLAIN: SecurityProfile = {
  name: "PLAIN",
  server: { plainServer: true, allowPlain: ["robot=s3cret"] },
  client: { plainUsername: "robot", plainPassword: "s3cret" },
};
