// A host that drops every packet (a robot cut off, as the fleet simulator's
// `cut` does it) answers a TCP connect with nothing: the kernel retries the
// SYN for about two minutes. A socket connecting to it must still close at
// once, or `zedge fleet status` waits those two minutes for one cut-off
// robot after printing its table (found over network namespaces). The
// silent host here is one loopback port whose packets iptables drops; the
// rule is removed afterwards.
import assert from "node:assert/strict";
import { Dealer } from "../../mod.ts";
import { controlRequest, ControlUnreachableError } from "../../robot/control.ts";
import { freeTcpPort } from "../robot/helpers.ts";
import { run, zedge } from "../tasks/processes.ts";
import { tempDir } from "../core/helpers.ts";

async function iptables(...args: string[]): Promise<void> {
  const out = await run("iptables", args).catch((error) => ({
    code: -1,
    stdout: "",
    stderr: String(error),
  }));
  if (out.code !== 0) {
    throw new Error(`iptables ${args.join(" ")}: ${out.stderr.trim()} (needs root and iptables)`);
  }
}

/** Runs `body` with the packets to 127.0.0.1:`port` dropped. */
async function withSilentPort(body: (port: number) => Promise<void>): Promise<void> {
  const port = freeTcpPort();
  const rule = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", String(port), "-j", "DROP"];
  await iptables("-I", ...rule);
  try {
    await body(port);
  } finally {
    await iptables("-D", ...rule);
  }
}

Deno.test("a socket connecting to a host that drops every packet closes at once", async () => {
  await withSilentPort(async (port) => {
    const dealer = new Dealer({ linger: 0 });
    dealer.connect(`tcp://127.0.0.1:${port}`);
    // The connect is under way (the SYN is unanswered); closing gives it up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await dealer.close();
    const closedMs = performance.now() - started;
    assert.ok(closedMs < 1000, `close took ${Math.round(closedMs)} ms`);
  });
});

Deno.test("a control request to a silent robot ends within its timeout", async () => {
  await withSilentPort(async (port) => {
    const started = performance.now();
    await assert.rejects(
      controlRequest(`tcp://127.0.0.1:${port}`, { op: "status" }, { timeoutMs: 500 }),
      (error: Error) =>
        error instanceof ControlUnreachableError && /no reply within 500 ms/.test(error.message),
    );
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 500 + 1000, `took ${Math.round(tookMs)} ms`);

    // The whole command too: the table is printed and the process ends in one timeout.
    const dir = await tempDir("zedge-fleet-");
    try {
      await Deno.writeTextFile(
        `${dir}/fleet.yaml`,
        `fleet: lab\nrobots:\n  cut-off: { control: "tcp://127.0.0.1:${port}" }\n`,
      );
      const commandStarted = performance.now();
      const out = await zedge(["fleet", "status", `${dir}/fleet.yaml`, "--timeout", "500"]);
      const commandMs = performance.now() - commandStarted;
      assert.equal(out.code, 1);
      assert.match(out.stdout, /^cut-off\s+NO\s/m);
      assert.ok(commandMs < 500 + 5000, `zedge fleet status took ${Math.round(commandMs)} ms`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
