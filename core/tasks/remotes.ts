/**
 * The remotes file, as ZTL reads it: `remotes: {NAME: {host, port, scope}}`,
 * plus zedge's optional `events` (port or endpoint of the server's state-change
 * channel) so clients can wait on pushed events instead of polling.
 *
 * ```yaml
 * remotes:
 *   test:
 *     host: localhost
 *     port: 7779
 *     scope: /test
 *     events: 7780   # optional
 * ```
 *
 * @example
 * ```ts
 * import { parseRemotes } from "./remotes.ts";
 * const remotes = parseRemotes("remotes:\n  arm: {host: robot, port: 7779, scope: /arm}\n", "remotes.yaml");
 * remotes.get("arm")?.endpoint; // "tcp://robot:7779"
 * ```
 * @module
 */
import { ConfigError, loadYaml, mapEntries, scalarValue, type YamlSource } from "./yaml_source.ts";
import { formatTcpEndpoint } from "../transport/endpoint.ts";

/**
 * One remote task server and the scope to use on it.
 *
 * @example
 * ```ts
 * import type { Remote } from "./remotes.ts";
 * const remote: Remote = { name: "test", host: "localhost", port: 7779, scope: "/test", endpoint: "tcp://localhost:7779", line: 2 };
 * ```
 */
export interface Remote {
  /** The remote's name in the remotes file. */
  name: string;
  /** The server's host name. */
  host: string;
  /** The server's port. */
  port: number;
  /** The task scope to use on the server. */
  scope: string;
  /** `tcp://host:port`, what a client connects to. */
  endpoint: string;
  /** Events endpoint (`tcp://host:events`) when the file gives one. */
  events?: string;
  /** Line of the remote's name in the file. */
  line: number;
}

const FIELDS = ["host", "port", "scope", "events"];

/**
 * Parses a TCP port given as number or digits; returns undefined if it is
 * not an integer from `min` to 65535.
 *
 * @example
 * ```ts
 * import { parsePort } from "./remotes.ts";
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

function parseRemote(source: YamlSource, name: string, keyNode: unknown, node: unknown): Remote {
  const fields = new Map<string, { value: unknown; node: unknown }>();
  for (const entry of mapEntries(source, node, `remote '${name}'`)) {
    if (!FIELDS.includes(entry.key)) {
      source.fail(
        entry.keyNode,
        `remote '${name}': unknown field '${entry.key}' (expected ${FIELDS.join(", ")})`,
      );
    }
    fields.set(entry.key, {
      value: scalarValue(source, entry.value, `remote '${name}' field '${entry.key}'`),
      node: entry.value ?? entry.keyNode,
    });
  }
  const need = (field: string) => {
    const found = fields.get(field);
    if (!found || found.value === null || found.value === "") {
      source.fail(keyNode, `remote '${name}': missing field '${field}'`);
    }
    return found;
  };
  const host = need("host");
  if (typeof host.value !== "string") {
    source.fail(host.node, `remote '${name}': field 'host' must be a host name or address`);
  }
  const portField = need("port");
  const port = parsePort(portField.value);
  if (port === undefined) {
    source.fail(
      portField.node,
      `remote '${name}': field 'port' must be an integer from 1 to 65535, got '${portField.value}'`,
    );
  }
  const scopeField = need("scope");
  const scope = String(scopeField.value);
  if (scope.includes(";")) {
    source.fail(scopeField.node, `remote '${name}': field 'scope' must not contain ';'`);
  }
  const remote: Remote = {
    name,
    host: host.value,
    port,
    scope,
    endpoint: formatTcpEndpoint(host.value, port),
    line: source.lineOf(keyNode),
  };
  const events = fields.get("events");
  if (events && events.value !== null) {
    const eventsPort = parsePort(events.value);
    if (eventsPort !== undefined) {
      remote.events = formatTcpEndpoint(host.value, eventsPort);
    } else if (typeof events.value === "string" && /^(tcp|ipc|inproc):\/\//.test(events.value)) {
      remote.events = events.value;
    } else {
      source.fail(
        events.node,
        `remote '${name}': field 'events' must be a port or an endpoint, got '${events.value}'`,
      );
    }
  }
  return remote;
}

/**
 * Parses a remotes file's text; throws {@link ConfigError} (`file:line: …`)
 * for bad YAML or bad values. Returns the remotes by name, in file order.
 *
 * @example
 * ```ts
 * import { parseRemotes } from "./remotes.ts";
 * const remotes = parseRemotes("remotes:\n  t: {host: localhost, port: 7779, scope: /t}\n", "r.yaml");
 * ```
 */
export function parseRemotes(text: string, file: string): Map<string, Remote> {
  const source: YamlSource = loadYaml(text, file);
  if (source.root === null) source.fail(null, "file is empty; expected 'remotes:'");
  const top = mapEntries(source, source.root, "the remotes file");
  const section = top.find((entry) => entry.key === "remotes");
  if (!section) source.fail(source.root, "missing top-level key 'remotes'");
  const remotes = new Map<string, Remote>();
  if (section.value === null || section.value === undefined) return remotes;
  for (const entry of mapEntries(source, section.value, "'remotes'")) {
    if (entry.key === "") source.fail(entry.keyNode, "remote name must not be empty");
    remotes.set(entry.key, parseRemote(source, entry.key, entry.keyNode, entry.value));
  }
  return remotes;
}

/**
 * Reads and parses a remotes file. File-system errors become a
 * {@link ConfigError} too ("cannot read …").
 *
 * @example
 * ```ts
 * import { loadRemotes } from "./remotes.ts";
 * const remotes = await loadRemotes("examples/tasks/remotes.yaml");
 * ```
 */
export async function loadRemotes(path: string): Promise<Map<string, Remote>> {
  return parseRemotes(await readConfigText(path), path);
}

/**
 * Reads a configuration file as text, turning file-system errors into a
 * {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { readConfigText } from "./remotes.ts";
 * const text = await readConfigText("examples/tasks/remotes.yaml");
 * ```
 */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ConfigError(path, 0, `cannot read: ${reason}`);
  }
}

/**
 * The default remotes file, as ZTL finds it:
 * `$XDG_CONFIG_HOME/zmq-remotes.yaml`, else `$HOME/.config/zmq-remotes.yaml`.
 * Takes the environment as a plain function so callers decide where it comes
 * from.
 *
 * @example
 * ```ts
 * import { defaultRemotesPath } from "./remotes.ts";
 * defaultRemotesPath((name) => ({ HOME: "/home/robot" } as Record<string, string>)[name]);
 * // "/home/robot/.config/zmq-remotes.yaml"
 * ```
 */
export function defaultRemotesPath(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_CONFIG_HOME");
  const base = xdg && xdg.length > 0 ? xdg : `${env("HOME") ?? "."}/.config`;
  return `${base}/zmq-remotes.yaml`;
}
