/**
 * The one receive loop every pipeline and service role runs on its
 * sockets: read a message, unpack and decode it, drop (log and count)
 * anything malformed or of a kind this endpoint does not take, hand the
 * rest to the role. A handler that returns a promise is awaited before the
 * next message is read, which is how the collector applies back-pressure
 * while `onResult` runs. The loop ends when the socket closes; an error on
 * a socket that is still open goes to `onError`.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { Router } from "../sockets/mod.ts";
 * import { DropCounter, serveRouter } from "./serve.ts";
 * const router = new Router();
 * await router.bind("tcp://127.0.0.1:0");
 * const drops = new DropCounter();
 * serveRouter(router, {
 *   log: getLogger(["zedge", "pipeline"]),
 *   from: "a worker",
 *   accepts: ["heartbeat"],
 *   drops,
 *   onMessage: (_message, peer) => router.send([peer, "pong"]).catch(() => {}),
 * });
 * await router.close();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Dealer, Router } from "../sockets/mod.ts";
import type { PipelineMessage } from "./codec.ts";
import { fromDealer, fromRouter } from "./link.ts";

/**
 * Counts the messages a role dropped as malformed or unexpected, over all
 * its sockets.
 *
 * @example
 * ```ts
 * import { DropCounter } from "./serve.ts";
 * const drops = new DropCounter();
 * drops.count++;
 * ```
 */
export class DropCounter {
  /** Messages dropped so far. */
  count = 0;
}

/**
 * A message kind, for the `accepts` list.
 *
 * @example
 * ```ts
 * import type { Kind } from "./serve.ts";
 * const accepts: Kind[] = ["ready", "credit"];
 * ```
 */
export type Kind = PipelineMessage["kind"];

/**
 * The message type of the kinds in `K`.
 *
 * @example
 * ```ts
 * import type { MessageOf } from "./serve.ts";
 * const ack: MessageOf<"ack"> = { kind: "ack", ids: ["a:0"] };
 * ```
 */
export type MessageOf<K extends Kind> = Extract<PipelineMessage, { kind: K }>;

/**
 * What {@link serveRouter} and {@link serveDealer} need.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import type { ServeOptions } from "./serve.ts";
 * const options: ServeOptions<"ack", []> = {
 *   log: getLogger(["zedge"]),
 *   from: "the collector",
 *   accepts: ["ack"],
 *   onMessage: (m) => console.log(m.ids),
 * };
 * ```
 */
export interface ServeOptions<K extends Kind, Extra extends unknown[]> {
  /** Where drops and errors are logged. */
  log: Logger;
  /** Who sends on this socket, for log lines ("a worker", "the broker"). */
  from: string;
  /** The kinds this endpoint takes; any other is logged and dropped. */
  accepts: readonly K[];
  /** Counts drops; share one between a role's sockets. */
  drops?: DropCounter;
  /** Handles one message; a returned promise is awaited before the next is read. */
  onMessage(message: MessageOf<K>, ...extra: Extra): void | Promise<void>;
  /** The socket failed while open (default: logged as an error). */
  onError?(error: Error): void;
}

async function serve<K extends Kind, Extra extends unknown[]>(
  socket: Router | Dealer,
  options: ServeOptions<K, Extra>,
  unpack: (frames: Uint8Array[]) => { message: PipelineMessage; extra: Extra } | null,
): Promise<void> {
  const { log, from, accepts, drops, onMessage } = options;
  const accepted = new Set<Kind>(accepts);
  try {
    for await (const frames of socket) {
      const got = unpack(frames);
      if (got === null) {
        if (drops !== undefined) drops.count++;
        continue;
      }
      if (!accepted.has(got.message.kind)) {
        if (drops !== undefined) drops.count++;
        log.warn("dropped unexpected {kind} message from {from}", {
          kind: got.message.kind,
          from,
        });
        continue;
      }
      const pending = onMessage(got.message as MessageOf<K>, ...got.extra);
      if (pending !== undefined) await pending;
    }
  } catch (error) {
    if (socket.closed) return;
    if (options.onError !== undefined) options.onError(error as Error);
    else log.error("stopped receiving from {from}: {error}", { from, error });
  }
}

/**
 * Serves a Router: each message is `[routing id, body]`, and the handler
 * gets the decoded body with the sender's routing id and its map key.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { Router } from "../sockets/mod.ts";
 * import { serveRouter } from "./serve.ts";
 * const router = new Router();
 * serveRouter(router, {
 *   log: getLogger(["zedge"]),
 *   from: "a client",
 *   accepts: ["svc-request"],
 *   onMessage: (m, _peer, key) => console.log(key, m.service),
 * });
 * await router.close();
 * ```
 */
export function serveRouter<K extends Kind>(
  router: Router,
  options: ServeOptions<K, [peer: Uint8Array, key: string]>,
): Promise<void> {
  return serve(router, options, (frames) => {
    const got = fromRouter(frames, options.log);
    return got === null ? null : { message: got.message, extra: [got.peer, got.key] };
  });
}

/**
 * Serves a Dealer connected to one role: each message is one body frame.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { Dealer } from "../sockets/mod.ts";
 * import { serveDealer } from "./serve.ts";
 * const dealer = new Dealer();
 * serveDealer(dealer, {
 *   log: getLogger(["zedge"]),
 *   from: "the distributor",
 *   accepts: ["work", "end"],
 *   onMessage: (m) => console.log(m.kind),
 * });
 * await dealer.close();
 * ```
 */
export function serveDealer<K extends Kind>(
  dealer: Dealer,
  options: ServeOptions<K, []>,
): Promise<void> {
  return serve(dealer, options, (frames) => {
    const message = fromDealer(frames, options.log);
    return message === null ? null : { message, extra: [] };
  });
}
