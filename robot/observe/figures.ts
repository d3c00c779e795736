/**
 * The live figures a component reports to the supervisor about once a
 * second (`{ op: "figures" }` over postMessage): its sockets' counters, and
 * what its kind knows — a task server's tasks, a pipeline role's progress,
 * a node's topics. Counters count from the component's start (a restart is
 * a new Worker, and starts them at zero again); the supervisor turns them
 * into rates.
 *
 * @example
 * ```ts
 * import type { ComponentFigures } from "./figures.ts";
 * const figures: ComponentFigures = { at: Date.now(), sockets: [] };
 * ```
 * @module
 */

/**
 * One socket, or the sockets of one type on the same endpoints (a node's
 * subscriptions to one topic), since the component started.
 *
 * @example
 * ```ts
 * import type { SocketFigures } from "./figures.ts";
 * const pub: SocketFigures = {
 *   type: "PUB", endpoint: "tcp://127.0.0.1:7801", messagesSent: 120, messagesReceived: 0,
 *   bytesSent: 9000, bytesReceived: 64, connections: 1, handshakeFailures: 0, dropped: 0,
 * };
 * ```
 */
export interface SocketFigures {
  /** The ZeroMQ socket type (PUB, ROUTER, …). */
  type: string;
  /** Its bound endpoints, else those it connected to, comma-separated ("" before either). */
  endpoint: string;
  /** Messages written to peers (a PUB counts one per subscriber). */
  messagesSent: number;
  /** Messages received for the application. */
  messagesReceived: number;
  /** Bytes written to the transport, ZMTP framing included. */
  bytesSent: number;
  /** Bytes read from the transport. */
  bytesReceived: number;
  /** Peers connected now (past their handshake). */
  connections: number;
  /** Handshakes that failed (bad greeting, refused security, timeout). */
  handshakeFailures: number;
  /** Messages dropped at the high-water mark (a PUB's subscribers that missed one). */
  dropped: number;
}

/**
 * One task of a task server, as the page and `zedge robot top` list it.
 *
 * @example
 * ```ts
 * import type { TaskFigures } from "./figures.ts";
 * const t: TaskFigures = {
 *   scope: "/robot", id: 3, handler: "drive", component: "forward", goal: "2",
 *   state: "ACCEPTED", payload: "driving forward: 0.4 of 2 m", createdAt: Date.now(), finishedAt: null,
 * };
 * ```
 */
export interface TaskFigures {
  /** The task server scope it was started in. */
  scope: string;
  /** Its id within the scope. */
  id: number;
  /** Handler, component and goal, as the client sent them. */
  handler: string;
  /** The handler's component. */
  component: string;
  /** The goal text. */
  goal: string;
  /** INITIATED, ACCEPTED, COMPLETED, FAILED, ABORTED or REJECTED. */
  state: string;
  /** Progress text while it runs, then its result or reason. */
  payload: string;
  /** When it was started, ms since the epoch. */
  createdAt: number;
  /** When it finished, ms since the epoch; null while it runs. */
  finishedAt: number | null;
}

/**
 * A task server's figures: every running task and the latest finished
 * ones, and how many tasks ended in each final state.
 *
 * @example
 * ```ts
 * import type { TaskServerFigures } from "./figures.ts";
 * const f: TaskServerFigures = { tasks: [], running: 0, finished: { COMPLETED: 4, FAILED: 1 }, started: 5 };
 * ```
 */
export interface TaskServerFigures {
  /** Running tasks first, then the most recently finished (at most a few dozen). */
  tasks: TaskFigures[];
  /** Tasks running now (INITIATED or ACCEPTED), listed or not. */
  running: number;
  /** Tasks that reached each final state since the component started. */
  finished: Record<string, number>;
  /** Tasks started since the component started. */
  started: number;
}

/**
 * A pipeline or service role's figures. Fields a role does not know are
 * null: only a distributor knows the total, the ETA and the workers.
 *
 * @example
 * ```ts
 * import type { PipelineFigures } from "./figures.ts";
 * const p: PipelineFigures = {
 *   role: "pipeline-worker", done: 12, failed: 0, retried: null, total: null, inFlight: null,
 *   rate: null, etaMs: null, workers: null,
 * };
 * ```
 */
export interface PipelineFigures {
  /** The component's kind (pipeline-distributor, pipeline-worker, service-broker, …). */
  role: string;
  /** Items done (a worker: processed; a broker: requests answered). */
  done: number | null;
  /** Items failed (a broker: requests answered with an error). */
  failed: number | null;
  /** Items handed out again (a distributor's redeliveries; a broker's retries). */
  retried: number | null;
  /** All items of the run, once known. */
  total: number | null;
  /** Items at workers now. */
  inFlight: number | null;
  /** Items done per second, when the role measures it itself. */
  rate: number | null;
  /** Estimated ms to go. */
  etaMs: number | null;
  /** Workers registered now. */
  workers: number | null;
}

/**
 * A node's topics: messages it published and received per topic, and the
 * subscriptions it has open now.
 *
 * @example
 * ```ts
 * import type { TopicFigures } from "./figures.ts";
 * const t: TopicFigures = { published: { odom: 500 }, received: {}, subscriptions: [] };
 * ```
 */
export interface TopicFigures {
  /** Messages published, by topic. */
  published: Record<string, number>;
  /** Messages received, by topic (as subscribed; a peer's as `peer/topic`). */
  received: Record<string, number>;
  /** The topics or prefixes (`odom*`) it is subscribed to now, once per open subscription. */
  subscriptions: string[];
}

/**
 * Everything one component reports in one sample.
 *
 * @example
 * ```ts
 * import type { ComponentFigures } from "./figures.ts";
 * const f: ComponentFigures = { at: Date.now(), sockets: [], topics: { published: {}, received: {}, subscriptions: [] } };
 * ```
 */
export interface ComponentFigures {
  /** When it was sampled, ms since the epoch. */
  at: number;
  /** Its sockets. */
  sockets: SocketFigures[];
  /** A task server's tasks. */
  tasks?: TaskServerFigures;
  /** A pipeline or service role's progress. */
  pipeline?: PipelineFigures;
  /** A node's topics. */
  topics?: TopicFigures;
}

/**
 * What a kind adds to its component's figures (the sockets are sampled
 * for every kind by the component runtime).
 *
 * @example
 * ```ts
 * import type { KindFigures } from "./figures.ts";
 * const none: KindFigures = {};
 * ```
 */
export type KindFigures = Omit<ComponentFigures, "at" | "sockets">;
