/**
 * ZTL's object channel, without pickle. ZTL's `ObjectPublisher` binds a PUB
 * socket on `tcp://*:PORT` and sends each object as two frames, the scope
 * (the topic) and the object; its `ObjectSubscriber` connects, subscribes to
 * the scope and decodes. {@link ObjectPublisher} and
 * {@link ObjectSubscriber} keep that layout and encode the object as JSON
 * (the default: any language reads it) or msgpack (smaller, binary-safe).
 *
 * Pickle, ZTL's encoding, is refused, and a pickled message is dropped with
 * a {@link PickleRefusedError}: a pickle is a small program for Python's
 * unpickler, which may call any function it names (`os.system` included),
 * so whoever can publish on the port could run code on every subscriber.
 * A Python peer sends `json.dumps(obj)` or `msgpack.packb(obj)` instead.
 *
 * @example
 * ```ts
 * import { ObjectPublisher, ObjectSubscriber } from "./objects.ts";
 * const publisher = new ObjectPublisher({ endpoint: "tcp://127.0.0.1:0", scope: "/odom" });
 * await publisher.start();
 * const subscriber = new ObjectSubscriber({ endpoint: publisher.endpoint!, scope: "/odom" });
 * // Subscriptions take a moment to reach the publisher (PUB/SUB's slow joiner).
 * const timer = setInterval(() => publisher.publish({ x: 1.5 }), 50);
 * const { data } = await subscriber.receive();
 * clearInterval(timer);
 * subscriber.close();
 * publisher.close();
 * ```
 * @module
 */
import { ZedgeError } from "../errors.ts";
import { getLogger } from "@logtape/logtape";
import { decodeMsgpack, encodeMsgpack } from "../msgpack.ts";
import { Publisher, Subscriber } from "../sockets/mod.ts";
import { formatTcpEndpoint } from "../transport/endpoint.ts";

/**
 * How an object travels: JSON text, or msgpack.
 *
 * @example
 * ```ts
 * import { OBJECT_ENCODINGS } from "./objects.ts";
 * console.log(OBJECT_ENCODINGS); // ["json", "msgpack"]
 * ```
 */
export const OBJECT_ENCODINGS = ["json", "msgpack"] as const;

/**
 * One of {@link OBJECT_ENCODINGS}.
 *
 * @example
 * ```ts
 * import type { ObjectEncoding } from "./objects.ts";
 * const encoding: ObjectEncoding = "msgpack";
 * ```
 */
export type ObjectEncoding = typeof OBJECT_ENCODINGS[number];

/**
 * Why zedge never unpickles, in the words every refusal uses.
 *
 * @example
 * ```ts
 * import { PICKLE_REFUSAL } from "./objects.ts";
 * console.error(PICKLE_REFUSAL);
 * ```
 */
export const PICKLE_REFUSAL: string =
  "pickle is refused: unpickling runs code (a pickle may call any Python function), " +
  "so anyone able to publish could run code here; publish JSON or msgpack instead";

/**
 * A pickled message (or a request for the pickle encoding), refused: see
 * {@link PICKLE_REFUSAL}.
 *
 * @example
 * ```ts
 * import { PickleRefusedError } from "./objects.ts";
 * console.log(new PickleRefusedError().message);
 * ```
 */
export class PickleRefusedError extends ZedgeError {
  /** Always `"pickle-refused"`. */
  readonly code: string = "pickle-refused";
  /** Creates the refusal; the message says why. */
  constructor() {
    super(PICKLE_REFUSAL);
    this.name = "PickleRefusedError";
  }
}

/**
 * Checks an encoding name given by a user; `pickle` gets the reason it is
 * refused, anything else the list of encodings.
 *
 * @example
 * ```ts
 * import { parseObjectEncoding } from "./objects.ts";
 * parseObjectEncoding("msgpack"); // "msgpack"
 * ```
 */
export function parseObjectEncoding(name: string): ObjectEncoding {
  if (name === "pickle") throw new PickleRefusedError();
  if (!(OBJECT_ENCODINGS as readonly string[]).includes(name)) {
    throw new Error(`encoding must be ${OBJECT_ENCODINGS.join(" or ")}, got '${name}'`);
  }
  return name as ObjectEncoding;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes an object for the channel.
 *
 * @example
 * ```ts
 * import { encodeObject } from "./objects.ts";
 * encodeObject({ a: 1 }, "json"); // the bytes of {"a":1}
 * ```
 */
export function encodeObject(data: unknown, encoding: ObjectEncoding): Uint8Array {
  return encoding === "json" ? encoder.encode(JSON.stringify(data)) : encodeMsgpack(data);
}

/**
 * Whether `bytes` is a pickle of protocol 2 or later (what ZTL's
 * `pickle.dumps` sends): the PROTO opcode 0x80 and the protocol number.
 */
function isPickle(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/**
 * Decodes an object from the channel; throws {@link PickleRefusedError} for
 * a pickle, and an error naming the encoding for anything else malformed.
 *
 * @example
 * ```ts
 * import { decodeObject, encodeObject } from "./objects.ts";
 * decodeObject(encodeObject([1, "two"], "msgpack"), "msgpack"); // [1, "two"]
 * ```
 */
export function decodeObject(bytes: Uint8Array, encoding: ObjectEncoding): unknown {
  if (isPickle(bytes)) throw new PickleRefusedError();
  try {
    return encoding === "json" ? JSON.parse(decoder.decode(bytes)) : decodeMsgpack(bytes);
  } catch (error) {
    throw new Error(
      `not a ${encoding} object: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/**
 * Options of an {@link ObjectPublisher}: `port` for ZTL's `tcp://*:PORT`, or
 * any `endpoint`.
 *
 * @example
 * ```ts
 * import type { ObjectPublisherOptions } from "./objects.ts";
 * const options: ObjectPublisherOptions = { port: 7790, scope: "/odom", encoding: "msgpack" };
 * ```
 */
export interface ObjectPublisherOptions {
  /** Port of ZTL's `tcp://*:PORT`. */
  port?: number;
  /** Endpoint to bind instead (`tcp://127.0.0.1:0` picks a free port). */
  endpoint?: string;
  /** The scope every object is published under (the first frame). */
  scope: string;
  /** Default `json`. */
  encoding?: ObjectEncoding;
}

/**
 * ZTL's `ObjectPublisher`: publishes objects under one scope.
 *
 * @example
 * ```ts
 * import { ObjectPublisher } from "./objects.ts";
 * const publisher = new ObjectPublisher({ port: 7790, scope: "/odom" });
 * await publisher.start();
 * await publisher.publish({ x: 1, y: 2 });
 * publisher.close();
 * ```
 */
export class ObjectPublisher {
  /** The scope objects are published under. */
  readonly scope: string;
  /** How objects are encoded. */
  readonly encoding: ObjectEncoding;
  readonly #bind: string;
  readonly #socket = new Publisher();

  /** Creates the publisher; {@link start} binds it. */
  constructor(options: ObjectPublisherOptions) {
    if (options.endpoint === undefined && options.port === undefined) {
      throw new Error("an ObjectPublisher needs a port or an endpoint");
    }
    this.#bind = options.endpoint ?? `tcp://*:${options.port}`;
    this.scope = options.scope;
    this.encoding = options.encoding ?? "json";
  }

  /** The bound endpoint (with the port picked), once started. */
  get endpoint(): string | null {
    return this.#socket.lastEndpoint;
  }

  /** Binds the PUB socket. */
  async start(): Promise<void> {
    await this.#socket.bind(this.#bind);
  }

  /** Publishes `data` to every subscriber of the scope (none: it is dropped, as PUB does). */
  async publish(data: unknown): Promise<void> {
    await this.#socket.send([this.scope, encodeObject(data, this.encoding)]);
  }

  /** Closes the socket. */
  close(): void {
    this.#socket.close();
  }
}

/**
 * Options of an {@link ObjectSubscriber}: ZTL's `host` and `port`, or any
 * `endpoint`.
 *
 * @example
 * ```ts
 * import type { ObjectSubscriberOptions } from "./objects.ts";
 * const options: ObjectSubscriberOptions = { host: "robot", port: 7790, scope: "/odom" };
 * ```
 */
export interface ObjectSubscriberOptions {
  /** The publisher's host. */
  host?: string;
  /** The publisher's port. */
  port?: number;
  /** Endpoint to connect to instead. */
  endpoint?: string;
  /** The scope to subscribe to (a prefix, as ZeroMQ subscriptions are). */
  scope: string;
  /** Default `json`. */
  encoding?: ObjectEncoding;
  /**
   * Called for a message that cannot be decoded (a pickle among them), which
   * is dropped; by default it is logged as a warning.
   */
  onInvalid?: (error: Error, scope: string) => void;
}

/**
 * One object received: the scope it came under and the decoded data.
 *
 * @example
 * ```ts
 * import type { ReceivedObject } from "./objects.ts";
 * const show = (o: ReceivedObject) => `${o.scope}: ${JSON.stringify(o.data)}`;
 * ```
 */
export interface ReceivedObject {
  /** The first frame: the publisher's scope. */
  scope: string;
  /** The decoded object. */
  data: unknown;
}

/**
 * ZTL's `ObjectSubscriber`: receives the objects published under a scope.
 *
 * @example
 * ```ts
 * import { ObjectSubscriber } from "./objects.ts";
 * const subscriber = new ObjectSubscriber({ host: "robot", port: 7790, scope: "/odom" });
 * // for await (const { data } of subscriber) console.log(data);
 * subscriber.close();
 * ```
 */
export class ObjectSubscriber implements AsyncIterable<ReceivedObject> {
  /** The scope subscribed to. */
  readonly scope: string;
  /** How objects are decoded. */
  readonly encoding: ObjectEncoding;
  /** The endpoint connected to. */
  readonly endpoint: string;
  readonly #socket = new Subscriber();
  readonly #onInvalid: (error: Error, scope: string) => void;
  readonly #text = new TextDecoder();

  /** Connects and subscribes (the connection is made in the background, as ZeroMQ does). */
  constructor(options: ObjectSubscriberOptions) {
    if (options.endpoint === undefined && options.port === undefined) {
      throw new Error("an ObjectSubscriber needs a host and port, or an endpoint");
    }
    this.endpoint = options.endpoint ??
      formatTcpEndpoint(options.host ?? "localhost", options.port!);
    this.scope = options.scope;
    this.encoding = options.encoding ?? "json";
    const logger = getLogger(["zedge", "tasks", "objects"]);
    this.#onInvalid = options.onInvalid ??
      ((error, scope) =>
        logger.warn("Dropped a message under '{scope}': {reason}", {
          scope,
          reason: error.message,
        }));
    this.#socket.connect(this.endpoint);
    this.#socket.subscribe(this.scope);
  }

  /** The next object that decodes; messages that do not are dropped (see `onInvalid`). */
  async receive(): Promise<ReceivedObject> {
    while (true) {
      const [scope, body] = await this.#socket.receive();
      const topic = this.#text.decode(scope);
      try {
        if (body === undefined) throw new Error("a message needs two frames: scope and object");
        return { scope: topic, data: decodeObject(body, this.encoding) };
      } catch (error) {
        this.#onInvalid(error instanceof Error ? error : new Error(String(error)), topic);
      }
    }
  }

  /** Receives objects until the subscriber is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedObject> {
    while (true) {
      try {
        yield await this.receive();
      } catch (error) {
        if (this.#socket.closed) return;
        throw error;
      }
    }
  }

  /** Closes the socket. */
  close(): void {
    this.#socket.close();
  }
}
