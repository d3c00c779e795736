/**
 * TCP ports as the task commands and files give them: a number, or digits
 * in a string (`"7779"`, as YAML and flags hand them over).
 *
 * @example
 * ```ts
 * import { parsePort } from "./port.ts";
 * parsePort("7779"); // 7779
 * parsePort(0, 0); // 0
 * ```
 * @module
 */

/**
 * Parses a TCP port given as number or digits; returns undefined if it is
 * not an integer from `min` to 65535.
 *
 * @example
 * ```ts
 * import { parsePort } from "./port.ts";
 * parsePort("7779"); // 7779
 * parsePort("x"); // undefined
 * ```
 */
export function parsePort(value: unknown, min = 1): number | undefined {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value : "";
  if (!/^\d{1,5}$/.test(text.trim())) return undefined;
  const port = Number(text);
  return port >= min && port <= 65535 ? port : undefined;
}

/**
 * What is wrong with a task server's host as a client names it, or
 * undefined when it is a host name, an IPv4 address or an IPv6 address
 * (bare or in brackets). Catches the usual slips: `HOST:PORT` (the port
 * has its own flag or field) and a whole endpoint.
 *
 * @example
 * ```ts
 * import { hostProblem } from "./port.ts";
 * hostProblem("robot-1.local"); // undefined
 * hostProblem("::1"); // undefined
 * hostProblem("localhost:30779"); // "'localhost:30779' is HOST:PORT; give the host alone and the port separately"
 * ```
 */
export function hostProblem(host: string): string | undefined {
  if (host.length === 0) return "the host is empty";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    return `'${host}' is an endpoint, not a host`;
  }
  const bare = /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  if (bare.includes(":")) {
    if (/^[^:[\]]+:\d*$/.test(host) || /^\[[^\]]*\]:\d*$/.test(host)) {
      return `'${host}' is HOST:PORT; give the host alone and the port separately`;
    }
    // IPv6: hex groups and colons, an embedded IPv4 tail or a zone allowed.
    return /^[0-9a-f:.]+(%[\w.-]+)?$/i.test(bare) && (bare.match(/::/g)?.length ?? 0) <= 1
      ? undefined
      : `'${host}' is not a host name or address`;
  }
  if (bare !== host) return `'${host}' is not a host name or address`;
  // Host names (RFC 1123 labels; '_' allowed, as resolvers do) and IPv4 addresses.
  const label = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;
  const labels = host.replace(/\.$/, "").split(".");
  return host.length <= 253 && labels.every((l) => label.test(l))
    ? undefined
    : `'${host}' is not a host name or address`;
}
