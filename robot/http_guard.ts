/**
 * A guard in front of the supervisor's HTTP servers (the status page, the
 * Foxglove WebSocket server). `Deno.serve` (Deno 2.9.6) has no deadline
 * for a request's head and no cap on connections: a host that opens
 * thousands of connections and sends half a request head holds one file
 * descriptor of the supervisor each, for ever, until the process can
 * accept nothing — not its control endpoint, gateway or dataflow either.
 *
 * The guard listens on the configured address itself and:
 * - gives each connection {@link HEAD_DEADLINE_MS} to send its first
 *   request head (up to `\r\n\r\n`, at most {@link MAX_HEAD_BYTES});
 * - holds at most {@link MAX_GUARDED_CONNECTIONS} connections, and
 *   {@link MAX_CONNECTIONS_PER_ADDRESS} from one address. At a cap the
 *   oldest connection still sending its head makes room for the newcomer
 *   (a browser sends its head at once, a slow client's place is taken);
 *   when every held connection has sent its head, the newcomer is refused;
 * - then hands the connection to the real server, a `Deno.serve` on a Unix
 *   socket in a directory of its own (mode 0700: no other local user can
 *   reach the server around the guard), piping bytes both ways;
 * - says in the robot's log when it drops connections: at most one line
 *   per {@link DROP_LOG_INTERVAL_MS}, naming the address that lost most.
 *
 * `node:http`'s `headersTimeout` and `maxConnections` work in Deno 2.9.6
 * (checked every `connectionsCheckingInterval`), but a server at its cap
 * refuses everyone, and the Foxglove server needs `Deno.upgradeWebSocket`,
 * which only `Deno.serve` offers.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { HttpGuard } from "./http_guard.ts";
 * const guard = new HttpGuard("127.0.0.1", 0, { page: "status page", log: getLogger(["zedge"]) });
 * const addr = await guard.start((path) =>
 *   Deno.serve({ transport: "unix", path, onListen() {} }, () => new Response("ok\n"))
 * );
 * console.log(await (await fetch(`http://127.0.0.1:${addr.port}/`)).text()); // "ok\n"
 * await guard.close();
 * ```
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { dirname, join } from "node:path";
import { escapeUntrusted } from "../core/logs/escape.ts";
import { ensurePrivateDir } from "./private_dir.ts";

/**
 * How long a connection may take to send its first request head, in ms. A
 * browser or Foxglove sends it with the connection (milliseconds, seconds
 * over a bad radio link); a slowloris client never finishes it.
 */
export const HEAD_DEADLINE_MS = 10_000;
/**
 * Connections one guarded server holds at once. Each costs the supervisor
 * up to three descriptors once handed on (the client's, and both ends of
 * the Unix socket): 256 is at most 768 of a process limit of thousands,
 * and far more than the few pages, Prometheus scrapers and Foxglove
 * windows a robot serves.
 */
export const MAX_GUARDED_CONNECTIONS = 256;
/**
 * Connections from one address at once: a browser opens up to 6 per host,
 * a few tabs and a scraper stay well under 32, and one hostile host cannot
 * take more than an eighth of {@link MAX_GUARDED_CONNECTIONS}.
 */
export const MAX_CONNECTIONS_PER_ADDRESS = 32;
/** The most a request head may be (hyper refuses heads far smaller than this could hold anyway). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** At most one log line about dropped connections per this many ms. */
export const DROP_LOG_INTERVAL_MS = 10_000;
/** What one read moves between the client and the server. */
const PIPE_CHUNK_BYTES = 64 * 1024;

const HEAD_END = [13, 10, 13, 10];

/** Why the guard dropped a connection. */
type DropReason = "slow head" | "head too long" | "over the cap";

/** One connection held by the guard. */
interface Held {
  readonly client: Deno.TcpConn;
  readonly source: string;
  /** True until its first request head has come. */
  sendingHead: boolean;
  server: Deno.UnixConn | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

/**
 * The directory of a robot's guarded servers' sockets (mode 0700, see
 * private_dir.ts): the supervisor's permissions name each socket.
 *
 * @example
 * ```ts
 * import { httpSocketDir } from "./http_guard.ts";
 * httpSocketDir("kitchen-bot"); // "/tmp/zedge-kitchen-bot-http"
 * ```
 */
export function httpSocketDir(robot: string): string {
  return `/tmp/zedge-${robot}-http`;
}

/**
 * The Unix socket of one of a robot's guarded servers, for its address
 * (`HOST:PORT`): named with the port, so robots of one name on one machine
 * (tests, a second instance on another port) keep apart.
 *
 * @example
 * ```ts
 * import { httpSocketPath } from "./http_guard.ts";
 * httpSocketPath("kitchen-bot", "status", "0.0.0.0:7800");
 * // "/tmp/zedge-kitchen-bot-http/status-7800.sock"
 * ```
 */
export function httpSocketPath(
  robot: string,
  server: "status" | "foxglove",
  address: string,
): string {
  const port = address.slice(address.lastIndexOf(":") + 1);
  return `${httpSocketDir(robot)}/${server}-${port}.sock`;
}

/**
 * What a guard names in its log lines, and where it logs.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import type { GuardedPage } from "./http_guard.ts";
 * const page: GuardedPage = { page: "Foxglove server", log: getLogger(["zedge", "robot", "foxglove"]) };
 * ```
 */
export interface GuardedPage {
  /** The server's name in log lines ("status page"). */
  page: string;
  /** Where drops are logged. */
  log: Logger;
  /**
   * Where the real server listens (its directory is made private); by
   * default in a new temporary directory of its own.
   */
  socketPath?: string;
}

/**
 * See the module documentation.
 *
 * @example
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { HttpGuard } from "./http_guard.ts";
 * const guard = new HttpGuard("0.0.0.0", 7800, { page: "status page", log: getLogger(["zedge"]) });
 * await guard.start((path) => Deno.serve({ transport: "unix", path }, () => new Response("hi")));
 * await guard.close();
 * ```
 */
export class HttpGuard {
  readonly #hostname: string;
  readonly #port: number;
  readonly #page: GuardedPage;
  /** In the order they came: the first one sending its head is the oldest. */
  readonly #held = new Set<Held>();
  readonly #perSource = new Map<string, number>();
  readonly #drops: DropReport;
  #listener: Deno.TcpListener | null = null;
  #server: Deno.HttpServer<Deno.UnixAddr> | null = null;
  #dir: string | null = null;
  #socketPath = "";
  #accepting: Promise<void> = Promise.resolve();

  /** Guards `hostname:port` (port 0 for any) once started. */
  constructor(hostname: string, port: number, page: GuardedPage) {
    this.#hostname = hostname;
    this.#port = port;
    this.#page = page;
    this.#drops = new DropReport(page);
  }

  /** Connections held now (sending their head or handed on). */
  get connections(): number {
    return this.#held.size;
  }

  /**
   * Listens on the guarded address and starts the real server with
   * `serve(path)` (a `Deno.serve` on the Unix socket `path`); resolves with
   * the address listened on. Throws the listen error (address in use, no
   * such address) as `Deno.listen` does, with nothing left behind.
   */
  async start(
    serve: (path: string) => Deno.HttpServer<Deno.UnixAddr>,
  ): Promise<Deno.NetAddr> {
    const given = this.#page.socketPath;
    // makeTempDir creates the directory 0700: only this user reaches the socket in it.
    const dir = given === undefined ? await Deno.makeTempDir({ prefix: "zedge-http-" }) : null;
    this.#socketPath = given ?? join(dir!, "http.sock");
    try {
      // The address first: when it is taken, that is what the error says.
      this.#listener = Deno.listen({ hostname: this.#hostname, port: this.#port });
      if (given !== undefined) await claimSocket(given);
      this.#server = serve(this.#socketPath);
    } catch (error) {
      this.#listener?.close();
      this.#listener = null;
      // A socket at a given path is not this server's yet (it may be another process's).
      if (dir !== null) await Deno.remove(dir, { recursive: true });
      throw error;
    }
    this.#dir = dir;
    this.#accepting = this.#accept(this.#listener);
    return this.#listener.addr;
  }

  /** Removes the server's socket, and its directory when empty (or made for it). */
  async #removeSocket(dir: string | null): Promise<void> {
    if (dir !== null) return await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(this.#socketPath).catch(() => {});
    // Another server of this robot may still have its socket there: then the directory stays.
    await Deno.remove(dirname(this.#socketPath)).catch(() => {});
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept();
      } catch (error) {
        if (this.#listener === null || error instanceof Deno.errors.BadResource) return;
        // Out of descriptors (EMFILE) or a connection reset before it was accepted: go on.
        this.#page.log.warn(`${this.#page.page}: cannot accept a connection: {error}`, {
          error: String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      this.#admit(client);
    }
  }

  #admit(client: Deno.TcpConn): void {
    const source = client.remoteAddr.hostname;
    if (
      (this.#held.size >= MAX_GUARDED_CONNECTIONS && !this.#makeRoom(null)) ||
      ((this.#perSource.get(source) ?? 0) >= MAX_CONNECTIONS_PER_ADDRESS &&
        !this.#makeRoom(source))
    ) {
      client.close();
      this.#drops.count(source, "over the cap");
      return;
    }
    try {
      client.setNoDelay(true); // small messages (events, WebSocket frames) go out at once
    } catch { /* already reset by the client */ }
    const held: Held = {
      client,
      source,
      sendingHead: true,
      server: null,
      timer: undefined,
      closed: false,
    };
    held.timer = setTimeout(() => this.#drop(held, "slow head"), HEAD_DEADLINE_MS);
    this.#held.add(held);
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    this.#serve(held);
  }

  /** Drops the oldest connection still sending its head (from `source`, or any); false when none is. */
  #makeRoom(source: string | null): boolean {
    for (const held of this.#held) {
      if (held.sendingHead && (source === null || held.source === source)) {
        this.#drop(held, "over the cap");
        return true;
      }
    }
    return false;
  }

  #drop(held: Held, reason: DropReason): void {
    if (held.closed) return;
    this.#drops.count(held.source, reason);
    this.#release(held);
  }

  #release(held: Held): void {
    if (held.closed) return;
    held.closed = true;
    clearTimeout(held.timer);
    this.#held.delete(held);
    const left = (this.#perSource.get(held.source) ?? 1) - 1;
    if (left === 0) this.#perSource.delete(held.source);
    else this.#perSource.set(held.source, left);
    for (const conn of [held.client, held.server]) {
      try {
        conn?.close();
      } catch { /* closed already */ }
    }
  }

  /** Reads the first request head, then pipes the connection to the server. */
  async #serve(held: Held): Promise<void> {
    const head: Uint8Array[] = [];
    try {
      let size = 0;
      let matched = 0; // bytes of \r\n\r\n seen at the end of what came so far
      const buffer = new Uint8Array(4096);
      for (;;) {
        const n = await held.client.read(buffer);
        if (n === null || held.closed) return this.#release(held);
        // A copy of what came: a client sending a byte at a time keeps 64 KiB, not 4 KiB a byte.
        const part = buffer.slice(0, n);
        head.push(part);
        size += n;
        matched = headEndMatched(part, matched);
        if (matched === HEAD_END.length) break;
        if (size > MAX_HEAD_BYTES) return this.#drop(held, "head too long");
      }
      held.sendingHead = false;
      clearTimeout(held.timer);
      const server = await Deno.connect({ transport: "unix", path: this.#socketPath });
      if (held.closed) return server.close();
      held.server = server;
      for (const part of head) await writeAll(server, part);
    } catch {
      return this.#release(held); // reset by the client, or the server is closing
    }
    const server = held.server;
    // The client's end of the request (half close) reaches the server; the server's end of the
    // connection ends it.
    const upstream = pump(held.client, server).then(() => server.closeWrite());
    const downstream = pump(server, held.client);
    await Promise.race([downstream, upstream.then(() => downstream)]).catch(() => {});
    this.#release(held);
  }

  /** Stops listening, closes every connection and the server, removes the socket's directory. */
  async close(): Promise<void> {
    const listener = this.#listener;
    if (listener === null) return;
    this.#listener = null;
    listener.close();
    await this.#accepting;
    for (const held of [...this.#held]) if (held.sendingHead) this.#release(held);
    const server = this.#server;
    this.#server = null;
    // Graceful: answers being sent go out through their pipes, then the pipes are closed.
    await server?.shutdown();
    for (const held of [...this.#held]) this.#release(held);
    this.#drops.stop();
    await this.#removeSocket(this.#dir);
    this.#dir = null;
  }
}

/**
 * Makes `path` free for a new server in its private directory: what a
 * previous instance that was killed left there is removed, but a server
 * that answers there is another supervisor of the same robot.
 */
async function claimSocket(path: string): Promise<void> {
  await ensurePrivateDir(dirname(path));
  let answered = false;
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    answered = true;
  } catch { /* nothing listens: stale or absent */ }
  if (answered) {
    throw new Error(
      `${path} is served by another process (another supervisor of this robot?): stop it first`,
    );
  }
  await Deno.remove(path).catch(() => {});
}

/** How many bytes of `\r\n\r\n` end the stream after `chunk`, `matched` of them having ended it before. */
function headEndMatched(chunk: Uint8Array, matched: number): number {
  for (const byte of chunk) {
    if (byte === HEAD_END[matched]) matched++;
    else matched = byte === HEAD_END[0] ? 1 : 0;
    if (matched === HEAD_END.length) return matched;
  }
  return matched;
}

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await to.write(bytes.subarray(written));
  }
}

/** Copies `from` to `to` until `from` ends; rejects when either fails. */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(PIPE_CHUNK_BYTES);
  for (;;) {
    const n = await from.read(buffer);
    if (n === null) return;
    await writeAll(to, buffer.subarray(0, n));
  }
}

/**
 * Counts dropped connections by source and reason, and logs them: the first
 * at once, then at most one line per {@link DROP_LOG_INTERVAL_MS}, naming
 * the address that lost most and how many others lost some.
 */
class DropReport {
  readonly #page: GuardedPage;
  #pending = new Map<string, Map<DropReason, number>>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(page: GuardedPage) {
    this.#page = page;
  }

  count(source: string, reason: DropReason): void {
    const reasons = this.#pending.get(source) ?? new Map<DropReason, number>();
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    this.#pending.set(source, reasons);
    if (this.#timer === undefined) this.#flush();
  }

  /** Logs what is pending; then, unless `last`, waits an interval before the next line. */
  #flush(last = false): void {
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const page = this.#page;
    const total = (reasons: Map<DropReason, number>) =>
      [...reasons.values()].reduce((a, b) => a + b);
    const bySource = [...this.#pending].sort((a, b) => total(b[1]) - total(a[1]));
    const [source, reasons] = bySource[0];
    const others = bySource.slice(1);
    const elsewhere = others.reduce((sum, [, r]) => sum + total(r), 0);
    this.#pending = new Map();
    page.log.warn(
      `${page.page}: dropped {count} connection(s) from {source} ({reasons}){others}` +
        " (head deadline {deadline} s, at most {perSource} per address, {max} in all)",
      {
        count: total(reasons),
        source: escapeUntrusted(source),
        reasons: [...reasons].map(([reason, n]) => `${n} ${reason}`).join(", "),
        others: others.length === 0
          ? ""
          : ` and ${elsewhere} from ${others.length} other address(es)`,
        deadline: HEAD_DEADLINE_MS / 1000,
        perSource: MAX_CONNECTIONS_PER_ADDRESS,
        max: MAX_GUARDED_CONNECTIONS,
      },
    );
    if (!last) this.#timer = setTimeout(() => this.#flush(), DROP_LOG_INTERVAL_MS);
  }

  /** Logs what is still pending, and stops. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#flush(true);
  }
}
