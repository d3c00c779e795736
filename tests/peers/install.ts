/**
 * Installs the real libzmq peers the interop tests and benchmarks talk to, if
 * they are missing: pyzmq from Debian (`python3-zmq`, for /usr/bin/python3,
 * with `python3-yaml` and `python3-msgpack` for the ZTL peers)
 * and zeromq.js for Node (`npm ci` in tests/peers/node); and what the status
 * page's tests read it with: Debian's Chromium (driven by puppeteer-core,
 * which downloads no browser) and `python3-prometheus-client` (Prometheus's
 * own parser of the text format); the tools the fleet's network-namespace
 * tests build their hosts and faults with (`ip` from iproute2, Debian's
 * `iptables`) and `systemd-analyze` (package systemd), which checks the units
 * zedge writes; and, with `--bench`, libzmq3-dev with a C
 * compiler, for the benchmarks' native libzmq peer (bench/native/zmq_peer.c).
 * Run by `deno task test` before anything else and by `deno task bench` once
 * its arguments are read, so both work on a fresh machine.
 *
 * @example
 * ```sh
 * deno run -A tests/peers/install.ts          # what the tests need
 * deno run -A tests/peers/install.ts --bench  # and the native peer's compiler and headers
 * ```
 * @module
 */
import { existsSync } from "node:fs";

const NODE_PEERS = new URL("./node/", import.meta.url).pathname;
/** Debian's Chromium, which the status page's browser test drives. */
const CHROMIUM = "/usr/bin/chromium";
/** libzmq3-dev's header: the native peer of the benchmarks compiles against it. */
const ZMQ_HEADER = "/usr/include/zmq.h";

async function run(cmd: string, args: string[], cwd?: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function step(label: string, cmd: string, args: string[], cwd?: string): Promise<void> {
  console.error(`peers: ${label}`);
  const child = new Deno.Command(cmd, { args, cwd, stdout: "inherit", stderr: "inherit" }).spawn();
  const { success } = await child.status;
  if (!success) throw new Error(`'${cmd} ${args.join(" ")}' failed`);
}

/**
 * Makes sure every peer above is installed (the native peer's compiler and
 * headers only with `bench`: no test needs them); throws with the failing
 * step otherwise.
 */
export async function installPeers(options: { bench?: boolean } = {}): Promise<void> {
  const missing: string[] = [];
  // pyzmq is the libzmq peer; PyYAML and msgpack are what ZTL's own scripts and tools use;
  // prometheus_client parses /metrics.
  if (!(await run("/usr/bin/python3", ["-c", "import zmq, yaml, msgpack, prometheus_client"]))) {
    missing.push("python3-zmq", "python3-yaml", "python3-msgpack", "python3-prometheus-client");
  }
  if (!(await run(CHROMIUM, ["--version"]))) missing.push("chromium");
  // A fresh Debian machine has neither iptables nor, without a desktop, systemd's tools.
  if (!(await run("ip", ["-V"]))) missing.push("iproute2");
  if (!(await run("iptables", ["--version"]))) missing.push("iptables");
  if (!(await run("systemd-analyze", ["--version"]))) missing.push("systemd");
  // The benchmarks' native libzmq peer is C, compiled by the bench itself against these headers.
  if (options.bench && !existsSync(ZMQ_HEADER)) missing.push("libzmq3-dev");
  if (options.bench && !(await run("cc", ["--version"]))) missing.push("gcc");
  if (missing.length > 0) {
    // Root (CI, robots) runs apt-get directly; anyone else needs passwordless sudo.
    const apt = Deno.uid() === 0 ? ["apt-get"] : ["sudo", "-n", "apt-get"];
    await step("apt-get update", apt[0], [...apt.slice(1), "update", "-qq"]);
    await step(`installing ${missing.join(", ")}`, apt[0], [
      ...apt.slice(1),
      "install",
      "-y",
      "-qq",
      ...missing,
    ]);
  }
  try {
    await Deno.stat(`${NODE_PEERS}node_modules/zeromq/package.json`);
  } catch {
    await step("installing zeromq.js for the Node peer (npm ci)", "npm", [
      "ci",
      "--no-audit",
      "--no-fund",
    ], NODE_PEERS);
  }
}

if (import.meta.main) {
  try {
    await installPeers({ bench: Deno.args.includes("--bench") });
  } catch (error) {
    console.error(`peers: ${error instanceof Error ? error.message : error}`);
    console.error(
      "peers: install them by hand: apt-get install -y python3-zmq python3-yaml python3-msgpack " +
        "python3-prometheus-client chromium iproute2 iptables systemd libzmq3-dev gcc; " +
        "(cd tests/peers/node && npm ci)",
    );
    Deno.exit(1);
  }
}
