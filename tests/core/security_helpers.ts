/**
 * Helpers for the security tests: key pairs, a recorder of zedge's log
 * records (to check that a refusal is logged with its reason), and a proxy
 * that sits between a client and a server and rewrites what the client
 * sends, frame by frame — how the tests tamper with and replay CURVE boxes
 * on a real TCP connection.
 *
 * @module
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { generateKeyPair } from "../../mod.ts";
import { Decoder, FrameWriter } from "../../core/zmtp/mod.ts";
import { portOf, waitFor } from "./helpers.ts";

/**
 * A CURVE key pair, Z85.
 *
 * @example
 * ```ts
 * import { keyPair } from "./security_helpers.ts";
 * const server = await keyPair();
 * server.publicKey.length; // 40
 * ```
 */
export function keyPair(): Promise<{ publicKey: string; secretKey: string }> {
  return generateKeyPair();
}

/**
 * Records zedge's log records from now until `stop()`.
 *
 * @example
 * ```ts
 * import { LogRecorder } from "./security_helpers.ts";
 * const logs = await LogRecorder.start();
 * // ... something that logs ...
 * await logs.stop();
 * logs.lines(); // ["warning zmtp: closing connection …", ...]
 * ```
 */
export class LogRecorder {
  readonly records: LogRecord[] = [];

  private constructor() {}

  /** Routes every `zedge` record (debug and up) to a new recorder. */
  static async start(): Promise<LogRecorder> {
    const recorder = new LogRecorder();
    await configure({
      reset: true,
      sinks: { memory: (record) => recorder.records.push(record) },
      loggers: [
        { category: ["zedge"], sinks: ["memory"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      ],
    });
    return recorder;
  }

  /** Each record as `level area: message`, values filled in. */
  lines(): string[] {
    return this.records.map((record) =>
      `${record.level} ${record.category.slice(1).join(".")}: ${
        record.message.map((part) => typeof part === "string" ? part : String(part)).join("")
      }`
    );
  }

  /** Waits for a line matching `pattern` and returns it. */
  async waitFor(pattern: RegExp): Promise<string> {
    await waitFor(
      () => this.lines().some((line) => pattern.test(line)),
      `a log line matching ${pattern} (logged: ${this.lines().slice(-8).join(" | ")})`,
    );
    return this.lines().find((line) => pattern.test(line))!;
  }

  /** Stops recording (logging goes back to unconfigured). */
  async stop(): Promise<void> {
    await reset();
  }
}

/**
 * What the proxy does with one message the client sends after its
 * greeting: the messages to forward instead (none drops it, two duplicates
 * it). Commands always pass.
 */
export type Rewrite = (frames: Uint8Array[], index: number) => Uint8Array[][];

/**
 * A TCP proxy on loopback: bytes from the server pass as they are; what the
 * client sends is decoded and re-encoded message by message through
 * `rewrite` (CURVE sends each boxed frame as a message of its own).
 *
 * @example
 * ```ts
 * import { TamperingProxy } from "./security_helpers.ts";
 * const proxy = await TamperingProxy.start("tcp://127.0.0.1:5555", (frames) => [frames, frames]);
 * proxy.endpoint; // connect the client here
 * await proxy.close();
 * ```
 */
export class TamperingProxy {
  readonly endpoint: string;
  /** How many client messages went through `rewrite`. */
  seen = 0;
  readonly #listener: Deno.TcpListener;
  readonly #target: number;
  readonly #rewrite: Rewrite;
  readonly #conns: Deno.Conn[] = [];
  readonly #loops: Promise<void>[] = [];

  private constructor(listener: Deno.TcpListener, target: number, rewrite: Rewrite) {
    this.#listener = listener;
    this.#target = target;
    this.#rewrite = rewrite;
    this.endpoint = `tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    this.#loops.push(this.#accept());
  }

  /** Listens on a free loopback port and forwards to `target` (a tcp endpoint). */
  static start(target: string, rewrite: Rewrite): Promise<TamperingProxy> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return Promise.resolve(new TamperingProxy(listener, portOf(target), rewrite));
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      const server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
      this.#conns.push(client, server);
      this.#loops.push(this.#pipe(server, client), this.#clientToServer(client, server));
    }
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        await writeAll(to, buffer.subarray(0, n));
      }
    } catch { /* either side closed */ }
    closeQuietly(to);
  }

  async #clientToServer(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    let greeting: Uint8Array | null = new Uint8Array(0);
    const out: Uint8Array[] = [];
    const decoder = new Decoder({
      greeting: () => {},
      command: (command) => {
        const writer = new FrameWriter();
        writer.writeCommand(command.name, command.data);
        out.push(writer.take().slice());
      },
      message: (frames) => {
        for (const rewritten of this.#rewrite(frames, this.seen++)) {
          const writer = new FrameWriter();
          writer.writeMessage(rewritten);
          out.push(writer.take().slice());
        }
      },
    });
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        if (greeting !== null) {
          // The greeting goes through as it came (version bytes and all).
          const joined: Uint8Array = new Uint8Array(greeting.length + chunk.length);
          joined.set(greeting);
          joined.set(chunk, greeting.length);
          if (joined.length < 64) {
            greeting = joined;
            continue;
          }
          out.push(joined.slice(0, 64));
          decoder.feed(joined);
          greeting = null;
        } else decoder.feed(chunk);
        for (const bytes of out.splice(0)) await writeAll(to, bytes);
      }
    } catch { /* either side closed */ }
    closeQuietly(to);
  }

  /** Closes the listener and every proxied connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const conn of this.#conns) closeQuietly(conn);
    await Promise.all(this.#loops);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
