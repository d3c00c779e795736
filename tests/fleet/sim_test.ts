// `deno task fleet-sim N`: the simulator as a user runs it — faults typed on stdin, and every
// namespace, link and process removed on `quit`, on Ctrl-C (SIGINT) and, after a SIGKILL of the
// simulator itself, by the next run (removeStaleNetworks).
import assert from "node:assert/strict";
import { join } from "node:path";
import { hostSocketDir } from "../../robot/supervision/host_process.ts";
import { networkUnavailable, removeStaleNetworks, run } from "./netns.ts";
import { tempDir } from "../core/helpers.ts";

const SIM = new URL("./sim.ts", import.meta.url).pathname;

function startSim(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", SIM, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const reading = Promise.all(
    [child.stdout, child.stderr].map((stream) =>
      stream.pipeTo(new WritableStream({ write: (c) => void (output += decoder.decode(c)) }))
    ),
  );
  const waitFor = async (pattern: RegExp, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return output.match(pattern)!;
  };
  const writer = child.stdin.getWriter();
  return {
    child,
    waitFor,
    output: () => output,
    type: (line: string) => writer.write(new TextEncoder().encode(line + "\n")),
    done: async () => {
      await writer.close().catch(() => {});
      const status = await child.status;
      await reading;
      return status;
    },
  };
}

async function leftOf(network: string): Promise<string[]> {
  const all = (await run(["ip", "netns", "list"])) + (await run(["ip", "-o", "link", "show"]));
  return all.split("\n").filter((l) => l.includes(`${network}-`));
}

Deno.test({
  name:
    "fleet-sim: faults as commands, and nothing left after quit, Ctrl-C or a SIGKILL of the simulator",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const why = await networkUnavailable();
    if (why) throw new Error(`this test needs network namespaces: ${why}`);
    const dir = await tempDir("zedge-fleet-sim-test-");
    try {
      // quit
      const sim = startSim(["2", "--dir", join(dir, "a")]);
      const [, network] = await sim.waitFor(/running in \d+ ms \(network (\w+),/);
      assert.match(
        await Deno.readTextFile(join(dir, "a", "fleet.yaml")),
        /robot-02: \{ control: tcp:\/\/10\.213\.\d+\.11:7700/,
      );
      await sim.type("slow robot-02 50");
      await sim.waitFor(/robot-02: 50 ms behind \(delaying TCP relay: this kernel has no netem\)/);
      await sim.type("cut robot-01");
      await sim.waitFor(/robot-01: cut off \(iptables DROP/);
      await sim.type("pause robot-02");
      await sim.waitFor(/robot-02: paused \(SIGSTOP\)/);
      await sim.type("kill robot-03");
      await sim.waitFor(/error: no robot 'robot-03': robots are robot-01…robot-02/);
      await sim.type("quit");
      const status = await sim.done();
      assert.equal(status.code, 0, sim.output());
      assert.deepEqual(await leftOf(network), []);

      // Ctrl-C
      const interrupted = startSim(["1", "--dir", join(dir, "b")]);
      const [, network2] = await interrupted.waitFor(/running in \d+ ms \(network (\w+),/);
      interrupted.child.kill("SIGINT");
      assert.equal((await interrupted.done()).code, 130, interrupted.output());
      assert.deepEqual(await leftOf(network2), []);

      // SIGKILL of the simulator: its robot lives on in the namespace until the next run.
      const crashed = startSim(["1", "--dir", join(dir, "c")]);
      const [, network3] = await crashed.waitFor(/running in \d+ ms \(network (\w+),/);
      const pids = (await run(["ip", "netns", "pids", `${network3}-h0`])).trim().split(/\s+/);
      crashed.child.kill("SIGKILL");
      await crashed.done();
      assert.notDeepEqual(await leftOf(network3), []);
      // (Another run may remove it first: what matters is that it is gone afterwards.)
      await removeStaleNetworks();
      assert.deepEqual(await leftOf(network3), []);
      for (const pid of pids) {
        await Deno.stat(`/proc/${pid}`).then(
          async () => assert.match(await Deno.readTextFile(`/proc/${pid}/stat`), /\) Z /),
          () => {},
        );
      }
    } finally {
      await removeStaleNetworks();
      await Deno.remove(dir, { recursive: true });
      // The robots killed with their network (the SIGKILL case) could not
      // remove their host socket directories; nothing of this test stays in /tmp.
      for (const robot of ["robot-01", "robot-02"]) {
        await Deno.remove(hostSocketDir(robot), { recursive: true }).catch(() => {});
      }
    }
  },
});

Deno.test("fleet-sim: a missing N or an unknown argument is one line, exit 2", async () => {
  for (
    const [args, message] of [[[], /give the number of robots N/], [
      ["3", "--bogus"],
      /unknown argument '--bogus'/,
    ]] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SIM, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
  }
});
