/**
 * The ZTL-compatible task server. It binds a ROUTER socket, which speaks to
 * ZTL's REQ clients exactly like ZTL's REP server does, but answers each
 * request as soon as its controller does: a slow controller call for one
 * client never stalls the others. Dispatch and error replies follow the ZTL
 * wire format; no input, however malformed, stops the server.
 *
 * With an `events` endpoint it also binds a PUB socket and publishes every
 * task state change of controllers that report them (see `protocol.ts` for
 * the JSON event layout).
 *
 * @example
 * ```ts
 * import { TaskServer } from "./server.ts";
 * import { TestController } from "./test_controller.ts";
 * const server = new TaskServer({ endpoint: "tcp://127.0.0.1:0", events: "tcp://127.0.0.1:0" });
 * server.register("/test", new TestController());
 * await server.start();
 * console.log(server.endpoint, server.eventsEndpoint);
 * await server.close();
 * ```
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { maxMessageSizeOption, ROLE_HANDSHAKE_LIMITS } from "../limits.ts";
import { Publisher, Router, type SecurityOptions } from "../sockets/mod.ts";
import type { InitReply, StateReply, TaskController } from "./controller.ts";
import {
  decodeMessage,
  encodeMessage,
  encodeTaskEvent,
  isTaskState,
  ProtocolError,
  RequestCode,
  stateName,
  TaskState,
  type ZtlMessage,
} from "./protocol.ts";

/**
 * Options of a {@link TaskServer}. Give `endpoint`, or `port` for ZTL's
 * `tcp://*:PORT`.
 *
 * @example
 * ```ts
 * import type { TaskServerOptions } from "./server.ts";
 * const options: TaskServerOptions = { port: 7779, events: "tcp://*:7780" };
 * ```
 */
export interface TaskServerOptions {
  /** Any endpoint to bind (`tcp://…`, `ipc://…`, `inproc://…`). */
  endpoint?: string;
  /** Port for the default endpoint `tcp://*:PORT` (0 = random). */
  port?: number;
  /** Endpoint to bind the state-change PUB socket on; none by default. */
  events?: string;
  /** Controllers to register right away, by scope. */
  controllers?: Record<string, TaskController>;
  /**
   * Largest request accepted, in bytes (default 64 MiB, -1 = no limit); a
   * larger one closes that client's connection.
   */
  maxMessageSize?: number;
  /**
   * CURVE or PLAIN for the request socket and the events channel, e.g.
   * `{ curveServer: true, curveSecretKey }`; the clients then need the
   * matching options. An Authenticator started in the same process
   * decides which clients get in.
   */
  security?: SecurityOptions;
}

const decoder = new TextDecoder();

/** Tasks remembered as followed by a client; the oldest is forgotten beyond this. */
const MAX_FOLLOWED = 10_000;

/** Longest excerpt of a bad message quoted in a log line. */
const LOG_EXCERPT = 120;

function excerpt(bytes: Uint8Array): string {
  const text = decoder.decode(bytes.subarray(0, LOG_EXCERPT));
  return bytes.length > LOG_EXCERPT ? `${text}…` : text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A task server (see the module documentation).
 *
 * @example
 * ```ts
 * import { TaskServer } from "./server.ts";
 * import { TestController } from "./test_controller.ts";
 * const server = new TaskServer({ port: 0 });
 * server.register("/test", new TestController());
 * await server.start();
 * server.unregister("/test");
 * await server.close();
 * ```
 */
export class TaskServer {
  readonly #bindEndpoint: string;
  readonly #eventsBind: string | undefined;
  readonly #maxMessageSize: number;
  readonly #security: SecurityOptions;
  readonly #controllers = new Map<string, TaskController>();
  readonly #unsubscribe = new Map<string, () => void>();
  readonly #logger = getLogger(["zedge", "tasks", "server"]);
  #router: Router | null = null;
  #publisher: Publisher | null = null;
  #serving: Promise<void> | null = null;
  #inFlight = new Set<Promise<void>>();
  #closed = false;
  #shuttingDown = false;
  #controllersClosed = false;
  /** `scope;id` of tasks whose last reply to a client was not final (see shutdown()). */
  readonly #followed = new Set<string>();
  #onUnfollowed: (() => void) | null = null;

  /** Creates a server for `options`; call start() to listen. */
  constructor(options: TaskServerOptions = {}) {
    if (options.endpoint === undefined && options.port === undefined) {
      throw new TypeError("task server needs 'endpoint' or 'port'");
    }
    if (
      options.port !== undefined &&
      (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    ) {
      throw new RangeError(`option 'port' must be an integer from 0 to 65535, got ${options.port}`);
    }
    this.#bindEndpoint = options.endpoint ?? `tcp://*:${options.port}`;
    this.#eventsBind = options.events;
    this.#maxMessageSize = maxMessageSizeOption(options.maxMessageSize, "option 'maxMessageSize'");
    this.#security = options.security ?? {};
    for (const [scope, controller] of Object.entries(options.controllers ?? {})) {
      this.register(scope, controller);
    }
  }

  /** The bound request endpoint (port resolved), null before `start()`. */
  get endpoint(): string | null {
    return this.#router?.lastEndpoint ?? null;
  }

  /** The bound events endpoint, null without events or before `start()`. */
  get eventsEndpoint(): string | null {
    return this.#publisher?.lastEndpoint ?? null;
  }

  /** Scopes with a controller. */
  get scopes(): string[] {
    return [...this.#controllers.keys()];
  }

  /**
   * Dispatches requests on `scope` to `controller`, replacing any controller
   * registered there before.
   */
  register(scope: string, controller: TaskController): void {
    if (scope.includes(";")) {
      throw new ProtocolError("scope", `scope must not contain ';': '${scope}'`);
    }
    this.#logger.info("Registering controller for scope '{scope}'.", { scope });
    this.#unsubscribe.get(scope)?.();
    this.#unsubscribe.delete(scope);
    this.#controllers.set(scope, controller);
    if (controller.onStateChange) {
      const off = controller.onStateChange((change) => this.#publish(scope, change));
      this.#unsubscribe.set(scope, off);
    }
  }

  /** Stops dispatching `scope`; returns whether a controller was registered. */
  unregister(scope: string): boolean {
    this.#unsubscribe.get(scope)?.();
    this.#unsubscribe.delete(scope);
    const had = this.#controllers.delete(scope);
    if (had) this.#logger.info("Controller for scope '{scope}' removed.", { scope });
    return had;
  }

  /** Binds the sockets and starts serving. Throws (ZmqError) if a bind fails. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error("task server is closed");
    if (this.#router) throw new Error("task server already started");
    const router = new Router({
      ...this.#security,
      linger: 0,
      maxMessageSize: this.#maxMessageSize,
      ...ROLE_HANDSHAKE_LIMITS,
    });
    try {
      await router.bind(this.#bindEndpoint);
      if (this.#eventsBind !== undefined) {
        const publisher = new Publisher({ ...this.#security, linger: 0, ...ROLE_HANDSHAKE_LIMITS });
        this.#publisher = publisher;
        await publisher.bind(this.#eventsBind);
      }
    } catch (error) {
      await router.close();
      await this.#publisher?.close();
      this.#publisher = null;
      throw error;
    }
    this.#router = router;
    this.#logger.info("Task Server listening at '{endpoint}'", { endpoint: router.lastEndpoint });
    if (this.#publisher) {
      this.#logger.info("Publishing task state changes at '{endpoint}'", {
        endpoint: this.#publisher.lastEndpoint,
      });
    }
    this.#serving = this.#serve(router);
  }

  async #serve(router: Router): Promise<void> {
    try {
      for await (const frames of router) {
        const handled = this.#handle(router, frames);
        this.#inFlight.add(handled);
        handled.finally(() => this.#inFlight.delete(handled));
      }
    } catch (error) {
      if (!this.#closed) {
        this.#logger.error("Receive loop stopped: {error}", { error: errorText(error) });
      }
    }
  }

  async #handle(router: Router, frames: Uint8Array[]): Promise<void> {
    // [routingId, ...envelope, "", body] from REQ; [routingId, body] from a bare DEALER.
    const routingId = frames[0];
    const delimiter = frames.findIndex((frame, i) => i > 0 && frame.length === 0);
    const envelope = delimiter > 0 ? frames.slice(1, delimiter + 1) : [];
    const body = delimiter > 0 ? frames.slice(delimiter + 1) : frames.slice(1);
    const reply = await this.#dispatch(body);
    try {
      await router.send([routingId, ...envelope, encodeMessage(reply)]);
    } catch (error) {
      // The client left (or the server is closing); nothing else to tell it.
      this.#logger.debug("Could not send reply: {error}", { error: errorText(error) });
    }
  }

  /** Turns one request body into its reply. Never throws. */
  async #dispatch(body: Uint8Array[]): Promise<ZtlMessage> {
    const reject = (scope: string, id: number, payload: string): ZtlMessage => ({
      scope,
      state: TaskState.REJECTED,
      id,
      payload,
    });
    if (body.length !== 1) {
      this.#logger.warn("Unknown command received ({frames} frames), ignoring.", {
        frames: body.length,
      });
      return reject("", -1, "Unknown protocol");
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(body[0]);
    } catch {
      this.#logger.warn("Unknown command received '{message}', ignoring.", {
        message: excerpt(body[0]),
      });
      return reject("", -1, "Unknown protocol");
    }
    const fields = text.split(";");
    if (fields.length < 4) {
      this.#logger.warn("Unknown command received '{message}', ignoring.", {
        message: excerpt(body[0]),
      });
      return reject("", -1, "Unknown protocol");
    }
    const scope = fields[0];
    const controller = this.#controllers.get(scope);
    if (!controller) {
      this.#logger.warn("No controller for scope '{scope}', ignoring.", { scope });
      return reject(scope, -1, `No controller for scope: ${scope}`);
    }
    let request: ZtlMessage;
    try {
      request = decodeMessage(text);
    } catch (error) {
      if (error instanceof ProtocolError && error.field === "id") {
        return reject(scope, -1, `Invalid ID '${fields[2]}'`);
      }
      return reject(scope, -1, "Invalid request");
    }
    const { state: code, id, payload } = request;
    try {
      switch (code) {
        case RequestCode.INIT: {
          if (this.#shuttingDown) return reject(scope, -1, "Task server is shutting down");
          this.#logger.debug("Initialising task ({payload})...", { payload });
          const { id: ticket, payload: text } = checkInitReply(await controller.init(payload));
          if (ticket > 0) this.#follow(scope, ticket, TaskState.ACCEPTED);
          return {
            scope,
            state: ticket > 0 ? TaskState.ACCEPTED : TaskState.REJECTED,
            id: ticket,
            payload: text,
          };
        }
        case RequestCode.STATUS: {
          this.#logger.debug("Status Task ID '{id}' ({payload})...", { id, payload });
          const reply = checkStateReply(await controller.status(id, payload));
          this.#follow(scope, id, reply.state);
          return { scope, state: reply.state, id, payload: reply.payload };
        }
        case RequestCode.ABORT: {
          this.#logger.info("Aborting Task ID '{id}' ({payload})...", { id, payload });
          const reply = checkStateReply(await controller.abort(id, payload));
          this.#follow(scope, id, reply.state);
          return { scope, state: reply.state, id, payload: reply.payload };
        }
        default:
          return reject(scope, id, "Invalid request");
      }
    } catch (error) {
      this.#logger.error("Controller for scope '{scope}' threw: {error}", {
        scope,
        error: errorText(error),
      });
      return {
        scope,
        state: TaskState.FAILED,
        id,
        payload: `Controller threw exception: ${errorText(error)}`,
      };
    }
  }

  #publish(scope: string, change: { id: number; state: number; payload: string }): void {
    const publisher = this.#publisher;
    if (!publisher || publisher.closed || !isTaskState(change.state)) return;
    const frames = encodeTaskEvent({
      scope,
      id: change.id,
      state: change.state,
      payload: change.payload,
      time: performance.timeOrigin + performance.now(),
    });
    this.#logger.debug("Task {id} on '{scope}' is now {state}", {
      id: change.id,
      scope,
      state: stateName(change.state),
    });
    publisher.send(frames).catch((error) => {
      this.#logger.debug("Could not publish event: {error}", { error: errorText(error) });
    });
  }

  /** Remembers which tasks a client was last told are still running. */
  #follow(scope: string, id: number, state: number): void {
    const key = `${scope};${id}`;
    if (state === TaskState.INITIATED || state === TaskState.ACCEPTED) {
      // Bounded: a client that triggers and never asks again must not grow this forever.
      if (this.#followed.size >= MAX_FOLLOWED) {
        this.#followed.delete(this.#followed.values().next().value!);
      }
      this.#followed.add(key);
    } else if (this.#followed.delete(key) && this.#followed.size === 0) {
      this.#onUnfollowed?.();
    }
  }

  /**
   * Stops gracefully: refuses new tasks, aborts the running ones (their
   * ABORTED state is published on the events channel), then keeps answering
   * STATUS until every client that was following a task has been told how
   * it ended — or `drainMs` has passed — and closes. A polling client
   * therefore sees ABORTED, not a dead connection.
   */
  async shutdown(options: { drainMs?: number } = {}): Promise<void> {
    if (this.#closed || this.#shuttingDown) return this.close();
    this.#shuttingDown = true;
    await this.#closeControllers();
    if (this.#followed.size > 0 && this.#router !== null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#onUnfollowed = resolve;
        timer = setTimeout(resolve, options.drainMs ?? 400);
      });
      clearTimeout(timer);
      this.#onUnfollowed = null;
    }
    // The last replies and events must reach their clients, not be dropped at close.
    await Promise.allSettled([...this.#inFlight]);
    if (this.#router !== null) this.#router.linger = 200;
    if (this.#publisher !== null) this.#publisher.linger = 200;
    await this.close();
  }

  async #closeControllers(): Promise<void> {
    if (this.#controllersClosed) return;
    this.#controllersClosed = true;
    const controllers = [...new Set(this.#controllers.values())];
    await Promise.allSettled(controllers.map((c) => c.close?.()));
  }

  /**
   * Stops serving, closes the sockets and then the registered controllers
   * (aborting their running tasks). Safe to call twice. See
   * {@link TaskServer.shutdown} for a stop that lets clients see ABORTED.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe.values()) off();
    this.#unsubscribe.clear();
    await this.#router?.close();
    await this.#serving;
    await Promise.allSettled([...this.#inFlight]);
    await this.#publisher?.close();
    await this.#closeControllers();
    this.#controllers.clear();
  }
}

function checkInitReply(reply: InitReply): InitReply {
  if (typeof reply !== "object" || reply === null || !Number.isSafeInteger(reply.id)) {
    throw new TypeError("init() must return { id: integer, payload: string }");
  }
  return { id: reply.id, payload: String(reply.payload ?? "") };
}

function checkStateReply(reply: StateReply): StateReply {
  if (typeof reply !== "object" || reply === null || !isTaskState(reply.state)) {
    throw new TypeError("status() and abort() must return { state: 0-5, payload: string }");
  }
  return { state: reply.state, payload: String(reply.payload ?? "") };
}
