/**
 * The remotes file, as ZTL reads it: `remotes: {NAME: {host, port, scope}}`,
 * plus zedge's optional `events` (port or endpoint of the server's state-change
 * channel) so clients can wait on pushed events instead of polling, and
 * `serverKey` (the server's CURVE public key, Z85 or a certificate file) so
 * they speak CURVE to it. Read as
 * YAML 1.1, as PyYAML reads it; every problem is reported at once; fields
 * ZTL would ignore are ignored with a warning.
 *
 * ```yaml
 * remotes:
 *   test:
 *     host: localhost
 *     port: 7779
 *     scope: /test
 *     events: 7780   # optional
 *     serverKey: keys/robot.pub   # optional: CURVE (or the Z85 key itself)
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
import { getLogger } from "@logtape/logtape";
import { z } from "zod";
import { unknownFieldMessage, validateDocument, YamlDocument } from "../config/yaml_schema.ts";
import { expandEnvReferences } from "../config/env_refs.ts";
import { dirname, resolve } from "node:path";
import { namesKey } from "../security/certificates.ts";
import { formatTcpEndpoint } from "../transport/endpoint.ts";
import { hostProblem, parsePort } from "./port.ts";
import { PYYAML_OPTIONS } from "./pyyaml.ts";
import { ConfigError } from "./yaml_source.ts";

export { parsePort } from "./port.ts";

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
  /**
   * The server's CURVE public key when the file gives one: Z85 as written,
   * or the absolute path of the certificate file it names (resolve it with
   * `resolvePublicKey`).
   */
  serverKey?: string;
  /** Line of the remote's name in the file. */
  line: number;
}

const ENDPOINT = /^(tcp|ipc|inproc):\/\//;

const port = z.union([z.number(), z.string()], {
  error: "must be a port: an integer from 1 to 65535",
}).superRefine((value, ctx) => {
  if (parsePort(value) === undefined) {
    ctx.addIssue({ code: "custom", message: `must be an integer from 1 to 65535, got '${value}'` });
  }
});

const remote = z.looseObject({
  host: z.string({ error: "must be a host name or address" }).min(1)
    .superRefine((host, ctx) => {
      const problem = hostProblem(host);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe("the task server's host name or address"),
  port: port.describe("the task server's port"),
  scope: z.string({ error: "must be a scope (text without ';')" }).min(1)
    .refine((scope) => !scope.includes(";"), "must not contain ';'")
    .describe("the scope to address on that server"),
  events: z.union([z.number(), z.string()], { error: "must be a port or an endpoint" })
    .superRefine((value, ctx) => {
      if (parsePort(value) === undefined && !ENDPOINT.test(String(value))) {
        ctx.addIssue({
          code: "custom",
          message: `must be a port or an endpoint, got '${value}'`,
        });
      }
    })
    .optional()
    .describe("zedge: the server's state-change PUB port or endpoint, to wait without polling"),
  serverKey: z.string({
    error: "must be the server's CURVE public key: 40 Z85 characters or a certificate file",
  }).min(1).optional().describe(
    "zedge: the server's CURVE public key (Z85) or its certificate file (relative to this file)",
  ),
});

/** The fields zedge reads; ZTL reads host, port and scope and ignores the rest. */
const FIELDS = Object.keys(remote.shape);

/**
 * The remotes file, as written: ZTL's `remotes: {NAME: {host, port, scope}}`
 * plus zedge's optional `events`. Other fields are ignored with a warning,
 * as ZTL ignores them.
 */
const remotesFileSchema = z.looseObject({
  remotes: z.record(
    z.string().min(1, "a remote's name must not be empty"),
    remote,
    { error: "must map remote names to {host, port, scope}" },
  ).nullable().describe("the remotes, by name"),
  publishers: z.record(
    z.string().min(1, "a publisher's name must not be empty"),
    remote.pick({ host: true, port: true, scope: true }),
    { error: "must map publisher names to {host, port, scope}" },
  ).nullable().optional().describe(
    "ZTL's object publishers (ObjectSubscriber endpoints), by name",
  ),
});

/** The top-level keys ZTL reads. */
const SECTIONS = Object.keys(remotesFileSchema.shape);

/**
 * The remotes file's JSON Schema (draft 2020-12), for editors
 * (`# yaml-language-server: $schema=…`).
 *
 * @example
 * ```ts
 * import { remotesJsonSchema } from "./remotes.ts";
 * console.log(JSON.stringify(remotesJsonSchema()).includes("scope"));
 * ```
 */
export function remotesJsonSchema(): Record<string, unknown> {
  return {
    title: "zedge / ZTL remotes",
    ...z.toJSONSchema(remotesFileSchema, { io: "input", unrepresentable: "any" }),
  } as Record<string, unknown>;
}

/**
 * Options of {@link parseRemotes} and {@link loadRemotes}.
 *
 * @example
 * ```ts
 * import type { RemotesOptions } from "./remotes.ts";
 * const quiet: RemotesOptions = { onWarning: () => {} };
 * ```
 */
export interface RemotesOptions {
  /**
   * Called with each `file:line: field: …` warning (an unknown field, which
   * is ignored); by default they are logged at warning level.
   */
  onWarning?: (warning: string) => void;
}

/**
 * Logs a configuration warning at warning level (category
 * `zedge.tasks.config`), for callers that did not take the warnings.
 *
 * @example
 * ```ts
 * import { logConfigWarning } from "./remotes.ts";
 * logConfigWarning("r.yaml:3: remotes.a.prot: unknown field, ignored");
 * ```
 */
export function logConfigWarning(warning: string): void {
  getLogger(["zedge", "tasks", "config"]).warn("{warning}", { warning });
}

/**
 * Parses a remotes file's text as ZTL does (YAML 1.1, as PyYAML reads it);
 * throws {@link ConfigError} with every problem (`file:line: field: …`).
 * Returns the remotes by name, in file order.
 *
 * @example
 * ```ts
 * import { parseRemotes } from "./remotes.ts";
 * const remotes = parseRemotes("remotes:\n  t: {host: localhost, port: 7779, scope: /t}\n", "r.yaml");
 * ```
 */
export function parseRemotes(
  text: string,
  file: string,
  options: RemotesOptions = {},
): Map<string, Remote> {
  const doc = new YamlDocument(text, file, PYYAML_OPTIONS);
  if (doc.problems.length === 0 && (doc.value === null || doc.value === undefined)) {
    throw new ConfigError(file, 0, "file is empty; expected 'remotes:'");
  }
  // zedge's addition: ${NAME:-default} from the environment (a port moved without editing).
  expandEnvReferences(doc);
  const parsed = validateDocument(remotesFileSchema, doc);
  if (parsed === undefined) throw ConfigError.of(file, doc.sortedProblems);
  for (const key of Object.keys(parsed)) {
    if (!SECTIONS.includes(key)) doc.warn([key], unknownFieldMessage(key, SECTIONS, ", ignored"));
  }
  const remotes = new Map<string, Remote>();
  for (const [name, entry] of Object.entries(parsed.remotes ?? {})) {
    for (const key of Object.keys(entry)) {
      if (!FIELDS.includes(key)) {
        doc.warn(["remotes", name, key], unknownFieldMessage(key, FIELDS, ", ignored"), {
          key: true,
        });
      }
    }
    const serverPort = parsePort(entry.port)!;
    const remote: Remote = {
      name,
      host: entry.host,
      port: serverPort,
      scope: entry.scope,
      endpoint: formatTcpEndpoint(entry.host, serverPort),
      line: doc.lineOf(["remotes", name], { key: true }),
    };
    if (entry.events !== undefined) {
      const eventsPort = parsePort(entry.events);
      remote.events = eventsPort === undefined
        ? String(entry.events)
        : formatTcpEndpoint(entry.host, eventsPort);
    }
    if (entry.serverKey !== undefined) {
      const path = resolve(dirname(file), entry.serverKey);
      remote.serverKey = namesKey(entry.serverKey, path) ? entry.serverKey : path;
    }
    remotes.set(name, remote);
  }
  for (const warning of doc.sortedWarnings) (options.onWarning ?? logConfigWarning)(warning);
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
export async function loadRemotes(
  path: string,
  options: RemotesOptions = {},
): Promise<Map<string, Remote>> {
  return parseRemotes(await readConfigText(path), path, options);
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
