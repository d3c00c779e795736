/**
 * ZeroMQ socket types over zedge's own ZMTP engine, shaped like zeromq.js v6.
 *
 * @example
 * ```ts
 * import { Pull, Push } from "./mod.ts";
 * const pull = new Pull();
 * await pull.bind("tcp://127.0.0.1:0");
 * const push = new Push();
 * push.connect(pull.lastEndpoint!);
 * await push.send("hello");
 * console.log(await pull.receive());
 * push.close(); pull.close();
 * ```
 * @module
 */
export { ZmqError, type ZmqErrorCode } from "./errors.ts";
export type { SocketOptions } from "./options.ts";
export { type SocketEvent, SocketEvents, type SocketEventType } from "./events.ts";
export { type Message, type MessageLike, Socket } from "./socket.ts";
export { Connection, type ConnectionOwner, type ConnectionSettings } from "./connection.ts";
export { Notifier, type WaitResult } from "./notifier.ts";
export { Deque } from "./deque.ts";
export { Request, type RequestOptions } from "./request.ts";
export { Reply } from "./reply.ts";
export { Dealer } from "./dealer.ts";
export { Router, type RouterOptions } from "./router.ts";
export { Publisher } from "./publisher.ts";
export { Subscriber } from "./subscriber.ts";
export { XPublisher, type XPublisherOptions } from "./xpublisher.ts";
export { XSubscriber } from "./xsubscriber.ts";
export { Push } from "./push.ts";
export { Pull } from "./pull.ts";
export { Pair } from "./pair.ts";
export { proxy } from "./proxy.ts";
