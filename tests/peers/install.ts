/**
 * Installs the real libzmq peers the interop tests and benchmarks talk to, if
 * they are missing: pyzmq from Debian (`python3-zmq`, for /usr/bin/python3,
 * with `python3-yaml` and `python3-msgpack` for the ZTL peers)
 * and zeromq.js for Node (`npm ci` in tests/peers/node). Run by
 * `deno task test` and `deno task bench` before anything else, so both work
 * on a fresh machine.
 *
 * @example
 * ```sh
 * deno run -A tests/peers/install.ts
 * ```
 * @module
 */

const NODE_PEERS = new URL("./node/", import.meta.url).pathname;

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

/** Makes sure pyzmq and zeromq.js are installed; throws with the failing step otherwise. */
export async function installPeers(): Promise<void> {
  // pyzmq is the libzmq peer; PyYAML and msgpack are what ZTL's own scripts and tools use.
  if (!(await run("/usr/bin/python3", ["-c", "import zmq, yaml, msgpack"]))) {
    // Root (CI, robots) runs apt-get directly; anyone else needs passwordless sudo.
    const apt = Deno.uid() === 0 ? ["apt-get"] : ["sudo", "-n", "apt-get"];
    await step("apt-get update", apt[0], [...apt.slice(1), "update", "-qq"]);
    await step("installing python3-zmq (pyzmq + libzmq), python3-yaml, python3-msgpack", apt[0], [
      ...apt.slice(1),
      "install",
      "-y",
      "-qq",
      "python3-zmq",
      "python3-yaml",
      "python3-msgpack",
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
    await installPeers();
  } catch (error) {
    console.error(`peers: ${error instanceof Error ? error.message : error}`);
    console.error(
      "peers: install them by hand: apt-get install -y python3-zmq; (cd tests/peers/node && npm ci)",
    );
    Deno.exit(1);
  }
}
