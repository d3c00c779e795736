/**
 * CPU-profiles zedge's side of one socket benchmark case: starts the same
 * zedge peers as bench/zmq.ts with the V8 inspector on, records a sampling
 * profile of each over the Chrome DevTools protocol (Deno has no --cpu-prof),
 * and prints where self time goes, by function and by file. The raw profiles
 * are saved as .cpuprofile files that Chrome DevTools opens.
 *
 *     deno run -A bench/zmq_profile.ts push16|push1k|push100|reqrep|curve16 [--seconds=5] [--top=25] [--out=DIR]
 *
 * @example
 * ```sh
 * deno run -A bench/zmq_profile.ts push16 --seconds=5
 * ```
 *
 * @module
 */
import { loadCurveCrypto, z85Encode } from "../core/zmtp/mod.ts";
import { peerCommand } from "./zmq.ts";
import { PeerProcess } from "./zmq_process.ts";

/** A V8 CPU profile as the DevTools protocol returns it. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Self and inclusive sample counts of one function. */
export interface FunctionCost {
  name: string;
  where: string;
  self: number;
  total: number;
}

const ROOT = new URL("../", import.meta.url).href;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Attaches to the inspector on `port`, samples for `seconds`, returns the profile.
 *
 * @example
 * ```ts
 * const profile = await recordProfile(9229, 5);
 * console.log(profile.nodes.length);
 * ```
 */
export async function recordProfile(port: number, seconds: number): Promise<CpuProfile> {
  let url: string | undefined;
  for (let attempt = 0; attempt < 100 && url === undefined; attempt++) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      url = targets[0]?.webSocketDebuggerUrl;
    } catch {
      await sleep(100);
    }
  }
  if (url === undefined) throw new Error(`no inspector answered on 127.0.0.1:${port}`);
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`inspector websocket ${url} failed`));
  });
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (typeof message.id === "number") pending.get(message.id)?.(message.result ?? {});
  };
  let nextId = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");
  await sleep(seconds * 1000);
  const { profile } = await call("Profiler.stop");
  socket.close();
  return profile as CpuProfile;
}

/**
 * Self and inclusive samples per function (recursion counted once).
 *
 * @example
 * ```ts
 * const costs = functionCosts(profile);
 * console.log(costs[0].name, costs[0].self);
 * ```
 */
export function functionCosts(profile: CpuProfile): FunctionCost[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const costs = new Map<string, FunctionCost>();
  const keyOf = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = url.startsWith(ROOT)
      ? url.slice(ROOT.length)
      : url.replace(/^.*\/node_modules\//, "");
    return { name: functionName || "(anonymous)", where: file ? `${file}:${lineNumber + 1}` : "" };
  };
  const visit = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    const { name, where } = keyOf(id);
    const key = `${name} ${where}`;
    const cost = costs.get(key) ?? { name, where, self: 0, total: 0 };
    costs.set(key, cost);
    cost.self += node.hitCount ?? 0;
    const nested = onStack.has(key);
    onStack.add(key);
    let total = node.hitCount ?? 0;
    for (const child of node.children ?? []) total += visit(child, onStack);
    if (!nested) {
      onStack.delete(key);
      cost.total += total;
    }
    return total;
  };
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  for (const node of profile.nodes) if (!childIds.has(node.id)) visit(node.id, new Set());
  return [...costs.values()];
}

/**
 * A profile as markdown: the top functions by self time, self time by file,
 * and zedge's own functions by inclusive time (idle samples left out).
 *
 * @example
 * ```ts
 * console.log(renderProfile("zedge pull", profile, 25));
 * ```
 */
export function renderProfile(label: string, profile: CpuProfile, top: number): string {
  const costs = functionCosts(profile);
  const all = costs.reduce((sum, cost) => sum + cost.self, 0);
  const idle = costs.filter((c) => c.name === "(idle)").reduce((s, c) => s + c.self, 0);
  const busy = all - idle;
  const pct = (n: number) => `${((100 * n) / busy).toFixed(1)}%`;
  const lines = [
    `### ${label}: ${busy} busy samples (${((100 * idle) / all).toFixed(0)}% idle not counted)`,
  ];
  lines.push("", "self | inclusive | function | where", "---: | ---: | --- | ---");
  for (
    const cost of [...costs].filter((c) => c.name !== "(idle)" && c.name !== "(root)").sort((
      a,
      b,
    ) => b.self - a.self)
      .slice(0, top)
  ) {
    lines.push(`${pct(cost.self)} | ${pct(cost.total)} | ${cost.name} | ${cost.where}`);
  }
  const byFile = new Map<string, number>();
  for (const cost of costs) {
    if (cost.name === "(idle)") continue;
    const file = cost.where.replace(/:\d+$/, "") || cost.name;
    byFile.set(file, (byFile.get(file) ?? 0) + cost.self);
  }
  lines.push("", "self by file:", "");
  for (const [file, self] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    lines.push(`- ${pct(self)} ${file}`);
  }
  lines.push("", "inclusive, zedge code only:", "");
  for (
    const cost of costs.filter((c) => /^(core|bench)\//.test(c.where)).sort((a, b) =>
      b.total - a.total
    ).slice(0, top)
  ) {
    lines.push(`- ${pct(cost.total)} (self ${pct(cost.self)}) ${cost.name} ${cost.where}`);
  }
  return lines.join("\n");
}

const CASES: Record<
  string,
  {
    server: Record<string, unknown>;
    client: Record<string, unknown>;
    measured: "server" | "client";
  }
> = {
  push16: {
    server: { role: "pull", size: 16 },
    client: { role: "push", size: 16 },
    measured: "server",
  },
  push1k: {
    server: { role: "pull", size: 1024 },
    client: { role: "push", size: 1024 },
    measured: "server",
  },
  push100: {
    server: { role: "pull", size: 16 },
    client: { role: "push-many", size: 16, count: 100 },
    measured: "server",
  },
  reqrep: {
    server: { role: "rep", size: 16 },
    client: { role: "req", size: 16 },
    measured: "client",
  },
  curve16: {
    server: { role: "pull", size: 16, curve: true },
    client: { role: "push", size: 16, curve: true },
    measured: "server",
  },
};

/** Replaces a case's `curve: true` with a fresh server key pair (Z85). */
async function withKeys(config: Record<string, unknown>, keys: () => Promise<unknown>) {
  return config.curve === true ? { ...config, curve: await keys() } : config;
}

async function main(args: string[]): Promise<void> {
  const name = args.find((arg) => !arg.startsWith("--"));
  const option = (flag: string, fallback: number) => {
    const raw = args.find((arg) => arg.startsWith(`--${flag}=`))?.slice(flag.length + 3);
    const value = raw === undefined ? fallback : Number(raw);
    if (!(value > 0)) throw new Error(`--${flag}: expected a positive number, got "${raw}"`);
    return value;
  };
  if (name === undefined || !(name in CASES)) {
    throw new Error(
      `case: expected one of ${Object.keys(CASES).join(", ")}, got ${JSON.stringify(name)}`,
    );
  }
  const seconds = option("seconds", 5);
  const top = option("top", 25);
  const out = args.find((arg) => arg.startsWith("--out="))?.slice(6) ?? "/tmp/zedge-profiles";
  await Deno.mkdir(out, { recursive: true });
  let keys: Promise<{ publicKey: string; secretKey: string }> | undefined;
  const makeKeys = () =>
    keys ??= loadCurveCrypto().then((crypto) => {
      const pair = crypto.keyPair();
      return { publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) };
    });
  const spec = {
    ...CASES[name],
    server: await withKeys(CASES[name].server, makeKeys),
    client: await withKeys(CASES[name].client, makeKeys),
  };
  const window = { warmup: 1, duration: seconds + 1 };
  const ports = { server: freePort(), client: freePort() };
  const inspect = (side: "server" | "client") => [`--inspect=127.0.0.1:${ports[side]}`];
  const serverConfig = { ...spec.server, ...(spec.measured === "server" ? window : {}) };
  const server = new PeerProcess(
    `zedge ${spec.server.role}`,
    peerCommand("zedge", serverConfig, inspect("server")),
  );
  let client: PeerProcess | undefined;
  try {
    const { endpoint } = await server.next(20_000);
    const clientConfig = {
      ...spec.client,
      endpoint,
      ...(spec.measured === "client" ? window : {}),
    };
    client = new PeerProcess(
      `zedge ${spec.client.role}`,
      peerCommand("zedge", clientConfig, inspect("client")),
    );
    await sleep(1000);
    const [serverProfile, clientProfile] = await Promise.all([
      recordProfile(ports.server, seconds),
      recordProfile(ports.client, seconds),
    ]);
    const measured = spec.measured === "server" ? server : client;
    const { rate } = await measured.next(30_000);
    console.log(
      `## ${name}: ${Math.round(rate as number).toLocaleString("en-US")}/s while profiled\n`,
    );
    for (const [side, profile] of [["server", serverProfile], ["client", clientProfile]] as const) {
      const role = spec[side].role as string;
      const file = `${out}/${name}-${role}.cpuprofile`;
      await Deno.writeTextFile(file, JSON.stringify(profile));
      console.log(renderProfile(`zedge ${role} (${file})`, profile, top) + "\n");
    }
  } finally {
    await Promise.all([server.stop(), client?.stop()]);
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`zmq_profile: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
