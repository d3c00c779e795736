/**
 * Faults between hosts of a {@link Network}: each fault names what it does to the host.
 *
 * - `cut`: iptables DROP inside the host's namespace (every packet in or out except loopback):
 *   silent — peers see nothing, TCP retransmits until a heartbeat or timeout notices.
 * - `down`: the host's `eth0` set down: loud — its own sends fail at once (no route).
 * - `slow`: on this kernel there is no `netem` qdisc, so when `tc qdisc add … netem` fails
 *   the host's outgoing TCP connections to the given destinations are DNATed to a relay in the
 *   root namespace (on the bridge's address) that holds every chunk `ms` before passing it on,
 *   in both directions. Applies to connections made after the call (so connections are reset
 *   with `ss -K` where the kernel allows it, making peers reconnect through the relay).
 * - `heal`: undoes cut, down and slow.
 * Killing (SIGKILL) and pausing (SIGSTOP/SIGCONT) are signals to the host's processes, see
 * fleet.ts.
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * import { cut, heal } from "./faults.ts";
 * const net = await createNetwork(2);
 * await cut(net, net.hosts[1]);
 * await heal(net, net.hosts[1]);
 * await net.remove();
 * ```
 * @module
 */
import type { Host, Network } from "./netns.ts";

/** How `slow` delayed a host: `netem` (tc qdisc) or `relay` (a delaying TCP relay). */
export type SlowMethod = "netem" | "relay";

/** A destination whose traffic from a slowed host goes through the relay. */
export interface Destination {
  address: string;
  port: number;
}

const relays = new Map<string, { close(): void }>();

/**
 * Drops every packet into and out of `host` (except its loopback): a silent partition.
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * import { cut } from "./faults.ts";
 * const net = await createNetwork(1);
 * await cut(net, net.hosts[0]);
 * await net.remove();
 * ```
 */
export async function cut(network: Network, host: Host): Promise<void> {
  await network.exec(host, ["iptables", "-I", "INPUT", "!", "-i", "lo", "-j", "DROP"]);
  await network.exec(host, ["iptables", "-I", "OUTPUT", "!", "-o", "lo", "-j", "DROP"]);
}

/**
 * Sets the host's `eth0` down: a loud partition (its sends fail with no route).
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * import { down } from "./faults.ts";
 * const net = await createNetwork(1);
 * await down(net, net.hosts[0]);
 * await net.remove();
 * ```
 */
export async function down(network: Network, host: Host): Promise<void> {
  await network.exec(host, ["ip", "link", "set", "eth0", "down"]);
}

/**
 * Delays the host's traffic to `destinations` by `ms` each way; returns the method used.
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * import { slow } from "./faults.ts";
 * const net = await createNetwork(2);
 * console.log(await slow(net, net.hosts[0], 100, [{ address: net.hosts[1].address, port: 5570 }]));
 * await net.remove();
 * ```
 */
export async function slow(
  network: Network,
  host: Host,
  ms: number,
  destinations: Destination[],
): Promise<SlowMethod> {
  try {
    await network.exec(host, [
      "tc",
      "qdisc",
      "add",
      "dev",
      "eth0",
      "root",
      "netem",
      "delay",
      `${ms}ms`,
    ]);
    return "netem";
  } catch { /* no netem here: the relay */ }
  for (const destination of destinations) {
    const listener = Deno.listen({ hostname: network.gateway, port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    relays.set(`${host.namespace}:${port}`, listener);
    relayConnections(listener, destination, ms);
    await network.exec(host, [
      "iptables",
      "-t",
      "nat",
      "-A",
      "OUTPUT",
      "-p",
      "tcp",
      "-d",
      destination.address,
      "--dport",
      String(destination.port),
      "-j",
      "DNAT",
      "--to-destination",
      `${network.gateway}:${port}`,
    ]);
    // Existing connections keep their path: reset them so they reconnect through the relay.
    await network.exec(host, [
      "ss",
      "-K",
      "dst",
      destination.address,
      "dport",
      "=",
      String(destination.port),
    ])
      .catch(() => {});
  }
  return "relay";
}

/**
 * Undoes cut, down and slow on `host`.
 *
 * @example
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * import { cut, heal } from "./faults.ts";
 * const net = await createNetwork(1);
 * await cut(net, net.hosts[0]);
 * await heal(net, net.hosts[0]);
 * await net.remove();
 * ```
 */
export async function heal(network: Network, host: Host): Promise<void> {
  await network.exec(host, ["iptables", "-F"]);
  await network.exec(host, ["iptables", "-t", "nat", "-F"]);
  await network.exec(host, ["tc", "qdisc", "del", "dev", "eth0", "root"]).catch(() => {});
  await network.exec(host, ["ip", "link", "set", "eth0", "up"]);
  for (const [key, relay] of relays) {
    if (key.startsWith(`${host.namespace}:`)) {
      relay.close();
      relays.delete(key);
    }
  }
}

/**
 * Closes every relay (what {@link Network.remove} cannot see: they live in this process).
 *
 * @example
 * ```ts
 * import { closeRelays } from "./faults.ts";
 * closeRelays();
 * ```
 */
export function closeRelays(): void {
  for (const relay of relays.values()) relay.close();
  relays.clear();
}

async function relayConnections(listener: Deno.Listener, to: Destination, ms: number) {
  try {
    for await (const incoming of listener) {
      Deno.connect({ hostname: to.address, port: to.port }).then((outgoing) => {
        pipeDelayed(incoming, outgoing, ms);
        pipeDelayed(outgoing, incoming, ms);
      }, () => incoming.close());
    }
  } catch { /* listener closed */ }
}

/** Copies `from` to `to`, each chunk sent `ms` after it arrived (order kept). */
async function pipeDelayed(from: Deno.Conn, to: Deno.Conn, ms: number) {
  let chain = Promise.resolve();
  let broken = false;
  try {
    for await (const chunk of from.readable) {
      if (broken) break;
      const due = Date.now() + ms;
      // Every step catches its own failure: a peer gone mid-write ends this direction only.
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (!broken) await to.write(chunk);
      }).catch(() => {
        broken = true;
      });
    }
  } catch { /* reset */ }
  await chain;
  for (const conn of [to, from]) {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
