/**
 * A simulated fleet: N robots, each `zedge robot run` in its own network namespace with its own
 * address, CURVE key pair and the operator's key in `security.curve.operators`, plus a
 * `fleet.yaml` in the format of `zedge fleet` (issue 20).
 *
 * Layout of the fleet's directory:
 * ```
 * fleet.yaml              fleet: sim, operator: keys/operator.key, robots: NAME: {control, serverKey}
 * keys/operator.key|.pub  the operator's pair; keys/operators/operator.pub is what robots allow
 * keys/robot-01.key|.pub  each robot's pair
 * robots/robot-01/robot.yaml
 * code/*.ts               the components' code (robot_template.ts)
 * pipeline.yaml           the fleet's pipeline (hub = robot 0)
 * ```
 *
 * @example
 * ```ts
 * import { createFleet } from "./fleet.ts";
 * const fleet = await createFleet(3);
 * try {
 *   await fleet.start();
 *   console.log(fleet.robots.map((r) => `${r.name} ${r.controlEndpoint}`));
 *   await fleet.kill(fleet.robots[2]);
 * } finally {
 *   await fleet.cleanup();
 * }
 * ```
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { readCertificate, writeCertificatePair } from "../../core/security/mod.ts";
import { closeRelays, cut, type Destination, down, heal, slow, type SlowMethod } from "./faults.ts";
import { hostSocketDir } from "../../robot/supervision/host_process.ts";
import { createNetwork, type Host, type Network, type NetworkOptions, run } from "./netns.ts";
import { pipelineYaml, ROBOT_CODE, ROBOT_PORTS, robotYaml } from "./robot_template.ts";
import { tempDir } from "../core/helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** One simulated robot. */
export interface FleetRobot {
  name: string;
  host: Host;
  address: string;
  /** `tcp://ADDRESS:7700`: its CURVE control endpoint. */
  controlEndpoint: string;
  /** Its Z85 public key (the control endpoint's server key). */
  serverKey: string;
  /** Its key files. */
  publicKeyFile: string;
  secretKeyFile: string;
  /** Its robot YAML. */
  yamlFile: string;
  /** Its `zedge robot run` process, while started. */
  process?: Deno.ChildProcess;
  /** What the process printed (stdout and stderr). */
  output: string;
}

/** Options of {@link createFleet}. */
export interface FleetOptions extends NetworkOptions {
  /** The fleet's directory (default: a new temporary directory). */
  dir?: string;
  /** Items of the fleet's pipeline (default 200). */
  pipelineItems?: number;
  /** Robots bind control, gateway and task server on `tcp://*:PORT` (default: their address). */
  wildcard?: boolean;
}

/** A fleet; {@link Fleet.cleanup} removes every namespace, link and process. */
export interface Fleet {
  dir: string;
  network: Network;
  robots: FleetRobot[];
  /** The operator's key files and keys (Z85): what `zedge fleet` speaks CURVE with. */
  operator: { secretKeyFile: string; publicKeyFile: string; publicKey: string; secretKey: string };
  /** The fleet file (written by {@link createFleet}). */
  fleetFile: string;
  /** The pipeline file (distributor and collector run on robots[0]). */
  pipelineFile: string;
  /** Starts every robot (or the given ones) and waits until each says it is running. */
  start(robots?: FleetRobot[], timeoutMs?: number): Promise<void>;
  /** SIGKILL: the robot's process is gone at once. */
  kill(robot: FleetRobot): Promise<void>;
  /** SIGSTOP / SIGCONT. */
  pause(robot: FleetRobot): void;
  resume(robot: FleetRobot): void;
  /** Silent partition (iptables DROP inside its namespace). */
  cut(robot: FleetRobot): Promise<void>;
  /** Loud partition (its link down). */
  down(robot: FleetRobot): Promise<void>;
  /** Delays its traffic to the other robots' ports by `ms`; says how. */
  slow(robot: FleetRobot, ms: number): Promise<SlowMethod>;
  /** Undoes cut, down and slow (not kill: start it again). */
  heal(robot: FleetRobot): Promise<void>;
  /** Runs `zedge ARGS` inside the robot's namespace (e.g. the pipeline's distributor). */
  spawnZedge(robot: FleetRobot, args: string[], env?: Record<string, string>): Deno.ChildProcess;
  /** Stops every robot and removes every namespace, link, relay and process. */
  cleanup(): Promise<void>;
}

/**
 * Makes the network, keys, YAML files and fleet.yaml of `count` robots (nothing runs yet).
 *
 * @example
 * ```ts
 * import { createFleet } from "./fleet.ts";
 * const fleet = await createFleet(2);
 * console.log(await Deno.readTextFile(fleet.fleetFile));
 * await fleet.cleanup();
 * ```
 */
export async function createFleet(count: number, options: FleetOptions = {}): Promise<Fleet> {
  const network = await createNetwork(count, options);
  try {
    return await makeFleet(network, count, options);
  } catch (error) {
    await network.remove();
    throw error;
  }
}

async function makeFleet(network: Network, count: number, options: FleetOptions): Promise<Fleet> {
  const dir = options.dir ?? await tempDir("zedge-fleet-");
  await Deno.mkdir(join(dir, "keys", "operators"), { recursive: true });
  await Deno.mkdir(join(dir, "code"), { recursive: true });
  const operatorPair = await writeCertificatePair(join(dir, "keys", "operator"), { force: true });
  await Deno.copyFile(operatorPair.publicFile, join(dir, "keys", "operators", "operator.pub"));
  for (const [file, text] of Object.entries(ROBOT_CODE)) {
    await Deno.writeTextFile(join(dir, "code", file), text);
  }
  const width = Math.max(2, String(count).length);
  const robots: FleetRobot[] = [];
  for (const host of network.hosts) {
    const name = `robot-${String(host.index + 1).padStart(width, "0")}`;
    const pair = await writeCertificatePair(join(dir, "keys", name), { force: true });
    robots.push({
      name,
      host,
      address: host.address,
      controlEndpoint: `tcp://${host.address}:${ROBOT_PORTS.control}`,
      serverKey: pair.publicKey,
      publicKeyFile: pair.publicFile,
      secretKeyFile: pair.secretFile,
      yamlFile: join(dir, "robots", name, "robot.yaml"),
      output: "",
    });
  }
  const pipelineFile = join(dir, "pipeline.yaml");
  await Deno.writeTextFile(
    pipelineFile,
    pipelineYaml(robots[0].address, options.pipelineItems ?? 200, join(dir, "journal.db")),
  );
  for (const robot of robots) {
    const robotDir = join(dir, "robots", robot.name);
    await Deno.mkdir(robotDir, { recursive: true });
    const neighbour = robots[(robot.host.index + 1) % robots.length];
    const follower = robots[(robot.host.index + robots.length - 1) % robots.length];
    const rel = (path: string) => relative(robotDir, path);
    const peer = (r: FleetRobot) => ({
      name: r.name,
      address: r.address,
      serverKey: rel(r.publicKeyFile),
    });
    await Deno.writeTextFile(
      robot.yamlFile,
      robotYaml({
        name: robot.name,
        address: robot.address,
        secretKey: rel(robot.secretKeyFile),
        operatorsDir: rel(join(dir, "keys", "operators")) + "/",
        codeDir: rel(join(dir, "code")),
        pipeline: rel(pipelineFile),
        wildcard: options.wildcard,
        neighbour: peer(neighbour),
        follower: peer(follower),
      }),
    );
  }
  const fleetFile = join(dir, "fleet.yaml");
  await writeFleetFile(fleetFile, "sim", join(dir, "keys", "operator.key"), robots);

  const fleet: Fleet = {
    dir,
    network,
    robots,
    operator: {
      secretKeyFile: operatorPair.secretFile,
      publicKeyFile: operatorPair.publicFile,
      publicKey: operatorPair.publicKey,
      secretKey: (await readCertificate(operatorPair.secretFile)).secretKey!,
    },
    fleetFile,
    pipelineFile,
    async start(which = robots, timeoutMs = 120_000) {
      await Promise.all(which.map((robot) => startRobot(network, robot, timeoutMs)));
    },
    async kill(robot) {
      robot.process?.kill("SIGKILL");
      await robot.process?.status;
    },
    pause: (robot) => signalTree(robot, "SIGSTOP"),
    resume: (robot) => signalTree(robot, "SIGCONT"),
    cut: (robot) => cut(network, robot.host),
    down: (robot) => down(network, robot.host),
    slow(robot, ms) {
      const destinations: Destination[] = [];
      for (const other of robots) {
        if (other === robot) continue;
        for (const port of Object.values(ROBOT_PORTS)) {
          destinations.push({ address: other.address, port });
        }
      }
      return slow(network, robot.host, ms, destinations);
    },
    heal: (robot) => heal(network, robot.host),
    spawnZedge(robot, args, env = {}) {
      return network.spawn(robot.host, [Deno.execPath(), ...zedgeArgs(args)], {
        cwd: REPO,
        env: { NO_COLOR: "1", ...env },
      });
    },
    async cleanup() {
      closeRelays();
      await network.remove();
      // A robot killed with SIGKILL cannot remove its host socket directory;
      // its processes are gone now, so nothing of it is left in /tmp.
      await Promise.all(
        robots.map((robot) =>
          Deno.remove(hostSocketDir(robot.name), { recursive: true }).catch(() => {})
        ),
      );
    },
  };
  return fleet;
}

/**
 * Writes a fleet file in `zedge fleet`'s format, key paths relative to the file.
 *
 * @example
 * ```ts
 * import { writeFleetFile } from "./fleet.ts";
 * await writeFleetFile("/tmp/fleet.yaml", "sim", "/tmp/keys/operator.key", [
 *   { name: "robot-01", controlEndpoint: "tcp://10.213.20.10:7700", publicKeyFile: "/tmp/keys/robot-01.pub" },
 * ]);
 * ```
 */
export async function writeFleetFile(
  file: string,
  fleetName: string,
  operatorSecretKey: string,
  robots: Pick<FleetRobot, "name" | "controlEndpoint" | "publicKeyFile">[],
): Promise<void> {
  const base = join(file, "..");
  const lines = [
    `fleet: ${fleetName}`,
    `operator: { secretKey: ${relative(base, operatorSecretKey)} }`,
    "robots:",
    ...robots.map((r) =>
      `  ${r.name}: { control: ${r.controlEndpoint}, serverKey: ${
        relative(base, r.publicKeyFile)
      } }`
    ),
  ];
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
}

/** The arguments of `deno run … cli/main.ts ARGS`, as a robot runs them. */
export function zedgeArgs(args: string[]): string[] {
  return ["run", "-A", "--unstable-worker-options", join(REPO, "cli/main.ts"), ...args];
}

const READY = /components running \(ready in \d+ ms\)/;

async function startRobot(network: Network, robot: FleetRobot, timeoutMs: number) {
  robot.output = "";
  const child = network.spawn(robot.host, [
    Deno.execPath(),
    ...zedgeArgs(["robot", "run", robot.yamlFile]),
  ], { cwd: REPO, env: { NO_COLOR: "1" } });
  robot.process = child;
  const { promise: ready, resolve } = Promise.withResolvers<void>();
  const decoder = new TextDecoder();
  const collect = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeTo(
      new WritableStream({
        write(chunk) {
          robot.output += decoder.decode(chunk, { stream: true });
          // Keep the tail only: a robot runs for long.
          if (robot.output.length > 200_000) robot.output = robot.output.slice(-100_000);
          if (READY.test(robot.output)) resolve();
        },
      }),
    ).catch(() => {});
  collect(child.stdout);
  collect(child.stderr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready"),
    child.status.then((s) => `exited with code ${s.code}`),
    new Promise<string>((r) =>
      timer = setTimeout(() => r(`not ready in ${timeoutMs} ms`), timeoutMs)
    ),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    throw new Error(`${robot.name} ${outcome}:\n${robot.output.slice(-2000)}`);
  }
}

/** Signals the robot's process and its children (`ip netns exec` execs deno: same pid). */
function signalTree(robot: FleetRobot, signal: Deno.Signal) {
  robot.process?.kill(signal);
}

/**
 * Removes the fleet and checks that no namespace, link or process of it is left, nor a robot's
 * host socket directory in /tmp (what every fleet test asserts after its run, also on failure).
 *
 * @example
 * ```ts
 * import { cleanupAndCheck, createFleet } from "./fleet.ts";
 * const fleet = await createFleet(2);
 * await cleanupAndCheck(fleet);
 * ```
 */
export async function cleanupAndCheck(fleet: Fleet): Promise<void> {
  const processes = fleet.robots.map((r: FleetRobot) => r.process).filter((p) => p !== undefined);
  await fleet.cleanup();
  const namespaces = await run(["ip", "netns", "list"]);
  const links = await run(["ip", "-o", "link", "show"]);
  assert.ok(!namespaces.includes(`${fleet.network.name}-`), `namespaces left: ${namespaces}`);
  assert.ok(!links.includes(`${fleet.network.name}-`), `links left: ${links}`);
  for (const child of processes) {
    const status = await child!.status; // resolves: the process is gone
    assert.ok(status.signal === "SIGKILL" || status.code !== undefined);
  }
  // The robot killed with SIGKILL left its host socket directory; cleanup removes it.
  for (const robot of fleet.robots) {
    const dir = hostSocketDir(robot.name);
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false, `${dir} left in /tmp`);
  }
}
