/**
 * inproc between the Workers of one host process, kept inside that host.
 * Relayed through the supervisor, every chunk of such a connection would
 * cross the host's link twice (host → supervisor → host, serialised each
 * way, see frame_link.ts) and wake both main threads; paired here, the two
 * Workers hold the ends of one `MessageChannel` and nothing else touches
 * their bytes, as between the supervisor's own Workers.
 *
 * The host applies the supervisor's rules, not its own: what each Worker
 * may bind and dial is the {@link InprocAccess} the supervisor's directory
 * sends it (`inproc-access`, which passes through here on its way down and
 * which a component cannot forge: it travels from the supervisor), and
 * a dial is paired here only when it is allowed, its name is bound by
 * another Worker of this host that was allowed to bind it, and its id is
 * new. Everything else goes up to the supervisor as before, which refuses
 * (and reports) what is not allowed and relays what is bound elsewhere.
 * Binds and unbinds still go up too: the supervisor keeps every name of the
 * robot, so components elsewhere can dial it, and a name is only ever
 * granted to one component (the robot file refuses two binders), so the
 * binder seen here is the one the supervisor sees.
 *
 * @example
 * ```ts
 * import { HostInproc } from "./host_inproc.ts";
 * const inproc = new HostInproc((component, message, transfer) =>
 *   console.log("to", component, message.op, transfer.length)
 * );
 * inproc.down("planner", { op: "inproc-access", bind: ["topics"], connect: [] });
 * inproc.up("planner", { op: "inproc-bind", name: "topics" }); // false: the supervisor learns it too
 * inproc.ended("planner");
 * ```
 * @module
 */
import type { InprocFromComponent, InprocToComponent } from "../inproc_bridge.ts";

/** Connection ids remembered (local pairs, and ids seen going down); the oldest are forgotten. */
const MAX_IDS = 10_000;

/**
 * The inproc directory of one host process (see the module documentation).
 *
 * @example
 * ```ts
 * import { HostInproc } from "./host_inproc.ts";
 * const inproc = new HostInproc(() => {});
 * inproc.ended("nobody");
 * ```
 */
export class HostInproc {
  readonly #post: (component: string, message: InprocToComponent, transfer: Transferable[]) => void;
  readonly #access = new Map<string, { bind: Set<string>; connect: Set<string> }>();
  readonly #binders = new Map<string, string>();
  /** Connections paired here: who holds each end. */
  readonly #connections = new Map<string, { binder: string; dialer: string }>();
  /** Ids already used by connections through the supervisor (a reused id is refused). */
  readonly #seen = new Set<string>();

  /** `post` sends a message (with a transferred port) to one of the host's Workers. */
  constructor(
    post: (component: string, message: InprocToComponent, transfer: Transferable[]) => void,
  ) {
    this.#post = post;
  }

  /**
   * A message from the supervisor to `component`, on its way down: its access
   * is noted, the ids of connections it is handed too.
   */
  down(component: string, message: InprocToComponent): void {
    if (message.op === "inproc-access") {
      this.#access.set(component, {
        bind: new Set(message.bind),
        connect: new Set(message.connect),
      });
    } else if (message.op === "inproc-accept") this.#remember(this.#seen, message.id);
  }

  /**
   * A message from `component`'s Worker, on its way up: true when it was
   * handled here (a dial paired in this host), false when it must go on to
   * the supervisor. A component controls its isolate, so anything may come.
   */
  up(component: string, message: InprocFromComponent): boolean {
    if (typeof message.name !== "string") return false;
    const access = this.#access.get(component);
    switch (message.op) {
      case "inproc-bind":
        if (access?.bind.has(message.name) && !this.#binders.has(message.name)) {
          this.#binders.set(message.name, component);
        }
        return false;
      case "inproc-unbind":
        if (this.#binders.get(message.name) === component) this.#binders.delete(message.name);
        return false;
      case "inproc-dial": {
        if (typeof message.id !== "string" || !(message.port instanceof MessagePort)) return false;
        const binder = this.#binders.get(message.name);
        if (
          binder === undefined || binder === component || !access?.connect.has(message.name)
        ) return false;
        if (this.#connections.has(message.id) || this.#seen.has(message.id)) {
          // A reused id would make this host close someone else's connection when its holder ends.
          return false;
        }
        this.#remember(this.#connections, message.id, { binder, dialer: component });
        this.#post(
          binder,
          { op: "inproc-accept", id: message.id, name: message.name, port: message.port },
          [message.port],
        );
        this.#post(component, { op: "inproc-connected", id: message.id }, []);
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * `component`'s Worker ended (terminated, or the host is told it crashed):
   * its names go, and the connections it had here close on the other side
   * (a terminated Worker says nothing itself).
   */
  ended(component: string): void {
    this.#access.delete(component);
    for (const [name, binder] of this.#binders) {
      if (binder === component) this.#binders.delete(name);
    }
    const closed = new Map<string, string[]>();
    for (const [id, { binder, dialer }] of this.#connections) {
      if (binder !== component && dialer !== component) continue;
      this.#connections.delete(id);
      const other = binder === component ? dialer : binder;
      closed.set(other, [...(closed.get(other) ?? []), id]);
    }
    for (const [other, ids] of closed) this.#post(other, { op: "inproc-closed", ids }, []);
  }

  #remember<V>(
    where: Map<string, V> | Set<string>,
    id: string,
    value?: V,
  ): void {
    if (where instanceof Map) where.set(id, value as V);
    else where.add(id);
    // Bounded: connections that closed normally are never reported, so forget the oldest.
    if (where.size > MAX_IDS) where.delete(where.keys().next().value!);
  }
}
