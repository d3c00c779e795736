/**
 * One side of a socket benchmark, played by zedge through its public API
 * (mod.ts), exactly as a user would write it. bench/zmq.ts starts one process
 * per socket:
 *
 *     deno run --allow-net=127.0.0.1 bench/zmq_peer.ts '<json config>'
 *
 * The config and the stdio protocol match tests/peers/python/bench_peer.py and
 * tests/peers/node/bench_peer.mjs, plus two zedge-only roles: "pull-rss",
 * that receives `count` messages and samples `Deno.memoryUsage().rss` every
 * `sampleEvery` of them, and "pull-drain", a "pull" that drains what is
 * queued with `tryReceive()` and awaits `readable()` only when nothing is
 * (one await per batch, not per message). A "pull" or "pull-drain" reports
 * its RSS at its peak over the window, sampled every 100 ms. With `curve` (the server's Z85 key pair) the
 * binding side is a CURVE server and the connecting side its client (with a
 * key pair of its own).
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/zmq_peer.ts '{"role":"pull","warmup":0.5,"duration":2}'
 * ```
 *
 * @module
 */
import { Publisher, Pull, Push, Reply, Request, Subscriber } from "../mod.ts";

/** The socket a peer plays. */
export type PeerRole =
  | "rep"
  | "req"
  | "push"
  | "pull"
  | "pull-drain"
  | "pub"
  | "sub"
  | "pull-rss"
  | "push-many"
  | "sub-many"
  | "req-latency";

/**
 * A peer's validated configuration.
 *
 * @example
 * ```ts
 * const config: PeerConfig = { role: "push", endpoint: "tcp://127.0.0.1:5555", size: 16 };
 * ```
 */
export interface PeerConfig {
  role: PeerRole;
  /** Where to connect (req, push, sub); binding roles pick a random loopback port. */
  endpoint?: string;
  /** Payload bytes per message; receivers check the first message against it. */
  size: number;
  /** Seconds to run before measuring (req, pull, sub). */
  warmup?: number;
  /** Seconds to measure (req, pull, sub). */
  duration?: number;
  /** Messages to receive (pull-rss); sockets to open (push-many, sub-many). */
  count?: number;
  /** Messages between RSS samples (pull-rss). */
  sampleEvery?: number;
  /** CURVE: the server's key pair (Z85); binders serve with it, connectors verify it. */
  curve?: { publicKey: string; secretKey: string };
}

const ROLES: readonly PeerRole[] = [
  "rep",
  "req",
  "push",
  "pull",
  "pull-drain",
  "pub",
  "sub",
  "pull-rss",
  "push-many",
  "sub-many",
  "req-latency",
];
// Receivers read this many messages between clock reads, like the other peers.
const BATCH = 256;
/** Milliseconds between RSS samples over a receiver's window (its peak is reported). */
const RSS_EVERY_MS = 100;
const BIND_ENDPOINT = "tcp://127.0.0.1:0";

/**
 * Parses and validates the JSON config a peer is started with; errors name
 * the offending field.
 *
 * @example
 * ```ts
 * const config = parsePeerConfig('{"role":"pull","warmup":0.5,"duration":2}');
 * console.log(config.role); // "pull"
 * ```
 */
export function parsePeerConfig(text: string): PeerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`config: not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error("config: must be a JSON object");
  }
  const config = raw as Record<string, unknown>;
  const role = config.role as PeerRole;
  if (!ROLES.includes(role)) {
    throw new Error(
      `config.role: expected one of ${ROLES.join(", ")}, got ${JSON.stringify(role)}`,
    );
  }
  const needs = (roles: PeerRole[]) => roles.includes(role);
  if (needs(["req", "push", "sub", "push-many", "sub-many", "req-latency"])) {
    const endpoint = config.endpoint;
    if (typeof endpoint !== "string" || !endpoint.startsWith("tcp://")) {
      throw new Error(
        `config.endpoint: expected a tcp:// endpoint, got ${JSON.stringify(endpoint)}`,
      );
    }
  }
  const integer = (field: string, min: number, max: number) => {
    const value = config[field];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw new Error(
        `config.${field}: expected an integer ${min}..${max}, got ${JSON.stringify(value)}`,
      );
    }
  };
  integer("size", 0, 1 << 24);
  if (config.curve !== undefined) {
    const curve = config.curve as Record<string, unknown> | null;
    const isKey = (v: unknown) => typeof v === "string" && v.length === 40;
    if (
      typeof curve !== "object" || curve === null || !isKey(curve.publicKey) ||
      !isKey(curve.secretKey)
    ) {
      throw new Error("config.curve: expected { publicKey, secretKey } as 40-character Z85 keys");
    }
  }
  if (needs(["pull-rss"])) {
    integer("count", 1, 1e9);
    integer("sampleEvery", 1, 1e9);
  }
  if (needs(["push-many", "sub-many"])) integer("count", 1, 10_000);
  if (needs(["req", "pull", "pull-drain", "sub", "sub-many", "req-latency"])) {
    for (const field of ["warmup", "duration"]) {
      const value = config[field];
      if (typeof value !== "number" || !(value >= 0 && value <= 600)) {
        throw new Error(`config.${field}: expected seconds 0..600, got ${JSON.stringify(value)}`);
      }
    }
    if ((config.duration as number) <= 0) {
      throw new Error("config.duration: must be greater than 0");
    }
  }
  return config as unknown as PeerConfig;
}

function emit(report: Record<string, unknown>): void {
  console.log(JSON.stringify(report));
}

/** Resolves on a stdin line "go"; ends the process when stdin closes. */
function watchStdin(): Promise<void> {
  const { promise: go, resolve } = Promise.withResolvers<void>();
  (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of Deno.stdin.readable) {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      if (lines.some((line) => line.trim() === "go")) resolve();
    }
    Deno.exit(0);
  })();
  return go;
}

interface Receiver {
  receive(): Promise<Uint8Array[]>;
}

interface Rate {
  rate: number;
  count: number;
  seconds: number;
}

/** Takes `count` messages from a receiver, each loop as an application writes it. */
type TakeMessages = (count: number) => Promise<void>;

/** One `await receive()` per message. */
function receiving(sock: Receiver): TakeMessages {
  return async (count) => {
    for (let i = 0; i < count; i++) await sock.receive();
  };
}

/** What is queued taken with tryReceive(), awaiting readable() only when nothing is. */
function draining(sock: Pull): TakeMessages {
  return async (count) => {
    for (let i = 0; i < count;) {
      if (sock.tryReceive() !== undefined) i++;
      else await sock.readable();
    }
  };
}

function checkMessage(frames: Uint8Array[], size: number): void {
  if (frames.length !== 1 || frames[0].length !== size) {
    const lengths = frames.map((frame) => frame.length);
    throw new Error(`expected one frame of ${size} bytes, received frames of [${lengths}] bytes`);
  }
}

/**
 * The rate over `duration` seconds after `warmup`, and the process's RSS at
 * its peak over the window (sampled every RSS_EVERY_MS and at the end: one
 * sample at the end alone read the heap before or after a collection, as
 * it happened, and varied by half from run to run).
 */
async function measureReceiver(
  sock: Receiver,
  take: TakeMessages,
  size: number,
  warmup: number,
  duration: number,
): Promise<Rate & { rss: number }> {
  checkMessage(await sock.receive(), size);
  const started = performance.now();
  while (performance.now() - started < warmup * 1000) await take(BATCH);
  const t0 = performance.now();
  let count = 0;
  let rss = Deno.memoryUsage().rss;
  let nextSample = t0 + RSS_EVERY_MS;
  for (;;) {
    await take(BATCH);
    count += BATCH;
    const now = performance.now();
    const seconds = (now - t0) / 1000;
    if (now >= nextSample || seconds >= duration) {
      rss = Math.max(rss, Deno.memoryUsage().rss);
      nextSample = now + RSS_EVERY_MS;
    }
    if (seconds >= duration) return { rate: count / seconds, count, seconds, rss };
  }
}

/** One checked round trip, then round trips for `warmup` seconds. */
async function warmUpRoundTrips(sock: Request, payload: Uint8Array, warmup: number) {
  await sock.send(payload);
  checkMessage(await sock.receive(), payload.length);
  const started = performance.now();
  while (performance.now() - started < warmup * 1000) {
    await sock.send(payload);
    await sock.receive();
  }
}

async function measureRoundTrips(
  sock: Request,
  payload: Uint8Array,
  warmup: number,
  duration: number,
): Promise<Rate> {
  await warmUpRoundTrips(sock, payload, warmup);
  const t0 = performance.now();
  let count = 0;
  for (;;) {
    await sock.send(payload);
    await sock.receive();
    count++;
    const seconds = (performance.now() - t0) / 1000;
    if (seconds >= duration) return { rate: count / seconds, count, seconds };
  }
}

/** Round trips, each one timed: the rate and the p50 and p99 round trip in µs. */
async function measureLatency(
  sock: Request,
  payload: Uint8Array,
  warmup: number,
  duration: number,
): Promise<Rate & { p50: number; p99: number }> {
  await warmUpRoundTrips(sock, payload, warmup);
  const times: number[] = [];
  const t0 = performance.now();
  let last = t0;
  for (;;) {
    await sock.send(payload);
    await sock.receive();
    const t = performance.now();
    times.push((t - last) * 1000);
    last = t;
    if (t - t0 >= duration * 1000) break;
  }
  times.sort((a, b) => a - b);
  const seconds = (last - t0) / 1000;
  return {
    rate: times.length / seconds,
    count: times.length,
    seconds,
    p50: times[times.length >> 1],
    p99: times[Math.floor(times.length * 0.99)],
  };
}

/** Total messages/s delivered to `socks`, each read by its own loop. */
async function measureSubscribers(
  socks: Subscriber[],
  warmup: number,
  duration: number,
): Promise<Rate> {
  let count = 0;
  let open = true;
  const loops = socks.map(async (sock) => {
    while (open) {
      await sock.receive();
      count++;
    }
  });
  while (count === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
  const before = count;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, duration * 1000));
  const seconds = (performance.now() - t0) / 1000;
  open = false;
  void loops;
  return { rate: (count - before) / seconds, count: count - before, seconds };
}

/** Receives `count` messages, sampling RSS after the first and every `sampleEvery`. */
async function measureRss(sock: Pull, size: number, count: number, sampleEvery: number) {
  checkMessage(await sock.receive(), size);
  const sample = (messages: number) => {
    const { rss, heapTotal } = Deno.memoryUsage();
    return { messages, rss, heapTotal };
  };
  const samples = [sample(1)];
  const t0 = performance.now();
  for (let received = 1; received < count;) {
    await sock.receive();
    received++;
    if (received % sampleEvery === 0) {
      samples.push(sample(received));
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { samples, rate: (count - 1) / seconds, count, seconds };
}

async function run(config: PeerConfig): Promise<void> {
  const go = watchStdin();
  const payload = new Uint8Array(config.size).fill(0x78);
  const { curve } = config;
  // Binding roles serve CURVE; connecting roles are its clients.
  const server = {
    linger: 0,
    ...(curve ? { curveServer: true, curveSecretKey: curve.secretKey } : {}),
  };
  const client = { linger: 0, ...(curve ? { curveServerKey: curve.publicKey } : {}) };
  switch (config.role) {
    case "rep": {
      const sock = new Reply(server);
      await sock.bind(BIND_ENDPOINT);
      emit({ endpoint: sock.lastEndpoint });
      for (;;) {
        await sock.receive();
        await sock.send(payload);
      }
    }
    case "req":
    case "req-latency": {
      const sock = new Request(client);
      sock.connect(config.endpoint!);
      const measure = config.role === "req" ? measureRoundTrips : measureLatency;
      emit({ ...await measure(sock, payload, config.warmup!, config.duration!) });
      return;
    }
    case "push": {
      const sock = new Push(client);
      sock.connect(config.endpoint!);
      for (;;) await sock.send(payload);
    }
    case "pull":
    case "pull-drain": {
      const sock = new Pull(server);
      await sock.bind(BIND_ENDPOINT);
      emit({ endpoint: sock.lastEndpoint });
      const take = config.role === "pull" ? receiving(sock) : draining(sock);
      // With the RSS at its peak over the window: the fan-in curve's "memory flat" figure.
      emit({ ...await measureReceiver(sock, take, config.size, config.warmup!, config.duration!) });
      return;
    }
    case "pull-rss": {
      const sock = new Pull(server);
      await sock.bind(BIND_ENDPOINT);
      emit({ endpoint: sock.lastEndpoint });
      emit(await measureRss(sock, config.size, config.count!, config.sampleEvery!));
      return;
    }
    case "pub": {
      const sock = new Publisher(server);
      await sock.bind(BIND_ENDPOINT);
      emit({ endpoint: sock.lastEndpoint });
      await go;
      // A bare loop, as a user writes it: send() itself yields to the event
      // loop now and then, so accepts and writes keep going.
      for (;;) await sock.send(payload);
    }
    case "push-many": {
      const socks = Array.from({ length: config.count! }, () => new Push(client));
      for (const sock of socks) sock.connect(config.endpoint!);
      for (;;) for (const sock of socks) await sock.send(payload);
    }
    case "sub-many": {
      const socks = Array.from({ length: config.count! }, () => new Subscriber(client));
      for (const sock of socks) {
        sock.subscribe();
        sock.connect(config.endpoint!);
      }
      emit({ ready: true });
      emit({ ...await measureSubscribers(socks, config.warmup!, config.duration!) });
      return;
    }
    case "sub": {
      const sock = new Subscriber(client);
      sock.subscribe();
      sock.connect(config.endpoint!);
      emit({ ready: true });
      const report = await measureReceiver(
        sock,
        receiving(sock),
        config.size,
        config.warmup!,
        config.duration!,
      );
      emit({ rate: report.rate, count: report.count, seconds: report.seconds });
      return;
    }
  }
}

if (import.meta.main) {
  let config: PeerConfig;
  try {
    if (Deno.args.length !== 1) throw new Error("usage: zmq_peer.ts '<json config>'");
    config = parsePeerConfig(Deno.args[0]);
  } catch (error) {
    console.error(`zmq_peer.ts: ${(error as Error).message}`);
    Deno.exit(2);
  }
  try {
    await run(config);
    Deno.exit(0);
  } catch (error) {
    console.error(`zmq_peer.ts: ${(error as Error).stack ?? error}`);
    Deno.exit(1);
  }
}
