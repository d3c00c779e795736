// A node component runs with only the permissions its configuration names:
// its own endpoint works; an unlisted endpoint, a file, a subprocess, an env
// variable it was not given, a sys call or a native library fail with
// NotCapable. The node reports every attempt over its own endpoint.
import assert from "node:assert/strict";
import { Pull } from "../../mod.ts";
import { freeTcpPort, robotDir, robotYaml, startRobot, waitForState, ZEDGE } from "./helpers.ts";

const PROBE_NODE = `import { Push } from "${ZEDGE}";
async function attempt(what, fn) {
  try { await fn(); return [what, "allowed"]; } catch (error) { return [what, error.name]; }
}
export default async function main(ctx) {
  const push = new Push();
  await push.bind(ctx.endpoints.report);
  const results = Object.fromEntries([
    await attempt("connect to an unlisted endpoint", async () => (await Deno.connect({ hostname: "127.0.0.1", port: ctx.config.unlisted })).close()),
    await attempt("listen on an unlisted port", () => Deno.listen({ hostname: "127.0.0.1", port: ctx.config.unlisted }).close()),
    await attempt("read /etc/hostname", () => Deno.readTextFile("/etc/hostname")),
    await attempt("write a file", () => Deno.writeTextFile("/tmp/zedge-sandbox-probe.txt", "x")),
    await attempt("run a subprocess", () => new Deno.Command("true").output()),
    await attempt("read HOME", () => { if (Deno.env.get("HOME") === undefined) throw new Error("unset"); }),
    await attempt("read the declared variable", () => { if (Deno.env.get("ZEDGE_SANDBOX_VAR") !== "granted") throw new Error("not set"); }),
    await attempt("read the declared file", () => Deno.readTextFile(ctx.config.declared)),
    await attempt("sys: hostname", () => Deno.hostname()),
    await attempt("ffi: dlopen", () => Deno.dlopen("libc.so.6", {})),
  ]);
  await push.send(JSON.stringify(results));
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  await push.close();
}
`;

Deno.test("a node gets NotCapable for everything it was not given, while its own endpoint works", async () => {
  Deno.env.set("ZEDGE_SANDBOX_VAR", "granted");
  const report = freeTcpPort();
  const unlisted = freeTcpPort();
  const dir = await robotDir({ "probe.ts": PROBE_NODE, "declared.txt": "ok" });
  await Deno.writeTextFile(
    `${dir}/robot.yaml`,
    robotYaml(`  probe:
    kind: node
    module: ./probe.ts
    bind: { report: tcp://127.0.0.1:${report} }
    read: [./declared.txt]
    env: [ZEDGE_SANDBOX_VAR]
    config: { unlisted: ${unlisted}, declared: ${JSON.stringify(`${dir}/declared.txt`)} }
`),
  );
  const supervisor = await startRobot(dir);
  const pull = new Pull({ receiveTimeout: 20_000 });
  try {
    pull.connect(`tcp://127.0.0.1:${report}`);
    const [body] = await pull.receive();
    const results = JSON.parse(new TextDecoder().decode(body));
    assert.deepEqual(results, {
      "connect to an unlisted endpoint": "NotCapable",
      "listen on an unlisted port": "NotCapable",
      "read /etc/hostname": "NotCapable",
      "write a file": "NotCapable",
      "run a subprocess": "NotCapable",
      "read HOME": "NotCapable",
      "read the declared variable": "allowed",
      "read the declared file": "allowed",
      "sys: hostname": "NotCapable",
      "ffi: dlopen": "NotCapable",
    });
    assert.equal((await waitForState(supervisor, "probe", "running")).restarts, 0);
  } finally {
    await pull.close();
    await supervisor.shutdown();
    Deno.env.delete("ZEDGE_SANDBOX_VAR");
  }
});

Deno.test("an uncaught NotCapable crashes only its component, logged under its name", async () => {
  const dir = await robotDir({
    "nosy.ts":
      `export default async function main() { await Deno.readTextFile("/etc/hostname"); }\n`,
    "calm.ts":
      `export default (ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));\n`,
  });
  await Deno.writeTextFile(
    `${dir}/robot.yaml`,
    robotYaml(`  nosy: { kind: node, module: ./nosy.ts, restart: never }
  calm: { kind: node, module: ./calm.ts }
`),
  );
  const warnings: string[] = [];
  const supervisor = await startRobot(dir, {
    onStateChange: (name, state, error) => warnings.push(`${name} ${state} ${error}`),
  });
  try {
    const nosy = await waitForState(supervisor, "nosy", "failed");
    assert.match(nosy.lastError!, /NotCapable: Requires read access to "\/etc\/hostname"/);
    assert.ok(warnings.some((w) => /^nosy failed .*NotCapable/.test(w)), warnings.join("\n"));
    assert.equal((await waitForState(supervisor, "calm", "running")).restarts, 0);
  } finally {
    await supervisor.shutdown();
  }
});

Deno.test("a module's local import outside its directory loads; the component still cannot read it", async () => {
  // Deno checks a Worker's static imports against its creator's (the host's) read permission: the
  // host reads the module's whole graph, the component's own permissions stay as they were.
  const dir = await robotDir({
    "robot.yaml": robotYaml(
      `  probe: { kind: node, module: ./nodes/probe.ts, restart: never }
`,
    ),
    "nodes/probe.ts": `import { shout } from "../lib/shout.ts";
export default async function main() {
  let read = "allowed";
  try { await Deno.readTextFile(new URL("../lib/shout.ts", import.meta.url)); } catch (error) { read = error.name; }
  throw new Error(shout("reading lib/shout.ts: " + read));
}\n`,
    "lib/shout.ts": `export const shout = (s) => s.toUpperCase();\n`,
  });
  const supervisor = await startRobot(dir);
  try {
    const probe = await waitForState(supervisor, "probe", "failed");
    assert.match(probe.lastError ?? "", /READING LIB\/SHOUT\.TS: NOTCAPABLE/);
  } finally {
    await supervisor.shutdown();
  }
});
