/**
 * Remote task execution, compatible with ZTL: the wire codec, the task server,
 * controllers and their executor, the built-in `test` handler, clients (ZTL-shaped
 * and idiomatic), remotes files and scene scripts, and ZTL's object channel
 * (JSON or msgpack, never pickle).
 *
 * @example
 * ```ts
 * import { TaskClient, TaskServer, TestController } from "./mod.ts";
 * const server = new TaskServer({ endpoint: "tcp://127.0.0.1:0", events: "tcp://127.0.0.1:0" });
 * server.register("/test", new TestController());
 * await server.start();
 * const client = new TaskClient({ endpoint: server.endpoint!, scope: "/test", events: server.eventsEndpoint! });
 * const result = await client.run({ handler: "test", component: "echo", goal: "hi" });
 * await client.close();
 * await server.close();
 * ```
 * @module
 */
export { ZedgeError } from "../errors.ts";
export * from "./protocol.ts";
export * from "./errors.ts";
export * from "./executor.ts";
export * from "./controller.ts";
export * from "./handlers.ts";
export * from "./test_controller.ts";
export * from "./server.ts";
export * from "./request_channel.ts";
export * from "./event_listener.ts";
export * from "./client.ts";
export * from "./yaml_source.ts";
export * from "./remotes.ts";
export * from "./script.ts";
export * from "./script_runner.ts";
export * from "./objects.ts";
// Types this entry's own API names, from the layers below: a reader of this entry alone finds them.
export { ConfigFileError } from "../config/yaml_schema.ts";
export type { SecurityOptions, SocketOptions } from "../sockets/mod.ts";
