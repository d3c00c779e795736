/**
 * Memory figures of the zedge engine, for the "zmq" benchmark section:
 *
 * - per idle connection: a zedge PULL accepts `count` connections (1,000 by
 *   default) from zedge PUSH sockets in another process; both processes
 *   report their JS heap + external (array buffer) memory after a forced
 *   GC, and their RSS, before and after. Target: under 32 KiB per idle
 *   connection on the accepting side.
 * - held after hostile peers leave: five raw peers each announce a 2 GiB
 *   frame after READY and send 20 MiB of it, then vanish; what the PULL
 *   still holds after a forced GC.
 *
 * Each side runs as this module in its own `deno run --v8-flags=--expose-gc`
 * process, driven over stdio like the other benchmark peers.
 *
 * @example
 * ```sh
 * deno run -A bench/zmq_memory.ts        # prints the figures on their own
 * ```
 *
 * @module
 */
import { PeerProcess, type PeerReport } from "./zmq_process.ts";

/** What one memory measurement reports, in bytes. */
export interface MemoryFigures {
  /** Idle connections measured. */
  count: number;
  /** Accepting side: heap + external growth per connection, after GC. */
  serverPerConnection: number;
  /** Accepting side: RSS growth per connection. */
  serverRssPerConnection: number;
  /** Connecting side (one PUSH socket per connection): heap + external per socket. */
  clientPerConnection: number;
  /** Connecting side: RSS growth per socket. */
  clientRssPerConnection: number;
  /** Heap + external parked by the hostile peers while connected, after GC. */
  parked: number;
  /** Heap + external still held after they left, after GC, over the baseline. */
  heldAfterLeaving: number;
}

const SELF = new URL(import.meta.url).pathname;
const TIMEOUT_MS = 60_000;

function spawn(role: string, config: Record<string, unknown>): PeerProcess {
  return new PeerProcess(`zedge memory ${role}`, [
    Deno.execPath(),
    "run",
    "--allow-net=127.0.0.1",
    "--v8-flags=--expose-gc",
    SELF,
    role,
    JSON.stringify(config),
  ]);
}

function numberField(report: PeerReport, name: string): number {
  const value = report[name];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`memory peer reported ${JSON.stringify(report)}: no number "${name}"`);
  }
  return value;
}

/**
 * Runs both measurements in fresh processes.
 *
 * @example
 * ```ts
 * import { measureMemory } from "./zmq_memory.ts";
 * const figures = await measureMemory(1000);
 * console.log(figures.serverPerConnection / 1024, "KiB per idle connection");
 * ```
 */
export async function measureMemory(count = 1000): Promise<MemoryFigures> {
  const server = spawn("server", {});
  const client = spawn("clients", { count });
  try {
    const { endpoint } = await server.next(TIMEOUT_MS);
    await client.send(String(endpoint));
    const connected = await client.next(TIMEOUT_MS);
    await server.send(`idle ${count}`);
    const idle = await server.next(TIMEOUT_MS);
    await client.stop();
    await server.send("hostile");
    const hostile = await server.next(TIMEOUT_MS);
    return {
      count,
      serverPerConnection: numberField(idle, "memory") / count,
      serverRssPerConnection: numberField(idle, "rss") / count,
      clientPerConnection: numberField(connected, "memory") / count,
      clientRssPerConnection: numberField(connected, "rss") / count,
      parked: numberField(hostile, "parked"),
      heldAfterLeaving: numberField(hostile, "held"),
    };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

/**
 * Formats the figures as the lines bench/zmq.ts prints.
 *
 * @example
 * ```ts
 * import { renderMemory } from "./zmq_memory.ts";
 * console.log(renderMemory({
 *   count: 1000, serverPerConnection: 9000, serverRssPerConnection: 20000,
 *   clientPerConnection: 12000, clientRssPerConnection: 30000, parked: 1e8, heldAfterLeaving: 1e5,
 * }));
 * ```
 */
export function renderMemory(figures: MemoryFigures): string {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const target = figures.serverPerConnection < 32 * 1024 ? "PASS" : "MISS";
  return [
    `Memory per idle connection, ${figures.count.toLocaleString("en-US")} peers ` +
    `(JS heap + array buffers after a forced GC; RSS includes the runtime's own):`,
    `- accepting PULL: ${kib(figures.serverPerConnection)} per connection ` +
    `(RSS ${kib(figures.serverRssPerConnection)}); target < 32 KiB: ${target}`,
    `- connecting side, one PUSH socket each: ${kib(figures.clientPerConnection)} per socket ` +
    `(RSS ${kib(figures.clientRssPerConnection)})`,
    `Five peers park 20 MiB each in a 2 GiB frame after READY, then leave: ` +
    `${mib(figures.parked)} held while connected, ${mib(figures.heldAfterLeaving)} after.`,
  ].join("\n");
}

// ---- the two processes ------------------------------------------------------

function lines(): ReadableStreamDefaultReader<string> {
  return Deno.stdin.readable.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines())
    .getReader();
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

function usage(): { memory: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  gc();
  const m = Deno.memoryUsage();
  return { memory: m.heapUsed + m.external, rss: m.rss };
}

function report(value: Record<string, unknown>): void {
  console.log(JSON.stringify(value));
}

async function next(input: ReadableStreamDefaultReader<string>): Promise<string> {
  const { value, done } = await input.read();
  if (done) Deno.exit(0);
  return value.trim();
}

async function runServer(): Promise<void> {
  const { Pull } = await import("../mod.ts");
  const { encodeGreeting, encodeMetadata, FrameWriter } = await import("../core/zmtp/mod.ts");
  const input = lines();
  const pull = new Pull();
  let peers = 0;
  pull.events.on("handshake", () => peers++);
  pull.events.on("disconnect", () => peers--);
  await pull.bind("tcp://127.0.0.1:0");
  const baseline = usage();
  report({ endpoint: pull.lastEndpoint });
  for (;;) {
    const [command, arg] = (await next(input)).split(" ");
    if (command === "idle") {
      const count = Number(arg);
      while (peers < count) await new Promise((resolve) => setTimeout(resolve, 10));
      const now = usage();
      report({ memory: now.memory - baseline.memory, rss: now.rss - baseline.rss });
    } else if (command === "hostile") {
      // The idle clients have gone; start over from what is left.
      while (peers > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const before = usage();
      const writer = new FrameWriter();
      writer.writeRaw(encodeGreeting("NULL", false));
      writer.writeCommand("READY", encodeMetadata({ "Socket-Type": "PUSH" }));
      const handshake = writer.take().slice();
      const port = Number(pull.lastEndpoint!.split(":").at(-1));
      const chunk = new Uint8Array(1 << 20);
      const hostile: Deno.TcpConn[] = [];
      for (let i = 0; i < 5; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await writeAll(conn, handshake);
        await writeAll(conn, new Uint8Array([0x02, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]));
        for (let j = 0; j < 20; j++) await writeAll(conn, chunk);
        hostile.push(conn);
      }
      // Let the PULL read what the kernel still holds for it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const parked = usage().memory - before.memory;
      for (const conn of hostile) conn.close();
      while (peers > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      report({ parked, held: usage().memory - before.memory });
    }
  }
}

async function writeAll(conn: Deno.TcpConn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}

async function runClients(count: number): Promise<void> {
  const { Push } = await import("../mod.ts");
  const input = lines();
  const endpoint = await next(input);
  const baseline = usage();
  const sockets = [];
  let handshakes = 0;
  for (let i = 0; i < count; i++) {
    const push = new Push();
    push.events.on("handshake", () => handshakes++);
    push.connect(endpoint);
    sockets.push(push);
    if (i % 100 === 99) { while (handshakes <= i - 50) await new Promise((r) => setTimeout(r, 5)); }
  }
  while (handshakes < count) await new Promise((resolve) => setTimeout(resolve, 10));
  const now = usage();
  report({ memory: now.memory - baseline.memory, rss: now.rss - baseline.rss });
  await next(input); // until stdin closes
}

if (import.meta.main) {
  const [role, config] = Deno.args;
  if (role === "server") await runServer();
  else if (role === "clients") await runClients(Number(JSON.parse(config ?? "{}").count ?? 1000));
  else console.log(renderMemory(await measureMemory()));
}
