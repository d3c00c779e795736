/**
 * Shared helpers of the robot tests: a robot directory in a temp dir
 * (YAML plus modules), a supervisor started in this process, waiting for a
 * component's state without sleeping, and a `zedge robot run` subprocess.
 *
 * @module
 */
import { join } from "node:path";
import { loadRobotConfig, type RobotConfigOptions } from "../../robot/config.ts";
import type { ComponentState, ComponentStatus } from "../../robot/control.ts";
import { Supervisor, type SupervisorOptions } from "../../robot/supervisor.ts";
import { freeTcpPort, loopbackPipelineEndpoints, tempDir, waitFor } from "../core/helpers.ts";
import { repoPath } from "../tasks/helpers.ts";
import { spawn, zedge, zedgeArgs } from "../tasks/processes.ts";

export { freeTcpPort, loopbackPipelineEndpoints, repoPath, waitFor };

/** `import … from "${ZEDGE}"` in a test module reaches zedge's public API. */
export const ZEDGE = new URL("../../mod.ts", import.meta.url).href;

/** Writes `files` (path → text) into `dir` (default a fresh temp directory) and returns it. */
export async function robotDir(
  files: Record<string, string>,
  into?: string,
): Promise<string> {
  const dir = into ?? await tempDir("zedge-robot-");
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return dir;
}

/**
 * `GET path` on a new connection to `address` (`HOST:PORT`), written by hand: the Host header is
 * what `headers.host` says (fetch would set it from the URL). Resolves with the status and body.
 */
export async function rawGet(
  address: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const colon = address.lastIndexOf(":");
  const conn = await Deno.connect({
    hostname: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
  });
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${headers.host ?? address}`,
    ...Object.entries(headers).filter(([k]) => k !== "host").map(([k, v]) => `${k}: ${v}`),
    "Connection: close",
    "",
    "",
  ];
  let text = "";
  try {
    await conn.write(new TextEncoder().encode(lines.join("\r\n")));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } finally {
    conn.close();
  }
  return { status: Number(text.split(" ")[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

/** A robot YAML naming `robot` with the given components block (indented YAML). */
export function robotYaml(components: string, extra = ""): string {
  return `robot: test-bot\n${extra}components:\n${components}`;
}

/** A started in-process supervisor for `dir/robot.yaml` (no control endpoint unless asked). */
export async function startRobot(
  dir: string,
  options: SupervisorOptions & { config?: RobotConfigOptions } = {},
): Promise<Supervisor> {
  const config = await loadRobotConfig(join(dir, "robot.yaml"), options.config);
  const supervisor = new Supervisor(config, { control: false, onLog: () => {}, ...options });
  await supervisor.start();
  return supervisor;
}

/** The named component's status. */
export function componentOf(supervisor: Supervisor, name: string): ComponentStatus {
  const found = supervisor.status().components.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no component ${name}`);
  return found;
}

/** Waits until the component is in `state` (and `also` holds). */
export async function waitForState(
  supervisor: Supervisor,
  name: string,
  state: ComponentState,
  also: (c: ComponentStatus) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<ComponentStatus> {
  await waitFor(
    () => {
      const c = componentOf(supervisor, name);
      return c.state === state && also(c);
    },
    () => `${name} to be ${state} (now ${JSON.stringify(componentOf(supervisor, name))})`,
    timeoutMs,
  );
  return componentOf(supervisor, name);
}

/** Starts `zedge robot run FILE` (with extra args); resolves once every component is up. */
export async function spawnRobot(file: string, ...extra: string[]) {
  const robot = spawn(Deno.execPath(), zedgeArgs("robot", "run", file, ...extra));
  await robot.waitFor(/components running \(ready in \d+ ms\)/, 60_000);
  return robot;
}

/** A node that runs until it is stopped. */
export const CALM =
  `export default (ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));\n`;

/**
 * A robot whose `frames` node (limited to 64 MB, never restarted) keeps 4 MB camera frames by
 * mistake, outside V8's heap, beside `calm` in a host of its own. The leak stops at 1 GB: without
 * its bound, a test fails without starving the machine.
 */
export function frameLeakRobot(): Record<string, string> {
  return {
    "robot.yaml": robotYaml(
      `  frames: { kind: node, module: ./frames.ts, limits: { memoryMb: 64 }, restart: never }
  calm: { kind: node, module: ./calm.ts, isolation: process }
`,
    ),
    "frames.ts": `export default function main() {
  const kept = [];
  return new Promise(() => {
    const grab = () => { kept.push(new Uint8Array(4 << 20).fill(7)); if (kept.length < 256) setTimeout(grab, 10); };
    grab();
  });
}\n`,
    "calm.ts": CALM,
  };
}

/**
 * `zedge robot build --stage DIR --no-compile` of `file`: the command that runs the staged entry
 * with exactly the flags the binary would bake (`deno run … ENTRY ARGS`), split into words.
 */
export async function stagedRobotCommand(file: string): Promise<string[]> {
  const stage = await tempDir("zedge-stage-");
  const built = await zedge(["robot", "build", file, "--stage", stage, "--no-compile"]);
  if (built.code !== 0) throw new Error(`robot build failed: ${built.stderr}`);
  return built.stdout.trim().split(" ");
}
