/**
 * A component in a host process of its own (`isolation: process`, or any
 * `limits`): the supervisor's handle on it. Deno cannot stop a Worker stuck
 * in a synchronous loop (`terminate()` returns, the thread keeps its core),
 * and an out-of-memory in any Worker aborts its whole process; a process
 * can always be killed, and `--max-old-space-size` bounds its heap alone.
 *
 * The host (host_main.ts) dials a unix socket the supervisor listens on in
 * the robot's private host directory ({@link hostSocketPath}: a fixed path,
 * so the robot's baked flags can name it; instances never overlap, so a
 * restart reuses it); messages cross it as frames (frame_link.ts),
 * the same messages a Worker's `postMessage` carries, inproc ports relayed.
 * The host's stdout and stderr are the robot's: a component's `console`
 * output reads as it does in a Worker.
 *
 * The host is `deno run` of host_main.ts with the component's own
 * permissions (plus reading zedge's code and dialling the socket). Under
 * emulation (the arm64 smoke) `ZEDGE_HOST_LAUNCHER` names a command to start
 * it with (`qemu-aarch64-static -L /usr/aarch64-linux-gnu`).
 *
 * @example
 * ```ts
 * import { HostProcess } from "./host_process.ts";
 * import type { ComponentSpec } from "../spec.ts";
 * declare const spec: ComponentSpec;
 * const host = new HostProcess(spec, {
 *   message: (m) => console.log(m),
 *   error: (reason) => console.log("ended:", reason),
 * });
 * host.post({ op: "start", spec, logLevel: "info" });
 * host.kill();
 * await host.released;
 * ```
 * @module
 */
import { dirname } from "node:path";
import { endpointHolder } from "../endpoint_holder.ts";
import { fileURLToPath } from "node:url";
import type { ComponentSpec } from "../spec.ts";
import type { ToComponent } from "../protocol.ts";
import { permissionFlags, unionPermissions } from "../permissions.ts";
import { ZEDGE_SOURCE } from "../zedge_source.ts";
import { FrameLink } from "./frame_link.ts";
import { denoModuleFiles } from "../deno_graph.ts";
import { poolThreads } from "../grants.ts";
import { RESIDENT_REPORT_MS, ResidentBound } from "./resident_bound.ts";

/**
 * What a host says besides its component's messages: its Worker's error
 * event (`heard`: whether the Worker had said anything before); and, under
 * {@link HOST}, its process's resident set when asked to report it.
 *
 * @example
 * ```ts
 * import type { HostEvent } from "./host_process.ts";
 * const e: HostEvent = { op: "host-error", message: "boom", heard: true };
 * ```
 */
export type HostEvent =
  | { op: "host-error"; message: string; heard: boolean }
  | { op: "host-resident"; bytes: number };

/**
 * The name host-level messages travel under on a host's link (no component has it: component
 * names are YAML keys, never empty).
 *
 * @example
 * ```ts
 * import { HOST } from "./host_process.ts";
 * console.log(JSON.stringify(HOST)); // ""
 * ```
 */
export const HOST = "";

/**
 * What the supervisor tells a host besides its components' messages: end
 * this component's Worker (it crashed or stopped; its siblings carry on);
 * under {@link HOST}, report the process's resident set every `everyMs`.
 *
 * @example
 * ```ts
 * import type { ToHost } from "./host_process.ts";
 * const m: ToHost = { op: "host-terminate" };
 * ```
 */
export type ToHost = { op: "host-terminate" } | { op: "host-report-resident"; everyMs: number };

/**
 * Where a host's events go.
 *
 * @example
 * ```ts
 * import type { HostHandlers } from "./host_process.ts";
 * const h: HostHandlers = { message: () => {}, error: (reason, heard) => console.log(reason, heard) };
 * ```
 */
export interface HostHandlers {
  /** A message of the component, as posted: its own code may have forged it (checked by the taker). */
  message: (message: unknown) => void;
  /** The component ended without a word: its Worker's error, or its host's exit (`heard`: after it spoke). */
  error: (reason: string, heard: boolean) => void;
}

/**
 * The private directory (mode 0700, made by the supervisor) of a robot's host sockets.
 *
 * @example
 * ```ts
 * import { hostSocketDir } from "./host_process.ts";
 * hostSocketDir("kitchen-bot"); // "/tmp/zedge-kitchen-bot-hosts"
 * ```
 */
export function hostSocketDir(robot: string): string {
  return `/tmp/zedge-${robot}-hosts`;
}

/**
 * The socket a component's host dials.
 *
 * @example
 * ```ts
 * import { hostSocketPath } from "./host_process.ts";
 * hostSocketPath("kitchen-bot", "planner"); // "/tmp/zedge-kitchen-bot-hosts/planner.sock"
 * ```
 */
export function hostSocketPath(robot: string, component: string): string {
  return `${hostSocketDir(robot)}/${component}.sock`;
}

/**
 * A robot's own binary starts its hosts as itself (`/proc/self/exe --zedge-host SOCKET`,
 * its baked flags, its embedded modules); from source they are `deno run` of host_main.ts.
 */
let binaryHosts = false;

/**
 * Makes hosts start as this very binary with `--zedge-host` (see robot_binary.ts).
 *
 * @example
 * ```ts
 * import { useBinaryHosts } from "./host_process.ts";
 * useBinaryHosts();
 * ```
 */
export function useBinaryHosts(): void {
  binaryHosts = true;
}

/**
 * The program and arguments that start a component's host.
 *
 * @example
 * ```ts
 * import { hostCommand } from "./host_process.ts";
 * import type { ComponentSpec } from "../spec.ts";
 * declare const spec: ComponentSpec;
 * const [program, ...args] = hostCommand([spec], "/tmp/zedge-r-hosts/planner.sock", null);
 * ```
 */
export function hostCommand(
  specs: readonly ComponentSpec[],
  socket: string,
  memoryMb: number | null,
  token = "",
): string[] {
  const launcher = hostLauncher();
  const own = binaryHosts
    ? [
      // A compiled binary's V8 flags are baked: `--v8-flags` here would reach the program as
      // an argument. Its hosts are bounded by their resident memory alone (resident_watch.ts).
      "/proc/self/exe",
      "--zedge-host",
      socket,
      token,
    ]
    : [Deno.execPath(), ...hostArguments(specs, socket, memoryMb), token];
  return [...launcher, ...own];
}

/** The host process's entry module. */
const HOST_MAIN = new URL("./host_main.ts", import.meta.url);

/**
 * Why a host process ended, in a component's words (`residentMb`: the
 * resident set it was killed at for passing its bound, see resident_bound.ts).
 *
 * @example
 * ```ts
 * import { hostExitReason } from "./host_process.ts";
 * hostExitReason({ success: false, code: 133, signal: null }, 64); // "out of memory (64 MB)"
 * ```
 */
export function hostExitReason(
  status: Deno.CommandStatus,
  memoryMb: number | null,
  residentMb?: number,
): string {
  if (outOfMemory(status)) {
    const limit = memoryLimit(memoryMb, residentMb);
    return limit === null ? "out of memory" : `out of memory (${limit})`;
  }
  return status.signal !== null
    ? `its host process was killed (${status.signal})`
    : `its host process exited (code ${status.code})`;
}

/** A host's memory bound as its reasons say it: `64 MB`, or `64 MB, 173 MB resident`. */
function memoryLimit(memoryMb: number | null, residentMb: number | undefined): string | null {
  if (memoryMb === null) return null;
  return residentMb === undefined ? `${memoryMb} MB` : `${memoryMb} MB, ${residentMb} MB resident`;
}

/** V8's fatal out-of-memory ends in a breakpoint trap: exit 133 (128 + SIGTRAP). */
function outOfMemory(status: Deno.CommandStatus): boolean {
  return status.code === 133 || status.signal === "SIGTRAP" || status.signal === "SIGABRT";
}

/** How a host killed for passing its resident bound ended (as V8's own out-of-memory does). */
const KILLED_FOR_MEMORY: Deno.CommandStatus = { success: false, code: 133, signal: null };

/** The least heap a component must hold to be named as its host's out-of-memory cause. */
const CULPRIT_MIN_BYTES = 16 * 2 ** 20;

/**
 * Why each component of a host that ended on its own ended, by name. One
 * Worker's out-of-memory aborts the whole host (and the kernel's OOM killer
 * SIGKILLs it whole), so in a host of several components the one whose heap
 * held the most at its last heartbeat is named as the likeliest cause — in
 * its own reason and in its siblings', when it held at least twice as
 * much as any other. Heaps are the components' own reports: advisory, as a
 * figure from inside a Worker must be.
 *
 * @example
 * ```ts
 * import { hostEndReasons } from "./host_process.ts";
 * const heaps = new Map([["leak", 900 * 2 ** 20], ["calm", 2 ** 20]]);
 * hostEndReasons({ success: false, code: 133, signal: null }, null, heaps).get("calm");
 * // "its host process ran out of memory: leak held the most heap (900 MB)"
 * ```
 */
export function hostEndReasons(
  status: Deno.CommandStatus,
  memoryMb: number | null,
  heaps: ReadonlyMap<string, number | undefined>,
  residentMb?: number,
): Map<string, string> {
  const plain = hostExitReason(status, memoryMb, residentMb);
  const reasons = new Map([...heaps.keys()].map((name) => [name, plain]));
  const memory = outOfMemory(status) || status.signal === "SIGKILL";
  let culprit: string | null = null;
  let most = -1;
  let next = 0;
  for (const [name, heap] of heaps) {
    if (heap === undefined) continue;
    if (heap > most) [culprit, most, next] = [name, heap, Math.max(most, 0)];
    else next = Math.max(next, heap);
  }
  // Named only with a clear lead: a leak that never yields to its event loop sends no heartbeat
  // while it grows, and a sibling that merely holds a little more must not take the blame.
  const clear = most >= CULPRIT_MIN_BYTES && most >= 2 * next;
  if (!memory || heaps.size < 2 || culprit === null || !clear) return reasons;
  const held = `${Math.round(most / 2 ** 20)} MB`;
  const limit = memoryLimit(memoryMb, residentMb);
  const ended = outOfMemory(status)
    ? `ran out of memory${limit === null ? "" : ` (${limit})`}`
    : `was killed (SIGKILL, as the kernel's out-of-memory killer does)`;
  for (const name of heaps.keys()) {
    reasons.set(
      name,
      name === culprit
        ? `${plain}: it held the most heap of its host (${held})`
        : `its host process ${ended}: ${culprit} held the most heap (${held})`,
    );
  }
  return reasons;
}

/**
 * The `deno run` arguments of a component's host (see the module documentation).
 *
 * @example
 * ```ts
 * import { hostArguments } from "./host_process.ts";
 * import type { ComponentSpec } from "../spec.ts";
 * declare const spec: ComponentSpec;
 * hostArguments([spec], "/tmp/zedge-r-hosts/planner.sock", 64);
 * ```
 */
export function hostArguments(
  specs: readonly ComponentSpec[],
  socket: string,
  memoryMb: number | null,
): string[] {
  const flags = permissionFlags(unionPermissions([
    ...specs.map((spec) => spec.permissions),
    { net: [`unix:${socket}`], read: [], write: [], env: [] },
    // Dialling a unix socket takes reading and writing its path too.
    // The host loads the component's graph (Deno checks the creator's read permission for each
    // file): zedge's code, the graph as resolved, the directories of its modules. Its Worker is
    // narrowed to the component's own permissions as in the robot process.
    {
      net: [],
      read: [
        ...ZEDGE_SOURCE,
        ...specs.flatMap((spec) => [...spec.code, ...moduleDirs(spec)]),
        socket,
      ],
      write: [socket],
      env: [],
    },
  ]));
  return [
    "run",
    "--no-prompt",
    "--unstable-worker-options",
    // No --config: started in the robot's working directory, it finds the robot's own.
    ...(memoryMb === null ? [] : [`--v8-flags=--max-old-space-size=${memoryMb}`]),
    ...flags,
    HOST_MAIN.href,
    socket,
  ];
}

/** A staged Worker entry (a robot binary's), and the directories of a component's local modules. */
function moduleDirs(spec: ComponentSpec): string[] {
  const entry = spec.workerModule?.startsWith("file:") ? [fileURLToPath(spec.workerModule)] : [];
  return [
    ...entry,
    ...spec.modules.filter((m) => m.startsWith("file:")).map((m) => dirname(fileURLToPath(m))),
  ];
}

/** `ZEDGE_HOST_LAUNCHER`'s words; none when unset or not readable (a robot's baked flags). */
function hostLauncher(): string[] {
  try {
    return (Deno.env.get("ZEDGE_HOST_LAUNCHER") ?? "").split(" ").filter((w) => w.length > 0);
  } catch {
    return [];
  }
}

/**
 * One host process and the components attached to it (see the module documentation).
 *
 * @example
 * ```ts
 * import { HostProcess } from "./host_process.ts";
 * import type { ComponentSpec } from "../spec.ts";
 * declare const spec: ComponentSpec;
 * const host = new HostProcess(spec.name, [spec], null);
 * host.attach(spec.name, { message: () => {}, error: () => {} });
 * host.kill(spec.name, "silent");
 * await host.released;
 * ```
 */
export class HostProcess {
  /** The host's process id. */
  readonly pid: number;
  /** Resolves once the host process has exited: its CPU, memory and ports are returned. */
  readonly released: Promise<void>;
  /** Resolves once the host has dialled in: its own start-up is over. */
  readonly connected: Promise<void>;
  #connected!: () => void;
  readonly #child: Deno.ChildProcess;
  readonly #listener: Deno.Listener;
  readonly #socket: string;
  #link: FrameLink | null = null;
  /** The unix socket it dials (unlinked once it has). */
  get socket(): string {
    return this.#socket;
  }
  readonly #queue: [string, ToComponent | ToHost][] = [];
  readonly #attached = new Map<
    string,
    { handlers: HostHandlers; heard: boolean; heapBytes?: number; loading: boolean }
  >();
  #killed = false;
  #exited = false;
  #unlinked = false;
  #bound: ResidentBound | null = null;
  /** The resident MB seen when the host was killed for passing its memory budget, else null. */
  #residentOverMb: number | null = null;
  /**
   * What this instance's host says first on its socket: the path is fixed (the baked flags name
   * it), so only the token tells this supervisor's host from anything else that dials it.
   */
  readonly #token = crypto.randomUUID().replaceAll("-", "");

  /**
   * Starts a host named `name` (its socket's name) for `specs`, with their permissions' union;
   * messages posted before it dials in wait for it.
   */
  constructor(name: string, specs: readonly ComponentSpec[], memoryMb: number | null) {
    // Two supervisors of one robot in one process (tests) take numbered paths; another
    // process's is refused below.
    let socket = hostSocketPath(specs[0].robot, name);
    for (let n = 2; liveHostSockets.has(socket); n++) {
      socket = hostSocketPath(specs[0].robot, `${name}.${n}`);
    }
    this.#socket = socket;
    claimHostSocket(socket, specs[0].robot);
    this.#listener = listenRemakingDir(socket);
    liveHostSockets.add(socket);
    const [program, ...args] = hostCommand(specs, socket, memoryMb, this.#token);
    try {
      this.#child = new Deno.Command(program, {
        args,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
    } catch (error) {
      // No leave to run it, or no such program: nothing may be left listening.
      this.#listener.close();
      this.#unlink();
      liveHostSockets.delete(socket);
      throw error;
    }
    this.pid = this.#child.pid;
    this.connected = new Promise((resolve) => this.#connected = resolve);
    this.#accept().catch(() => {});
    if (memoryMb !== null) {
      // Each pool thread is an isolate as large as its component's own may be.
      const isolates = specs.reduce((n, spec) => n + 1 + poolThreads(spec), 0);
      this.#bound = new ResidentBound(memoryMb, isolates);
      this.post(HOST, { op: "host-report-resident", everyMs: RESIDENT_REPORT_MS });
    }
    this.released = this.#child.status.then((status) => {
      this.#exited = true;
      this.#close();
      if (this.#killed) return;
      const heaps = new Map([...this.#attached].map(([name, a]) => [name, a.heapBytes]));
      const reasons = this.#residentOverMb === null
        ? hostEndReasons(status, memoryMb, heaps)
        : hostEndReasons(KILLED_FOR_MEMORY, memoryMb, heaps, this.#residentOverMb);
      for (const [name, { handlers, heard }] of this.#attached) {
        handlers.error(reasons.get(name)!, heard);
      }
      this.#attached.clear();
    });
  }

  /**
   * Whether the host process is stopped (SIGSTOP, SIGTSTP, or held by a debugger), from
   * /proc: its silence is then no busy loop of its components. False where /proc cannot say.
   */
  get stopped(): boolean {
    try {
      const stat = Deno.readTextFileSync(`/proc/${this.pid}/stat`);
      // The state follows the command name, which is in parentheses and may hold any byte.
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state === "T" || state === "t";
    } catch {
      return false;
    }
  }

  /** Whether it may still take components (not killed, not exited). */
  get alive(): boolean {
    return !this.#killed && !this.#exited && this.#residentOverMb === null;
  }

  /** A report of the host's resident set (see resident_bound.ts): past its bound, SIGKILL. */
  #resident(bytes: number): void {
    const overMb = this.#bound?.over(bytes) ?? null;
    if (overMb === null || this.#killed || this.#exited || this.#residentOverMb !== null) return;
    this.#residentOverMb = overMb;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Gone already.
    }
  }

  /** Where a component's messages and its end go, from now on. */
  attach(component: string, handlers: HostHandlers): void {
    this.#attached.set(component, { handlers, heard: false, loading: true });
  }

  /** `component` has loaded and started (see {@link othersLoading}). */
  loaded(component: string): void {
    const attached = this.#attached.get(component);
    if (attached !== undefined) attached.loading = false;
  }

  /**
   * Whether a component other than `component` is still loading in this
   * host. Loading compiles code on every thread of the process at once: on
   * a slow robot, or under emulation (qemu-user translates code under one
   * lock), a running sibling's heartbeats can then stall for seconds
   * without any fault of its own.
   */
  othersLoading(component: string): boolean {
    for (const [name, attached] of this.#attached) {
      if (name !== component && attached.loading) return true;
    }
    return false;
  }

  /** Ends a component's Worker in the host (it crashed or stopped); its siblings carry on. */
  detach(component: string): void {
    if (!this.#attached.delete(component)) return;
    this.post(component, { op: "host-terminate" });
  }

  async #accept(): Promise<void> {
    let conn: Deno.Conn;
    for (;;) {
      conn = await this.#listener.accept();
      if (await presentsToken(conn, this.#token)) break;
      // Not this instance's host (a probe, a stray host of another run): never a link.
      conn.close();
    }
    this.#listener.close();
    // Dialled: the connection lives on without its path.
    this.#unlink();
    if (this.#killed || this.#exited) {
      conn.close();
      return;
    }
    this.#link = new FrameLink(
      conn,
      (data, component) => {
        // A component's messages are relayed as it posted them (anything: null, no op); the
        // host's own events are the host's only (its main thread renames a component's forgery).
        const op = (data as { op?: unknown } | null)?.op;
        if (component === HOST) {
          const bytes = (data as { bytes?: unknown }).bytes;
          if (op === "host-resident" && typeof bytes === "number") this.#resident(bytes);
          return;
        }
        const attached = this.#attached.get(component);
        if (attached === undefined) return;
        if (op === "host-error") {
          const event = data as HostEvent & { op: "host-error" };
          attached.handlers.error(String(event.message || "uncaught error"), event.heard === true);
          return;
        }
        attached.heard = true;
        const heapBytes = (data as { heapBytes?: unknown } | null)?.heapBytes;
        if (op === "heartbeat" && typeof heapBytes === "number") attached.heapBytes = heapBytes;
        attached.handlers.message(data);
      },
      () => {},
      "s",
    );
    for (const [component, message] of this.#queue.splice(0)) this.#link.send(component, message);
    this.#connected();
  }

  /** Posts a message to one of its components. */
  post(component: string, message: ToComponent | ToHost): void {
    if (this.#link === null) this.#queue.push([component, message]);
    else this.#link.send(component, message);
  }

  /**
   * SIGKILLs the host: whatever its components do, they stop (see {@link released}). The
   * others attached hear that `culprit` was `why`, as their own end.
   */
  kill(culprit: string, why: string): void {
    if (this.#killed) return;
    this.#killed = true;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    const others = [...this.#attached].filter(([name]) => name !== culprit);
    this.#attached.clear();
    queueMicrotask(() => {
      for (const [, { handlers }] of others) {
        handlers.error(`its host process was killed: ${culprit} ${why}`, true);
      }
    });
  }

  #close(): void {
    liveHostSockets.delete(this.#socket);
    this.#link?.close();
    try {
      this.#listener.close();
    } catch {
      // Closed once dialled.
    }
    this.#unlink();
  }

  /** Removes the socket's path (synchronously: the next instance listens at the same path). */
  #unlink(): void {
    if (this.#unlinked) return;
    this.#unlinked = true;
    try {
      Deno.removeSync(this.#socket);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Listens at `socket`, making its directory again (0700) when it is gone. The supervisor made it
 * at start, but it stays empty while its hosts run (a socket's path is unlinked once dialled),
 * and an empty directory in /tmp is what cleaners of /tmp remove (systemd-tmpfiles' age,
 * tmpreaper, an operator): the next restart of a component then failed for good, with "No such
 * file or directory". One mkdir, which fails if anything is there already, as at start.
 */
function listenRemakingDir(socket: string): Deno.Listener {
  try {
    return Deno.listen({ transport: "unix", path: socket });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const dir = dirname(socket);
  Deno.mkdirSync(dir, { mode: 0o700 });
  Deno.chmodSync(dir, 0o700); // the umask may have taken bits away, never added: exact
  return Deno.listen({ transport: "unix", path: socket });
}

/** Host socket paths of this process's hosts not yet released (another supervisor's, in tests). */
const liveHostSockets = new Set<string>();

/** Bytes of a host's token (32 hex digits), the first thing it writes on its socket. */
const TOKEN_BYTES = 32;

/** How long a dialler may take to say its token before it is dropped. */
const TOKEN_WAIT_MS = 5_000;

/**
 * Makes `socket` free for a new host: removes what a previous instance killed before it closed
 * left there, but refuses when a listener answers on it — another supervisor of the same robot
 * runs on this machine, and taking its path would hand its hosts to this one.
 */
function claimHostSocket(socket: string, robot: string): void {
  // /proc/net/unix names the path of a listener and of the links it accepted (also once the path
  // is unlinked); this process's own are a previous instance's, on their way out.
  const holder = endpointHolder(`ipc://${socket}`);
  if (holder !== null && !holder.startsWith("this robot")) {
    throw new Error(
      `another supervisor of robot '${robot}' runs on this machine (${socket} is held by ${holder}): stop it first`,
    );
  }
  try {
    Deno.removeSync(socket);
  } catch {
    // None.
  }
}

export const SHARED_HOST = ".shared";

/**
 * The robot's host processes: one shared host for every component that
 * has none of its own (`isolation: host`, the default), started when the
 * first needs it and again after it was killed; a host of its own for
 * each `isolation: process` or `limits` component.
 *
 * @example
 * ```ts
 * import { HostPool } from "./host_process.ts";
 * import type { ComponentSpec } from "../spec.ts";
 * declare const specs: ComponentSpec[];
 * const hosts = new HostPool(specs);
 * const host = hosts.hostFor(specs[0]);
 * await hosts.close();
 * ```
 */
export class HostPool {
  readonly #shared: ComponentSpec[];
  #sharedHost: HostProcess | null = null;
  readonly #all = new Set<HostProcess>();
  /** The robot's host directory, once a host of this pool listened there. */
  #usedDir: string | null = null;

  readonly #sharedMemoryMb: number | null;

  /** For the robot's components; the shared host's heap bounded to `sharedMemoryMb` MB if given. */
  constructor(specs: readonly ComponentSpec[], sharedMemoryMb: number | null = null) {
    this.#shared = specs.filter((spec) => spec.isolation === "host");
    this.#sharedMemoryMb = sharedMemoryMb;
  }

  /**
   * Lets hosts started from source read their components' whole module graphs: Deno checks a
   * Worker's static imports against its creator's read permission, and a handler's local import
   * outside its own directory (`../lib/helper.ts`) is read by no other grant. The graphs are
   * Deno's own resolution (`deno info`), never a module's text. A robot binary's hosts are the
   * binary itself: they read what it embeds.
   */
  async prepare(specs: readonly ComponentSpec[]): Promise<void> {
    if (binaryHosts) return;
    // One `deno info` per module, however many components load it (pipeline roles share theirs).
    const graphOf = new Map<string, Promise<string[]>>();
    const graph = (module: string) => {
      let files = graphOf.get(module);
      if (files === undefined) {
        graphOf.set(module, files = denoModuleFiles([module]).catch(() => [] as string[]));
      }
      return files;
    };
    await Promise.all(
      specs.filter((spec) => spec.isolation !== "worker").map(async (spec) => {
        const graphs = await Promise.all(spec.modules.map(graph));
        // A module whose graph cannot be resolved fails to load in its Worker, and says why there.
        // zedge's own files are read as their directories already.
        const own = graphs.flat().filter((file) =>
          !ZEDGE_SOURCE.some((root) => file === root || file.startsWith(`${root}/`))
        );
        spec.code = [...new Set([...spec.code, ...own])].sort();
      }),
    );
  }

  /** The host `spec` starts in: a new one of its own, or the shared one. */
  hostFor(spec: ComponentSpec): HostProcess {
    if (spec.isolation === "process") {
      return this.#track(new HostProcess(spec.name, [spec], spec.memoryMb));
    }
    if (this.#sharedHost === null || !this.#sharedHost.alive) {
      this.#sharedHost = this.#track(
        new HostProcess(SHARED_HOST, this.#shared, this.#sharedMemoryMb),
      );
    }
    return this.#sharedHost;
  }

  #track(host: HostProcess): HostProcess {
    this.#all.add(host);
    this.#usedDir ??= dirname(host.socket);
    host.released.then(() => this.#all.delete(host));
    return host;
  }

  /** Kills every host left (the robot stops) and waits until each has exited. */
  async close(): Promise<void> {
    const hosts = [...this.#all];
    for (const host of hosts) host.kill("(supervisor)", "stopped the robot");
    await Promise.all(hosts.map((host) => host.released));
    // The robot leaves no directory behind; the next run makes it again (0700). Not while
    // another supervisor of this robot in this process (tests) still has a host there.
    const dir = this.#usedDir;
    if (dir !== null && ![...liveHostSockets].some((path) => dirname(path) === dir)) {
      try {
        Deno.removeSync(dir);
      } catch {
        // Not empty (something else put a file there), or gone already: left as it is.
      }
    }
  }
}

/**
 * Whether `conn` says `token` first (within TOKEN_WAIT_MS). Reads exactly the token's bytes, so
 * the frames after it are the link's.
 */
async function presentsToken(conn: Deno.Conn, token: string): Promise<boolean> {
  const got = new Uint8Array(TOKEN_BYTES);
  const timer = setTimeout(() => conn.close(), TOKEN_WAIT_MS);
  try {
    for (let n = 0; n < got.length;) {
      const read = await conn.read(got.subarray(n));
      if (read === null) return false;
      n += read;
    }
    return new TextDecoder().decode(got) === token;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
