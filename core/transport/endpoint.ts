/**
 * Endpoint strings (`tcp://host:port`, `ipc:///path`, `inproc://name`)
 * parsed into typed addresses, with errors that quote the endpoint.
 *
 * @module
 */
import { ZedgeError } from "../errors.ts";

/**
 * A parsed endpoint.
 *
 * @example
 * ```ts
 * import { parseEndpoint } from "./endpoint.ts";
 * const e = parseEndpoint("tcp://127.0.0.1:5555");
 * if (e.transport === "tcp") console.log(e.host, e.port);
 * ```
 */
export type Endpoint =
  | { transport: "tcp"; host: string; port: number; wildcardHost: boolean }
  | { transport: "ipc"; path: string }
  | { transport: "inproc"; name: string };

/**
 * Thrown for an endpoint that cannot be parsed; the message quotes it.
 *
 * @example
 * ```ts
 * import { EndpointError, parseEndpoint } from "./endpoint.ts";
 * try { parseEndpoint("udp://x"); } catch (e) { console.log(e instanceof EndpointError); }
 * ```
 */
export class EndpointError extends ZedgeError {
  /** Always `"endpoint"`. */
  readonly code: string = "endpoint";
  /** Creates the error for `endpoint`, saying `why` it is invalid. */
  constructor(endpoint: string, why: string) {
    super(`invalid endpoint '${endpoint}': ${why}`);
    this.name = "EndpointError";
  }
}

/**
 * Parses an endpoint. For tcp, `*` as host means every interface (bind only)
 * and port `0` or `*` means "pick a free port".
 *
 * @example
 * ```ts
 * import { parseEndpoint } from "./endpoint.ts";
 * parseEndpoint("tcp://*:0"); // { transport: "tcp", host: "0.0.0.0", port: 0, wildcardHost: true }
 * parseEndpoint("tcp://[::1]:5555"); // host "::1"
 * parseEndpoint("ipc:///tmp/robot.sock"); // path "/tmp/robot.sock"
 * ```
 */
export function parseEndpoint(endpoint: string): Endpoint {
  if (typeof endpoint !== "string") {
    throw new EndpointError(String(endpoint), "endpoint must be a string");
  }
  const match = /^([a-z]+):\/\/(.*)$/.exec(endpoint);
  if (!match) {
    throw new EndpointError(endpoint, "expected TRANSPORT://ADDRESS (tcp, ipc or inproc)");
  }
  const [, transport, address] = match;
  switch (transport) {
    case "tcp":
      return parseTcp(endpoint, address);
    case "ipc":
      if (address.length === 0) throw new EndpointError(endpoint, "ipc path is empty");
      if (address.startsWith("@")) {
        throw new EndpointError(endpoint, "abstract unix socket names are not supported");
      }
      return { transport: "ipc", path: address };
    case "inproc":
      if (address.length === 0) throw new EndpointError(endpoint, "inproc name is empty");
      return { transport: "inproc", name: address };
    default:
      throw new EndpointError(endpoint, `unsupported transport '${transport}'`);
  }
}

function parseTcp(endpoint: string, address: string): Endpoint {
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0 || address[close + 1] !== ":") {
      throw new EndpointError(endpoint, "IPv6 address must be written [addr]:port");
    }
    host = address.slice(1, close);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon < 0) throw new EndpointError(endpoint, "missing ':port'");
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(":")) {
      throw new EndpointError(endpoint, "IPv6 address must be written [addr]:port");
    }
  }
  if (host.length === 0) throw new EndpointError(endpoint, "missing host");
  if (host.includes(";")) {
    throw new EndpointError(endpoint, "source-address syntax 'src;dst' is not supported");
  }
  let port: number;
  if (portText === "*") port = 0;
  else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else throw new EndpointError(endpoint, `port '${portText}' is not 0-65535 or '*'`);
  const wildcardHost = host === "*";
  return { transport: "tcp", host: wildcardHost ? "0.0.0.0" : host, port, wildcardHost };
}

/**
 * Formats a tcp address back into an endpoint string, bracketing an IPv6
 * literal unless it is bracketed already.
 *
 * @example
 * ```ts
 * import { formatTcpEndpoint } from "./endpoint.ts";
 * formatTcpEndpoint("::1", 80); // "tcp://[::1]:80"
 * ```
 */
export function formatTcpEndpoint(host: string, port: number): string {
  // A host from a config file may already be written "[::1]".
  const bracket = host.includes(":") && !host.startsWith("[");
  return bracket ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`;
}

/**
 * Whether a tcp endpoint was bound on every address (`*`, `0.0.0.0`, `::`):
 * such an endpoint is not an address another host can dial.
 *
 * @example
 * ```ts
 * import { isWildcardBind, parseEndpoint } from "./endpoint.ts";
 * isWildcardBind(parseEndpoint("tcp://*:7779")); // true
 * ```
 */
export function isWildcardBind(
  endpoint: Endpoint,
): endpoint is Extract<Endpoint, { transport: "tcp" }> {
  // `*` parses to 0.0.0.0.
  return endpoint.transport === "tcp" && (endpoint.host === "0.0.0.0" || endpoint.host === "::");
}

/**
 * Where another host dials an endpoint bound as `bound` on a machine it
 * reached at `reachedAt`: a wildcard host becomes `reachedAt`'s host; any
 * other endpoint is returned as it is.
 *
 * @example
 * ```ts
 * import { reachableEndpoint } from "./endpoint.ts";
 * reachableEndpoint("tcp://*:7779", "tcp://10.0.0.12:7700"); // "tcp://10.0.0.12:7779"
 * ```
 */
export function reachableEndpoint(bound: string, reachedAt: string): string {
  const parsed = parseEndpoint(bound);
  const peer = parseEndpoint(reachedAt);
  if (peer.transport !== "tcp" || !isWildcardBind(parsed)) return bound;
  return formatTcpEndpoint(peer.host, parsed.port);
}

/**
 * True for a host only this machine reaches: `localhost`, 127.0.0.0/8 and
 * `::1` (brackets allowed). Protected mode keeps unauthenticated servers on
 * such hosts.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./endpoint.ts";
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("0.0.0.0"); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
