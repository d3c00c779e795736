/**
 * `deno task bench`: runs every benchmark section as its own process (so one
 * section's sockets and memory never skew the next) and prints their tables.
 * Pass section names to run only those: `deno task bench zmq tasks`.
 * Flags go to every section: `deno task bench zmq --quick --only zedge`
 * (a word after a flag that is not a section name is that flag's value).
 *
 * @example
 * ```sh
 * deno task bench zmq --quick
 * ```
 *
 * @module
 */
import { installPeers } from "../tests/peers/install.ts";

const SECTIONS = ["zmq", "tasks", "pipeline", "robot", "dataflow", "live", "fleet"] as const;
/** Sections run only when named: `fleet` needs root and starts a fleet of robot processes. */
const ON_REQUEST = ["fleet"];

/**
 * Splits the command line into section names and the flags handed to every
 * section; an unknown bare word that does not follow a flag is an error.
 *
 * @example
 * ```ts
 * splitArgs(["zmq", "--only", "zedge"]); // { sections: ["zmq"], flags: ["--only", "zedge"] }
 * ```
 */
export function splitArgs(args: readonly string[]): { sections: string[]; flags: string[] } {
  const sections: string[] = [];
  const flags: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith("--")) flags.push(arg);
    else if ((SECTIONS as readonly string[]).includes(arg)) sections.push(arg);
    else if (i > 0 && args[i - 1].startsWith("--") && !args[i - 1].includes("=")) flags.push(arg);
    else throw new Error(`unknown section "${arg}" (expected ${SECTIONS.join(", ")})`);
  }
  return {
    sections: sections.length > 0 ? sections : SECTIONS.filter((s) => !ON_REQUEST.includes(s)),
    flags,
  };
}

async function runSection(name: string, flags: string[]): Promise<boolean> {
  const url = new URL(`./${name}.ts`, import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    console.log(`(section ${name}: not present, skipped)`);
    return true;
  }
  console.log(`\n## ${name}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", url.pathname, ...flags],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  if (!status.success) console.log(`(section ${name}: failed with exit code ${status.code})`);
  return status.success;
}

/** What `deno task bench --help` prints. */
export const USAGE = `usage: deno task bench [SECTION ...] [FLAGS]

Runs each benchmark section as its own process, side by side with its peers in the same run
(pyzmq, zeromq.js, native libzmq, a raw Deno echo, the seed's baseline), and prints ratios with
the targets' verdicts. With no section: ${
  SECTIONS.filter((s) => !ON_REQUEST.includes(s)).join(", ")
}.

sections:
  zmq        sockets: REQ/REP, PUSH→PULL, PUB→SUB, CURVE, the 1/10/100-peer curves, fan-in
  tasks      remote tasks against Python ZTL
  pipeline   the seed's table over its sequential baseline, empty items against a pyzmq loop
  robot      the example robot: cold start, stop, idle memory, node → node throughput
  dataflow   topics and service round trips over inproc, ipc and tcp
  live       throughput with a Foxglove client and the recorder; a cold zedge topic list
  fleet      only when named, as root: a fleet of robots in network namespaces

flags (each section takes its own; unknown ones are ignored):
  --quick            fewer rounds (zmq, tasks, pipeline), 1 s windows (dataflow)
  --only zedge       zedge alone, no peers (zmq)
  --warmup=S         seconds before each window opens, every system alike (zmq; default 0.5)
  --seconds N        the window of each measurement (dataflow, live)
  --runs N           cold starts and stops (robot), cold runs (live), medians of N (dataflow)
  --full             the long cases too (pipeline)
  --cases W1xT1:N1,… only these 10 ms cases and their baselines (pipeline), e.g. 1x1:1000,2x10:100
  --fresh-workers    10 ms cases on new worker processes, not on workers that served a run (pipeline)
  --robots N         robots in the fleet (fleet, default 10)
  -h, --help         this text
`;

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  let parsed: { sections: string[]; flags: string[] };
  try {
    parsed = splitArgs(Deno.args);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    Deno.exit(2);
  }
  // The peers (pyzmq, zeromq.js, the native peer's compiler and headers) are installed when
  // missing, after the arguments are read: `--help` and a mistyped section install nothing.
  try {
    await installPeers({ bench: true });
  } catch (error) {
    console.error(`bench: ${(error as Error).message}; see tests/peers/install.ts`);
    Deno.exit(1);
  }
  let ok = true;
  for (const section of parsed.sections) ok = (await runSection(section, parsed.flags)) && ok;
  Deno.exit(ok ? 0 : 1);
}
