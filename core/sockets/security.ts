/**
 * From a socket's security options to the mechanism its next connection
 * speaks: NULL (with the ZAP check when a zapDomain is set), PLAIN client or
 * server, CURVE client or server. One rule decides, whatever order the
 * options were set in — unlike libzmq, where the last option set wins —
 * and options that pick two mechanisms at once are refused, naming both.
 *
 * CURVE needs libsodium, which loads on first use: {@link prepareSecurity}
 * waits for it before a socket binds or dials, and a connection that comes
 * before it (options changed on a socket already bound) fails with that
 * reason instead of taking the socket down.
 *
 * @module
 */
import {
  curveClient,
  type CurveCrypto,
  curveServer,
  loadCurveCrypto,
  loadedCurveCrypto,
  type Mechanism,
  NULL_MECHANISM,
  NULL_WITH_ZAP,
  PLAIN_SERVER,
  plainClient,
  z85Decode,
  ZmtpError,
} from "../zmtp/mod.ts";
import { ZmqError } from "./errors.ts";
import type { SecurityOptions, SocketSettings } from "./options.ts";

/**
 * The mechanism a socket's security options select, before any key is
 * decoded.
 *
 * @example
 * ```ts
 * import type { SecurityChoice } from "./security.ts";
 * const choice: SecurityChoice = "curve-client";
 * ```
 */
export type SecurityChoice =
  | "null"
  | "plain-client"
  | "plain-server"
  | "curve-client"
  | "curve-server";

/** The settings behind the security options: one list of names, in options.ts. */
type SecuritySettings = Pick<SocketSettings, keyof SecurityOptions>;

/**
 * Which mechanism the options select; EINVAL for options that contradict
 * each other or miss what their mechanism needs.
 *
 * @example
 * ```ts
 * import { chooseSecurity } from "./security.ts";
 * chooseSecurity({
 *   curveServer: false, curvePublicKey: null, curveSecretKey: null, curveServerKey: null,
 *   plainServer: false, plainUsername: "robot", plainPassword: "secret", zapDomain: "",
 * }); // "plain-client"
 * ```
 */
export function chooseSecurity(settings: SecuritySettings): SecurityChoice {
  const curve = settings.curveServer
    ? "curveServer"
    : settings.curveServerKey !== null
    ? "curveServerKey"
    : settings.curveSecretKey !== null || settings.curvePublicKey !== null
    ? "curveSecretKey"
    : null;
  const plain = settings.plainServer
    ? "plainServer"
    : settings.plainUsername !== null || settings.plainPassword !== null
    ? "plainUsername"
    : null;
  if (curve !== null && plain !== null) {
    throw new ZmqError(
      "EINVAL",
      `options ${curve} and ${plain} select two security mechanisms (CURVE and PLAIN); set one`,
    );
  }
  if (settings.curveServer) {
    if (settings.curveSecretKey === null) {
      throw new ZmqError("EINVAL", "a CURVE server (curveServer) needs curveSecretKey");
    }
    return "curve-server";
  }
  if (curve !== null) {
    if (settings.curveServerKey === null) {
      throw new ZmqError(
        "EINVAL",
        "CURVE keys are set but neither curveServer (to be the server) nor curveServerKey " +
          "(the server's public key, to be a client)",
      );
    }
    if (settings.curvePublicKey !== null && settings.curveSecretKey === null) {
      throw new ZmqError("EINVAL", "curvePublicKey is set without its curveSecretKey");
    }
    return "curve-client";
  }
  if (settings.plainServer) return "plain-server";
  if (plain !== null) return "plain-client";
  return "null";
}

/**
 * Checks the options and, for CURVE, makes sure libsodium is loaded:
 * returns null when the socket can go on at once, or a promise to wait for
 * first. Throws (or rejects) EINVAL for options that do not fit together —
 * a public key that is not the secret key's, say.
 *
 * @example
 * ```ts
 * import { prepareSecurity } from "./security.ts";
 * prepareSecurity({
 *   curveServer: false, curvePublicKey: null, curveSecretKey: null, curveServerKey: null,
 *   plainServer: false, plainUsername: null, plainPassword: null, zapDomain: "",
 * }); // null: NULL needs nothing
 * ```
 */
export function prepareSecurity(settings: SecuritySettings): Promise<void> | null {
  const choice = chooseSecurity(settings);
  const curve = choice === "curve-client" || choice === "curve-server";
  const crypto = curve ? loadedCurveCrypto() : null;
  if (curve && crypto === null) {
    return loadCurveCrypto().then((crypto) => {
      build(choice, settings, crypto);
    });
  }
  build(choice, settings, crypto);
  return null;
}

/**
 * The mechanism for a new connection of a socket with these settings; it
 * never throws — when the options are unusable the mechanism fails the
 * connection with the reason, so one bad setting cannot break a socket's
 * accept loop.
 *
 * @example
 * ```ts
 * import { mechanismFor } from "./security.ts";
 * mechanismFor({
 *   curveServer: false, curvePublicKey: null, curveSecretKey: null, curveServerKey: null,
 *   plainServer: false, plainUsername: null, plainPassword: null, zapDomain: "",
 * }).name; // "NULL"
 * ```
 */
export function mechanismFor(settings: SecuritySettings): Mechanism {
  try {
    const choice = chooseSecurity(settings);
    if (choice === "curve-client" || choice === "curve-server") {
      const crypto = loadedCurveCrypto();
      if (crypto === null) {
        void loadCurveCrypto();
        return failing(
          "CURVE",
          "libsodium is still loading (set CURVE options before bind or connect)",
        );
      }
      return build(choice, settings, crypto);
    }
    return build(choice, settings, null);
  } catch (error) {
    return failing("NULL", (error as Error).message);
  }
}

/** Caches one mechanism per distinct settings, so connections share it. */
const built = new Map<string, Mechanism>();

function build(choice: SecurityChoice, settings: SecuritySettings, crypto: CurveCrypto | null) {
  const key = JSON.stringify([choice, settings]);
  let mechanism = built.get(key);
  if (mechanism !== undefined) return mechanism;
  switch (choice) {
    case "null":
      mechanism = settings.zapDomain === "" ? NULL_MECHANISM : NULL_WITH_ZAP;
      break;
    case "plain-client":
      mechanism = plainClient({
        username: settings.plainUsername ?? "",
        password: settings.plainPassword ?? "",
      });
      break;
    case "plain-server":
      mechanism = PLAIN_SERVER;
      break;
    case "curve-server":
      mechanism = curveServer(crypto!, z85Decode(settings.curveSecretKey!));
      break;
    case "curve-client": {
      const pair = settings.curveSecretKey === null
        // No key pair given: one of its own for this socket, as a
        // server that allows any client needs nothing more.
        ? crypto!.keyPair()
        : { secretKey: z85Decode(settings.curveSecretKey), publicKey: null };
      const derived = crypto!.publicKeyOf(pair.secretKey);
      if (
        settings.curvePublicKey !== null &&
        z85Decode(settings.curvePublicKey).some((b, i) => b !== derived[i])
      ) {
        throw new ZmqError(
          "EINVAL",
          "curvePublicKey is not the public key of curveSecretKey (they come from different key pairs)",
        );
      }
      mechanism = curveClient(crypto!, {
        publicKey: derived,
        secretKey: pair.secretKey,
        serverKey: z85Decode(settings.curveServerKey!),
      });
      break;
    }
  }
  // Bounded: a program that cycles through many keys keeps only the last few.
  if (built.size >= 64) built.delete(built.keys().next().value!);
  built.set(key, mechanism);
  return mechanism;
}

/** A mechanism that refuses every connection with `reason`, before anything is sent. */
function failing(name: string, reason: string): Mechanism {
  return {
    name,
    start: () => ({
      asServer: false,
      framing: null,
      begin: () => ({ send: [], done: false }),
      checkGreeting() {
        throw new ZmtpError("denied", `this socket's security options are unusable: ${reason}`, {
          peerReason: null,
        });
      },
      receive() {
        throw new ZmtpError("denied", reason, { peerReason: null });
      },
    }),
  };
}
