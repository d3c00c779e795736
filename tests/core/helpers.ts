/**
 * Shared helpers for the core socket tests: the transport table, bounded
 * waits, event recorders, pub/sub synchronisation and a raw ZMTP peer that
 * speaks bytes over a plain TCP connection.
 *
 * Every wait here is bounded by a generous deadline and fails with a message
 * naming what was awaited, so a broken socket fails a test instead of hanging it.
 *
 * @module
 */
import {
  type Command,
  Decoder,
  encodeGreeting,
  encodeMetadata,
  FrameWriter,
  type Greeting,
} from "../../core/zmtp/mod.ts";
import {
  type Message,
  type Socket,
  type SocketEvent,
  type SocketEventType,
  ZmqError,
} from "../../mod.ts";

/** Deadline for anything the tests wait on; far above what a healthy run needs. */
export const WAIT_MS = 10_000;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * One transport the socket tests run over.
 *
 * @example
 * ```ts
 * import { TRANSPORTS } from "./helpers.ts";
 * for (const t of TRANSPORTS) console.log(t.name, t.bindEndpoint());
 * ```
 */
export interface TransportCase {
  name: "tcp" | "ipc" | "inproc";
  /** A fresh endpoint to bind; connect to the binder's `lastEndpoint`. */
  bindEndpoint(): string;
}

let unique = 0;

/**
 * The transports every table-driven socket test runs over.
 *
 * @example
 * ```ts
 * import { TRANSPORTS } from "./helpers.ts";
 * TRANSPORTS.map((t) => t.name); // ["tcp", "ipc", "inproc"]
 * ```
 */
export const TRANSPORTS: readonly TransportCase[] = [
  { name: "tcp", bindEndpoint: () => "tcp://127.0.0.1:0" },
  {
    name: "ipc",
    bindEndpoint: () => `ipc:///tmp/zedge-core-${Deno.pid}-${++unique}.sock`,
  },
  { name: "inproc", bindEndpoint: () => `inproc://zedge-core-${Deno.pid}-${++unique}` },
];

/**
 * Decodes a frame as UTF-8.
 *
 * @example
 * ```ts
 * import { text } from "./helpers.ts";
 * text(new TextEncoder().encode("hi")); // "hi"
 * ```
 */
export function text(frame: Uint8Array): string {
  return utf8Decoder.decode(frame);
}

/**
 * Decodes every frame of a message as UTF-8.
 *
 * @example
 * ```ts
 * import { texts } from "./helpers.ts";
 * texts([new Uint8Array([104, 105])]); // ["hi"]
 * ```
 */
export function texts(frames: Message): string[] {
  return frames.map(text);
}

/**
 * Encodes a string as UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { bytes } from "./helpers.ts";
 * bytes("a"); // Uint8Array [97]
 * ```
 */
export function bytes(value: string): Uint8Array {
  return utf8.encode(value);
}

/**
 * Joins byte arrays (a handshake, then frames, then garbage...).
 *
 * @example
 * ```ts
 * import { concat } from "./helpers.ts";
 * concat(new Uint8Array([1]), new Uint8Array([2, 3])); // [1, 2, 3]
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The bytes a {@link FrameWriter} produces for what `build` writes.
 *
 * @example
 * ```ts
 * import { frameBytes } from "./helpers.ts";
 * frameBytes((w) => w.writeMessage(["hi"])); // [0, 2, 104, 105]
 * ```
 */
export function frameBytes(build: (writer: FrameWriter) => void): Uint8Array {
  const writer = new FrameWriter();
  build(writer);
  return writer.take().slice();
}

/**
 * Resolves after `ms` milliseconds (used only to pace, never to assert timing).
 *
 * @example
 * ```ts
 * import { delay } from "./helpers.ts";
 * await delay(5);
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` until it holds; fails naming `what` after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { waitFor } from "./helpers.ts";
 * let n = 0;
 * setTimeout(() => n = 1, 10);
 * await waitFor(() => n === 1, "n to become 1");
 * ```
 */
export async function waitFor(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      // A function says how things stand when the wait gives up, not when it began.
      const said = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${said}`);
    }
    await delay(5);
  }
}

/**
 * Resolves with `sample()` once it has not changed for `quietMs`. Only for
 * proving an absence (a reader that stopped, a writer that is blocked):
 * when something does *not* happen there is no event to wait for.
 *
 * @example
 * ```ts
 * import { settled } from "./helpers.ts";
 * let n = 0;
 * const timer = setInterval(() => n < 3 && n++, 5);
 * await settled(() => n, 50); // 3
 * clearInterval(timer);
 * ```
 */
export async function settled(sample: () => number, quietMs: number): Promise<number> {
  let last = sample();
  for (;;) {
    await delay(quietMs);
    const now = sample();
    if (now === last) return now;
    last = now;
  }
}

/**
 * Races a promise against a deadline, failing with `what` when it passes.
 * The timer is always cleared, so Deno's op sanitizer stays quiet.
 *
 * @example
 * ```ts
 * import { within } from "./helpers.ts";
 * await within(Promise.resolve(1), "an already-resolved promise");
 * ```
 */
export async function within<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Records every monitor event a socket emits, for later assertions.
 *
 * @example
 * ```ts
 * import { Pull } from "../../mod.ts";
 * import { EventLog } from "./helpers.ts";
 * const pull = new Pull();
 * const log = new EventLog(pull);
 * await pull.bind("inproc://event-log-example");
 * log.count("bind"); // 1
 * await pull.close();
 * ```
 */
export class EventLog {
  readonly events: SocketEvent[] = [];
  readonly #off: () => void;

  constructor(socket: Socket) {
    this.#off = socket.events.on("*", (event) => this.events.push(event));
  }

  /** Events of one type, optionally only those for `address`. */
  of(type: SocketEventType, address?: string): SocketEvent[] {
    return this.events.filter((e) =>
      e.type === type && (address === undefined || e.address === address)
    );
  }

  /** How many events of `type` were seen. */
  count(type: SocketEventType, address?: string): number {
    return this.of(type, address).length;
  }

  /** The types seen, in order. */
  types(): SocketEventType[] {
    return this.events.map((e) => e.type);
  }

  /** Waits until at least `n` events of `type` (for `address`, if given) were seen; returns the n-th. */
  async wait(type: SocketEventType, n = 1, address?: string): Promise<SocketEvent> {
    await waitFor(
      () => this.count(type, address) >= n,
      `${n} '${type}' event(s)${address ? ` for ${address}` : ""} (saw: ${
        this.types().join(", ")
      })`,
    );
    return this.of(type, address)[n - 1];
  }

  /** Stops recording. */
  stop(): void {
    this.#off();
  }
}

/**
 * Asserts that a promise rejects with a {@link ZmqError} of `code`.
 *
 * @example
 * ```ts
 * import { ZmqError } from "../../mod.ts";
 * import { rejectsWithCode } from "./helpers.ts";
 * await rejectsWithCode(Promise.reject(new ZmqError("EAGAIN", "x")), "EAGAIN");
 * ```
 */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<ZmqError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ZmqError && error.code === code) return error;
    throw new Error(`expected ZmqError ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ZmqError ${code}, but the call succeeded`);
}

/**
 * Asserts that a synchronous call throws a {@link ZmqError} of `code`.
 *
 * @example
 * ```ts
 * import { ZmqError } from "../../mod.ts";
 * import { throwsWithCode } from "./helpers.ts";
 * throwsWithCode(() => { throw new ZmqError("EINVAL", "x"); }, "EINVAL");
 * ```
 */
export function throwsWithCode(fn: () => unknown, code: string): ZmqError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZmqError && error.code === code) return error;
    throw new Error(`expected ZmqError ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ZmqError ${code}, but the call succeeded`);
}

/**
 * Closes sockets, in order, awaiting each (errors from already-closed sockets are fine).
 *
 * @example
 * ```ts
 * import { Pull } from "../../mod.ts";
 * import { closeAll } from "./helpers.ts";
 * await closeAll(new Pull(), new Pull());
 * ```
 */
export async function closeAll(...sockets: (Socket | undefined | null)[]): Promise<void> {
  for (const socket of sockets) if (socket) await socket.close();
}

/**
 * Resolves once `xpub` has received a subscription to `topic` (or, with
 * `subscribe: false`, its cancellation) from a subscriber: after that, what
 * is published on `topic` reaches that subscriber. Other subscription
 * messages met on the way are skipped.
 *
 * @example
 * ```ts
 * import { Subscriber, XPublisher } from "../../mod.ts";
 * import { subscriptionSeen } from "./helpers.ts";
 * const xpub = new XPublisher();
 * await xpub.bind("inproc://subscription-seen-example");
 * const sub = new Subscriber();
 * sub.connect("inproc://subscription-seen-example");
 * sub.subscribe("odom");
 * await subscriptionSeen(xpub, "odom");
 * await sub.close(); await xpub.close();
 * ```
 */
export async function subscriptionSeen(
  xpub: Socket,
  topic: string,
  subscribe = true,
): Promise<void> {
  const expected = [subscribe ? 1 : 0, ...new TextEncoder().encode(topic)];
  for (;;) {
    const [frame] = await within(
      xpub.receive(),
      `a ${subscribe ? "" : "cancelled "}subscription to '${topic}'`,
    );
    if (frame.length === expected.length && frame.every((b, i) => b === expected[i])) return;
  }
}

/** What every synchronisation probe topic starts with; collectors skip these messages. */
const PROBE_MARK = "~probe";

/**
 * The n-th synchronisation probe topic. No probe topic is a prefix of
 * another, so a publisher still subscribed to an earlier probe cannot pass a
 * later one on: its arrival proves the later subscription got through.
 *
 * @example
 * ```ts
 * import { probe } from "./helpers.ts";
 * probe(2); // "~probe2~"
 * ```
 */
export function probe(n: number): string {
  return `${PROBE_MARK}${n}~`;
}

/**
 * The default synchronisation probe topic.
 *
 * @example
 * ```ts
 * import { PROBE } from "./helpers.ts";
 * PROBE; // "~probe0~"
 * ```
 */
export const PROBE: string = probe(0);

/**
 * Waits until a subscriber (already subscribed to `probe`) receives `probe`
 * published by `publish` — proof that every subscription the subscriber made
 * before `probe` reached the publisher (they travel in order on one link).
 * Later probe copies may still arrive: use {@link receiveSkippingProbes}.
 *
 * @example
 * ```ts
 * import { Publisher, Subscriber } from "../../mod.ts";
 * import { PROBE, syncSubscriber } from "./helpers.ts";
 * const pub = new Publisher();
 * await pub.bind("inproc://sync-example");
 * const sub = new Subscriber();
 * sub.connect(pub.lastEndpoint!);
 * sub.subscribe(PROBE);
 * await syncSubscriber((m) => pub.send(m), sub);
 * await pub.close(); await sub.close();
 * ```
 */
export async function syncSubscriber(
  publish: (frames: string[]) => Promise<void>,
  sub: Socket,
  probe = PROBE,
): Promise<void> {
  const saved = sub.receiveTimeout;
  sub.receiveTimeout = 20;
  const deadline = Date.now() + WAIT_MS;
  try {
    while (Date.now() < deadline) {
      await publish([probe, "sync"]);
      let frames: Message;
      try {
        frames = await sub.receive();
      } catch (error) {
        if (error instanceof ZmqError && error.code === "EAGAIN") continue;
        throw error;
      }
      if (text(frames[0]) === probe) return;
      throw new Error(`while synchronising got unexpected message ${texts(frames).join("|")}`);
    }
  } finally {
    sub.receiveTimeout = saved;
  }
  throw new Error(`subscriber never received probe '${probe}'`);
}

/**
 * Receives the next message whose first frame is not a synchronisation probe.
 *
 * @example
 * ```ts
 * import type { Socket } from "../../mod.ts";
 * import { receiveSkippingProbes } from "./helpers.ts";
 * async function next(sub: Socket) {
 *   return await receiveSkippingProbes(sub);
 * }
 * ```
 */
export async function receiveSkippingProbes(sub: Socket): Promise<Message> {
  for (;;) {
    const frames = await within(sub.receive(), "a message");
    if (!isProbe(frames)) return frames;
  }
}

/**
 * The lowest port of the kernel's ephemeral range (`ip_local_port_range`):
 * the range it hands out to `bind(0)` and to a `connect()`'s own end.
 */
function lowestEphemeralPort(): number {
  try {
    const low = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/)[0],
    );
    if (low > 0) return low;
  } catch {
    // not Linux, or not readable: Linux's default
  }
  return 32768;
}

/** Ports handed out by {@link freeTcpPort} in this isolate, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A loopback tcp port that is free now (nothing listens on it), for tests
 * that pass a port to another process or connect before anything is bound.
 *
 * It is picked below the kernel's ephemeral range, where neither a `bind(0)`
 * nor a connection's own end can take it before its user binds it: a port
 * from `bind(0)`, released, was taken that way in CI ("cannot bind
 * 'tcp://127.0.0.1:36569': address in use"). Only an explicit bind can take
 * it, and one that holds it now is skipped.
 *
 * @example
 * ```ts
 * import { freeTcpPort } from "./helpers.ts";
 * const endpoint = `tcp://127.0.0.1:${freeTcpPort()}`;
 * ```
 */
export function freeTcpPort(): number {
  const low = lowestEphemeralPort();
  const from = Math.max(1024, low - 12_000);
  for (let attempt = 0; attempt < 200 && low - from >= 1000; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (handedOut.has(port)) continue;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
    } catch {
      continue; // held by someone: another one
    }
    handedOut.add(port);
    return port;
  }
  // No room below the ephemeral range: the kernel's choice, with its race.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A pipeline file's `endpoints:` block on three free loopback TCP ports
 * (workers, acks, results): for tests whose roles need only find each other.
 *
 * @example
 * ```ts
 * const yaml = `${loopbackPipelineEndpoints()}tasks:\n  square: { count: 4 }\n`;
 * ```
 */
export function loopbackPipelineEndpoints(): string {
  const [workers, acks, results] = [freeTcpPort(), freeTcpPort(), freeTcpPort()];
  return `endpoints:
  workers: tcp://127.0.0.1:${workers}
  acks: tcp://127.0.0.1:${acks}
  results: tcp://127.0.0.1:${results}
`;
}

/**
 * True when a message is a synchronisation probe.
 *
 * @example
 * ```ts
 * import { isProbe, PROBE } from "./helpers.ts";
 * isProbe([new TextEncoder().encode(PROBE)]); // true
 * ```
 */
export function isProbe(frames: Message): boolean {
  return frames.length > 0 && text(frames[0]).startsWith(PROBE_MARK);
}

/**
 * Port of a resolved tcp endpoint.
 *
 * @example
 * ```ts
 * import { portOf } from "./helpers.ts";
 * portOf("tcp://127.0.0.1:5555"); // 5555
 * ```
 */
export function portOf(endpoint: string): number {
  const match = /:(\d+)$/.exec(endpoint);
  if (!match) throw new Error(`no port in ${endpoint}`);
  return Number(match[1]);
}

/**
 * Bytes a well-behaved ZMTP 3.1 client sends first: greeting and READY.
 *
 * @example
 * ```ts
 * import { handshakeBytes } from "./helpers.ts";
 * handshakeBytes("PUSH").length > 64; // true
 * ```
 */
export function handshakeBytes(socketType: string, extra: Record<string, string> = {}): Uint8Array {
  const writer = new FrameWriter();
  writer.writeRaw(encodeGreeting("NULL", false));
  writer.writeCommand("READY", encodeMetadata({ "Socket-Type": socketType, ...extra }));
  return writer.take().slice();
}

/**
 * A hand-driven ZMTP client on a plain TCP connection. It writes exactly the
 * bytes a test gives it and decodes whatever the zedge socket sends back, so
 * a test can misbehave in precise ways and see how the socket reacts.
 *
 * @example
 * ```ts
 * import { Pull } from "../../mod.ts";
 * import { handshakeBytes, RawPeer } from "./helpers.ts";
 * const pull = new Pull();
 * await pull.bind("tcp://127.0.0.1:0");
 * const raw = await RawPeer.connect(pull.lastEndpoint!);
 * await raw.write(handshakeBytes("PUSH"));
 * await raw.waitForCommand("READY");
 * raw.close();
 * await pull.close();
 * ```
 */
export class RawPeer {
  /** The peer address the zedge socket sees for us ("tcp://127.0.0.1:PORT"). */
  readonly address: string;
  greeting: Greeting | null = null;
  readonly commands: Command[] = [];
  readonly messages: Uint8Array[][] = [];
  /** Why our decoder gave up on the server's bytes, if it did. */
  decodeError: unknown = null;
  /** Called with each command from the server as it arrives (to answer it, say). */
  onCommand: ((command: Command) => void) | null = null;
  /** Resolves when the server closed the connection (EOF or reset). */
  readonly ended: Promise<void>;
  #conn: Deno.TcpConn;
  #closed = false;
  #endedFlag = false;
  #startReading!: () => void;
  readonly #reading: Promise<void>;
  /** Bytes written so far (what the server has taken, or the kernel holds for it). */
  written = 0;

  private constructor(conn: Deno.TcpConn, reading: boolean) {
    this.#conn = conn;
    this.#reading = new Promise((resolve) => this.#startReading = resolve);
    if (reading) this.#startReading();
    const local = conn.localAddr as Deno.NetAddr;
    this.address = `tcp://${local.hostname}:${local.port}`;
    const decoder = new Decoder({
      greeting: (g) => this.greeting = g,
      command: (c) => {
        const command = { name: c.name, data: c.data.slice() };
        this.commands.push(command);
        this.onCommand?.(command);
      },
      message: (m) => this.messages.push(m),
    });
    this.ended = this.#readLoop(decoder);
  }

  /**
   * Connects to a zedge tcp endpoint. With `reading: false` nothing is read
   * until {@link startReading}: a peer that does not read what it is sent.
   */
  static async connect(endpoint: string, options: { reading?: boolean } = {}): Promise<RawPeer> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: portOf(endpoint) });
    return new RawPeer(conn, options.reading ?? true);
  }

  /** Starts reading, for a peer connected with `reading: false`. */
  startReading(): void {
    this.#startReading();
  }

  /** True once the connection is over (closed by either side). */
  get isEnded(): boolean {
    return this.#endedFlag;
  }

  /** Writes bytes; a write to a connection the server closed is ignored (it may race). */
  async write(data: Uint8Array): Promise<void> {
    try {
      let at = 0;
      while (at < data.length) {
        const n = await this.#conn.write(data.subarray(at));
        at += n;
        this.written += n;
      }
    } catch (error) {
      if (
        !(error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset)
      ) throw error;
    }
  }

  /** Waits until the server has sent a command named `name`. */
  async waitForCommand(name: string): Promise<Command> {
    await waitFor(
      () => this.commands.some((c) => c.name === name),
      `command ${name} from the server`,
    );
    return this.commands.find((c) => c.name === name)!;
  }

  /** Waits until the server closes the connection. */
  async waitEnded(): Promise<void> {
    await within(this.ended, "the server to close the raw connection");
  }

  /** Closes our end (safe to call twice). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#startReading(); // a paused read loop must see the close and end
  }

  /** Closes our end and waits for the read loop to stop (keeps the op sanitizer happy). */
  async dispose(): Promise<void> {
    this.close();
    await this.ended;
  }

  async #readLoop(decoder: Decoder): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      await this.#reading;
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        if (this.decodeError === null) {
          try {
            decoder.feed(buffer.subarray(0, n));
          } catch (error) {
            this.decodeError = error;
          }
        }
      }
    } catch {
      // Reset by the server, or closed by us: either way the link is over.
    } finally {
      this.#endedFlag = true;
    }
  }
}

/** Directories {@link tempDir} made in this test module, removed when it unloads. */
const madeDirs: string[] = [];
let removesOnUnload = false;

/**
 * A fresh temp directory that is removed with everything in it when this
 * test module unloads (also when its test failed, and whatever it started
 * wrote there), so a test run leaves nothing in /tmp. Removing it earlier
 * does no harm.
 *
 * @example
 * ```ts
 * import { tempDir } from "./helpers.ts";
 * const dir = await tempDir("zedge-robot-");
 * ```
 */
export async function tempDir(prefix = "zedge-test-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  madeDirs.push(dir);
  if (!removesOnUnload) {
    removesOnUnload = true;
    globalThis.addEventListener("unload", () => {
      for (const made of madeDirs) {
        try {
          Deno.removeSync(made, { recursive: true });
        } catch {
          // Removed already (by the test itself), or never written.
        }
      }
    });
  }
  return dir;
}

/**
 * Opens `count` TCP connections to `port` on 127.0.0.1 that never send a
 * byte (a host without the key, stalling in the handshake); counts those the
 * server closed (it read their end). `close()` ends the rest.
 *
 * @example
 * ```ts
 * import { silentConnections } from "./helpers.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const flood = await silentConnections(listener.addr.port, 3);
 * flood.close();
 * listener.close();
 * ```
 */
export async function silentConnections(
  port: number,
  count: number,
): Promise<{ readonly closedByServer: number; close(): void }> {
  const conns: Deno.Conn[] = [];
  let closedByServer = 0;
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(conn);
    // Read the server's greeting, then wait for the end the server gives it (or ours).
    (async () => {
      const buffer = new Uint8Array(256);
      try {
        while ((await conn.read(buffer)) !== null) { /* the greeting */ }
        closedByServer++;
      } catch {
        // Closed by us at the end.
      }
    })();
  }
  return {
    get closedByServer() {
      return closedByServer;
    },
    close() {
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed already */ }
      }
    },
  };
}
