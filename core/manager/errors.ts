/**
 * The typed errors a {@link SocketManager} raises (AgentZero's names), each
 * with that `name`, the socket's name and, for bind and connect, the
 * endpoint; the engine's own error, when there is one, is the `cause`.
 *
 * @module
 */
import { ZedgeError } from "../errors.ts";

/**
 * Base class of every error a socket manager raises.
 *
 * @example
 * ```ts
 * import { SocketManager, SocketManagerError } from "../../mod.ts";
 * const sockets = new SocketManager();
 * try {
 *   sockets.get("nope");
 * } catch (error) {
 *   if (error instanceof SocketManagerError) console.log(error.name, error.socketName);
 * }
 * ```
 */
export class SocketManagerError extends ZedgeError {
  /** Always `"socket-manager"`. */
  readonly code: string = "socket-manager";
  /** The name of the socket the call was about. */
  readonly socketName: string;
  /** Creates the error for the socket named `socketName`. */
  constructor(socketName: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SocketManagerError";
    this.socketName = socketName;
  }
}

/**
 * `create` was asked for a name that is taken (or `getOrCreate` found that
 * name holding a socket of another type).
 *
 * @example
 * ```ts
 * import { SocketAlreadyExists, SocketManager } from "../../mod.ts";
 * const sockets = new SocketManager();
 * sockets.create("jobs", "pull");
 * try {
 *   sockets.create("jobs", "pull");
 * } catch (error) {
 *   console.log(error instanceof SocketAlreadyExists); // true
 * }
 * await sockets.closeAll();
 * ```
 */
export class SocketAlreadyExists extends SocketManagerError {
  /** Always `"socket-already-exists"`. */
  override readonly code: string = "socket-already-exists";
  /** Creates the error; `message` says which socket and, when known, its type. */
  constructor(socketName: string, message: string) {
    super(socketName, message);
    this.name = "SocketAlreadyExists";
  }
}

/**
 * No socket has that name.
 *
 * @example
 * ```ts
 * import { SocketManager, SocketNotFound } from "../../mod.ts";
 * const sockets = new SocketManager();
 * try {
 *   sockets.get("jobs");
 * } catch (error) {
 *   console.log(error instanceof SocketNotFound); // true
 * }
 * ```
 */
export class SocketNotFound extends SocketManagerError {
  /** Always `"socket-not-found"`. */
  override readonly code: string = "socket-not-found";
  /** Creates the error; `message` lists the names that do exist. */
  constructor(socketName: string, message: string) {
    super(socketName, message);
    this.name = "SocketNotFound";
  }
}

/**
 * A bind failed: the endpoint does not parse, is in use, or is not permitted.
 *
 * @example
 * ```ts
 * import { SocketBindError, SocketManager } from "../../mod.ts";
 * const sockets = new SocketManager();
 * try {
 *   await sockets.ensureAndBind("jobs", "pull", "udp://nowhere");
 * } catch (error) {
 *   if (error instanceof SocketBindError) console.log(error.endpoint, error.cause);
 * }
 * ```
 */
export class SocketBindError extends SocketManagerError {
  /** Always `"socket-bind"`. */
  override readonly code: string = "socket-bind";
  /** The endpoint that could not be bound. */
  readonly endpoint: string;
  /** Creates the error for `endpoint`; `cause` is the engine's error, if any. */
  constructor(socketName: string, endpoint: string, message: string, options?: ErrorOptions) {
    super(socketName, message, options);
    this.name = "SocketBindError";
    this.endpoint = endpoint;
  }
}

/**
 * A connect was refused before it started: the endpoint does not parse, is
 * a wildcard, or is connected already. (A peer that is not up yet is no
 * error: the socket keeps dialling in the background.)
 *
 * @example
 * ```ts
 * import { SocketConnectError, SocketManager } from "../../mod.ts";
 * const sockets = new SocketManager();
 * try {
 *   sockets.ensureAndConnect("jobs", "push", "tcp://*:5555");
 * } catch (error) {
 *   if (error instanceof SocketConnectError) console.log(error.endpoint);
 * }
 * await sockets.closeAll();
 * ```
 */
export class SocketConnectError extends SocketManagerError {
  /** Always `"socket-connect"`. */
  override readonly code: string = "socket-connect";
  /** The endpoint that could not be connected to. */
  readonly endpoint: string;
  /** Creates the error for `endpoint`; `cause` is the engine's error, if any. */
  constructor(socketName: string, endpoint: string, message: string, options?: ErrorOptions) {
    super(socketName, message, options);
    this.name = "SocketConnectError";
    this.endpoint = endpoint;
  }
}

/**
 * A received message could not be decoded by the manager's serializer (or
 * was not shaped as the call expects, such as an event without a data
 * frame). The message is consumed; the next receive carries on.
 *
 * @example
 * ```ts
 * import { SocketDecodeError, SocketManager } from "../../mod.ts";
 * const sockets = new SocketManager({ serializer: "json" });
 * await sockets.ensureAndBind("jobs", "pull", "tcp://127.0.0.1:0");
 * try {
 *   await sockets.receiveSafe("jobs", { timeoutMs: 100 }); // a peer sent "{oops"
 * } catch (error) {
 *   if (error instanceof SocketDecodeError) console.log(error.message); // names the socket and why
 * }
 * await sockets.closeAll();
 * ```
 */
export class SocketDecodeError extends SocketManagerError {
  /** Always `"socket-decode"`. */
  override readonly code: string = "socket-decode";
  /** Creates the error; `cause` is the serializer's error, if any. */
  constructor(socketName: string, message: string, options?: ErrorOptions) {
    super(socketName, message, options);
    this.name = "SocketDecodeError";
  }
}
