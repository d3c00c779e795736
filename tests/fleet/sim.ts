/**
 * `deno task fleet-sim N`: a simulated fleet of N robots in network namespaces, with faults as
 * commands typed on stdin. Ctrl-C, `quit`, end of input or a crash remove every namespace,
 * link and process it made.
 *
 * ```sh
 * sudo deno task fleet-sim 10          # writes /tmp/zedge-fleet-sim/fleet.yaml
 * deno task zedge fleet status -c /tmp/zedge-fleet-sim/fleet.yaml
 * ```
 *
 * @example
 * ```ts
 * import { parseSimArgs } from "./sim.ts";
 * console.log(parseSimArgs(["10"]));
 * ```
 * @module
 */
import { createFleet, type Fleet, type FleetRobot } from "./fleet.ts";
import { networkUnavailable } from "./netns.ts";

const USAGE = `usage: deno task fleet-sim N [--dir DIR]

Starts N robots (zedge robot run), each in its own network namespace with its own address on
one bridge with no uplink, its own CURVE key pair and the operator's key allowed; writes
DIR/fleet.yaml (default /tmp/zedge-fleet-sim) for zedge fleet. Needs root, ip and iptables.

Commands (stdin):
  kill ROBOT        SIGKILL its zedge process
  pause ROBOT       SIGSTOP it            resume ROBOT   SIGCONT it
  cut ROBOT         drop every packet in and out (silent partition, iptables)
  down ROBOT        set its link down (loud partition)
  slow ROBOT MS     delay its traffic to the other robots (tc netem, or a delaying relay)
  heal ROBOT        undo cut, down and slow
  start ROBOT       start it again after kill
  list              robots, addresses, processes
  quit              stop every robot and remove every namespace, link and process
`;

/** The simulator's arguments. */
export interface SimArgs {
  count: number;
  dir: string;
}

/**
 * Parses `N [--dir DIR]`; throws a one-line message on a mistake.
 *
 * @example
 * ```ts
 * import { parseSimArgs } from "./sim.ts";
 * parseSimArgs(["3", "--dir", "/tmp/f"]); // { count: 3, dir: "/tmp/f" }
 * ```
 */
export function parseSimArgs(args: string[]): SimArgs {
  let dir = "/tmp/zedge-fleet-sim";
  let count: number | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--dir") dir = args[++i] ?? "";
    else if (/^\d+$/.test(args[i])) count = Number(args[i]);
    else throw new Error(`unknown argument '${args[i]}' (see --help)`);
  }
  if (count === undefined || count < 1 || count > 200) {
    throw new Error("give the number of robots N, 1 to 200: deno task fleet-sim 10");
  }
  if (!dir) throw new Error("--dir needs a directory");
  return { count, dir };
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let parsed: SimArgs;
  try {
    parsed = parseSimArgs(args);
  } catch (error) {
    console.error(`fleet-sim: ${(error as Error).message}`);
    return 2;
  }
  const why = await networkUnavailable();
  if (why) {
    console.error(`fleet-sim: cannot start: ${why}`);
    return 1;
  }
  await Deno.remove(parsed.dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(parsed.dir, { recursive: true });
  const fleet = await createFleet(parsed.count, { dir: parsed.dir });
  let cleaned: Promise<void> | undefined;
  const cleanup = () => cleaned ??= fleet.cleanup();
  const onSignal = async () => {
    console.error("\nfleet-sim: removing every namespace, link and process…");
    await cleanup();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  // A crash (an error nobody caught) removes everything too, then says what it was.
  const onCrash = async (event: Event) => {
    event.preventDefault();
    const reason = (event as PromiseRejectionEvent).reason ?? (event as ErrorEvent).error;
    console.error(`fleet-sim: crashed: ${reason?.stack ?? reason}`);
    await cleanup();
    Deno.exit(1);
  };
  globalThis.addEventListener("unhandledrejection", onCrash);
  globalThis.addEventListener("error", onCrash);
  try {
    const started = performance.now();
    console.error(`fleet-sim: starting ${parsed.count} robots on ${fleet.network.subnet}…`);
    await fleet.start();
    console.log(
      `fleet-sim: ${parsed.count} robots running in ${
        Math.round(performance.now() - started)
      } ms ` +
        `(network ${fleet.network.name}, bridge ${fleet.network.bridge})`,
    );
    console.log(`fleet file: ${fleet.fleetFile}`);
    console.log(`  deno task zedge fleet status -c ${fleet.fleetFile}`);
    console.log(`type 'help' for the fault commands, Ctrl-C or 'quit' to remove everything`);
    await commandLoop(fleet);
  } finally {
    await cleanup();
    console.error("fleet-sim: removed every namespace, link and process");
  }
  return 0;
}

async function commandLoop(fleet: Fleet) {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const chunk of lines) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === "quit" || line === "exit") return;
      if (!line) continue;
      try {
        console.log(await simCommand(fleet, line));
      } catch (error) {
        console.log(`error: ${(error as Error).message}`);
      }
    }
  }
}

/**
 * Runs one simulator command; resolves what it did, in one line.
 *
 * @example
 * ```ts
 * import { simCommand } from "./sim.ts";
 * // await simCommand(fleet, "cut robot-03");
 * ```
 */
export async function simCommand(fleet: Fleet, line: string): Promise<string> {
  const [verb, name, value] = line.split(/\s+/);
  if (verb === "help") return USAGE;
  if (verb === "list") {
    return fleet.robots.map((r) =>
      `${r.name} ${r.address} ${r.host.namespace} pid ${r.process?.pid ?? "-"}`
    ).join("\n");
  }
  if (!VERBS.includes(verb)) throw new Error(`unknown command '${verb}' (type help)`);
  const robot = robotNamed(fleet, name);
  switch (verb) {
    case "kill":
      await fleet.kill(robot);
      return `${robot.name}: killed (SIGKILL)`;
    case "pause":
      fleet.pause(robot);
      return `${robot.name}: paused (SIGSTOP)`;
    case "resume":
      fleet.resume(robot);
      return `${robot.name}: resumed (SIGCONT)`;
    case "cut":
      await fleet.cut(robot);
      return `${robot.name}: cut off (iptables DROP in ${robot.host.namespace})`;
    case "down":
      await fleet.down(robot);
      return `${robot.name}: link down`;
    case "slow": {
      const ms = Number(value);
      if (!(ms > 0)) throw new Error("slow ROBOT MS: MS is a positive number of milliseconds");
      const method = await fleet.slow(robot, ms);
      return `${robot.name}: ${ms} ms behind (${
        method === "netem" ? "tc netem" : "delaying TCP relay: this kernel has no netem"
      })`;
    }
    case "heal":
      await fleet.heal(robot);
      return `${robot.name}: healed`;
    case "start":
      await fleet.start([robot]);
      return `${robot.name}: running`;
    default:
      throw new Error(`unknown command '${verb}' (type help)`);
  }
}

const VERBS = ["kill", "pause", "resume", "cut", "down", "slow", "heal", "start"];

function robotNamed(fleet: Fleet, name: string | undefined): FleetRobot {
  const robot = fleet.robots.find((r) => r.name === name);
  if (!robot) {
    throw new Error(
      `no robot '${name ?? ""}': robots are ${fleet.robots[0].name}…${fleet.robots.at(-1)!.name}`,
    );
  }
  return robot;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
