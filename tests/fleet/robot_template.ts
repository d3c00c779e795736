/**
 * The simulated robot: its YAML, made from one template per robot, and the shared code of its
 * components (written once into the fleet's directory).
 *
 * Each robot has a task server (`/test`: the built-in test handler, CURVE with the operators
 * allowed), two nodes (`pose` publishes `pose` at 20 Hz and provides `ping`; `neighbour`
 * subscribes to its neighbour robot's `pose` and calls its `ping` through the neighbour's
 * gateway, pushing what it saw every 200 ms to its `report` endpoint), a pipeline worker `cpu`
 * fed from the fleet's hub robot, and a gateway exporting `pose` and `ping`.
 *
 * @example
 * ```ts
 * import { ROBOT_PORTS } from "./robot_template.ts";
 * console.log(ROBOT_PORTS.control); // 7700
 * ```
 * @module
 */

/** The ports every robot uses on its own address. */
export const ROBOT_PORTS = {
  control: 7700,
  tasks: 7779,
  topics: 7781,
  services: 7782,
  report: 7790,
  workers: 7810,
  acks: 7811,
  results: 7812,
} as const;

/** Another robot this one knows: its name, address and public key file (relative). */
export interface Peer {
  name: string;
  address: string;
  serverKey: string;
}

/** What one robot's YAML needs to know. */
export interface RobotTemplateInput {
  name: string;
  address: string;
  /** Paths relative to the robot's directory. */
  secretKey: string;
  operatorsDir: string;
  neighbour: Peer;
  /** The robot whose neighbour this one is: a peer too, so its key may use this control. */
  follower: Peer;
  /** The shared directory of component code, relative to the robot's directory. */
  codeDir: string;
  /** The fleet's pipeline file, relative to the robot's directory. */
  pipeline: string;
  /** Bind control, gateway and task server on `*` (every address) instead of the robot's own. */
  wildcard?: boolean;
}

/**
 * One robot's YAML.
 *
 * @example
 * ```ts
 * import { robotYaml } from "./robot_template.ts";
 * console.log(robotYaml({
 *   name: "robot-01", address: "10.213.20.10", secretKey: "../keys/robot-01.key",
 *   operatorsDir: "../keys/operators/", codeDir: "../code", pipeline: "../pipeline.yaml",
 *   neighbour: { name: "robot-02", address: "10.213.20.11", serverKey: "../keys/robot-02.pub" },
 *   follower: { name: "robot-03", address: "10.213.20.12", serverKey: "../keys/robot-03.pub" },
 * }));
 * ```
 */
export function robotYaml(r: RobotTemplateInput): string {
  const at = (port: number) => `tcp://${r.wildcard ? "*" : r.address}:${port}`;
  const n = r.neighbour;
  const peers = [n, r.follower].filter((p, i, all) => all.findIndex((q) => q.name === p.name) === i)
    .filter((p) => p.name !== r.name)
    .map((p) =>
      `  ${p.name}: { control: "tcp://${p.address}:${ROBOT_PORTS.control}", serverKey: ${p.serverKey} }`
    ).join("\n");
  return `# A simulated robot (tests/fleet/robot_template.ts)
robot: ${r.name}
security:
  curve: { secretKey: ${r.secretKey}, operators: [${r.operatorsDir}] }
control: ${at(ROBOT_PORTS.control)}
gateway:
  topics: ${at(ROBOT_PORTS.topics)}
  services: ${at(ROBOT_PORTS.services)}
  export: { topics: [pose], services: [ping] }
${peers ? `peers:\n${peers}\n` : ""}components:
  tasks:
    kind: task-server
    bind: ${at(ROBOT_PORTS.tasks)}
    scopes: { /test: test }
    security: { curve: { secretKey: ${r.secretKey}, allow: [${r.operatorsDir}] } }
  pose:
    kind: node
    module: ${r.codeDir}/pose.ts
    publishes: [pose]
    provides: [ping]
${neighbourComponent(r)}  perception:
    kind: pipeline-worker
    pipeline: ${r.pipeline}
    name: cpu
`;
}

/** The node following the neighbour robot; none for a fleet of one (no neighbour). */
function neighbourComponent(r: RobotTemplateInput): string {
  const n = r.neighbour;
  if (n.name === r.name) return "";
  return `  neighbour:
    kind: node
    module: ${r.codeDir}/neighbour.ts
    subscribes: [${n.name}/pose]
    calls: [${n.name}/ping]
    bind: { report: "tcp://${r.address}:${ROBOT_PORTS.report}" }
    config: { neighbour: ${n.name} }
`;
}

/**
 * The fleet's pipeline: distributor and collector on the hub's address, every robot's `cpu`
 * worker connects there; the collector appends each item id it collects to `collectedFile`.
 *
 * @example
 * ```ts
 * import { pipelineYaml } from "./robot_template.ts";
 * console.log(pipelineYaml("10.213.20.10", 100, "/tmp/journal.db"));
 * ```
 */
export function pipelineYaml(hubAddress: string, items: number, journal: string): string {
  const at = (port: number) => `tcp://${hubAddress}:${port}`;
  return `# The fleet's pipeline: distributor and collector on the hub robot, a worker on every robot.
endpoints:
  workers: ${at(ROBOT_PORTS.workers)}
  acks: ${at(ROBOT_PORTS.acks)}
  results: ${at(ROBOT_PORTS.results)}
journal: ${journal}
heartbeat: { intervalMs: 500, timeoutMs: 2000 }
retry: { backoffMs: 100, maxBackoffMs: 1000 }
tasks:
  work: { count: ${items}, timeoutMs: 10000, retries: 5 }
workers:
  - name: cpu
    handlers: ./code/work.ts
collector:
  module: ./code/collector.ts
`;
}

/** The components' code, by file name in the fleet's code directory. */
export const ROBOT_CODE: Record<string, string> = {
  "pose.ts": `// Publishes the robot's pose at 20 Hz and answers ping.
export default async function main(ctx) {
  ctx.provide("ping", (request) => ({ pong: request?.n ?? 0, robot: ctx.robot ?? ctx.name }));
  for (let seq = 0; !ctx.signal.aborted; seq++) {
    await ctx.publish("pose", { seq, at: Date.now() });
    await new Promise((r) => setTimeout(r, 50));
  }
}
`,
  "neighbour.ts":
    `// Follows the neighbour robot's pose and calls its ping through its gateway; pushes what it
// saw every 200 ms (JSON) to its report endpoint for the fleet tests.
import { Push } from "@zedge/zedge";
export default async function main(ctx) {
  const neighbour = ctx.config.neighbour;
  const seen = { robot: neighbour, poses: 0, lastPoseAt: 0, calls: 0, lastCallAt: 0, errors: 0, lastError: "" };
  const out = new Push({ sendHighWaterMark: 4 });
  await out.bind(ctx.endpoints.report);
  (async () => {
    for await (const _ of ctx.subscribe(neighbour + "/pose")) {
      seen.poses++;
      seen.lastPoseAt = Date.now();
      if (ctx.signal.aborted) break;
    }
  })().catch(() => {});
  (async () => {
    for (let n = 0; !ctx.signal.aborted; n++) {
      try {
        await ctx.call(neighbour + "/ping", { n }, { timeoutMs: 1000 });
        seen.calls++;
        seen.lastCallAt = Date.now();
      } catch (e) {
        seen.errors++;
        seen.lastError = String(e?.message ?? e);
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  while (!ctx.signal.aborted) {
    await out.send(JSON.stringify({ ...seen, now: Date.now() })).catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
  }
  await out.close();
}
`,
  "work.ts": `// A pipeline item: 50 ms of waiting (a camera frame's worth) and a little CPU work.
export async function work(payload) {
  await new Promise((r) => setTimeout(r, 50));
  let hash = Number(payload);
  for (let i = 0; i < 20_000; i++) hash = (hash * 31 + i) | 0;
  return { item: Number(payload), hash };
}
`,
  "collector.ts":
    `// Appends each collected item id (with its worker) to $FLEET_COLLECTED, one per line.
const file = Deno.env.get("FLEET_COLLECTED");
export function onResult(result) {
  Deno.writeTextFileSync(file, JSON.stringify({ id: result.id, worker: result.worker }) + "\\n", { append: true });
}
export function onFinished(summary) {
  Deno.writeTextFileSync(file, JSON.stringify({ finished: true, failed: summary.failed.length }) + "\\n", { append: true });
}
`,
};
