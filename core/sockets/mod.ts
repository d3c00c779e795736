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
export { ZedgeError } from "../errors.ts";
export type { FrameData, SocketType } from "../zmtp/mod.ts";
export { ZmqError, type ZmqErrorCode } from "./errors.ts";
export type { SecurityOptions, SocketOptions } from "./options.ts";
export { type SocketEvent, SocketEvents, type SocketEventType } from "./events.ts";
export type { Message, MessageLike } from "./message.ts";
export { type ReadinessOptions, Socket } from "./socket.ts";
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
export { observeNewSockets, type SocketObserver, SocketTraffic } from "./traffic.ts";
