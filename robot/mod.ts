/**
 * The edge runtime: one robot YAML → supervised, permission-scoped
 * components. `config.ts` validates the file and resolves it; the
 * `Supervisor` runs each component in its own Web Worker with the Deno
 * permissions its configuration names; `permissions.ts` derives them;
 * `control.ts` is the supervisor's control channel (`zedge robot status`);
 * `systemd.ts` writes the unit and `build.ts` the per-robot binary.
 *
 * @example
 * ```ts
 * import { loadRobotConfig, Supervisor } from "./mod.ts";
 * const supervisor = new Supervisor(await loadRobotConfig("examples/robot/robot.yaml"));
 * await supervisor.start();
 * await supervisor.shutdown();
 * ```
 * @module
 */
export * from "./permissions.ts";
export * from "./schema.ts";
export * from "./config.ts";
export * from "./control.ts";
export * from "./supervisor.ts";
export type { NodeContext, NodeMain } from "./kinds/mod.ts";
