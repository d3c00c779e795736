/**
 * The socket manager (AgentZero's model): named sockets, readiness across
 * them, serializers, safe sends and receives, and events by topic.
 *
 * @example
 * ```ts
 * import { SocketManager } from "./mod.ts";
 * const sockets = new SocketManager({ serializer: "msgpack" });
 * await sockets.ensureAndBind("events", "pub", "tcp://127.0.0.1:0");
 * await sockets.publishSafe("events", "odom", { x: 1.5 });
 * await sockets.closeAll();
 * ```
 * @module
 */
export { ZedgeError } from "../errors.ts";
export {
  SocketAlreadyExists,
  SocketBindError,
  SocketConnectError,
  SocketDecodeError,
  SocketManagerError,
  SocketNotFound,
} from "./errors.ts";
export { Event } from "./event.ts";
export type { PollResult } from "./poll.ts";
export {
  type ManagerWaitOptions,
  type PollOptions,
  type SendSafeOptions,
  SocketManager,
  type SocketManagerOptions,
  type SubscribeOptions,
} from "./manager.ts";
export {
  JSON_SERIALIZER,
  MSGPACK_SERIALIZER,
  RAW_SERIALIZER,
  type Serializer,
  type SerializerName,
} from "./serializers.ts";
export type {
  Direction,
  ManagedSocketOptions,
  SocketClass,
  SocketFor,
  SocketsByName,
  SocketTypeSpec,
} from "./socket_types.ts";
// Types this entry's own API names, from the layers below: a reader of this entry alone finds them.
export type {
  Dealer,
  FrameData,
  Message,
  MessageLike,
  Pair,
  Publisher,
  Pull,
  Push,
  ReadinessOptions,
  Reply,
  Request,
  RequestOptions,
  Router,
  RouterOptions,
  Socket,
  SocketEvent,
  SocketEvents,
  SocketEventType,
  SocketOptions,
  SocketTraffic,
  SocketType,
  Subscriber,
  XPublisher,
  XPublisherOptions,
  XSubscriber,
} from "../sockets/mod.ts";
