/**
 * The robot's word to systemd (`Type=notify` units, see systemd.ts): the
 * `sd_notify` datagrams on the socket `NOTIFY_SOCKET` names.
 *
 * - `READY=1` once every component is running or given up;
 * - `STATUS=8 components: 7 running, 1 failed` on every change;
 * - `WATCHDOG=1` every half `WATCHDOG_USEC`, from a timer of the
 *   supervisor's own event loop: a hung supervisor stops sending them and
 *   systemd restarts it (`WatchdogSec=`);
 * - `STOPPING=1` when it shuts down.
 *
 * Deno sends datagrams only from a bound socket (`Deno.listenDatagram`,
 * `--unstable-net`), so the notifier binds one beside the control socket
 * (`/run/zedge/<robot>.notify` under systemd) and removes the name at once.
 * Without `NOTIFY_SOCKET` nothing is sent; a robot that cannot send says
 * so once and runs on.
 *
 * @example
 * ```ts
 * import { SystemdNotifier } from "./systemd_notify.ts";
 * const notifier = SystemdNotifier.fromEnv("/run/zedge/kitchen-bot.notify");
 * await notifier?.send({ READY: "1", STATUS: "1 components: 1 running" });
 * notifier?.close();
 * ```
 * @module
 */
import { dirname } from "node:path";
import { parseEndpoint } from "../core/transport/endpoint.ts";
import type { ComponentState, RobotStatus } from "./observe/view.ts";
import type { RobotConfig } from "./spec.ts";

/**
 * Where systemd listens for a service's notifications (its `NOTIFY_SOCKET`).
 *
 * @example
 * ```ts
 * import { SYSTEMD_NOTIFY_SOCKET } from "./systemd_notify.ts";
 * console.log(SYSTEMD_NOTIFY_SOCKET); // "/run/systemd/notify"
 * ```
 */
export const SYSTEMD_NOTIFY_SOCKET = "/run/systemd/notify";

/**
 * The variables the notifier reads (the robot process needs leave to read them).
 *
 * @example
 * ```ts
 * import { NOTIFY_ENV } from "./systemd_notify.ts";
 * console.log(NOTIFY_ENV.includes("WATCHDOG_USEC")); // true
 * ```
 */
export const NOTIFY_ENV: readonly string[] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/**
 * Where the robot binds its sending socket: beside its control socket when
 * that lives in a zedge directory (the robot may write there), else null.
 *
 * @example
 * ```ts
 * import { notifyBindPath } from "./systemd_notify.ts";
 * import type { RobotConfig } from "./spec.ts";
 * declare const robot: RobotConfig;
 * notifyBindPath(robot); // "/run/zedge/kitchen-bot.notify" under systemd
 * ```
 */
export function notifyBindPath(config: Pick<RobotConfig, "control" | "robot">): string | null {
  const parsed = parseEndpoint(config.control);
  if (parsed.transport !== "ipc") return null;
  const dir = dirname(parsed.path);
  const own = dir.endsWith("/zedge") || dir.endsWith(`/${config.robot}`);
  return own ? `${dir}/${config.robot}.notify` : null;
}

/**
 * The `STATUS=` line for a robot's status: the components count, then how
 * many are in each state.
 *
 * @example
 * ```ts
 * import { statusLine } from "./systemd_notify.ts";
 * statusLine({ robot: "r", pid: 1, uptimeMs: 0, components: [] }); // "0 components"
 * ```
 */
export function statusLine(status: RobotStatus): string {
  const counts = new Map<ComponentState, number>();
  for (const c of status.components) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  const order: ComponentState[] = ["running", "starting", "backoff", "failed", "stopped"];
  const parts = order.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  const total = `${status.components.length} components`;
  return parts.length === 0 ? total : `${total}: ${parts.join(", ")}`;
}

/**
 * Sends `sd_notify` datagrams (see the module documentation).
 *
 * @example
 * ```ts
 * import { SystemdNotifier } from "./systemd_notify.ts";
 * const n = SystemdNotifier.fromEnv("/run/zedge/r.notify");
 * if (n !== null) console.log(`watchdog every ${n.watchdogMs} ms`);
 * ```
 */
export class SystemdNotifier {
  /** The socket systemd listens on. */
  readonly socket: string;
  /** How often to send `WATCHDOG=1` (half `WATCHDOG_USEC`), or null without a watchdog. */
  readonly watchdogMs: number | null;
  readonly #bindPath: string | null;
  #conn: Deno.DatagramConn | null = null;
  #failed = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #onProblem: (message: string) => void;

  /** A notifier for `socket`, sending from a socket bound at `bindPath`. */
  constructor(
    socket: string,
    bindPath: string | null,
    watchdogMs: number | null,
    onProblem: (message: string) => void = (m) => console.error(m),
  ) {
    this.socket = socket;
    this.#bindPath = bindPath;
    this.watchdogMs = watchdogMs;
    this.#onProblem = onProblem;
  }

  /**
   * The notifier the environment asks for (`NOTIFY_SOCKET`, `WATCHDOG_USEC`,
   * `WATCHDOG_PID`), or null when not run by systemd as a notify service.
   */
  static fromEnv(
    bindPath: string | null,
    onProblem?: (message: string) => void,
  ): SystemdNotifier | null {
    const env = (name: string) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined;
      }
    };
    const socket = env("NOTIFY_SOCKET");
    if (!socket) return null;
    const usec = Number(env("WATCHDOG_USEC"));
    const pid = env("WATCHDOG_PID");
    const forUs = pid === undefined || pid === "" || Number(pid) === Deno.pid;
    const watchdogMs = forUs && Number.isFinite(usec) && usec > 0
      ? Math.max(1, Math.floor(usec / 2000))
      : null;
    return new SystemdNotifier(socket, bindPath, watchdogMs, onProblem);
  }

  /** Sends one datagram of `KEY=value` lines; a failure is said once, never thrown. */
  async send(fields: Record<string, string>): Promise<void> {
    if (this.#failed) return;
    const text = Object.entries(fields).map(([k, v]) => `${k}=${v.replaceAll("\n", " ")}`)
      .join("\n");
    try {
      const conn = this.#conn ?? this.#open();
      await conn.send(new TextEncoder().encode(text), {
        transport: "unixpacket",
        path: this.socket,
      });
    } catch (error) {
      this.#failed = true;
      this.#onProblem(
        `cannot notify systemd at ${this.socket}: ${
          error instanceof Error ? error.message : error
        } (a Type=notify unit will time out; run with --unstable-net)`,
      );
    }
  }

  #open(): Deno.DatagramConn {
    const listen = (Deno as { listenDatagram?: typeof Deno.listenDatagram }).listenDatagram;
    if (listen === undefined) throw new Error("Deno.listenDatagram needs --unstable-net");
    if (this.#bindPath === null) {
      throw new Error("the control socket is not in a zedge directory, so there is none to bind");
    }
    try {
      Deno.removeSync(this.#bindPath);
    } catch {
      // Not there: the usual case.
    }
    const conn = listen({ transport: "unixpacket", path: this.#bindPath });
    // Only the sending side matters: nobody writes to it, so its name can go.
    try {
      Deno.removeSync(this.#bindPath);
    } catch {
      // Left behind: harmless, removed before the next bind.
    }
    this.#conn = conn;
    return conn;
  }

  /** Starts sending `WATCHDOG=1` every {@link watchdogMs} (nothing without a watchdog). */
  startWatchdog(): void {
    if (this.watchdogMs === null || this.#watchdog !== undefined) return;
    this.#watchdog = setInterval(() => this.send({ WATCHDOG: "1" }), this.watchdogMs);
  }

  /** Stops the watchdog and closes the socket. */
  close(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    try {
      this.#conn?.close();
    } catch {
      // Closed already.
    }
    this.#conn = null;
  }
}

/**
 * Tells systemd about a running supervisor: `READY=1` with its status now,
 * `STATUS=` on every change `watch` reports, `WATCHDOG=1` until stopped;
 * the returned function sends `STOPPING=1` and stops.
 *
 * @example
 * ```ts
 * import { notifySystemd } from "./systemd_notify.ts";
 * import { Supervisor } from "./supervisor.ts";
 * declare const supervisor: Supervisor;
 * const stopping = await notifySystemd(supervisor.config, () => supervisor.status(), (on) => on);
 * await stopping();
 * ```
 */
export async function notifySystemd(
  config: Pick<RobotConfig, "control" | "robot">,
  status: () => RobotStatus,
  watch: (onChange: () => void) => void,
  onProblem?: (message: string) => void,
): Promise<() => Promise<void>> {
  const notifier = SystemdNotifier.fromEnv(notifyBindPath(config), onProblem);
  if (notifier === null) return () => Promise.resolve();
  let last = statusLine(status());
  await notifier.send({ READY: "1", STATUS: last, MAINPID: String(Deno.pid) });
  notifier.startWatchdog();
  let stopped = false;
  watch(() => {
    if (stopped) return;
    const line = statusLine(status());
    if (line === last) return;
    last = line;
    notifier.send({ STATUS: line });
  });
  return async () => {
    stopped = true;
    await notifier.send({ STOPPING: "1", STATUS: "stopping" });
    notifier.close();
  };
}
