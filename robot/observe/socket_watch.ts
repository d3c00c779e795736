/**
 * Watches every socket made in this isolate — in a robot, one component's
 * Worker — and samples their counters as {@link SocketFigures}. Sockets of
 * one type on the same endpoints are reported as one (a node opens a SUB
 * per `subscribe()` loop), and a closed socket's counts stay in its group,
 * so every counter only grows while the component runs.
 *
 * What a socket counts itself (messages, bytes) is read from its
 * `traffic`; connections and handshake failures come from its monitor
 * events, which fire per connection, never per message.
 *
 * @example
 * ```ts
 * import { SocketWatch } from "./socket_watch.ts";
 * import { Publisher } from "../../core/sockets/mod.ts";
 * const watch = new SocketWatch();
 * const pub = new Publisher();
 * await pub.bind("inproc://socket-watch-example");
 * console.log(watch.sample()); // [{ type: "PUB", endpoint: "inproc://socket-watch-example", … }]
 * await pub.close();
 * watch.close();
 * ```
 * @module
 */
import { clipText, MAX_LABEL_CHARS } from "../protocol.ts";
import { observeNewSockets, Publisher, type Socket } from "../../core/sockets/mod.ts";
import type { SocketFigures } from "./figures.ts";

/** Groups of closed sockets remembered at most (the oldest are forgotten first). */
const MAX_RETIRED_GROUPS = 256;
/** Endpoints named in a group's label at most; more are counted ("+3"). */
const MAX_NAMED_ENDPOINTS = 3;

/** One socket under watch: what its events told. */
interface Watched {
  socket: Socket;
  binds: Set<string>;
  connects: Set<string>;
  connections: number;
  handshakeFailures: number;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { SocketWatch } from "./socket_watch.ts";
 * const watch = new SocketWatch();
 * // … the component makes and uses sockets …
 * const figures = watch.sample();
 * watch.close();
 * ```
 */
export class SocketWatch {
  readonly #live = new Set<Watched>();
  readonly #retired = new Map<string, SocketFigures>();
  readonly #stop: () => void;

  /** Starts watching the sockets made from now on. */
  constructor() {
    this.#stop = observeNewSockets((socket) => this.#watch(socket));
  }

  #watch(socket: Socket): void {
    const watched: Watched = {
      socket,
      binds: new Set(),
      connects: new Set(),
      connections: 0,
      handshakeFailures: 0,
    };
    this.#live.add(watched);
    socket.events.on("*", (event) => {
      switch (event.type) {
        case "bind":
          watched.binds.add(event.address);
          return;
        case "unbind":
          watched.binds.delete(event.address);
          return;
        case "connect":
        case "connect:retry": // dialled and not there yet: still where it is trying to go
          watched.connects.add(event.address);
          return;
        case "handshake":
          watched.connections++;
          return;
        case "disconnect":
          watched.connections--;
          return;
        case "handshake:error":
          watched.handshakeFailures++;
          return;
        case "close":
          this.#retire(watched);
          return;
      }
    });
  }

  /** A closed socket's counts join its group's retired totals. */
  #retire(watched: Watched): void {
    if (!this.#live.delete(watched)) return;
    const figures = figuresOf(watched);
    figures.connections = 0;
    const key = groupKey(figures);
    const before = this.#retired.get(key);
    this.#retired.delete(key); // re-inserted last: the most recently used group is kept longest
    this.#retired.set(key, before === undefined ? figures : add(before, figures));
    while (this.#retired.size > MAX_RETIRED_GROUPS) {
      this.#retired.delete(this.#retired.keys().next().value!);
    }
  }

  /** How many sockets made since the watch started are still open. */
  get open(): number {
    return this.#live.size;
  }

  /** Every group's figures now: live sockets plus the closed ones of the same group. */
  sample(): SocketFigures[] {
    const groups = new Map<string, SocketFigures>();
    for (const [key, figures] of this.#retired) groups.set(key, { ...figures });
    for (const watched of this.#live) {
      const figures = figuresOf(watched);
      const key = groupKey(figures);
      const group = groups.get(key);
      groups.set(key, group === undefined ? figures : add(group, figures));
    }
    return [...groups.values()];
  }

  /** Stops watching new sockets. */
  close(): void {
    this.#stop();
  }
}

function groupKey(figures: SocketFigures): string {
  return `${figures.type} ${figures.endpoint}`;
}

function endpointLabel(watched: Watched): string {
  const endpoints = [...(watched.binds.size > 0 ? watched.binds : watched.connects)].sort();
  const named = endpoints.slice(0, MAX_NAMED_ENDPOINTS).join(",");
  const more = endpoints.length - MAX_NAMED_ENDPOINTS;
  // Within what the supervisor takes in figures (inproc names can be long).
  return clipText(more > 0 ? `${named} +${more}` : named, MAX_LABEL_CHARS);
}

function figuresOf(watched: Watched): SocketFigures {
  const { socket } = watched;
  const traffic = socket.traffic;
  return {
    type: socket.type,
    endpoint: endpointLabel(watched),
    messagesSent: traffic.messagesSent,
    messagesReceived: traffic.messagesReceived,
    bytesSent: traffic.bytesSent,
    bytesReceived: traffic.bytesReceived,
    connections: watched.connections,
    handshakeFailures: watched.handshakeFailures,
    dropped: socket instanceof Publisher ? socket.droppedMessages : 0,
  };
}

function add(a: SocketFigures, b: SocketFigures): SocketFigures {
  return {
    type: a.type,
    endpoint: a.endpoint,
    messagesSent: a.messagesSent + b.messagesSent,
    messagesReceived: a.messagesReceived + b.messagesReceived,
    bytesSent: a.bytesSent + b.bytesSent,
    bytesReceived: a.bytesReceived + b.bytesReceived,
    connections: a.connections + b.connections,
    handshakeFailures: a.handshakeFailures + b.handshakeFailures,
    dropped: a.dropped + b.dropped,
  };
}
