/**
 * Who holds an endpoint a component could not bind: the listening socket
 * of a `tcp://` port (`/proc/net/tcp`, `/proc/net/tcp6`) or of an `ipc://`
 * path (`/proc/net/unix`), and the process with that socket open (its
 * `/proc/<pid>/fd`), as `ss -ltnp` would say — read from /proc, since the
 * robot process may run no programs. Where the system cannot tell (no
 * /proc, another user's process), it says what it knows.
 *
 * @example
 * ```ts
 * import { endpointHolder } from "./endpoint_holder.ts";
 * console.log(endpointHolder("tcp://127.0.0.1:7801")); // "python3 (pid 4242)", or null
 * ```
 * @module
 */
import { parseEndpoint } from "../core/transport/endpoint.ts";

function read(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** The inodes of the listening sockets bound at `endpoint`. */
function listeningInodes(endpoint: string): Set<string> {
  const inodes = new Set<string>();
  let parsed;
  try {
    parsed = parseEndpoint(endpoint);
  } catch {
    return inodes;
  }
  if (parsed.transport === "tcp") {
    const port = Number(parsed.port).toString(16).toUpperCase().padStart(4, "0");
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      for (const line of (read(table) ?? "").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is HEXADDR:HEXPORT; state 0A is LISTEN; inode is the tenth field.
        if (f.length > 9 && f[1].endsWith(`:${port}`) && f[3] === "0A") inodes.add(f[9]);
      }
    }
  } else if (parsed.transport === "ipc") {
    for (const line of (read("/proc/net/unix") ?? "").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 7 && f[7] === parsed.path) inodes.add(f[6]);
    }
  }
  return inodes;
}

/**
 * Who holds `endpoint` (see the module documentation): `python3 (pid
 * 4242)`, `this robot (pid 17)`, `this robot's host process (pid 18)`, `a
 * process this robot cannot see`, or null
 * when the system does not tell.
 *
 * @example
 * ```ts
 * import { endpointHolder } from "./endpoint_holder.ts";
 * endpointHolder("ipc:///run/zedge/arm.sock");
 * ```
 */
export function endpointHolder(endpoint: string): string | null {
  const inodes = listeningInodes(endpoint);
  if (inodes.size === 0) return null;
  const links = new Set([...inodes].map((i) => `socket:[${i}]`));
  let pids: Deno.DirEntry[];
  try {
    pids = [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name));
  } catch {
    return "a process this robot cannot see";
  }
  for (const { name: pid } of pids) {
    let fds: Deno.DirEntry[];
    try {
      fds = [...Deno.readDirSync(`/proc/${pid}/fd`)];
    } catch {
      continue; // Gone, or another user's.
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`);
      } catch {
        continue;
      }
      if (!links.has(target)) continue;
      if (Number(pid) === Deno.pid) return `this robot (pid ${pid})`;
      // Components run in host processes the robot started (supervision/host_process.ts).
      if (isOwnHost(Number(pid))) return `this robot's host process (pid ${pid})`;
      const comm = read(`/proc/${pid}/comm`)?.trim() || "a program";
      return `${comm} (pid ${pid})`;
    }
  }
  return "a process this robot cannot see";
}

/** Whether `pid` is one of this process's component hosts (supervision/host_process.ts). */
function isOwnHost(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  // The fields after the command's closing parenthesis: state, then the parent's pid.
  if (stat === null || Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== Deno.pid) {
    return false;
  }
  const argv = (read(`/proc/${pid}/cmdline`) ?? "").split("\0");
  return argv.includes("--zedge-host") || argv.some((a) => a.endsWith("/host_main.ts"));
}

/**
 * A component's failure to bind `endpoint`, reworded to name it and its
 * holder; the report's place in the component's code and its stack stay.
 *
 * @example
 * ```ts
 * import { explainHeld } from "./endpoint_holder.ts";
 * explainHeld("tcp://127.0.0.1:7801", "ZmqError: cannot bind … (at /opt/bot/n.ts:4:13)");
 * // "cannot bind tcp://127.0.0.1:7801: held by python3 (pid 4242) (at /opt/bot/n.ts:4:13)"
 * ```
 */
export function explainHeld(
  endpoint: string,
  report: string,
  holder: (endpoint: string) => string | null = endpointHolder,
): string {
  const [headline, ...stack] = report.split("\n");
  const where = headline.match(/ \(at [^()]+\)$/)?.[0] ?? "";
  const who = holder(endpoint);
  return [
    `cannot bind ${endpoint}: ${who === null ? "address in use" : `held by ${who}`}${where}`,
    ...stack,
  ].join("\n");
}

/**
 * The endpoint an error says could not be bound because it is in use
 * (zedge's `EADDRINUSE`), or null for any other error.
 *
 * @example
 * ```ts
 * import { heldEndpoint } from "./endpoint_holder.ts";
 * heldEndpoint(Object.assign(new Error("cannot bind 'tcp://127.0.0.1:7801': address in use"),
 *   { code: "EADDRINUSE" })); // "tcp://127.0.0.1:7801"
 * ```
 */
export function heldEndpoint(error: unknown): string | null {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== "EADDRINUSE") return null;
  return error.message.match(/cannot bind '([^']+)'/)?.[1] ?? null;
}
