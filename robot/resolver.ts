/**
 * The robot YAML's resolver: turns each validated component into its
 * {@link ComponentSpec} (module URLs, endpoints, pipeline roles, dataflow),
 * resolves references between components and their CURVE settings, and
 * finds endpoints bound twice. Every problem is recorded with its line.
 * What a component may then touch is decided in `grants.ts`.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { YamlDocument, YamlPath } from "../core/config/yaml_schema.ts";
import {
  parsePipelineConfig,
  type PipelineConfig,
  PipelineConfigError,
} from "../core/pipeline/config.ts";
import { DEFAULT_MAX_MESSAGE_SIZE } from "../core/limits.ts";
import { namesKey } from "../core/security/certificates.ts";
import type { TopicEncoding } from "./dataflow/codec.ts";
import { type DataflowSpec, matches, peerLinkEndpoints } from "./dataflow/dataflow_spec.ts";
import { connectableEndpoint, type DataflowEndpoints, sameBind } from "./dataflow/endpoints.ts";
import { poolThreads } from "./grants.ts";
import { curveFor, resolveComponentCurve, type SecurityFile } from "./security.ts";
import {
  type ComponentSpec,
  type ComponentSpecBase,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  type NodeSpec,
  OPERATOR_SOURCE,
  type OperatorSpec,
  type PipelineRoleSpec,
  type TopicSchema,
} from "./spec.ts";
import type { ComponentFile, RobotFile } from "./schema.ts";

/** A `publishes` field as written (a node's, or the operator's). */
type PublishesField = NonNullable<RobotFile["operator"]>["publishes"];

/**
 * Resolves paths and references of one robot file, recording located
 * problems on its document: component specs, `connect` references, CURVE
 * settings, dataflow publishers and providers, and binds that clash.
 *
 * @example
 * ```ts
 * import { Resolver } from "./resolver.ts";
 * import { DataflowEndpoints } from "./dataflow/endpoints.ts";
 * import { YamlDocument } from "../core/config/yaml_schema.ts";
 * const doc = new YamlDocument("robot: r\n", "robot.yaml");
 * const resolver = new Resolver(doc, new URL("file:///opt/r/robot.yaml"), {
 *   readFile: (path) => Deno.readTextFileSync(path), checkFiles: false,
 *   flow: new DataflowEndpoints("r", {}),
 * });
 * resolver.path("keys/r.key"); // "/opt/r/keys/r.key"
 * ```
 */
export class Resolver {
  readonly pipelineFiles = new Set<string>();
  /** Schemas declared with the topics' `publishes` entries. */
  readonly topicSchemas: Record<string, TopicSchema> = {};
  readonly #doc: YamlDocument;
  readonly #base: URL;
  readonly #readFile: (path: string) => string;
  readonly #checkFiles: boolean;
  readonly #pipelines = new Map<string, PipelineConfig | null>();
  readonly #flow: DataflowEndpoints;

  constructor(
    doc: YamlDocument,
    base: URL,
    options: {
      readFile: (path: string) => string;
      checkFiles: boolean;
      flow: DataflowEndpoints;
    },
  ) {
    this.#doc = doc;
    this.#base = base;
    this.#readFile = options.readFile;
    this.#checkFiles = options.checkFiles;
    this.#flow = options.flow;
  }

  /**
   * A `publishes` field (a node's or the operator's): each topic's encoding
   * (msgpack unless said), and the schemas it declares, kept for the
   * supervisor (a `.json` file's is read here).
   */
  #publishes(field: PublishesField, at: YamlPath): Record<string, TopicEncoding> {
    if (field === undefined) return {};
    if (Array.isArray(field)) return Object.fromEntries(field.map((t) => [t, "msgpack" as const]));
    const encodings: Record<string, TopicEncoding> = {};
    for (const [topic, declared] of Object.entries(field)) {
      if (typeof declared === "string") {
        encodings[topic] = declared;
        continue;
      }
      encodings[topic] = declared.encoding ?? "msgpack";
      if (declared.schema === undefined && declared.schemaName === undefined) continue;
      const schema = typeof declared.schema === "string"
        ? this.#schemaFile(declared.schema, [...at, topic, "schema"])
        : declared.schema;
      this.topicSchemas[topic] ??= {
        ...(declared.schemaName === undefined ? {} : { schemaName: declared.schemaName }),
        ...(schema === undefined ? {} : { schema }),
      };
    }
    return encodings;
  }

  /** A JSON Schema from a `.json` file named in the YAML. */
  #schemaFile(value: string, at: YamlPath): Record<string, unknown> | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#readFile(this.path(value)));
    } catch (error) {
      this.#doc.problem(at, `cannot read the schema '${value}': ${errorText(error)}`);
      return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      this.#doc.problem(at, `'${value}' holds no JSON Schema (a JSON object)`);
      return undefined;
    }
    return parsed as Record<string, unknown>;
  }

  /**
   * The operator's topics (`operator.publishes`) and the endpoint of the
   * supervisor's PUB for them, named as no component can be (`_operator`),
   * on the robot's dataflow transport.
   */
  operator(publishes: PublishesField): OperatorSpec {
    const encodings = this.#publishes(publishes, ["operator", "publishes"]);
    return {
      publishes: encodings,
      endpoint: Object.keys(encodings).length > 0
        ? this.#flow.endpoint("_operator", "topics")
        : null,
    };
  }

  /** An absolute path for a path in the file (relative to the file's directory). */
  path(value: string): string {
    return isAbsolute(value) ? value : resolve(dirname(fromFileUrl(this.#base)), value);
  }

  /** A public key as written: a Z85 key stays, a path becomes absolute. */
  key(value: string): string {
    const path = this.path(value);
    return namesKey(value, path) ? value : path;
  }

  /** A module URL for a path or URL in the file; checks that a local file exists. */
  module(value: string, at: YamlPath): string {
    const url = /^[a-z][a-z0-9+.-]*:/i.test(value) ? value : new URL(value, this.#base).href;
    if (url.startsWith("file:")) this.#checkFile(url, at, value);
    else if (!url.startsWith("npm:")) {
      this.#doc.problem(at, `'${value}': remote modules are not allowed (robots import no code)`);
    }
    return url;
  }

  #checkFile(url: string, at: YamlPath, shown: string): void {
    if (!this.#checkFiles) return;
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(fromFileUrl(url));
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound ? "does not exist" : errorText(error);
      this.#doc.problem(at, `module '${shown}' ${why} (${fromFileUrl(url)})`);
      return;
    }
    if (!info.isFile) this.#doc.problem(at, `module '${shown}' is not a file`);
  }

  #pipeline(value: string, at: YamlPath): PipelineConfig | null {
    const path = this.path(value);
    if (this.#pipelines.has(path)) return this.#pipelines.get(path)!;
    let config: PipelineConfig | null = null;
    try {
      config = parsePipelineConfig(this.#readFile(path), path);
      this.pipelineFiles.add(path);
    } catch (error) {
      if (error instanceof PipelineConfigError) {
        const line = this.#doc.lineOf(at);
        for (const problem of error.problems) {
          this.#doc.problems.push(`${this.#doc.file}:${line}: ${at.join(".")}: ${problem}`);
        }
      } else {
        this.#doc.problem(at, `cannot read pipeline file '${value}': ${errorText(error)}`);
      }
    }
    this.#pipelines.set(path, config);
    return config;
  }

  component(
    robot: string,
    name: string,
    c: ComponentFile,
    defaults: { isolation?: "host" | "process" | "worker" } = {},
  ): ComponentSpec {
    const at = ["components", name];
    const base: ComponentSpecBase = {
      robot,
      name,
      kind: c.kind,
      line: this.#doc.lineOf(at, { key: true }),
      restart: c.restart ?? "always",
      restartGiven: c.restart !== undefined,
      heartbeatTimeoutMs: c.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      maxMessageSize: c.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      // A bound needs a host of its own: only a whole process can be killed for passing it.
      isolation: c.limits !== undefined ? "process" : c.isolation ?? defaults.isolation ?? "host",
      memoryMb: c.limits?.memoryMb ?? null,
      binds: {},
      connects: {},
      modules: [],
      code: [],
      curve: {},
      permissions: { net: [], read: [], write: [], env: [] },
    };
    switch (c.kind) {
      case "task-server": {
        const scopes: Record<string, string | null> = {};
        for (const [scope, module] of Object.entries(c.scopes)) {
          scopes[scope] = module === "test" ? null : this.module(module, [...at, "scopes", scope]);
          if (scopes[scope] !== null) base.modules.push(scopes[scope]!);
        }
        base.binds.bind = c.bind;
        if (c.events !== undefined) base.binds.events = c.events;
        return {
          ...base,
          kind: "task-server",
          scopes,
          retentionMs: (c.retention ?? 600) * 1000,
          maxFinished: c.maxFinished ?? 1000,
        };
      }
      case "node": {
        const module = this.module(c.module, [...at, "module"]);
        base.modules.push(module);
        base.binds = keyed(c.bind, "bind");
        // Connect values stay as written until every component is known.
        base.connects = keyed(c.connect, "connect");
        for (const key of Object.keys(base.connects)) {
          if (key in base.binds) {
            this.#doc.problem(
              [...at, "connect", key],
              `'${key}' is also a bind key: ctx.endpoints needs distinct keys`,
            );
          }
        }
        const publishes = this.#publishes(c.publishes, [...at, "publishes"]);
        const flowName = (what: "topics" | "services") => this.#flow.endpoint(name, what);
        const dataflow: DataflowSpec = {
          publishes,
          subscribes: [...(c.subscribes ?? [])],
          provides: [...(c.provides ?? [])],
          calls: [...(c.calls ?? [])],
          topicsEndpoint: Object.keys(publishes).length > 0 ? flowName("topics") : null,
          servicesEndpoint: (c.provides ?? []).length > 0 ? flowName("services") : null,
          publishers: [],
          providers: {},
          peers: {},
        };
        return { ...base, kind: "node", module, config: c.config ?? {}, dataflow };
      }
      default: {
        const pipeline = this.#pipeline(c.pipeline, [...at, "pipeline"]);
        const spec: PipelineRoleSpec = {
          ...base,
          kind: c.kind,
          pipeline: pipeline ?? emptyPipeline(c.pipeline),
        };
        if (pipeline !== null) this.#pipelineRole(spec, c, at);
        // Threads of its own may be stuck past terminate() (see executor.ts): only a host of its
        // own can be killed for them without its siblings.
        const chosen = c.isolation !== undefined || defaults.isolation !== undefined;
        if (!chosen && spec.isolation === "host" && poolThreads(spec) > 0) {
          spec.isolation = "process";
        }
        return spec;
      }
    }
  }

  #pipelineRole(spec: PipelineRoleSpec, c: ComponentFile, at: string[]): void {
    const p = spec.pipeline;
    const e = p.endpoints;
    const needTasks = () => {
      if (p.tasks.length === 0) {
        this.#doc.problem([...at, "pipeline"], `${p.file} has no 'tasks': nothing to ${spec.kind}`);
        return false;
      }
      return true;
    };
    const needBroker = () => {
      if (p.broker === undefined) {
        this.#doc.problem([...at, "pipeline"], `${p.file} has no 'broker' section`);
        return false;
      }
      return true;
    };
    const addModule = (url: string | undefined) => {
      if (url === undefined) return;
      if (url.startsWith("file:")) this.#checkFile(url, [...at, "pipeline"], fromFileUrl(url));
      if (!spec.modules.includes(url)) spec.modules.push(url);
    };
    const entryName = "name" in c ? c.name : undefined;
    switch (spec.kind) {
      case "pipeline-distributor":
        if (!needTasks()) return;
        spec.binds = { workers: e.workers.bind, acks: e.acks.bind };
        if (e.metadata !== undefined) spec.connects.metadata = e.metadata.connect;
        else addModule(p.metadata?.module);
        for (const task of p.tasks) addModule(task.source?.module);
        return;
      case "pipeline-collector":
        if (!needTasks()) return;
        spec.binds = { results: e.results.bind };
        spec.connects = { acks: e.acks.connect };
        addModule(p.collector.module);
        return;
      case "pipeline-metadata":
        if (e.metadata === undefined || p.metadata === undefined) {
          this.#doc.problem(
            [...at, "pipeline"],
            `${p.file} needs 'metadata.module' and 'endpoints.metadata' for a metadata provider`,
          );
          return;
        }
        spec.binds = { metadata: e.metadata.bind };
        addModule(p.metadata.module);
        return;
      case "pipeline-worker": {
        if (!needTasks()) return;
        const entry = this.#entry(p.workers, entryName, [...at], "workers");
        if (entry === undefined) return;
        spec.entry = entry.name;
        spec.connects = { workers: e.workers.connect, results: e.results.connect };
        addModule(entry.handlers);
        return;
      }
      case "service-broker":
        if (!needBroker()) return;
        spec.binds = { frontend: p.broker!.frontend.bind, backend: p.broker!.backend.bind };
        return;
      case "service-worker": {
        if (!needBroker()) return;
        const entry = this.#entry(p.services, entryName, [...at], "services");
        if (entry === undefined) return;
        spec.entry = entry.name;
        spec.connects = { backend: p.broker!.backend.connect };
        addModule(entry.handlers);
        return;
      }
    }
  }

  #entry<T extends { name: string }>(
    entries: T[],
    name: string | undefined,
    at: string[],
    section: string,
  ): T | undefined {
    const names = entries.map((e) => e.name);
    if (name === undefined) {
      if (entries.length === 1) return entries[0];
      this.#doc.problem(
        [...at, "pipeline"],
        entries.length === 0
          ? `the pipeline file has no '${section}' entries`
          : `the pipeline file has several '${section}' entries: say which with name: (${
            names.join(", ")
          })`,
      );
      return undefined;
    }
    const entry = entries.find((e) => e.name === name);
    if (entry === undefined) {
      this.#doc.problem(
        [...at, "name"],
        `no '${section}' entry named '${name}' in the pipeline file (it has: ${
          names.join(", ") || "none"
        })`,
      );
    }
    return entry;
  }

  /**
   * Gives each node the publishers of the topics it subscribes to and the
   * providers of the services it calls; a name nobody on this robot offers is
   * a problem (a typo, most often). `peer/name` refers to another robot's.
   */
  resolveDataflow(
    components: ComponentSpec[],
    peers: Record<string, string>,
    robot: string,
    operator: OperatorSpec,
  ): void {
    const nodes = components.filter((c): c is NodeSpec => c.kind === "node");
    const published = nodes.flatMap((n) => Object.keys(n.dataflow.publishes));
    const operatorTopics = Object.keys(operator.publishes);
    const provided = nodes.flatMap((n) => n.dataflow.provides);
    const peerOf = (ref: string, at: YamlPath): string | null => {
      const slash = ref.indexOf("/");
      if (slash < 0) return null;
      const peer = ref.slice(0, slash);
      if (peer in peers) return peer;
      {
        this.#doc.problem(
          at,
          `'${ref}': '${peer}' is not among this robot's peers (${
            Object.keys(peers).join(", ") || "it has none: add peers: { " + peer + ": ENDPOINT }"
          })`,
        );
      }
      return peer;
    };
    for (const node of nodes) {
      const flow = node.dataflow;
      const at = ["components", node.name];
      for (const ref of [...flow.subscribes, ...flow.calls]) {
        const peer = ref.includes("/") ? ref.slice(0, ref.indexOf("/")) : null;
        // The supervisor carries peer traffic: the node reaches the peer through its links.
        if (peer !== null && peer in peers) {
          flow.peers[peer] = peerLinkEndpoints(robot, peer).control;
        }
      }
      flow.subscribes.forEach((prefix, i) => {
        if (peerOf(prefix, [...at, "subscribes", i]) !== null) return;
        const sources = nodes.filter((n) =>
          Object.keys(n.dataflow.publishes).some((t) => matches(prefix, t))
        );
        const fromOperator = operatorTopics.some((t) => matches(prefix, t));
        if (sources.length === 0 && !fromOperator) {
          this.#doc.problem(
            [...at, "subscribes", i],
            `no component publishes ${
              prefix.endsWith("*")
                ? `a topic starting with '${prefix.slice(0, -1)}'`
                : `'${prefix}'`
            } (published: ${
              [...new Set(published)].join(", ") || "none"
            }; topics an operator publishes go under operator.publishes)`,
          );
        }
        if (fromOperator && !flow.publishers.some((p) => p.source === OPERATOR_SOURCE)) {
          flow.publishers.push({
            source: OPERATOR_SOURCE,
            endpoint: operator.endpoint!,
            topics: operatorTopics,
          });
        }
        for (const source of sources) {
          if (flow.publishers.some((p) => p.source === source.name)) continue;
          flow.publishers.push({
            source: source.name,
            endpoint: source.dataflow.topicsEndpoint!,
            topics: Object.keys(source.dataflow.publishes),
          });
        }
      });
      flow.calls.forEach((service, i) => {
        if (peerOf(service, [...at, "calls", i]) !== null) return;
        const providers = nodes.filter((n) => n.dataflow.provides.includes(service));
        if (providers.length === 0) {
          this.#doc.problem(
            [...at, "calls", i],
            `no component provides '${service}' (provided: ${
              [...new Set(provided)].join(", ") || "none"
            })`,
          );
        }
        flow.providers[service] = providers.map((p) => ({
          source: p.name,
          endpoint: p.dataflow.servicesEndpoint!,
        }));
      });
    }
  }

  /** Turns `connect` references (`odometry.odom`, `tasks`) into endpoints. */
  resolveReferences(components: ComponentSpec[], raw: Record<string, ComponentFile>): void {
    const byName = new Map(components.map((c) => [c.name, c]));
    for (const spec of components) {
      if (spec.kind !== "node") continue;
      for (const [key, value] of Object.entries(spec.connects)) {
        if (value.includes("://")) continue;
        const written = (raw[spec.name] as { connect?: unknown }).connect;
        const at = [
          "components",
          spec.name,
          "connect",
          ...(typeof written === "string" ? [] : [key]),
        ];
        const [target, endpointKey] = value.split(".");
        const other = byName.get(target);
        if (other === undefined) {
          this.#doc.problem(
            at,
            `'${value}': there is no component '${target}' (components: ${
              [...byName.keys()].join(", ")
            })`,
          );
          delete spec.connects[key];
          continue;
        }
        const keys = Object.keys(other.binds);
        let bound: string | undefined;
        if (endpointKey !== undefined) {
          bound = other.binds[endpointKey];
          if (bound === undefined) {
            this.#doc.problem(
              at,
              `'${value}': component '${target}' binds no endpoint '${endpointKey}' (it binds: ${
                keys.join(", ") || "nothing"
              })`,
            );
          }
        } else if (keys.length === 1 || "bind" in other.binds) {
          bound = other.binds.bind ?? other.binds[keys[0]];
        } else {
          this.#doc.problem(
            at,
            keys.length === 0
              ? `'${value}': component '${target}' binds no endpoint`
              : `'${value}': component '${target}' binds several endpoints: write one of ${
                keys.map((k) => `${target}.${k}`).join(", ")
              }`,
          );
        }
        if (bound === undefined) {
          delete spec.connects[key];
          continue;
        }
        const connectable = connectableEndpoint(bound);
        if (connectable === undefined) {
          this.#doc.problem(
            at,
            `'${value}': ${bound} is a random port, which cannot be referenced: give it a fixed port`,
          );
          delete spec.connects[key];
          continue;
        }
        spec.connects[key] = connectable;
      }
    }
  }

  /**
   * Each task server's and node's `security` (robot/security.ts), now that
   * references are resolved; `written` are the connects as the file gave them.
   */
  resolveSecurity(
    components: ComponentSpec[],
    raw: Record<string, ComponentFile>,
    written: Record<string, Record<string, string>>,
  ): void {
    const byName = new Map(components.map((c) => [c.name, c]));
    const securityOf = (name: string) => (raw[name] as { security?: SecurityFile }).security;
    for (const spec of components) {
      if (spec.kind !== "node" && spec.kind !== "task-server") continue;
      const references: Record<string, { component: string; key: string }> = {};
      for (const [key, value] of Object.entries(written[spec.name] ?? {})) {
        if (value.includes("://") || !(key in spec.connects)) continue;
        const [component, bindKey] = value.split(".");
        const binds = Object.keys(byName.get(component)?.binds ?? {});
        references[key] = {
          component,
          key: bindKey ?? (binds.includes("bind") ? "bind" : binds[0]),
        };
      }
      const at = ["components", spec.name];
      spec.curve = resolveComponentCurve(
        securityOf(spec.name),
        { binds: Object.keys(spec.binds), connects: Object.keys(spec.connects), references },
        at,
        {
          path: (p) => this.path(p),
          problem: (where, message) => this.#doc.problem(where, message),
          curveOf: (name, key) =>
            key in (byName.get(name)?.binds ?? {}) ? curveFor(securityOf(name), key) : null,
        },
      );
      if (
        spec.kind === "task-server" && spec.binds.events !== undefined &&
        JSON.stringify(spec.curve.events) !== JSON.stringify(spec.curve.bind)
      ) {
        this.#doc.problem(
          [...at, "security"],
          "a task server's events channel shares its bind's CURVE settings: set them for both",
        );
      }
    }
  }

  /** Two binds of one endpoint (or of one tcp port, when either is a wildcard) are refused. */
  checkBinds(
    components: ComponentSpec[],
    raw: Record<string, ComponentFile>,
    control: string,
    controlInFile: boolean,
    gateway: Record<string, string | undefined>,
    logs: string | undefined,
    status: string | undefined,
    foxglove: string | undefined,
    operator: string | null,
  ): void {
    const seen: { endpoint: string; owner: string; at: YamlPath }[] = [];
    const claim = (endpoint: string, owner: string, at: YamlPath) => {
      const clash = seen.find((s) => sameBind(s.endpoint, endpoint));
      if (clash !== undefined) {
        this.#doc.problem(
          at,
          `${endpoint} is also bound by ${clash.owner}${
            clash.endpoint === endpoint ? "" : ` (${clash.endpoint})`
          }`,
        );
      } else {
        seen.push({ endpoint, owner, at });
      }
    };
    claim(control, "the supervisor's control endpoint", controlInFile ? ["control"] : []);
    if (logs !== undefined) claim(logs, "the supervisor's logs endpoint", ["logs"]);
    // The status page is HTTP, but it takes its tcp port from everyone else all the same.
    if (status !== undefined && !status.endsWith(":0")) {
      claim(`tcp://${status}`, "the status page", ["status"]);
    }
    if (foxglove !== undefined && !foxglove.endsWith(":0")) {
      claim(`tcp://${foxglove}`, "the Foxglove server", ["foxglove"]);
    }
    if (operator !== null) {
      claim(operator, "the supervisor's operator topics", ["operator", "publishes"]);
    }
    for (const [key, endpoint] of Object.entries(gateway)) {
      if (endpoint !== undefined) {
        claim(endpoint, `the gateway's ${key} endpoint`, ["gateway", key]);
      }
    }
    for (const spec of components) {
      if (spec.kind === "node") {
        const flow = spec.dataflow;
        if (flow.topicsEndpoint) {
          claim(flow.topicsEndpoint, `component '${spec.name}' (its topics)`, [
            "components",
            spec.name,
            "publishes",
          ]);
        }
        if (flow.servicesEndpoint) {
          claim(flow.servicesEndpoint, `component '${spec.name}' (its services)`, [
            "components",
            spec.name,
            "provides",
          ]);
        }
      }
      const written = (raw[spec.name] as { bind?: unknown }).bind;
      for (const [key, endpoint] of Object.entries(spec.binds)) {
        const at = spec.kind === "task-server"
          ? ["components", spec.name, key]
          : spec.kind === "node"
          ? ["components", spec.name, "bind", ...(typeof written === "string" ? [] : [key])]
          : ["components", spec.name, "pipeline"];
        claim(endpoint, `component '${spec.name}'${key === "bind" ? "" : ` (${key})`}`, at);
      }
    }
  }
}

function keyed(value: string | Record<string, string> | undefined, key: string) {
  if (value === undefined) return {};
  return typeof value === "string" ? { [key]: value } : { ...value };
}

function emptyPipeline(file: string): PipelineConfig {
  const none = { bind: "", connect: "" };
  return {
    file,
    endpoints: { workers: none, acks: none, results: none },
    heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
    retry: {},
    tasks: [],
    workers: [],
    collector: {},
    services: [],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
