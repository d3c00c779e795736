/**
 * Who may read an HTTP page of zedge's (a robot's status page, the fleet
 * view): without a login, only requests whose Host is an IP address or
 * localhost, so a page on loopback is out of reach of DNS rebinding
 * (another site's name made to resolve here); with a login, HTTP basic
 * auth against a file of `name=password` lines or `Authorization: Bearer
 * TOKEN` against a token file, compared in constant time.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { httpRefusal } from "./http_access.ts";
 * const refused = await httpRefusal(new Request("http://127.0.0.1:7800/"), null, {
 *   page: "status page",
 *   realm: "zedge robot",
 *   log: getLogger(["zedge", "robot", "status"]),
 * });
 * console.log(refused === null); // true: an IP address, no login asked
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { escapeUntrusted } from "../../core/logs/escape.ts";
import { parsePasswords } from "../../core/security/authenticator.ts";
import type { StatusLogin } from "../spec.ts";

const encoder = new TextEncoder();

/**
 * What a refusal names: the page (in the log), the realm (in the browser's
 * login prompt), and where the refusal is logged.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import type { HttpPage } from "./http_access.ts";
 * const page: HttpPage = { page: "fleet view", realm: "zedge fleet", log: getLogger(["zedge"]) };
 * ```
 */
export interface HttpPage {
  /** The page's name in log lines. */
  page: string;
  /** The basic auth realm. */
  realm: string;
  /** Where refusals are logged. */
  log: Logger;
}

/**
 * Why `request` is refused (the response to send), or null when it may be
 * answered (see the module documentation).
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { httpRefusal } from "./http_access.ts";
 * const page = { page: "fleet view", realm: "zedge fleet", log: getLogger(["zedge"]) };
 * const refused = await httpRefusal(
 *   new Request("http://127.0.0.1:7900/", { headers: { host: "evil.example" } }), null, page);
 * console.log(refused?.status); // 403
 * ```
 */
export async function httpRefusal(
  request: Request,
  login: StatusLogin | null,
  page: HttpPage,
): Promise<Response | null> {
  const host = request.headers.get("host") ?? "";
  if (login === null) {
    let hostname = "";
    try {
      hostname = new URL(`http://${host}`).hostname;
    } catch { /* refused below */ }
    const literal = hostname === "localhost" || /^\d+\.\d+\.\d+\.\d+$/.test(hostname) ||
      hostname.startsWith("[");
    if (!literal) {
      page.log.warn(`${page.page}: refused a request for Host {host} (DNS rebinding?)`, {
        host: escapeUntrusted(host),
      });
      return new Response("forbidden: unknown Host (use the IP address)\n", { status: 403 });
    }
    return null;
  }
  const authorization = request.headers.get("authorization") ?? "";
  if (await authorized(authorization, login, page)) return null;
  return new Response("login needed\n", {
    status: 401,
    headers: { "www-authenticate": `Basic realm="${page.realm}", charset="UTF-8"` },
  });
}

async function authorized(
  authorization: string,
  login: StatusLogin,
  page: HttpPage,
): Promise<boolean> {
  const [scheme, value = ""] = authorization.split(/\s+/, 2);
  try {
    if (scheme?.toLowerCase() === "bearer" && login.tokenFile !== undefined) {
      const token = (await Deno.readTextFile(login.tokenFile)).trim();
      return token.length > 0 && sameText(value, token);
    }
    if (scheme?.toLowerCase() === "basic" && login.users !== undefined) {
      const decoded = new TextDecoder().decode(
        Uint8Array.from(atob(value), (c) => c.charCodeAt(0)),
      );
      const colon = decoded.indexOf(":");
      if (colon < 0) return false;
      const users = parsePasswords(await Deno.readTextFile(login.users), login.users);
      const expected = users.get(decoded.slice(0, colon));
      return expected !== undefined && sameText(decoded.slice(colon + 1), expected);
    }
  } catch (error) {
    page.log.warn(`${page.page}: cannot check a login: {error}`, { error: String(error) });
  }
  return false;
}

/** Compares in time that does not depend on where the texts differ. */
function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
