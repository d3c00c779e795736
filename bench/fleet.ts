/**
 * `deno task bench fleet`: a simulated fleet (tests/fleet/fleet.ts: N robots, each
 * `zedge robot run` in its own network namespace, CURVE everywhere) measured in one run:
 *
 * - fleet start time (namespaces, keys, every robot ready) and RSS per robot process;
 * - fleet status time: every robot's control endpoint asked for `status` at once, as
 *   `zedge fleet status` does (operator key, CURVE);
 * - task round trip p50/p99: a `test` echo task on every robot's task server at once (CURVE);
 * - pipeline items/s: distributor and collector on robot 1, a worker on every robot
 *   (each item waits 50 ms: the figure is the fleet's parallelism, not one CPU's speed);
 * - recovery: a killed robot started again until its control answers; a robot cut off for
 *   3 s until its follower sees its topic and service again after the heal.
 *
 * Needs root (network namespaces). Flags: `--robots N` (default 10), `--rounds N` (task
 * round trips, default 20).
 *
 * @example
 * ```sh
 * sudo deno task bench fleet --robots 100
 * ```
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pull } from "../mod.ts";
import { TaskClient } from "../core/tasks/client.ts";
import { controlRequest } from "../robot/control.ts";
import { createFleet, type Fleet, type FleetRobot, zedgeArgs } from "../tests/fleet/fleet.ts";
import { networkUnavailable } from "../tests/fleet/netns.ts";
import { drain, lines, until, untilReport } from "../tests/fleet/observe.ts";
import { ROBOT_PORTS } from "../tests/fleet/robot_template.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { robots: { type: "string", default: "10" }, rounds: { type: "string", default: "20" } },
  strict: false,
});
const ROBOTS = Number(values.robots);
const ROUNDS = Number(values.rounds);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

const ms = (n: number) => `${Math.round(n)} ms`;

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}

async function statusOfAll(fleet: Fleet): Promise<{ ms: number; reachable: number }> {
  const started = performance.now();
  const replies = await Promise.allSettled(
    fleet.robots.map((robot) =>
      controlRequest(robot.controlEndpoint, { op: "status" }, {
        timeoutMs: 3000,
        curve: curveOf(fleet, robot),
      })
    ),
  );
  return {
    ms: performance.now() - started,
    reachable: replies.filter((r) => r.status === "fulfilled" && r.value.ok).length,
  };
}

function curveOf(fleet: Fleet, robot: FleetRobot) {
  return {
    serverKey: robot.serverKey,
    secretKey: fleet.operator.secretKey,
    publicKey: fleet.operator.publicKey,
  };
}

/** `zedge fleet status` timed as a user runs it (median of 3), when this checkout has it. */
async function fleetStatusCommand(fleet: Fleet): Promise<number | undefined> {
  try {
    await Deno.stat(new URL("../cli/fleet_status.ts", import.meta.url));
  } catch {
    return undefined; // zedge fleet is not merged here yet
  }
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: zedgeArgs(["fleet", "status", "--json", "-c", fleet.fleetFile]),
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`zedge fleet status: ${new TextDecoder().decode(out.stderr)}`);
    }
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[1];
}

async function taskRoundTrips(fleet: Fleet): Promise<number[]> {
  const clients = fleet.robots.map((robot) =>
    new TaskClient({
      endpoint: `tcp://${robot.address}:${ROBOT_PORTS.tasks}`,
      scope: "/test",
      timeoutMs: 5000,
      security: {
        curveServerKey: robot.serverKey,
        curveSecretKey: fleet.operator.secretKey,
        curvePublicKey: fleet.operator.publicKey,
      },
    })
  );
  const latencies: number[] = [];
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const times = await Promise.all(clients.map(async (client) => {
        const started = performance.now();
        await client.run({ handler: "test", component: "echo", goal: "x" }, { timeoutMs: 10_000 });
        return performance.now() - started;
      }));
      if (round > 0) latencies.push(...times); // round 0 connects and does the CURVE handshakes
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  return latencies.sort((a, b) => a - b);
}

async function main() {
  const why = await networkUnavailable();
  if (why) {
    console.log(`(fleet: skipped: ${why})`);
    return;
  }
  const items = ROBOTS * 40;
  let started = performance.now();
  const fleet = await createFleet(ROBOTS, { pipelineItems: items });
  const pull = new Pull({ receiveTimeout: 5000 });
  const rows: [string, string][] = [];
  try {
    const made = performance.now() - started;
    await fleet.start(undefined, 300_000);
    const startMs = performance.now() - started;
    rows.push([`fleet start, ${ROBOTS} robots (network and keys: ${ms(made)})`, ms(startMs)]);
    const rss = await Promise.all(fleet.robots.map((r) => rssMb(r.process!.pid)));
    rss.sort((a, b) => a - b);
    rows.push([
      "RSS per robot, median (max)",
      `${percentile(rss, 50).toFixed(0)} MB (${rss.at(-1)!.toFixed(0)} MB)`,
    ]);

    await statusOfAll(fleet); // connections and handshakes
    const statusTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { ms: took, reachable } = await statusOfAll(fleet);
      if (reachable !== ROBOTS) {
        throw new Error(`only ${reachable} of ${ROBOTS} robots answered status`);
      }
      statusTimes.push(took);
    }
    statusTimes.sort((a, b) => a - b);
    rows.push([
      `status of all ${ROBOTS} robots at once (fresh CURVE connections), median of 5`,
      ms(percentile(statusTimes, 50)),
    ]);

    const command = await fleetStatusCommand(fleet);
    if (command !== undefined) {
      rows.push([`zedge fleet status --json, ${ROBOTS} robots (the whole command)`, ms(command)]);
    }

    const trips = await taskRoundTrips(fleet);
    rows.push([
      `task round trip to every robot at once, p50 / p99 (${trips.length} tasks)`,
      `${ms(percentile(trips, 50))} / ${ms(percentile(trips, 99))}`,
    ]);

    const collected = join(fleet.dir, "collected.jsonl");
    const env = { FLEET_COLLECTED: collected };
    const hub = fleet.robots[0];
    started = performance.now();
    const roles = [
      drain(fleet.spawnZedge(hub, ["pipeline", "distributor", "-c", fleet.pipelineFile], env)),
      drain(fleet.spawnZedge(hub, ["pipeline", "collector", "-c", fleet.pipelineFile], env)),
    ];
    let firstAt = 0;
    await until(
      async () => {
        const got = await lines(collected);
        if (!firstAt && got.length > 0) firstAt = performance.now();
        return got.some((l) => l.finished);
      },
      300_000,
      "the pipeline to finish",
    );
    const pipelineMs = performance.now() - firstAt;
    await Promise.all(roles);
    rows.push([
      `pipeline across ${ROBOTS} robots, ${items} items of 50 ms (first to last result)`,
      `${Math.round(items / (pipelineMs / 1000))} items/s`,
    ]);

    const victim = fleet.robots[2];
    await fleet.kill(victim);
    started = performance.now();
    await fleet.start([victim]);
    await until(
      async () => {
        const reply = await controlRequest(victim.controlEndpoint, { op: "status" }, {
          timeoutMs: 1000,
          curve: curveOf(fleet, victim),
        }).catch(() => undefined);
        return reply?.ok === true;
      },
      60_000,
      "the killed robot's control",
    );
    rows.push([
      "killed robot started again until its control answers",
      ms(performance.now() - started),
    ]);

    const follower = fleet.robots[1]; // its neighbour is robots[2]
    pull.connect(`tcp://${follower.address}:${ROBOT_PORTS.report}`);
    await untilReport(
      pull,
      (r) => r.lastPoseAt > Date.now() - 1000 && r.calls > 0,
      60_000,
      "robot-02 to follow robot-03",
    );
    await fleet.cut(victim);
    await new Promise((r) => setTimeout(r, 3000));
    await fleet.heal(victim);
    const healedAt = Date.now();
    const seen = await untilReport(
      pull,
      (r) => r.lastPoseAt > healedAt && r.lastCallAt > healedAt,
      60_000,
      "recovery after heal",
    );
    rows.push([
      "cut 3 s, healed: until topic and service through its gateway work again",
      ms(Math.max(seen.lastPoseAt, seen.lastCallAt) - healedAt),
    ]);
  } finally {
    await pull.close();
    await fleet.cleanup();
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`fleet of ${ROBOTS} simulated robots (network namespaces on one bridge, CURVE):`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
}

if (import.meta.main) await main();
