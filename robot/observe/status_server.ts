/**
 * The supervisor's HTTP status server, on the robot YAML's `status:
 * HOST:PORT` (off unless the YAML says so). Read-only: nothing it serves
 * changes the robot.
 *
 * | path | answer |
 * | --- | --- |
 * | `GET /` | the status page ({@link STATUS_PAGE_HTML}) |
 * | `GET /events` | server-sent events: `view` (a {@link RobotView}) about once a second and at once on every state change, `log` per log line (with its `seq` as the event id, so a reconnecting page resumes after the last it had) |
 * | `GET /status.json` | the supervisor's status: what `zedge robot status --json` prints |
 * | `GET /view.json` | `{ view, logs }`: the view and the log tail |
 * | `GET /topic.json?name=T` | topic T's latest message as JSON (`{ topic, value, time, source, receivedAt }`), waiting up to 2 s for one; 404 when none came (the page shows it under a clicked topic row) |
 * | `GET /metrics` | the Prometheus text format (see robot_metrics.ts) |
 *
 * One view is made per tick for every open page, not one per page.
 *
 * @example
 * ```ts
 * import { RobotObservatory } from "./observatory.ts";
 * import { StatusServer } from "./status_server.ts";
 * const observatory = new RobotObservatory(() => ({ robot: "r", pid: Deno.pid, uptimeMs: 0, components: [] }));
 * const server = new StatusServer("127.0.0.1:0", observatory);
 * await server.start();
 * console.log(await (await fetch(`http://${server.address}/status.json`)).json());
 * await server.close();
 * ```
 * @module
 */
import { ZedgeError } from "../../core/errors.ts";
import { getLogger } from "@logtape/logtape";
import { parseEndpoint } from "../../core/transport/endpoint.ts";
import type { StatusLogin } from "../spec.ts";
import type { RobotObservatory } from "./observatory.ts";
import { HttpGuard } from "../http_guard.ts";
import { httpRefusal } from "./http_access.ts";
import { METRICS_CONTENT_TYPE, robotMetricsText } from "./robot_metrics.ts";
import { STATUS_PAGE_HTML } from "./status_page.ts";
import type { LogLine } from "./view.ts";

const log = getLogger(["zedge", "robot", "status"]);
const encoder = new TextEncoder();

/**
 * How often an open page gets a view, in ms.
 *
 * @example
 * ```ts
 * import { VIEW_INTERVAL_MS } from "./status_server.ts";
 * console.log(VIEW_INTERVAL_MS); // 1000
 * ```
 */
export const VIEW_INTERVAL_MS = 1000;
/** A state change is sent this soon (several at once become one view). */
const CHANGE_DELAY_MS = 20;
/** A page this many events behind is dropped (its browser reconnects and starts afresh). */
const MAX_QUEUED_EVENTS = 200;

/**
 * The page allows itself nothing from elsewhere: its own script and style,
 * and connections to this server only.
 */
const PAGE_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/**
 * The status page could not listen where the YAML says (address in use,
 * no permission, no such address).
 *
 * @example
 * ```ts
 * import { StatusPageError } from "./status_server.ts";
 * const e = new StatusPageError("127.0.0.1:7800", new Deno.errors.AddrInUse("Address already in use"));
 * console.log(e.message); // "cannot serve the status page on 127.0.0.1:7800: Address already in use"
 * ```
 */
export class StatusPageError extends ZedgeError {
  /** Always `"status-page"`. */
  readonly code: string = "status-page";
  /** Creates the error for `address`, with the listen error as its cause. */
  constructor(address: string, cause: unknown) {
    super(
      `cannot serve the status page on ${address}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "StatusPageError";
  }
}

/** How long `/topic.json` waits for a topic's first message. */
const LATEST_WAIT_MS = 2000;

/**
 * Where the status server reads a topic's latest value (the supervisor's
 * `RobotLive`).
 *
 * @example
 * ```ts
 * import type { LatestValues } from "./status_server.ts";
 * const none: LatestValues = { latest: () => Promise.resolve(null) };
 * ```
 */
export interface LatestValues {
  /** The latest message on `topic`, waiting up to `waitMs` for one; null when none came. */
  latest(topic: string, waitMs: number): Promise<unknown | null>;
}

/** One open `/events` stream. */
interface EventClient {
  controller: ReadableStreamDefaultController<Uint8Array>;
  close(): void;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { StatusServer } from "./status_server.ts";
 * import type { RobotObservatory } from "./observatory.ts";
 * declare const observatory: RobotObservatory;
 * const server = new StatusServer("127.0.0.1:7800", observatory);
 * await server.start();
 * await server.close();
 * ```
 */
export class StatusServer {
  readonly #hostname: string;
  readonly #port: number;
  readonly #observatory: RobotObservatory;
  readonly #latest: LatestValues | null;
  readonly #clients = new Set<EventClient>();
  #guard: HttpGuard | null = null;
  #address: string | null = null;
  #tick: ReturnType<typeof setInterval> | undefined;
  #changeTimer: ReturnType<typeof setTimeout> | undefined;
  #stopFeeds: (() => void)[] = [];
  readonly #login: StatusLogin | null;
  readonly #socketPath: string | undefined;

  /**
   * Serves `observatory` on `address` (`HOST:PORT`, port 0 for any) once
   * started; with `login`, every request needs HTTP basic auth (a user of
   * the users file) or `Authorization: Bearer TOKEN` (the token file's);
   * topics' latest values come from `latest`, when given.
   */
  constructor(
    address: string,
    observatory: RobotObservatory,
    options: {
      login?: StatusLogin | null;
      latest?: LatestValues | null;
      /** Where the page's server listens behind its guard (see http_guard.ts); default a temporary directory. */
      socketPath?: string;
    } = {},
  ) {
    this.#socketPath = options.socketPath;
    this.#login = options.login ?? null;
    this.#latest = options.latest ?? null;
    const parsed = parseEndpoint(`tcp://${address}`);
    if (parsed.transport !== "tcp") throw new TypeError(`'${address}' is not HOST:PORT`);
    this.#hostname = parsed.host;
    this.#port = parsed.port;
    this.#observatory = observatory;
  }

  /** Where it listens (`HOST:PORT`, the port resolved), null before start. */
  get address(): string | null {
    return this.#address;
  }

  /**
   * Listens (behind an {@link HttpGuard}: a deadline for request heads, a
   * cap on connections); throws a {@link StatusPageError} when it cannot.
   */
  async start(): Promise<void> {
    if (this.#guard !== null) return;
    const guard = new HttpGuard(this.#hostname, this.#port, {
      page: "status page",
      log,
      ...(this.#socketPath === undefined ? {} : { socketPath: this.#socketPath }),
    });
    let addr: Deno.NetAddr;
    try {
      addr = await guard.start((path) => this.#serve(path));
    } catch (error) {
      throw new StatusPageError(`${this.#hostname}:${this.#port}`, error);
    }
    this.#guard = guard;
    const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    this.#address = `${host}:${addr.port}`;
    this.#stopFeeds = [
      this.#observatory.onChange(() => this.#changed()),
      this.#observatory.onLog((line) => this.#broadcastLog(line)),
    ];
    log.info("status page at http://{address}/", { address: this.#address });
  }

  /** The page's server, on the guard's private Unix socket `path`. */
  #serve(path: string): Deno.HttpServer<Deno.UnixAddr> {
    return Deno.serve({
      transport: "unix",
      path,
      onListen: () => {},
      onError: (error) => {
        log.warn("status page: {error}", { error });
        return new Response("internal error\n", { status: 500 });
      },
    }, (request) => this.#answer(request));
  }

  async #answer(request: Request): Promise<Response> {
    const refused = await this.#refusal(request);
    if (refused !== null) return refused;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("only GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(STATUS_PAGE_HTML, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": PAGE_POLICY,
            "cache-control": "no-store",
          },
        });
      case "/events":
        return this.#events(request, url);
      case "/status.json":
        return json(this.#observatory.status());
      case "/view.json":
        return json({ view: this.#observatory.view(), logs: this.#observatory.logs() });
      case "/topic.json":
        return this.#topic(url.searchParams.get("name") ?? "");
      case "/metrics":
        return new Response(robotMetricsText(this.#observatory.view()), {
          headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" },
        });
      default:
        return new Response("not found: try /, /metrics, /status.json or /events\n", {
          status: 404,
        });
    }
  }

  /** Why a request is refused, or null (see http_access.ts). */
  #refusal(request: Request): Promise<Response | null> {
    return httpRefusal(request, this.#login, { page: "status page", realm: "zedge robot", log });
  }

  async #topic(name: string): Promise<Response> {
    const latest = this.#latest === null ? null : await this.#latest.latest(name, LATEST_WAIT_MS);
    if (latest === null) {
      return new Response(
        `${JSON.stringify({ error: `no message on '${name}' within ${LATEST_WAIT_MS} ms` })}\n`,
        {
          status: 404,
          headers: {
            "content-type": "application/json; charset=utf-8",
            "cache-control": "no-store",
          },
        },
      );
    }
    return json(latest);
  }

  #events(request: Request, url: URL): Response {
    const after = Number(request.headers.get("last-event-id") ?? url.searchParams.get("logsAfter"));
    let client!: EventClient;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = {
          controller,
          close: () => {
            if (!this.#clients.delete(client)) return;
            try {
              controller.close();
            } catch { /* already closed by the browser */ }
            if (this.#clients.size === 0) this.#stopTicking();
          },
        };
        this.#clients.add(client);
        this.#send(client, viewEvent(this.#observatory));
        for (const line of this.#observatory.logs(Number.isFinite(after) ? after : 0)) {
          this.#send(client, logEvent(line));
        }
        this.#startTicking();
      },
      // The browser went away (Deno cancels the body when the connection closes).
      cancel: () => client.close(),
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  #send(client: EventClient, event: Uint8Array): void {
    if ((client.controller.desiredSize ?? 0) < -MAX_QUEUED_EVENTS) {
      client.close();
      return;
    }
    try {
      client.controller.enqueue(event);
    } catch {
      client.close();
    }
  }

  #broadcast(event: Uint8Array): void {
    for (const client of [...this.#clients]) this.#send(client, event);
  }

  #broadcastView(): void {
    if (this.#clients.size > 0) this.#broadcast(viewEvent(this.#observatory));
  }

  #broadcastLog(line: LogLine): void {
    if (this.#clients.size > 0) this.#broadcast(logEvent(line));
  }

  /** A state change reaches open pages at once, not at the next tick. */
  #changed(): void {
    if (this.#clients.size === 0 || this.#changeTimer !== undefined) return;
    this.#changeTimer = setTimeout(() => {
      this.#changeTimer = undefined;
      this.#broadcastView();
    }, CHANGE_DELAY_MS);
  }

  #startTicking(): void {
    this.#tick ??= setInterval(() => this.#broadcastView(), VIEW_INTERVAL_MS);
  }

  #stopTicking(): void {
    clearInterval(this.#tick);
    this.#tick = undefined;
    clearTimeout(this.#changeTimer);
    this.#changeTimer = undefined;
  }

  /** Ends every open page's stream and stops listening. */
  async close(): Promise<void> {
    for (const stop of this.#stopFeeds.splice(0)) stop();
    for (const client of [...this.#clients]) client.close();
    this.#stopTicking();
    const guard = this.#guard;
    this.#guard = null;
    await guard?.close();
  }
}

function json(value: unknown): Response {
  return new Response(`${JSON.stringify(value)}\n`, {
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

function viewEvent(observatory: RobotObservatory): Uint8Array {
  return encoder.encode(`event: view\ndata: ${JSON.stringify(observatory.view())}\n\n`);
}

function logEvent(line: LogLine): Uint8Array {
  return encoder.encode(`event: log\nid: ${line.seq}\ndata: ${JSON.stringify(line)}\n\n`);
}
