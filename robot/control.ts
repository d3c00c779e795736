/**
 * The supervisor's control channel: a ROUTER socket on the robot's
 * `control` endpoint (a Unix socket by default, mode 0660) answering one
 * JSON request per message — `status`, `view` (the live figures, with the
 * log tail's lines after `logsAfter`), or `restart` / `stop` / `start` of
 * one component. `zedge robot status|top|restart|stop|start` are its
 * clients.
 *
 * Requests: `{ "op": "status" }`, `{ "op": "view", "logsAfter": 0 }`,
 * `{ "op": "restart", "name": "odometry" }`.
 * Replies: `{ "ok": true, "status": RobotStatus }`,
 * `{ "ok": true, "view": RobotView, "logs": LogLine[] }`, `{ "ok": true }`,
 * or `{ "ok": false, "error": "no component 'x' (components: …)" }`.
 *
 * @example
 * ```ts
 * import { controlRequest } from "./control.ts";
 * const reply = await controlRequest("ipc:///tmp/zedge-kitchen-bot.sock", { op: "status" });
 * if (reply.ok && "status" in reply) console.log(reply.status.components.length);
 * ```
 * @module
 */
import { ZedgeError } from "../core/errors.ts";
import { getLogger } from "@logtape/logtape";
import { basename, dirname } from "node:path";
import { Request, Router, ZmqError } from "../core/sockets/mod.ts";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { ensurePrivateDir } from "./private_dir.ts";
import { Authenticator } from "../core/security/authenticator.ts";
import { readPublicKeys, resolvePublicKeySync } from "../core/security/certificates.ts";
import { curveServerOptions } from "../core/security/curve_config.ts";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import type { LiveControl } from "./live/control_ops.ts";
import { LIVE_OPS, type LiveRequest } from "./live/control_wire.ts";
import type { LogLine, RobotStatus, RobotView } from "./observe/view.ts";
import type { TaskServerEntry } from "./task_servers.ts";
import { ROLE_HANDSHAKE_LIMITS } from "../core/limits.ts";

export type { ComponentState, ComponentStatus, RobotStatus } from "./observe/view.ts";

const log = getLogger(["zedge", "robot", "control"]);

/**
 * A control request.
 *
 * @example
 * ```ts
 * import type { ControlRequest } from "./control.ts";
 * const r: ControlRequest = { op: "stop", name: "planner" };
 * ```
 */
export type ControlRequest =
  | { op: "status" }
  | { op: "view"; logsAfter?: number }
  | { op: "directory" }
  | { op: "tasks" }
  | { op: "restart" | "stop" | "start"; name: string }
  | LiveRequest;

/**
 * A control reply.
 *
 * @example
 * ```ts
 * import type { ControlReply } from "./control.ts";
 * const r: ControlReply = { ok: false, error: "no component 'x'" };
 * ```
 */
export type ControlReply =
  | { ok: true; status: RobotStatus }
  | { ok: true; view: RobotView; logs: LogLine[] }
  | { ok: true; directory: unknown }
  | { ok: true; tasks: TaskServerEntry[] }
  | { ok: true }
  | { ok: false; error: string };

/**
 * What the control server asks of the supervisor.
 *
 * @example
 * ```ts
 * import type { ControlHandler } from "./control.ts";
 * const handler: ControlHandler = {
 *   status: () => ({ robot: "r", pid: Deno.pid, uptimeMs: 0, components: [] }),
 *   act: async () => {},
 * };
 * ```
 */
export interface ControlHandler {
  /** The current status. */
  status(): RobotStatus;
  /** What the robot offers other robots (its topics, services and gateway). */
  directory?(): unknown;
  /** The robot's task servers, for clients elsewhere (see task_servers.ts). */
  tasks?(): TaskServerEntry[];
  /** The live view, and the log tail's lines after `logsAfter`. */
  view?(logsAfter: number): { view: RobotView; logs: LogLine[] };
  /** Acts on one component; throws (with a message for the client) when it cannot. */
  act(op: "restart" | "stop" | "start", name: string): Promise<void>;
  /** The robot's data: topics, services, streams (live/control_ops.ts). */
  live?: LiveControl;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Largest control request accepted: most are a few dozen bytes, but one
 * an operator publishes or plays carries its message (a camera frame).
 */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * Who asks: an operator (an allowed key, or anyone who can reach an ipc or
 * NULL endpoint), or a peer robot (its key from the YAML's `peers`).
 *
 * @example
 * ```ts
 * import type { ControlRole } from "./control.ts";
 * const role: ControlRole = "peer";
 * ```
 */
export type ControlRole = "operator" | "peer";

/**
 * Who may call each op: the supervisor's own, and the data ops
 * (live/control_ops.ts, which asks this table too). An op missing from the
 * table (a newer one) is for operators only.
 *
 * @example
 * ```ts
 * import { CONTROL_OPS, mayCall } from "./control.ts";
 * console.log(CONTROL_OPS.directory); // ["operator", "peer"]
 * mayCall("peer", "restart"); // false
 * mayCall("peer", "subscribe"); // false
 * ```
 */
export const CONTROL_OPS: Readonly<Record<string, readonly ControlRole[]>> = {
  status: ["operator"],
  view: ["operator"],
  directory: ["operator", "peer"],
  tasks: ["operator"],
  restart: ["operator"],
  stop: ["operator"],
  start: ["operator"],
  // The robot's data: its values, services and what an operator may publish.
  ...Object.fromEntries(LIVE_OPS.map((op) => [op, ["operator"] as const])),
};

/**
 * Whether `role` may call `op` (see {@link CONTROL_OPS}).
 *
 * @example
 * ```ts
 * import { mayCall } from "./control.ts";
 * mayCall("operator", "anything-new"); // true
 * mayCall("peer", "anything-new"); // false
 * ```
 */
export function mayCall(role: ControlRole, op: string): boolean {
  return (Object.hasOwn(CONTROL_OPS, op) ? CONTROL_OPS[op] : ["operator"]).includes(role);
}

/**
 * CURVE on a tcp control endpoint: the robot's secret key, the operators'
 * public keys (every op) and the peer robots' (`directory` only). Keys are
 * Z85, certificate files or directories of `*.pub`; lists are read again on
 * each request, so a key added or removed counts at once.
 *
 * @example
 * ```ts
 * import type { ControlSecurity } from "./control.ts";
 * const security: ControlSecurity = {
 *   secretKey: "/etc/zedge/keys/kitchen-bot.key",
 *   operators: ["/etc/zedge/keys/operators/"],
 *   peers: { "arm-bot": "/etc/zedge/keys/arm-bot.pub" },
 * };
 * ```
 */
export interface ControlSecurity {
  /** The robot's secret certificate. */
  secretKey: string;
  /** Operators' public keys. */
  operators: readonly string[];
  /** Peer robots' public keys, by name. */
  peers: Readonly<Record<string, string>>;
}

/**
 * Serves control requests on `endpoint` until closed. With `security` and
 * a tcp endpoint it speaks CURVE: only operators' and peers' keys get in
 * (others are refused at the handshake, logged with their key), and each
 * request is checked against {@link CONTROL_OPS}.
 *
 * @example
 * ```ts
 * import { ControlServer } from "./control.ts";
 * const server = new ControlServer("ipc:///tmp/zedge-doc.sock", {
 *   status: () => ({ robot: "doc", pid: Deno.pid, uptimeMs: 0, components: [] }),
 *   act: async () => {},
 * });
 * await server.start();
 * await server.close();
 * ```
 */
export class ControlServer {
  readonly #endpoint: string;
  readonly #handler: ControlHandler;
  readonly #security: ControlSecurity | null;
  readonly #zapDomain: string;
  #router: Router | null = null;
  #serving: Promise<void> | null = null;

  /** Keeps the endpoint and handler; {@link start} binds. */
  constructor(
    endpoint: string,
    handler: ControlHandler,
    options: { security?: ControlSecurity | null; robot?: string } = {},
  ) {
    this.#endpoint = endpoint;
    this.#handler = handler;
    const tcp = parseEndpoint(endpoint).transport === "tcp";
    this.#security = tcp ? options.security ?? null : null;
    this.#zapDomain = `zedge.control.${options.robot ?? "robot"}`;
  }

  /** The bound endpoint (port resolved), null before start. */
  get endpoint(): string | null {
    return this.#router?.lastEndpoint ?? null;
  }

  /**
   * Binds the endpoint, creating an ipc socket's directory when missing and
   * making the socket readable and writable by its owner and group only.
   */
  async start(): Promise<void> {
    const parsed = parseEndpoint(this.#endpoint);
    const security = this.#security;
    let curve = {};
    if (security !== null) {
      curve = curveServerOptions({ secretKey: security.secretKey }, {
        zapDomain: this.#zapDomain,
        what: "the control endpoint (security.curve.secretKey)",
      });
      Authenticator.shared().setPolicy(this.#zapDomain, {
        curve: { allow: [...security.operators, ...Object.values(security.peers)] },
      });
    }
    const router = new Router({
      linger: 0,
      maxMessageSize: MAX_REQUEST_BYTES,
      ...ROLE_HANDSHAKE_LIMITS,
      ...curve,
    });
    try {
      // zedge's own socket directory (`…/zedge/`) must be private, whoever made it.
      if (parsed.transport === "ipc" && basename(dirname(parsed.path)) === "zedge") {
        await ensurePrivateDir(dirname(parsed.path));
      }
      try {
        await router.bind(this.#endpoint);
      } catch (error) {
        // Only a missing directory is created, so no leave to write a shared one (/tmp) is needed.
        const missing = error instanceof Deno.errors.NotFound ||
          (error as { cause?: unknown }).cause instanceof Deno.errors.NotFound;
        if (parsed.transport !== "ipc" || !missing) throw error;
        await ensurePrivateDir(dirname(parsed.path));
        await router.bind(this.#endpoint);
      }
      if (parsed.transport === "ipc") await Deno.chmod(parsed.path, 0o660);
    } catch (error) {
      await router.close();
      throw error;
    }
    this.#router = router;
    this.#serving = this.#serve(router);
  }

  async #serve(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        // [routing id, "", body] from REQ (a DEALER's streams: more frames); anything else is dropped.
        if (frames.length < 3 || frames[1].length !== 0) continue;
        const live = this.#handler.live;
        const liveRequest = live?.accepts(frames[2]) ?? null;
        if (liveRequest !== null) {
          // The robot's data (live/control_ops.ts): answered as it comes, often more than once.
          const [id, , , ...extra] = frames;
          const key = router.peerUserId(id) ?? "";
          live!.handle(liveRequest, extra, {
            key,
            authorize: (op) => this.#refusal(op, key),
            reply: (reply) => router.send([id, new Uint8Array(0), ...reply]).catch(() => {}),
          });
          continue;
        }
        if (frames.length !== 3) continue;
        const reply = await this.#answer(frames[2], router.peerUserId(frames[0]) ?? "");
        router.send([frames[0], new Uint8Array(0), encoder.encode(JSON.stringify(reply))])
          .catch(() => {/* the client left */});
      }
    } catch (error) {
      if (this.#router !== null) log.warn("control channel stopped: {error}", { error });
    }
  }

  /** Who holds `key`: an operator, a peer (by name), or nobody. */
  async #roleOf(key: string): Promise<{ role: ControlRole; who: string } | null> {
    const security = this.#security;
    if (security === null) return { role: "operator", who: "a local client" };
    try {
      if ((await readPublicKeys(security.operators)).has(key)) {
        return { role: "operator", who: `operator ${key}` };
      }
    } catch (error) {
      log.warn("cannot read the operators' keys: {error}", { error: String(error) });
    }
    for (const [name, value] of Object.entries(security.peers)) {
      try {
        if (resolvePublicKeySync(value) === key) return { role: "peer", who: `peer robot ${name}` };
      } catch (error) {
        log.warn("cannot read peer {name}'s key: {error}", { name, error: String(error) });
      }
    }
    return null;
  }

  /** Null when the holder of `key` may call `op` (the op table), else why not (logged). */
  async #refusal(op: string, key: string): Promise<string | null> {
    const caller = await this.#roleOf(key);
    if (caller !== null && mayCall(caller.role, op)) return null;
    const who = caller?.who ?? `key ${key || "(none)"}`;
    log.warn("refused control request {op} from {who}", { op: op || "(none)", who });
    return `'${op}' is not allowed to ${who}` +
      (caller?.role === "peer" ? " (peer robots may ask for the directory only)" : "");
  }

  async #answer(body: Uint8Array, key: string): Promise<ControlReply> {
    let request: unknown;
    try {
      request = JSON.parse(decoder.decode(body));
    } catch {
      return { ok: false, error: "request is not JSON" };
    }
    const r = request as { op?: unknown; name?: unknown; logsAfter?: unknown };
    const op = typeof r?.op === "string" ? r.op : "";
    const refusal = await this.#refusal(op, key);
    if (refusal !== null) return { ok: false, error: refusal };
    switch (op) {
      case "status":
        return { ok: true, status: this.#handler.status() };
      case "view": {
        if (this.#handler.view === undefined) return { ok: false, error: "this robot has no view" };
        const after = typeof r.logsAfter === "number" && r.logsAfter >= 0 ? r.logsAfter : 0;
        return { ok: true, ...this.#handler.view(after) };
      }
      case "tasks":
        return this.#handler.tasks
          ? { ok: true, tasks: this.#handler.tasks() }
          : { ok: false, error: "this robot has no task servers to list" };
      case "directory":
        return this.#handler.directory
          ? { ok: true, directory: this.#handler.directory() }
          : { ok: false, error: "this robot has no directory" };
      case "restart":
      case "stop":
      case "start":
        if (typeof r.name !== "string") return { ok: false, error: `'${op}' needs a 'name'` };
        try {
          await this.#handler.act(op, r.name);
          return { ok: true };
        } catch (error) {
          return { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
    }
    if ((LIVE_OPS as readonly string[]).includes(op)) {
      return { ok: false, error: `'${op}': this robot serves no data ops` };
    }
    return {
      ok: false,
      error: `unknown request (expected op: ${Object.keys(CONTROL_OPS).join(", ")})`,
    };
  }

  /** Stops serving and closes the socket (removing an ipc socket file). */
  async close(): Promise<void> {
    const router = this.#router;
    this.#router = null;
    await router?.close();
    await this.#serving;
  }
}

/**
 * Why a control request got no answer.
 *
 * @example
 * ```ts
 * import { ControlUnreachableError } from "./control.ts";
 * const e = new ControlUnreachableError("ipc:///tmp/x.sock", "no socket file");
 * console.log(e.message);
 * ```
 */
export class ControlUnreachableError extends ZedgeError {
  /** Always `"control-unreachable"`. */
  readonly code: string = "control-unreachable";
  /** The endpoint that did not answer. */
  readonly endpoint: string;
  /** Creates the error for `endpoint`, saying `why`. */
  constructor(endpoint: string, why: string) {
    super(`no robot supervisor answers at ${endpoint}: ${why}`);
    this.name = "ControlUnreachableError";
    this.endpoint = endpoint;
  }
}

/**
 * How {@link controlRequest} asks: how long it waits, and CURVE (the
 * robot's public key, and this client's key pair, Z85; without a secret
 * key a key pair is made for the request, which only an `insecure` or
 * allow-any server lets in).
 *
 * @example
 * ```ts
 * import type { ControlRequestOptions } from "./control.ts";
 * const options: ControlRequestOptions = {
 *   timeoutMs: 2000,
 *   curve: { serverKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" },
 * };
 * ```
 */
export interface ControlRequestOptions {
  /** How long to wait for the reply (default 3000 ms). */
  timeoutMs?: number;
  /** CURVE client settings, Z85 or raw keys (`curveClientOptions` reads key files). */
  curve?: {
    serverKey: string | Uint8Array;
    secretKey?: string | Uint8Array;
    publicKey?: string | Uint8Array;
  };
}

/**
 * Sends one control request and returns the reply; throws
 * {@link ControlUnreachableError} when nothing answers within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { controlRequest } from "./control.ts";
 * await controlRequest("ipc:///tmp/zedge-kitchen-bot.sock", { op: "restart", name: "planner" });
 * ```
 */
export async function controlRequest(
  endpoint: string,
  request: ControlRequest,
  options: ControlRequestOptions = {},
): Promise<ControlReply> {
  const parsed = parseEndpoint(endpoint);
  if (parsed.transport === "ipc") {
    // A clearer answer than a timeout when the robot is simply not running.
    try {
      const info = await Deno.stat(parsed.path);
      if (!info.isSocket) {
        throw new ControlUnreachableError(endpoint, `${parsed.path} is not a socket`);
      }
    } catch (error) {
      if (error instanceof ControlUnreachableError) throw error;
      if (error instanceof Deno.errors.NotFound) {
        throw new ControlUnreachableError(
          endpoint,
          `${parsed.path} does not exist (is the robot running?)`,
        );
      }
      throw new ControlUnreachableError(
        endpoint,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  const timeoutMs = options.timeoutMs ?? 3000;
  const curve = options.curve;
  const req = new Request({
    immediate: true, // a robot that is down or refuses the key is said by send's timeout
    linger: 0,
    sendTimeout: timeoutMs,
    receiveTimeout: timeoutMs,
    ...(curve === undefined ? {} : {
      curveServerKey: curve.serverKey,
      ...(curve.secretKey === undefined ? {} : { curveSecretKey: curve.secretKey }),
      ...(curve.publicKey === undefined ? {} : { curvePublicKey: curve.publicKey }),
    }),
  });
  // A refused handshake (a key the robot does not know, the wrong server key) is said at once.
  let refused: string | null = null;
  let wake = () => {};
  const refusal = new Promise<void>((resolve) => wake = resolve);
  req.events.on("handshake:error", (event) => {
    refused ??= event.reason ?? "the handshake failed";
    wake();
  });
  const refusedError = () =>
    new ControlUnreachableError(
      endpoint,
      `the robot refused this client: ${escapeUntrusted(refused!)}` +
        (curve === undefined ? " (does its control endpoint speak CURVE?)" : ""),
    );
  try {
    req.connect(endpoint);
    const exchange = (async () => {
      await req.send(JSON.stringify(request));
      return await req.receive();
    })();
    const outcome = await Promise.race([exchange, refusal.then(() => null)]);
    if (outcome === null) {
      exchange.catch(() => {/* closed below */});
      throw refusedError();
    }
    return JSON.parse(decoder.decode(outcome[0])) as ControlReply;
  } catch (error) {
    if (error instanceof ControlUnreachableError) throw error;
    if (error instanceof ZmqError && error.code === "EAGAIN") {
      if (refused !== null) throw refusedError();
      throw new ControlUnreachableError(endpoint, `no reply within ${timeoutMs} ms`);
    }
    throw new ControlUnreachableError(
      endpoint,
      error instanceof Error ? error.message : String(error),
    );
  } finally {
    await req.close();
  }
}
