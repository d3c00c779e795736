/**
 * Sides played by zedge's own sockets (mod.ts), for the interop table.
 *
 * @module
 */
import {
  Authenticator,
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  type Socket,
  Subscriber,
  XPublisher,
  XSubscriber,
  ZmqError,
} from "../../mod.ts";
import { describe, type FrameDescription } from "./frames.ts";
import type { SocketType } from "./libzmq_peer.ts";
import type { SendOptions, Side, SideFactory, SocketSpec } from "./sides.ts";

const SEND_TIMEOUT_MS = 10_000;

/**
 * A new zedge socket of the spec's type and options. Linger is 0: a case
 * has received everything it asserts before it closes.
 *
 * @example
 * ```ts
 * import { createZedgeSocket } from "./zedge_side.ts";
 * const router = createZedgeSocket({ type: "ROUTER", routingId: "r1", mandatory: true });
 * await router.close();
 * ```
 */
export function createZedgeSocket(spec: SocketSpec): Socket {
  const { allowPlain: _users, allowCurve: _keys, ...security } = spec.security ?? {};
  const options = {
    linger: 0,
    ...(spec.routingId === undefined ? {} : { routingId: spec.routingId }),
    ...security,
  };
  const make: Record<SocketType, () => Socket> = {
    REQ: () => new Request(options),
    REP: () => new Reply(options),
    DEALER: () => new Dealer(options),
    ROUTER: () => new Router({ ...options, mandatory: spec.mandatory ?? false }),
    PUB: () => new Publisher(options),
    SUB: () => new Subscriber(options),
    XPUB: () => new XPublisher(options),
    XSUB: () => new XSubscriber(options),
    PUSH: () => new Push(options),
    PULL: () => new Pull(options),
    PAIR: () => new Pair(options),
  };
  return make[spec.type]();
}

/** True for a ZmqError with the given code. */
function isZmqError(error: unknown, code: string): boolean {
  return error instanceof ZmqError && error.code === code;
}

/**
 * A side played by a zedge socket.
 *
 * @example
 * ```ts
 * import { createZedgeSocket, ZedgeSide } from "./zedge_side.ts";
 * const spec = { type: "SUB" } as const;
 * const side = new ZedgeSide(createZedgeSocket(spec), spec);
 * await side.close();
 * ```
 */
export class ZedgeSide implements Side {
  readonly name: string;
  readonly spec: SocketSpec;
  readonly socket: Socket;
  readonly #authenticator: Authenticator | null;

  constructor(socket: Socket, spec: SocketSpec, authenticator: Authenticator | null = null) {
    this.socket = socket;
    this.spec = spec;
    this.name = `zedge ${spec.type}`;
    this.#authenticator = authenticator;
  }

  async send(frames: Uint8Array[], options: SendOptions = {}): Promise<void> {
    const deadline = Date.now() + SEND_TIMEOUT_MS;
    for (;;) {
      this.socket.sendTimeout = Math.max(0, deadline - Date.now());
      try {
        await this.socket.send(frames);
        return;
      } catch (error) {
        if (isZmqError(error, "EAGAIN")) {
          throw new Error(`${this.name} could not send within ${SEND_TIMEOUT_MS} ms`);
        }
        if (!(options.retry && isZmqError(error, "EHOSTUNREACH")) || Date.now() >= deadline) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }

  async receive(timeoutMs: number): Promise<FrameDescription[] | null> {
    this.socket.receiveTimeout = timeoutMs;
    try {
      return await describe(await this.socket.receive());
    } catch (error) {
      if (isZmqError(error, "EAGAIN")) return null;
      throw error;
    }
  }

  async subscribe(prefix: Uint8Array): Promise<void> {
    await this.#subscription(prefix, true);
  }

  async unsubscribe(prefix: Uint8Array): Promise<void> {
    await this.#subscription(prefix, false);
  }

  async #subscription(prefix: Uint8Array, on: boolean): Promise<void> {
    if (this.socket instanceof XSubscriber) {
      // XSUB subscribes the libzmq way: by sending 0x01/0x00 + prefix.
      await this.send([new Uint8Array([on ? 1 : 0, ...prefix])]);
    } else if (this.socket instanceof Subscriber) {
      if (on) this.socket.subscribe(prefix);
      else this.socket.unsubscribe(prefix);
    } else {
      throw new Error(`${this.name} cannot subscribe`);
    }
  }

  async close(): Promise<void> {
    await this.socket.close();
    await this.#authenticator?.close();
  }
}

/** The ZAP handler a security spec asks for (null when it names no one to let in). */
async function startAuthenticator(spec: SocketSpec): Promise<Authenticator | null> {
  const { allowPlain, allowCurve } = spec.security ?? {};
  if (allowPlain === undefined && allowCurve === undefined) return null;
  const users = Object.fromEntries((allowPlain ?? []).map((entry) => entry.split("=", 2)));
  const authenticator = new Authenticator({
    plain: { users },
    curve: { allow: allowCurve ?? [] },
  });
  await authenticator.start();
  return authenticator;
}

/**
 * Sides played by zedge sockets.
 *
 * @example
 * ```ts
 * import { zedgeSides } from "./zedge_side.ts";
 * const { side, endpoint } = await zedgeSides.open({ type: "PULL" }, { bind: "tcp://127.0.0.1:0" });
 * console.log(endpoint); // tcp://127.0.0.1:<port>
 * await side.close();
 * ```
 */
export const zedgeSides: SideFactory = {
  label: "zedge",
  async open(spec, attach) {
    const authenticator = await startAuthenticator(spec);
    const socket = createZedgeSocket(spec);
    try {
      if ("bind" in attach) {
        await socket.bind(attach.bind);
        return {
          side: new ZedgeSide(socket, spec, authenticator),
          endpoint: socket.lastEndpoint!,
        };
      }
      socket.connect(attach.connect);
      return { side: new ZedgeSide(socket, spec, authenticator), endpoint: attach.connect };
    } catch (error) {
      await socket.close();
      await authenticator?.close();
      throw error;
    }
  },
};
