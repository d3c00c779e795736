/**
 * The policies socket types are composed of, as zmq.rs and zmq4 compose
 * theirs: how a socket reads (fair queue), how it picks the peers a message
 * goes to (round robin, fan-out with subscription filtering, by routing
 * id), and the REQ/REP envelope rules.
 *
 * @example
 * ```ts
 * import { FairQueue, RoundRobin } from "./mod.ts";
 * const inbound = new FairQueue();
 * const outbound = new RoundRobin();
 * ```
 * @module
 */
export * from "./policy.ts";
export * from "./fair_queue.ts";
export * from "./round_robin.ts";
export * from "./fan_out.ts";
export * from "./routing_table.ts";
export * from "./envelope.ts";
