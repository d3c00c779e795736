/**
 * inproc across a robot's components, the way libzmq's inproc works
 * between the threads of one context. Each component's Worker installs a
 * {@link ComponentInprocBridge}: it tells the supervisor which inproc names
 * it binds, and dials names bound in other components through it. The
 * supervisor's {@link InprocDirectory} pairs each dial with the binder and
 * hands each Worker one end of a `MessageChannel`; the bytes then flow
 * Worker to Worker (see `core/transport/port_stream.ts`) with no kernel
 * socket and no permission. When a component's Worker ends, the directory
 * forgets its names and closes its connections on the other side (a
 * terminated Worker says nothing itself).
 *
 * The directory is also where components are kept apart. A component
 * controls everything in its own isolate (it can post raw bridge messages),
 * so the rules hold here, outside it: each component binds only the names
 * its {@link InprocAccess} gives it — no other component's, even while
 * that one restarts — and dials only the names it declared; everything
 * else is refused. The component's own bridge applies the same rules first,
 * so an honest mistake fails at once with the declaration to add.
 *
 * @example
 * ```ts
 * import { InprocDirectory } from "./inproc_bridge.ts";
 * const directory = new InprocDirectory((component, message, transfer) => {
 *   console.log("to", component, message.op, transfer.length);
 * });
 * directory.ended("odometry");
 * ```
 * @module
 */
import { deliverInproc, installInprocBridge } from "../core/transport/inproc.ts";
import { PortStream } from "../core/transport/port_stream.ts";
import type { ByteStream } from "../core/transport/stream.ts";

/** Connections remembered for closing when a component dies; the oldest are forgotten. */
const MAX_CONNECTIONS = 10_000;
/** The longest inproc name or dial id a component's message may carry. */
const MAX_NAME_CHARS = 4096;
/** The dialer name of the supervisor's own isolate (no component can be named so). */
const SUPERVISOR = "(supervisor)";

/**
 * The inproc names (without `inproc://`) one component may bind and dial
 * across the robot's Workers (see `inprocAccess` in `grants.ts`).
 *
 * @example
 * ```ts
 * import type { InprocAccess } from "./inproc_bridge.ts";
 * const access: InprocAccess = {
 *   bind: ["zedge/kitchen-bot/odometry/topics"],
 *   connect: ["zedge/kitchen-bot/planner/services"],
 * };
 * ```
 */
export interface InprocAccess {
  /** Names it may bind. */
  bind: string[];
  /** Names it may connect to. */
  connect: string[];
}

/** Why a bind is refused: the names the runtime gave, and where endpoints are declared. */
function bindRefusal(name: string, allowed: readonly string[]): string {
  return `inproc://${name} is not this component's to bind (it binds ${
    allowed.length === 0 ? "no inproc name" : allowed.map((n) => `inproc://${n}`).join(", ")
  }): declare the endpoint under its \`bind\` in the robot YAML`;
}

/** Why a dial is refused: the declarations that would allow it. */
function connectRefusal(name: string): string {
  return `inproc://${name} is not declared by this component: add the topic to its ` +
    `\`subscribes\`, the service to its \`calls\` or the endpoint to its \`connect\` ` +
    `in the robot YAML`;
}

/**
 * Component → supervisor, for inproc.
 *
 * @example
 * ```ts
 * import type { InprocFromComponent } from "./inproc_bridge.ts";
 * const m: InprocFromComponent = { op: "inproc-bind", name: "kitchen-bot/odometry/topics" };
 * ```
 */
export type InprocFromComponent =
  | { op: "inproc-bind"; name: string }
  | { op: "inproc-unbind"; name: string }
  | { op: "inproc-dial"; id: string; name: string; port: MessagePort };

/**
 * Supervisor → component, for inproc.
 *
 * @example
 * ```ts
 * import type { InprocToComponent } from "./inproc_bridge.ts";
 * const m: InprocToComponent = { op: "inproc-names", names: ["kitchen-bot/planner/services"] };
 * ```
 */
export type InprocToComponent =
  | { op: "inproc-access"; bind: string[]; connect: string[] }
  | { op: "inproc-names"; names: string[] }
  | { op: "inproc-accept"; id: string; name: string; port: MessagePort }
  | { op: "inproc-connected"; id: string }
  | { op: "inproc-refused"; id: string; reason?: string }
  | { op: "inproc-closed"; ids: string[] };

/**
 * True for the inproc messages of either direction.
 *
 * @example
 * ```ts
 * import { isInprocMessage } from "./inproc_bridge.ts";
 * isInprocMessage({ op: "inproc-bind", name: "x" }); // true
 * ```
 */
export function isInprocMessage(
  message: { op: string },
): message is InprocFromComponent | InprocToComponent {
  // What a component's isolate posts may be anything (null, no op): never a reason to throw here.
  const op = (message as { op?: unknown } | null)?.op;
  return typeof op === "string" && op.startsWith("inproc-");
}

/**
 * The inproc bridge of one component's Worker (see the module documentation).
 *
 * @example
 * ```ts
 * import { ComponentInprocBridge } from "./inproc_bridge.ts";
 * const bridge = new ComponentInprocBridge((message, transfer) => postMessage(message, transfer));
 * bridge.install();
 * ```
 */
export class ComponentInprocBridge {
  readonly #post: (message: InprocFromComponent, transfer: Transferable[]) => void;
  #remote = new Set<string>();
  /** What the directory lets this component do (null until it says: everything). */
  #access: { bind: Set<string>; connect: Set<string> } | null = null;
  readonly #dials = new Map<
    string,
    { port: MessagePort; resolve: (s: ByteStream) => void; reject: (e: Error) => void }
  >();
  readonly #streams = new Map<string, PortStream>();

  /** `post` sends a message (with transferred ports) to the supervisor. */
  constructor(post: (message: InprocFromComponent, transfer: Transferable[]) => void) {
    this.#post = post;
  }

  /** Makes this isolate's inproc transport use the bridge. */
  install(): void {
    installInprocBridge({
      announce: (name, bound) =>
        this.#post({ op: bound ? "inproc-bind" : "inproc-unbind", name }, []),
      // An undeclared name is never "bound": a socket retries it on its timer, not at once.
      isBound: (name) => this.#remote.has(name) && this.#mayConnect(name),
      dial: (name) => this.#dial(name),
      permitBind: (name) => {
        if (this.#access !== null && !this.#access.bind.has(name)) {
          throw new Deno.errors.NotCapable(bindRefusal(name, [...this.#access.bind]));
        }
      },
    });
  }

  #mayConnect(name: string): boolean {
    return this.#access === null || this.#access.connect.has(name);
  }

  #dial(name: string): Promise<ByteStream> {
    if (!this.#mayConnect(name)) {
      return Promise.reject(new Deno.errors.NotCapable(connectRefusal(name)));
    }
    if (!this.#remote.has(name)) {
      return Promise.reject(
        new Deno.errors.ConnectionRefused(`nothing is bound at inproc://${name}`),
      );
    }
    const { port1, port2 } = new MessageChannel();
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      this.#dials.set(id, { port: port1, resolve, reject });
      this.#post({ op: "inproc-dial", id, name, port: port2 }, [port2]);
    });
  }

  /** Handles a message from the supervisor. */
  handle(message: InprocToComponent): void {
    switch (message.op) {
      case "inproc-access":
        this.#access = { bind: new Set(message.bind), connect: new Set(message.connect) };
        return;
      case "inproc-names":
        this.#remote = new Set(message.names);
        return;
      case "inproc-accept": {
        const stream = new PortStream(message.port);
        if (deliverInproc(message.name, stream)) this.#track(message.id, stream);
        return;
      }
      case "inproc-connected": {
        const dial = this.#dials.get(message.id);
        if (dial === undefined) return;
        this.#dials.delete(message.id);
        const stream = new PortStream(dial.port);
        this.#track(message.id, stream);
        dial.resolve(stream);
        return;
      }
      case "inproc-refused": {
        const dial = this.#dials.get(message.id);
        if (dial === undefined) return;
        this.#dials.delete(message.id);
        dial.port.close();
        dial.reject(
          message.reason === undefined
            ? new Deno.errors.ConnectionRefused("the inproc binder is gone")
            : new Deno.errors.NotCapable(message.reason),
        );
        return;
      }
      case "inproc-closed":
        for (const id of message.ids) {
          this.#streams.get(id)?.peerClosed();
          this.#streams.delete(id);
        }
        return;
    }
  }

  #track(id: string, stream: PortStream): void {
    this.#streams.set(id, stream);
    // Forget closed streams now and then, so churn cannot grow the map.
    if (this.#streams.size > 64) {
      for (const [key, s] of this.#streams) if (s.closed) this.#streams.delete(key);
    }
  }
}

/** Checks a message from a component's isolate, which may have forged it. */
function isWellFormed(message: InprocFromComponent): boolean {
  // A name longer than any endpoint a YAML can declare is no name the directory keeps.
  if (typeof message.name !== "string" || message.name.length > MAX_NAME_CHARS) return false;
  if (message.op === "inproc-bind" || message.op === "inproc-unbind") return true;
  return message.op === "inproc-dial" && typeof message.id === "string" &&
    message.id.length <= MAX_NAME_CHARS && message.port instanceof MessagePort;
}

/**
 * The supervisor's side: who binds which inproc name, and which connections
 * join which components.
 *
 * @example
 * ```ts
 * import { InprocDirectory } from "./inproc_bridge.ts";
 * const sent: string[] = [];
 * const directory = new InprocDirectory((to, m) => sent.push(`${to}:${m.op}`));
 * directory.started("a", { bind: ["x"], connect: [] });
 * directory.handle("a", { op: "inproc-bind", name: "x" });
 * directory.handle("a", { op: "inproc-bind", name: "y" }); // refused: not a's
 * console.log(directory.names()); // ["x"]
 * ```
 */
export class InprocDirectory {
  readonly #send: (component: string, message: InprocToComponent, transfer: Transferable[]) => void;
  readonly #binders = new Map<string, string>();
  readonly #connections = new Map<string, { binder: string; dialer: string }>();
  readonly #components = new Set<string>();
  readonly #access = new Map<string, { bind: Set<string>; connect: Set<string> }>();
  readonly #refused: (component: string, reason: string) => void;
  /** Streams the supervisor's own isolate dialled (its gateway's). */
  readonly #local = new Map<string, PortStream>();

  /**
   * `send` posts a message (with transferred ports) to a component's current
   * Worker; `refused` hears each bind or dial refused (a component that
   * tried what its own bridge would not have: worth a warning).
   */
  constructor(
    send: (component: string, message: InprocToComponent, transfer: Transferable[]) => void,
    refused: (component: string, reason: string) => void = () => {},
  ) {
    this.#send = send;
    this.#refused = refused;
  }

  /** Every name bound in some component, sorted. */
  names(): string[] {
    return [...this.#binders.keys()].sort();
  }

  /**
   * A component's Worker started: it learns what it may do and what the
   * others bind. Only `access` is ever allowed to it, whatever it sends.
   */
  started(component: string, access: InprocAccess): void {
    this.#components.add(component);
    this.#access.set(component, { bind: new Set(access.bind), connect: new Set(access.connect) });
    this.#send(component, { op: "inproc-access", bind: access.bind, connect: access.connect }, []);
    this.#send(component, { op: "inproc-names", names: this.#namesFor(component) }, []);
  }

  #may(component: string, use: "bind" | "connect", name: string): boolean {
    return this.#components.has(component) &&
      (this.#access.get(component)?.[use].has(name) ?? false);
  }

  #namesFor(component: string): string[] {
    return [...this.#binders].filter(([, c]) => c !== component).map(([n]) => n).sort();
  }

  #broadcast(): void {
    for (const component of this.#components) {
      this.#send(component, { op: "inproc-names", names: this.#namesFor(component) }, []);
    }
  }

  /** Handles an inproc message from a component (one it forged included: it is checked here). */
  handle(component: string, message: InprocFromComponent): void {
    if (!isWellFormed(message)) {
      this.#refused(component, `sent a malformed ${String(message.op).slice(0, 64)} message`);
      if ((message as { port?: unknown }).port instanceof MessagePort) {
        (message as { port: MessagePort }).port.close();
      }
      return;
    }
    switch (message.op) {
      case "inproc-bind":
        if (!this.#may(component, "bind", message.name)) {
          const allowed = [...this.#access.get(component)?.bind ?? []];
          this.#refused(component, bindRefusal(message.name, allowed));
          return;
        }
        if (this.#binders.has(message.name)) return; // the transport refuses a second bind
        this.#binders.set(message.name, component);
        this.#broadcast();
        return;
      case "inproc-unbind":
        if (this.#binders.get(message.name) === component) {
          this.#binders.delete(message.name);
          this.#broadcast();
        }
        return;
      case "inproc-dial": {
        if (!this.#may(component, "connect", message.name)) {
          const reason = connectRefusal(message.name);
          message.port.close();
          this.#refused(component, reason);
          this.#send(component, { op: "inproc-refused", id: message.id, reason }, []);
          return;
        }
        if (this.#connections.has(message.id)) {
          // A binder learns its dialers' ids: reusing one would hijack that connection's record
          // (and so whom its end is told to).
          message.port.close();
          this.#refused(component, `dialled with a connection id already in use`);
          this.#send(component, { op: "inproc-refused", id: message.id }, []);
          return;
        }
        const binder = this.#binders.get(message.name);
        if (binder === undefined || binder === component) {
          message.port.close();
          this.#send(component, { op: "inproc-refused", id: message.id }, []);
          return;
        }
        if (binder === SUPERVISOR) {
          // A name the supervisor's own isolate binds (its links to peer robots, the operator's
          // topics): the connection is accepted here, as a component's binder would.
          const stream = new PortStream(message.port);
          if (!deliverInproc(message.name, stream)) {
            this.#send(component, { op: "inproc-refused", id: message.id }, []);
            return;
          }
          this.#remember(message.id, SUPERVISOR, component);
          this.#local.set(message.id, stream);
          this.#send(component, { op: "inproc-connected", id: message.id }, []);
          return;
        }
        this.#remember(message.id, binder, component);
        this.#send(
          binder,
          { op: "inproc-accept", id: message.id, name: message.name, port: message.port },
          [message.port],
        );
        this.#send(component, { op: "inproc-connected", id: message.id }, []);
        return;
      }
    }
  }

  /**
   * Lets the supervisor's own isolate dial names bound in components (the
   * dataflow gateway and the topic tap do) and lets components dial names
   * the supervisor binds (its links to peer robots, the operator's topics):
   * such a name is announced with binder "(supervisor)", and a component's
   * dial of it is accepted in this isolate. Returns the function that
   * removes it again (and the supervisor's names with it).
   */
  installLocal(): () => void {
    installInprocBridge({
      announce: (name, bound) => {
        const binder = this.#binders.get(name);
        if (bound && binder === undefined) this.#binders.set(name, SUPERVISOR);
        else if (!bound && binder === SUPERVISOR) this.#binders.delete(name);
        else return;
        this.#broadcast();
      },
      // Bound in a component: the supervisor's own names are found in its isolate first.
      isBound: (name) => {
        const binder = this.#binders.get(name);
        return binder !== undefined && binder !== SUPERVISOR;
      },
      dial: (name) => {
        const binder = this.#binders.get(name);
        if (binder === undefined || binder === SUPERVISOR) {
          return Promise.reject(
            new Deno.errors.ConnectionRefused(`nothing is bound at inproc://${name}`),
          );
        }
        const { port1, port2 } = new MessageChannel();
        const id = crypto.randomUUID();
        this.#remember(id, binder, SUPERVISOR);
        const stream = new PortStream(port1);
        this.#local.set(id, stream);
        this.#send(binder, { op: "inproc-accept", id, name, port: port2 }, [port2]);
        return Promise.resolve(stream);
      },
    });
    return () => {
      installInprocBridge(null);
      for (const [name, binder] of this.#binders) {
        if (binder === SUPERVISOR) this.#binders.delete(name);
      }
      this.#broadcast();
    };
  }

  #remember(id: string, binder: string, dialer: string): void {
    this.#connections.set(id, { binder, dialer });
    // Bounded: connections that closed normally are never reported, so forget the oldest.
    if (this.#connections.size > MAX_CONNECTIONS) {
      const oldest = this.#connections.keys().next().value!;
      this.#connections.delete(oldest);
      this.#local.delete(oldest);
    }
  }

  /** A component's Worker ended: its names go, and its connections close on the other side. */
  ended(component: string): void {
    this.#components.delete(component);
    let changed = false;
    for (const [name, binder] of this.#binders) {
      if (binder === component) {
        this.#binders.delete(name);
        changed = true;
      }
    }
    const closed = new Map<string, string[]>();
    for (const [id, { binder, dialer }] of this.#connections) {
      if (binder !== component && dialer !== component) continue;
      this.#connections.delete(id);
      const other = binder === component ? dialer : binder;
      if (other !== component) closed.set(other, [...(closed.get(other) ?? []), id]);
    }
    for (const [other, ids] of closed) {
      if (other !== SUPERVISOR) {
        this.#send(other, { op: "inproc-closed", ids }, []);
        continue;
      }
      for (const id of ids) {
        this.#local.get(id)?.peerClosed();
        this.#local.delete(id);
      }
    }
    if (changed) this.#broadcast();
  }
}
