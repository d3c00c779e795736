/**
 * zedge: an edge runtime for robots that speaks the ZeroMQ wire protocol
 * (ZMTP 3.1) from pure TypeScript on Deno — sockets, remote tasks (ZTL
 * compatible), pipelines and services.
 *
 * @example
 * ```ts
 * import { Reply, Request } from "./mod.ts";
 * const rep = new Reply();
 * await rep.bind("tcp://127.0.0.1:0");
 * const req = new Request();
 * req.connect(rep.lastEndpoint!);
 * await req.send("ping");
 * const [ping] = await rep.receive();
 * await rep.send("pong");
 * const [pong] = await req.receive();
 * req.close(); rep.close();
 * ```
 * @module
 */
export * from "./core/sockets/mod.ts";
export * from "./core/security/mod.ts";
export { VERSION } from "./core/version.ts";
export { ConfigFileError } from "./core/config/yaml_schema.ts";
export * from "./core/tasks/mod.ts";
export * from "./core/pipeline/mod.ts";
export * from "./core/manager/mod.ts";
export * from "./core/logs/mod.ts";
