/**
 * Which socket class a {@link SocketManager} makes for a type name, and
 * which directions each type can be polled in.
 *
 * @module
 */
import {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  type RequestOptions,
  Router,
  type RouterOptions,
  type Socket,
  Subscriber,
  XPublisher,
  type XPublisherOptions,
  XSubscriber,
} from "../sockets/mod.ts";

/**
 * The socket class for each type name a manager accepts (in any case): the
 * ZeroMQ names and zedge's class names.
 *
 * @example
 * ```ts
 * import type { SocketsByName } from "./socket_types.ts";
 * type Jobs = SocketsByName["pull"]; // Pull
 * ```
 */
export interface SocketsByName {
  /** REQ. */
  req: Request;
  /** REQ, by its class name. */
  request: Request;
  /** REP. */
  rep: Reply;
  /** REP, by its class name. */
  reply: Reply;
  /** DEALER. */
  dealer: Dealer;
  /** ROUTER. */
  router: Router;
  /** PUB. */
  pub: Publisher;
  /** PUB, by its class name. */
  publisher: Publisher;
  /** SUB. */
  sub: Subscriber;
  /** SUB, by its class name. */
  subscriber: Subscriber;
  /** XPUB. */
  xpub: XPublisher;
  /** XPUB, by its class name. */
  xpublisher: XPublisher;
  /** XSUB. */
  xsub: XSubscriber;
  /** XSUB, by its class name. */
  xsubscriber: XSubscriber;
  /** PUSH. */
  push: Push;
  /** PULL. */
  pull: Pull;
  /** PAIR. */
  pair: Pair;
}

/**
 * A socket class a manager can construct: any of zedge's socket types (or a
 * subclass) taking an options object.
 *
 * @example
 * ```ts
 * import { Pull } from "../sockets/mod.ts";
 * import type { SocketClass } from "./socket_types.ts";
 * const type: SocketClass<Pull> = Pull;
 * ```
 */
export type SocketClass<S extends Socket = Socket> = new (options?: ManagedSocketOptions) => S;

/**
 * A socket type as `create` takes it: a name from {@link SocketsByName} in
 * any case (`"pull"`, `"PULL"`, `"Pull"`) or a socket class.
 *
 * @example
 * ```ts
 * import { Push } from "../sockets/mod.ts";
 * import type { SocketTypeSpec } from "./socket_types.ts";
 * const types: SocketTypeSpec[] = ["pull", "REP", Push];
 * ```
 */
export type SocketTypeSpec = string | SocketClass;

/**
 * The socket a {@link SocketTypeSpec} makes: the class's instances, the
 * named type's class, or any socket for a name only known at run time.
 *
 * @example
 * ```ts
 * import type { SocketFor } from "./socket_types.ts";
 * type Jobs = SocketFor<"PULL">; // Pull
 * ```
 */
export type SocketFor<T extends SocketTypeSpec> = T extends SocketClass<infer S> ? S
  : T extends string ? Lowercase<T> extends keyof SocketsByName ? SocketsByName[Lowercase<T>]
    : Socket
  : Socket;

/**
 * Options a managed socket may be made with: the common socket options and
 * the ones of REQ, ROUTER and XPUB (a socket refuses, naming it, an option
 * its type does not have).
 *
 * @example
 * ```ts
 * import type { ManagedSocketOptions } from "./socket_types.ts";
 * const options: ManagedSocketOptions = { linger: 0, receiveHighWaterMark: 100 };
 * ```
 */
export type ManagedSocketOptions = RequestOptions & RouterOptions & XPublisherOptions;

const CLASSES: Record<keyof SocketsByName, SocketClass> = {
  req: Request,
  request: Request,
  rep: Reply,
  reply: Reply,
  dealer: Dealer,
  router: Router,
  pub: Publisher,
  publisher: Publisher,
  sub: Subscriber,
  subscriber: Subscriber,
  xpub: XPublisher,
  xpublisher: XPublisher,
  xsub: XSubscriber,
  xsubscriber: XSubscriber,
  push: Push,
  pull: Pull,
  pair: Pair,
};

const CLASS_SET = new Set<SocketClass>(Object.values(CLASSES));

/**
 * The class for a socket type given by name (any case) or as a class;
 * throws a TypeError listing the names for anything else.
 *
 * @example
 * ```ts
 * import { resolveSocketClass } from "./socket_types.ts";
 * resolveSocketClass("PULL").name; // "Pull"
 * ```
 */
export function resolveSocketClass(type: SocketTypeSpec): SocketClass {
  if (typeof type === "string") {
    const key = type.toLowerCase();
    if (Object.hasOwn(CLASSES, key)) return CLASSES[key as keyof SocketsByName];
    throw new TypeError(
      `unknown socket type '${type}' (expected one of ${Object.keys(CLASSES).join(", ")})`,
    );
  }
  if (typeof type === "function" && isSocketClass(type)) return type;
  throw new TypeError(`a socket type is a name such as "pull" or a socket class, not ${type}`);
}

/** A zedge socket class, or a class derived from one. */
function isSocketClass(type: SocketClass): boolean {
  for (let proto: unknown = type; proto; proto = Object.getPrototypeOf(proto)) {
    if (CLASS_SET.has(proto as SocketClass)) return true;
  }
  return false;
}

/**
 * A readiness direction: `"in"` (a message to receive) or `"out"` (room to send).
 *
 * @example
 * ```ts
 * import type { Direction } from "./socket_types.ts";
 * const d: Direction = "in";
 * ```
 */
export type Direction = "in" | "out";

const RECEIVE_ONLY = new Set(["PULL", "SUB"]);
const SEND_ONLY = new Set(["PUSH", "PUB"]);

/**
 * The directions a socket of ZMTP type `type` can be ready in: PULL and SUB
 * only receive, PUSH and PUB only send, the others do both.
 *
 * @example
 * ```ts
 * import { directionsOf } from "./socket_types.ts";
 * directionsOf("PULL"); // ["in"]
 * directionsOf("DEALER"); // ["in", "out"]
 * ```
 */
export function directionsOf(type: string): readonly Direction[] {
  if (RECEIVE_ONLY.has(type)) return ["in"];
  if (SEND_ONLY.has(type)) return ["out"];
  return ["in", "out"];
}
