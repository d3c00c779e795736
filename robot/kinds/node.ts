/**
 * The `node` kind: a module whose default export is `main(ctx)`. `ctx`
 * names the component and its robot, gives its endpoints by key (binds as
 * written, connects with references resolved), the AbortSignal that fires
 * on stop, its logger and its `config` value. `main` resolving means the
 * component finished; its restart policy decides what happens next.
 *
 * @example
 * ```ts
 * // nodes/odometry.ts
 * import type { NodeContext } from "../../robot/mod.ts";
 * import { Publisher } from "../../mod.ts";
 * export default async function main(ctx: NodeContext) {
 *   const pub = new Publisher();
 *   await pub.bind(ctx.endpoints.odom);
 *   while (!ctx.signal.aborted) {
 *     await pub.send(["odom", JSON.stringify({ x: 0 })]);
 *     await new Promise((r) => setTimeout(r, 20));
 *   }
 *   await pub.close();
 * }
 * ```
 * @module
 */
import type { SecurityOptions } from "../../core/sockets/options.ts";
import { curveSocketOptions } from "../security.ts";
import type { NodeSpec } from "../spec.ts";
import type { TopicMessage } from "../dataflow/codec.ts";
import {
  type CallOptions,
  type DiscoverOptions,
  NodeDataflow,
  type ServiceHandler,
} from "../dataflow/node_dataflow.ts";
import {
  type ComponentKindRunner,
  ComponentLoadError,
  displayModule,
  importComponentModule,
} from "./component.ts";

/**
 * What a node's `main` receives.
 *
 * @example
 * ```ts
 * import type { NodeContext } from "./node.ts";
 * export default async function main(ctx: NodeContext) {
 *   ctx.log.info("{name} on {robot} connects to {endpoint}", {
 *     name: ctx.name, robot: ctx.robot, endpoint: ctx.endpoints.odom,
 *   });
 *   await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
 * }
 * ```
 */
export interface NodeContext {
  /** The component's name. */
  readonly name: string;
  /** The robot's name. */
  readonly robot: string;
  /** Resolved bind and connect endpoints, by key. */
  readonly endpoints: Readonly<Record<string, string>>;
  /**
   * The socket options of each endpoint's `security` (CURVE), by the same
   * keys; spread them into the socket: `new Publisher({ ...ctx.security.odom })`.
   * Empty for an endpoint without.
   */
  readonly security: Readonly<Record<string, Readonly<SecurityOptions>>>;
  /** Fires when the component should stop; `main` should then return. */
  readonly signal: AbortSignal;
  /** The component's logger (records reach the supervisor's log). */
  readonly log: NodeLogger;
  /**
   * The component's `config` value from the robot YAML: any YAML value, `{}`
   * when the YAML has no `config:` (so `ctx.config.rate ?? 10` needs no null check).
   */
  readonly config: unknown;
  /** Publishes `value` on `topic`, one of its `publishes`; never blocks. */
  publish(topic: string, value: unknown): Promise<void>;
  /** Messages on the topics starting with `topicOrPrefix` (under its `subscribes`). */
  subscribe<T = unknown>(topicOrPrefix: string): AsyncGenerator<TopicMessage<T>>;
  /** Serves `service`, one of its `provides`. */
  provide(service: string, handler: ServiceHandler): void;
  /** Calls `service`, one of its `calls`; rejects with a `ServiceError`. */
  call<T = unknown>(service: string, request: unknown, options?: CallOptions): Promise<T>;
  /** Waits until `minimumProviders` providers of `service` are reachable; returns who they are. */
  discover(service: string, options?: DiscoverOptions): Promise<string[]>;
}

/**
 * A node's logger: a message template with `{name}` placeholders filled
 * from `properties` (it is a logtape logger, which takes more forms).
 *
 * @example
 * ```ts
 * import type { NodeLogger } from "./node.ts";
 * const report = (log: NodeLogger) => log.info("at {x} m", { x: 1.5 });
 * ```
 */
export interface NodeLogger {
  /** Logs at debug level. */
  debug(message: string, properties?: Record<string, unknown>): void;
  /** Logs at info level. */
  info(message: string, properties?: Record<string, unknown>): void;
  /** Logs at warning level. */
  warn(message: string, properties?: Record<string, unknown>): void;
  /** Logs at error level. */
  error(message: string, properties?: Record<string, unknown>): void;
  /** Logs at fatal level. */
  fatal(message: string, properties?: Record<string, unknown>): void;
}

/**
 * A node's entry point.
 *
 * @example
 * ```ts
 * import type { NodeMain } from "./node.ts";
 * const main: NodeMain = async (ctx) => ctx.log.info("hello");
 * ```
 */
export type NodeMain = (ctx: NodeContext) => unknown;

/**
 * Loads and runs a node component.
 *
 * @example
 * ```ts
 * import { nodeRunner } from "./node.ts";
 * console.log(typeof nodeRunner.load); // "function"
 * ```
 */
export const nodeRunner: ComponentKindRunner<NodeSpec> = {
  async load(spec) {
    const namespace = await importComponentModule(spec.module, "node");
    const main = namespace.default;
    if (typeof main !== "function") {
      throw new ComponentLoadError(
        `${
          displayModule(spec.module)
        }: a node module must \`export default async function main(ctx)\`` +
          (namespace.default === undefined ? " (it has no default export)" : ""),
      );
    }
    return {
      async start(context) {
        const flow = new NodeDataflow(spec.dataflow, spec.name, context.signal);
        await flow.start();
        const ctx: NodeContext = Object.freeze({
          name: spec.name,
          robot: spec.robot,
          endpoints: Object.freeze({ ...spec.binds, ...spec.connects }),
          security: Object.freeze(Object.fromEntries(
            Object.keys({ ...spec.binds, ...spec.connects }).map((key) => [
              key,
              Object.freeze(curveSocketOptions(spec.name, key, spec.curve)),
            ]),
          )),
          signal: context.signal,
          log: context.log,
          config: spec.config,
          publish: (topic: string, value: unknown) => flow.publish(topic, value),
          subscribe: <T>(prefix: string) => flow.subscribe<T>(prefix),
          provide: (service: string, handler: ServiceHandler) => flow.provide(service, handler),
          call: <T>(service: string, request: unknown, options?: CallOptions) =>
            flow.call<T>(service, request, options),
          discover: (service: string, options?: DiscoverOptions) => flow.discover(service, options),
        });
        // main runs on the next task, after the worker has reported ready: a main that blocks
        // at once (a busy loop) is then caught by the heartbeat, not mistaken for a slow start.
        // A synchronous throw in main is a failure like a rejection.
        const done = new Promise((resolve) => setTimeout(resolve, 0)).then(() =>
          (main as NodeMain)(ctx)
        );
        return {
          done,
          stop: async () => {
            await done.catch(() => {});
            await flow.close();
          },
          figures: () => ({ topics: flow.figures() }),
        };
      },
    };
  },
};
