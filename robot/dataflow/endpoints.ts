/**
 * Where a robot's dataflow travels: each node's topics (PUB) and services
 * (ROUTER) get an endpoint on the robot's `dataflow` transport — inproc by
 * default (no permission, no kernel socket), Unix sockets in a directory
 * (default `/tmp/zedge-<robot>`, private to the robot's user), or tcp
 * ports counted up from `basePort`. Also: where a peer on this machine
 * reaches a bound endpoint, and which binds clash.
 *
 * @example
 * ```ts
 * import { DataflowEndpoints } from "./endpoints.ts";
 * const flow = new DataflowEndpoints("kitchen-bot", {});
 * flow.endpoint("odometry", "topics"); // "inproc://zedge/kitchen-bot/odometry/topics"
 * ```
 * @module
 */
import { formatTcpEndpoint, parseEndpoint } from "../../core/transport/endpoint.ts";

/**
 * The robot YAML's `dataflow:` as written.
 *
 * @example
 * ```ts
 * import type { DataflowSettings } from "./endpoints.ts";
 * const settings: DataflowSettings = { transport: "tcp", host: "127.0.0.1", basePort: 7900 };
 * ```
 */
export interface DataflowSettings {
  /** inproc (default), ipc or tcp. */
  transport?: "inproc" | "ipc" | "tcp";
  /** The ipc directory. */
  dir?: string;
  /** The tcp host (default 127.0.0.1). */
  host?: string;
  /** The first tcp port (default 7900). */
  basePort?: number;
}

/**
 * The default directory of a robot's ipc dataflow sockets.
 *
 * @example
 * ```ts
 * import { defaultDataflowDir } from "./endpoints.ts";
 * defaultDataflowDir("kitchen-bot"); // "/tmp/zedge-kitchen-bot"
 * ```
 */
export function defaultDataflowDir(robot: string): string {
  return `/tmp/zedge-${robot}`;
}

/**
 * Hands out the dataflow endpoints of one robot (see the module documentation).
 *
 * @example
 * ```ts
 * import { DataflowEndpoints } from "./endpoints.ts";
 * const flow = new DataflowEndpoints("r", { transport: "tcp", basePort: 7900 });
 * flow.endpoint("a", "topics"); // "tcp://127.0.0.1:7900"
 * flow.endpoint("a", "services"); // "tcp://127.0.0.1:7901"
 * ```
 */
export class DataflowEndpoints {
  readonly #robot: string;
  readonly #transport: "inproc" | "ipc" | "tcp";
  readonly #dir: string;
  readonly #host: string;
  #port: number;

  /** The endpoints of `robot` on `settings` (the YAML's `dataflow`). */
  constructor(robot: string, settings: DataflowSettings) {
    this.#robot = robot;
    this.#transport = settings.transport ?? "inproc";
    this.#dir = settings.dir ?? defaultDataflowDir(robot);
    this.#host = settings.host ?? "127.0.0.1";
    this.#port = settings.basePort ?? 7900;
  }

  /** The ipc directory the supervisor creates, or null when the dataflow is not on ipc. */
  get dir(): string | null {
    return this.#transport === "ipc" ? this.#dir : null;
  }

  /** The next endpoint for node `name`'s topics or services. */
  endpoint(name: string, what: "topics" | "services"): string {
    switch (this.#transport) {
      case "inproc":
        return `inproc://zedge/${this.#robot}/${name}/${what}`;
      case "ipc":
        return `ipc://${this.#dir}/${name}-${what}.sock`;
      case "tcp":
        return formatTcpEndpoint(this.#host, this.#port++);
    }
  }
}

/**
 * The endpoint a peer on this machine connects to for a bound endpoint:
 * wildcard hosts become loopback; a random-port bind has none (undefined).
 *
 * @example
 * ```ts
 * import { connectableEndpoint } from "./endpoints.ts";
 * connectableEndpoint("tcp://*:7779"); // "tcp://127.0.0.1:7779"
 * connectableEndpoint("ipc:///run/x.sock"); // "ipc:///run/x.sock"
 * ```
 */
export function connectableEndpoint(bound: string): string | undefined {
  const parsed = parseEndpoint(bound);
  if (parsed.transport !== "tcp") return bound;
  if (parsed.port === 0) return undefined;
  const host = parsed.wildcardHost || parsed.host === "0.0.0.0"
    ? "127.0.0.1"
    : parsed.host === "::"
    ? "::1"
    : parsed.host;
  return formatTcpEndpoint(host, parsed.port);
}

/**
 * True when binding both endpoints on one machine would clash (the same
 * ipc path or inproc name; the same tcp port when either host is a
 * wildcard).
 *
 * @example
 * ```ts
 * import { sameBind } from "./endpoints.ts";
 * sameBind("tcp://*:7700", "tcp://127.0.0.1:7700"); // true
 * ```
 */
export function sameBind(a: string, b: string): boolean {
  const x = parseEndpoint(a);
  const y = parseEndpoint(b);
  if (x.transport !== y.transport) return false;
  if (x.transport === "ipc" && y.transport === "ipc") return x.path === y.path;
  if (x.transport === "inproc" && y.transport === "inproc") return x.name === y.name;
  if (x.transport === "tcp" && y.transport === "tcp") {
    if (x.port === 0 || y.port === 0 || x.port !== y.port) return false;
    const wild = (h: string) => h === "0.0.0.0" || h === "::";
    return x.host === y.host || wild(x.host) || wild(y.host);
  }
  return false;
}
