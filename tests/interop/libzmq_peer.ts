/**
 * Drives the real libzmq peers (tests/peers/python/libzmq_peer.py on pyzmq and
 * tests/peers/node/libzmq_peer.mjs on zeromq.js): builds their command line,
 * starts them, reads their JSON lines and speaks their stdin script protocol.
 *
 * @module
 */
import type { SocketType } from "../../core/zmtp/socket_type.ts";
import {
  type FrameDescription,
  type FrameSpec,
  parseDescriptions,
  toHex,
  toSpec,
} from "./frames.ts";

/**
 * The two libzmq bindings the matrix runs against.
 *
 * @example
 * ```ts
 * import type { Runtime } from "./libzmq_peer.ts";
 * const runtime: Runtime = "pyzmq";
 * ```
 */
export type Runtime = "pyzmq" | "zeromq.js";

/**
 * Both runtimes, in the order the matrix runs them.
 *
 * @example
 * ```ts
 * import { RUNTIMES } from "./libzmq_peer.ts";
 * for (const runtime of RUNTIMES) console.log(runtime);
 * ```
 */
export const RUNTIMES: readonly Runtime[] = ["pyzmq", "zeromq.js"];

/** The ZeroMQ socket types, by their libzmq names (the codec's own list). */
export type { SocketType } from "../../core/zmtp/socket_type.ts";

/**
 * What a peer is started with; mirrors the peers' command-line flags.
 *
 * @example
 * ```ts
 * import type { PeerArgs } from "./libzmq_peer.ts";
 * const args: PeerArgs = { type: "SUB", connect: ["tcp://127.0.0.1:5556"], subscribe: [] };
 * ```
 */
export interface PeerArgs {
  type: SocketType;
  bind?: string[];
  connect?: string[];
  role?: "script" | "echo" | "send" | "recv";
  count?: number;
  message?: FrameSpec[];
  interval?: number;
  timeout?: number;
  routingId?: Uint8Array;
  subscribe?: Uint8Array[];
  xpubVerbose?: boolean;
  routerMandatory?: boolean;
  linger?: number;
  monitor?: boolean;
  maxLifetime?: number;
  /** Security options, named as the socket options are (Z85 keys). */
  curveServer?: boolean;
  curvePublicKey?: string;
  curveSecretKey?: string;
  curveServerKey?: string;
  plainServer?: boolean;
  plainUsername?: string;
  plainPassword?: string;
  zapDomain?: string;
  /** Start a ZAP handler in the peer that lets in only these "user=password" PLAIN clients... */
  zapAllowPlain?: string[];
  /** ...and these CURVE client keys (Z85). */
  zapAllowCurve?: string[];
}

/**
 * One JSON line a peer printed.
 *
 * @example
 * ```ts
 * import type { PeerLine } from "./libzmq_peer.ts";
 * const line: PeerLine = { event: "recv", frames: ["41"] };
 * ```
 */
export interface PeerLine {
  event: string;
  [field: string]: unknown;
}

/**
 * A socket event a peer's monitor saw, named as zeromq.js names them.
 *
 * @example
 * ```ts
 * import type { PeerEvent } from "./libzmq_peer.ts";
 * const event: PeerEvent = { type: "handshake", address: "tcp://127.0.0.1:5555" };
 * ```
 */
export interface PeerEvent {
  type: string;
  address: string;
}

const PYTHON = "/usr/bin/python3";
const PYTHON_PEER = new URL("../peers/python/libzmq_peer.py", import.meta.url);
const NODE_DIR = new URL("../peers/node/", import.meta.url);
const NODE_PEER = new URL("libzmq_peer.mjs", NODE_DIR);
const NODE_ZEROMQ = new URL("node_modules/zeromq/package.json", NODE_DIR);
/** How long a peer may take to print "ready", and how long a command may take. */
const START_TIMEOUT_MS = 10_000;
const LINE_SLACK_MS = 5_000;

/**
 * The command line that starts a peer; exported so it can be checked without
 * starting anything.
 *
 * @example
 * ```ts
 * import { peerCommand } from "./libzmq_peer.ts";
 * const { command, args } = peerCommand("pyzmq", { type: "REP", bind: ["tcp://127.0.0.1:0"] });
 * // command === "/usr/bin/python3", args ends with "--bind", "tcp://127.0.0.1:0"
 * ```
 */
export function peerCommand(runtime: Runtime, peer: PeerArgs): { command: string; args: string[] } {
  const args = ["--type", peer.type];
  for (const endpoint of peer.bind ?? []) args.push("--bind", endpoint);
  for (const endpoint of peer.connect ?? []) args.push("--connect", endpoint);
  if (peer.role) args.push("--role", peer.role);
  if (peer.count !== undefined) args.push("--count", String(peer.count));
  if (peer.message) args.push("--message", JSON.stringify(peer.message));
  if (peer.interval !== undefined) args.push("--interval", String(peer.interval));
  if (peer.timeout !== undefined) args.push("--timeout", String(peer.timeout));
  if (peer.routingId) args.push("--routing-id", toHex(peer.routingId));
  for (const prefix of peer.subscribe ?? []) args.push("--subscribe", toHex(prefix));
  if (peer.xpubVerbose) args.push("--xpub-verbose");
  if (peer.routerMandatory) args.push("--router-mandatory");
  if (peer.linger !== undefined) args.push("--linger", String(peer.linger));
  if (peer.monitor) args.push("--monitor");
  if (peer.maxLifetime !== undefined) args.push("--max-lifetime", String(peer.maxLifetime));
  if (peer.curveServer) args.push("--curve-server");
  if (peer.plainServer) args.push("--plain-server");
  const values = {
    "--curve-public-key": peer.curvePublicKey,
    "--curve-secret-key": peer.curveSecretKey,
    "--curve-server-key": peer.curveServerKey,
    "--plain-username": peer.plainUsername,
    "--plain-password": peer.plainPassword,
    "--zap-domain": peer.zapDomain,
  };
  // Keys and passwords go as --flag=VALUE: a Z85 key may start with '-'
  // (1 in 85), which argparse and node's parseArgs take for an option.
  for (const [flag, value] of Object.entries(values)) {
    if (value !== undefined) args.push(`${flag}=${value}`);
  }
  for (const user of peer.zapAllowPlain ?? []) args.push(`--zap-allow-plain=${user}`);
  for (const key of peer.zapAllowCurve ?? []) args.push(`--zap-allow-curve=${key}`);
  if (runtime === "pyzmq") return { command: PYTHON, args: [PYTHON_PEER.pathname, ...args] };
  return { command: "node", args: [NODE_PEER.pathname, ...args] };
}

let nodeChecked = false;

/** Fails with install instructions when zeromq.js is missing (pyzmq's peer says so itself). */
async function checkInstalled(runtime: Runtime): Promise<void> {
  if (runtime !== "zeromq.js" || nodeChecked) return;
  try {
    await Deno.stat(NODE_ZEROMQ);
    nodeChecked = true;
  } catch {
    throw new Error(
      `zeromq.js is not installed for the interop tests: run \`npm ci\` in ` +
        `${NODE_DIR.pathname} (.ci/run does this)`,
    );
  }
}

/**
 * One running libzmq peer process.
 *
 * @example
 * ```ts
 * import { LibzmqPeer } from "./libzmq_peer.ts";
 * import { utf8 } from "./frames.ts";
 * const peer = await LibzmqPeer.start("pyzmq", { type: "PULL", bind: ["tcp://127.0.0.1:0"] });
 * console.log(peer.endpoint); // tcp://127.0.0.1:<random port>
 * const frames = await peer.receive(1000); // null: nothing arrived
 * await peer.close();
 * ```
 */
export class LibzmqPeer {
  /** "pyzmq REP" and the like, for failure messages. */
  readonly name: string;
  /** The peer's "ready" line: runtime, version, libzmq, pid, endpoints. */
  readonly ready: PeerLine;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: PeerLine[] = [];
  #waiter: (() => void) | null = null;
  #stdoutDone = false;
  #stderr = "";
  readonly #readers: Promise<void>[];
  #closed = false;

  private constructor(name: string, child: Deno.ChildProcess) {
    this.name = name;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.ready = { event: "starting" };
    this.#readers = [this.#readStdout(), this.#readStderr()];
  }

  /**
   * Starts a peer and waits for its "ready" line. Fails with the peer's own
   * message (e.g. how to install pyzmq) when it cannot start.
   */
  static async start(runtime: Runtime, args: PeerArgs): Promise<LibzmqPeer> {
    await checkInstalled(runtime);
    const { command, args: argv } = peerCommand(runtime, args);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command, {
        args: argv,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        cwd: runtime === "zeromq.js" ? NODE_DIR.pathname : undefined,
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(
          runtime === "pyzmq"
            ? `${PYTHON} not found: install python3 and python3-zmq (apt-get install -y python3-zmq)`
            : "node not found on PATH: install Node.js 20 and run `npm ci` in tests/peers/node",
        );
      }
      throw error;
    }
    const peer = new LibzmqPeer(`${runtime} ${args.type}`, child);
    const first = await peer.next(START_TIMEOUT_MS).catch(async (error) => {
      await peer.kill();
      throw error;
    });
    if (first.event !== "ready") {
      await peer.kill();
      throw new Error(`${peer.name} did not start: ${first.message ?? JSON.stringify(first)}`);
    }
    (peer as { ready: PeerLine }).ready = first;
    return peer;
  }

  /** The first endpoint from the "ready" line (resolved when it was bound). */
  get endpoint(): string {
    return (this.ready.endpoints as string[])[0];
  }

  /** The operating-system process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** What the peer wrote on stderr so far (the last 8 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  async #readStdout(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of this.#child.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const text = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (text === "") continue;
          try {
            this.#lines.push(JSON.parse(text) as PeerLine);
          } catch {
            this.#lines.push({ event: "garbage", text });
          }
          this.#wake();
        }
      }
    } finally {
      this.#stdoutDone = true;
      this.#wake();
    }
  }

  async #readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stderr) {
      this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(-8192);
    }
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** The next line the peer prints; fails after `timeoutMs` or when the peer exits. */
  async next(timeoutMs: number): Promise<PeerLine> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#stdoutDone) {
        const status = await this.#child.status;
        throw new Error(
          `${this.name} exited (code ${status.code}) without a line${this.#stderrNote()}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${this.name} printed nothing for ${timeoutMs} ms${this.#stderrNote()}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return this.#lines.shift()!;
  }

  #stderrNote(): string {
    const tail = this.#stderr.trim();
    return tail ? `; its stderr:\n${tail}` : "";
  }

  /**
   * Sends one script command and returns the peer's answer; "error" answers
   * become exceptions carrying the peer's message and code.
   */
  async request(command: Record<string, unknown>, timeoutMs = 10_000): Promise<PeerLine> {
    const line = JSON.stringify({ timeout: timeoutMs, ...command }) + "\n";
    await this.#stdin.write(new TextEncoder().encode(line));
    const answer = await this.next(timeoutMs + LINE_SLACK_MS);
    if (answer.event === "error") {
      const error = new Error(`${this.name} ${command.op}: ${answer.message}`);
      (error as Error & { code?: unknown }).code = answer.code;
      throw error;
    }
    return answer;
  }

  /**
   * Sends a message; false when it could not be queued within `timeoutMs`.
   * `retry` keeps retrying an unroutable ROUTER send (needs routerMandatory).
   */
  async send(
    frames: Uint8Array[],
    options: { timeoutMs?: number; retry?: boolean } = {},
  ): Promise<boolean> {
    const answer = await this.request(
      { op: "send", frames: frames.map(toSpec), retry: options.retry ?? false },
      options.timeoutMs ?? 10_000,
    );
    return answer.event === "sent";
  }

  /** The next message received, or null when none arrived within `timeoutMs`. */
  async receive(timeoutMs = 10_000): Promise<FrameDescription[] | null> {
    const answer = await this.request({ op: "recv" }, timeoutMs);
    if (answer.event === "timeout") return null;
    return parseDescriptions(answer.frames, `${this.name} recv`);
  }

  /** SUB: sets the subscription option; XSUB: sends the subscribe message. */
  async subscribe(prefix: Uint8Array): Promise<void> {
    await this.request({ op: "subscribe", prefix: toHex(prefix) });
  }

  /** SUB: clears the subscription option; XSUB: sends the unsubscribe message. */
  async unsubscribe(prefix: Uint8Array): Promise<void> {
    await this.request({ op: "unsubscribe", prefix: toHex(prefix) });
  }

  /**
   * Monitor events so far (the peer needs `monitor: true`); with `until`,
   * waits up to `timeoutMs` for an event of that type first.
   */
  async events(until?: string, timeoutMs = 10_000): Promise<PeerEvent[]> {
    const answer = await this.request({ op: "events", until }, timeoutMs);
    return answer.events as PeerEvent[];
  }

  /** Asks a script peer to exit and waits for it; kills it if it does not go. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#stdin.write(new TextEncoder().encode(`{"op":"exit"}\n`));
    } catch {
      // Already gone: its status still needs collecting below.
    }
    await this.#finish(3_000);
  }

  /** Kills the peer at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    this.#closed = true;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#finish(3_000);
  }

  /** Waits for the process to exit (killing it after `graceMs`); returns its exit code. */
  async wait(graceMs = 10_000): Promise<number> {
    this.#closed = true;
    return await this.#finish(graceMs);
  }

  async #finish(graceMs: number): Promise<number> {
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Exited in the meantime.
      }
    }, graceMs);
    try {
      await this.#stdin.close();
    } catch {
      // The pipe is already closed.
    }
    const status = await this.#child.status;
    clearTimeout(timer);
    await Promise.all(this.#readers);
    return status.code;
  }
}
