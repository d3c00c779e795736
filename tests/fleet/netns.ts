/**
 * Hosts on one machine: Linux network namespaces on one bridge with no uplink.
 *
 * A network is named by a prefix and a number K (`zfl213`): its bridge is `zfl213-br` with
 * 10.213.K.1/24 (so the root namespace — tests, `zedge fleet status` — reaches every host),
 * host i is the namespace `zfl213-h<i>` with 10.213.K.<10+i> on its `eth0` (a veth whose
 * other end `zfl213-v<i>` is on the bridge). Nothing routes beyond the bridge: traffic stays
 * between addresses the network made.
 *
 * Every network writes a pid file (/run/zedge-fleet/<name>.pid); {@link removeStaleNetworks}
 * removes the namespaces, links and processes of networks whose owner died (a crash, a
 * SIGKILL), so a crashed run never blocks or confuses the next one.
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * const net = await createNetwork(3);
 * try {
 *   const child = net.spawn(net.hosts[0], ["sleep", "1"]);
 *   await child.status;
 * } finally {
 *   await net.remove();
 * }
 * ```
 * @module
 */

/** Where each network's owner pid is kept (for {@link removeStaleNetworks}). */
export const RUN_DIR = "/run/zedge-fleet";

/** The default name prefix: short, since Linux interface names are at most 15 characters. */
export const DEFAULT_PREFIX = "zfl";

/** One host: a namespace with one address on the bridge. */
export interface Host {
  /** Index from 0. */
  index: number;
  /** The namespace's name (`zfl213-h0`). */
  namespace: string;
  /** Its IPv4 address on the bridge. */
  address: string;
  /** The bridge-side end of its veth pair (`zfl213-v0`). */
  link: string;
}

/** A bridge with hosts on it; {@link Network.remove} removes every trace. */
export interface Network {
  /** `<prefix><K>`: the prefix of every namespace and link. */
  name: string;
  /** The bridge's name. */
  bridge: string;
  /** The bridge's own address (the root namespace's address on the network). */
  gateway: string;
  /** The /24, e.g. `10.213.213.0/24`. */
  subnet: string;
  hosts: Host[];
  /** Starts a process inside a host's namespace; it is killed by {@link Network.remove}. */
  spawn(host: Host, command: string[], options?: SpawnOptions): Deno.ChildProcess;
  /** Runs a command inside a host's namespace; throws with its stderr when it fails. */
  exec(host: Host, command: string[]): Promise<string>;
  /** Kills every process in the namespaces, deletes namespaces, links and the pid file. */
  remove(): Promise<void>;
}

/** How a process in a namespace is started. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Default "piped" for stdout and stderr (read them, or they fill up). */
  stdout?: "piped" | "inherit" | "null";
  stderr?: "piped" | "inherit" | "null";
}

/** Options of {@link createNetwork}. */
export interface NetworkOptions {
  /** Name prefix (default `zfl`). */
  prefix?: string;
  /** Third octet K of 10.213.K.0/24 (default: the first K from 20 with no network of ours). */
  subnet?: number;
}

/**
 * Why a network cannot be made here (not root, no `ip`), or undefined when it can.
 *
 * @example
 * ```ts
 * import { networkUnavailable } from "./netns.ts";
 * const why = await networkUnavailable();
 * if (why) console.error(why);
 * ```
 */
export async function networkUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.uid() !== 0) {
    return "network namespaces need root (ip netns add): run as root, e.g. sudo deno task fleet-sim";
  }
  for (const tool of ["ip", "iptables"]) {
    if (!(await commandExists(tool))) {
      return `'${tool}' is not installed (apt-get install -y ${
        tool === "ip" ? "iproute2" : "iptables"
      })`;
    }
  }
  return undefined;
}

/**
 * Makes a bridge and `count` namespaces on it, each with its own address.
 * Removes stale networks of crashed runs first. On any failure what was made is removed.
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * const net = await createNetwork(2, { prefix: "zfl" });
 * console.log(net.hosts.map((h) => h.address));
 * await net.remove();
 * ```
 */
export async function createNetwork(count: number, options: NetworkOptions = {}): Promise<Network> {
  if (count < 1 || count > 200) throw new Error(`a network has 1 to 200 hosts, not ${count}`);
  const why = await networkUnavailable();
  if (why) throw new Error(why);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  await removeStaleNetworks(prefix);
  await Deno.mkdir(RUN_DIR, { recursive: true });
  const k = options.subnet ?? await freeSubnet(prefix);
  const name = `${prefix}${k}`;
  // Claim the name atomically: a parallel run choosing the same K fails here, not halfway.
  await Deno.writeTextFile(pidFile(name), `${Deno.pid}\n`, { createNew: true });
  const children = new Set<Deno.ChildProcess>();
  const network: Network = {
    name,
    bridge: `${name}-br`,
    gateway: `10.213.${k}.1`,
    subnet: `10.213.${k}.0/24`,
    hosts: Array.from({ length: count }, (_, index) => ({
      index,
      namespace: `${name}-h${index}`,
      address: `10.213.${k}.${10 + index}`,
      link: `${name}-v${index}`,
    })),
    spawn(host, command, spawnOptions = {}) {
      const child = new Deno.Command("ip", {
        args: ["netns", "exec", host.namespace, ...command],
        cwd: spawnOptions.cwd,
        env: spawnOptions.env,
        stdin: "null",
        stdout: spawnOptions.stdout ?? "piped",
        stderr: spawnOptions.stderr ?? "piped",
      }).spawn();
      children.add(child);
      child.status.finally(() => children.delete(child));
      return child;
    },
    exec: (host, command) => run(["ip", "netns", "exec", host.namespace, ...command]),
    async remove() {
      for (const child of children) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
      await removeNamed(name, network.hosts.length);
      await Promise.allSettled([...children].map((c) => c.status));
    },
  };
  try {
    await run(["ip", "link", "add", network.bridge, "type", "bridge"]);
    await run(["ip", "addr", "add", `${network.gateway}/24`, "dev", network.bridge]);
    await run(["ip", "link", "set", network.bridge, "up"]);
    for (const host of network.hosts) await addHost(network, host);
  } catch (error) {
    await network.remove();
    throw error;
  }
  return network;
}

async function addHost(network: Network, host: Host): Promise<void> {
  const inside = `${network.name}-i${host.index}`;
  await run(["ip", "netns", "add", host.namespace]);
  await run(["ip", "link", "add", host.link, "type", "veth", "peer", "name", inside]);
  await run(["ip", "link", "set", inside, "netns", host.namespace]);
  await run(["ip", "link", "set", host.link, "master", network.bridge]);
  await run(["ip", "link", "set", host.link, "up"]);
  const ns = ["ip", "netns", "exec", host.namespace];
  await run([...ns, "ip", "link", "set", inside, "name", "eth0"]);
  await run([...ns, "ip", "addr", "add", `${host.address}/24`, "dev", "eth0"]);
  await run([...ns, "ip", "link", "set", "eth0", "up"]);
  await run([...ns, "ip", "link", "set", "lo", "up"]);
}

/**
 * Removes every network with this prefix whose owner process is gone (or has no pid file):
 * its processes, namespaces and links. Returns the names removed.
 *
 * @example
 * ```ts
 * import { removeStaleNetworks } from "./netns.ts";
 * console.log(await removeStaleNetworks("zfl"));
 * ```
 */
export async function removeStaleNetworks(prefix = DEFAULT_PREFIX): Promise<string[]> {
  const names = new Set<string>();
  const pattern = new RegExp(`^(${prefix}\\d+)-`);
  for (const ns of await namespaces()) ns.match(pattern) && names.add(ns.match(pattern)![1]);
  for (const link of await links()) link.match(pattern) && names.add(link.match(pattern)![1]);
  try {
    for await (const entry of Deno.readDir(RUN_DIR)) {
      const m = entry.name.match(new RegExp(`^(${prefix}\\d+)\\.pid$`));
      if (m) names.add(m[1]);
    }
  } catch { /* no run dir yet */ }
  const removed: string[] = [];
  for (const name of names) {
    if (await ownerAlive(name)) continue;
    await removeNamed(name);
    removed.push(name);
  }
  return removed;
}

/** Kills processes in, and deletes, every namespace and link of network `name`. */
async function removeNamed(name: string, _count?: number): Promise<void> {
  const mine = (s: string) => s.startsWith(`${name}-`);
  for (const ns of (await namespaces()).filter(mine)) {
    const pids = await tryRun(["ip", "netns", "pids", ns]);
    for (const pid of (pids ?? "").split(/\s+/).filter(Boolean)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch { /* gone */ }
    }
    await tryRun(["ip", "netns", "del", ns]);
  }
  for (const link of (await links()).filter(mine)) await tryRun(["ip", "link", "del", link]);
  await Deno.remove(pidFile(name)).catch(() => {});
}

async function ownerAlive(name: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile(name))).trim());
  } catch {
    return false;
  }
  if (pid === Deno.pid) return true;
  try {
    // The process exists and is not a zombie.
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function freeSubnet(prefix: string): Promise<number> {
  const taken = new Set<number>();
  for (const link of await links()) {
    const m = link.match(/^[a-z]+(\d+)-/);
    if (m) taken.add(Number(m[1]));
  }
  for (const ns of await namespaces()) {
    const m = ns.match(/^[a-z]+(\d+)-/);
    if (m) taken.add(Number(m[1]));
  }
  for (let k = 20; k < 250; k++) {
    if (!taken.has(k) && !(await exists(pidFile(`${prefix}${k}`)))) return k;
  }
  throw new Error("no free 10.213.K.0/24 left (K 20-249 all in use)");
}

function pidFile(name: string): string {
  return `${RUN_DIR}/${name}.pid`;
}

async function namespaces(): Promise<string[]> {
  const out = await tryRun(["ip", "netns", "list"]);
  return (out ?? "").split("\n").map((l) => l.split(" ")[0]).filter(Boolean);
}

async function links(): Promise<string[]> {
  const out = await tryRun(["ip", "-o", "link", "show"]);
  return (out ?? "").split("\n").map((l) => l.split(": ")[1]?.split("@")[0]).filter(Boolean);
}

/**
 * Runs a command; resolves its stdout; throws with the command and stderr when it fails.
 *
 * @example
 * ```ts
 * import { run } from "./netns.ts";
 * console.log(await run(["ip", "netns", "list"]));
 * ```
 */
export async function run(command: string[]): Promise<string> {
  const out = await new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${command.join(" ")}: ${text.decode(out.stderr).trim() || `exit ${out.code}`}`,
    );
  }
  return text.decode(out.stdout);
}

async function tryRun(command: string[]): Promise<string | undefined> {
  try {
    return await run(command);
  } catch {
    return undefined;
  }
}

async function commandExists(tool: string): Promise<boolean> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    if (await exists(`${dir}/${tool}`)) return true;
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
