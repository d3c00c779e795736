/**
 * A host process: started by the supervisor (see host_process.ts) with
 * the permissions of the components it holds, it dials the supervisor's
 * socket (its first argument), starts a component's Worker on its `start`,
 * ends it on `host-terminate`, and relays every message both ways, each
 * tagged with its component — except inproc dials between two of its own
 * Workers, which it pairs itself (host_inproc.ts). It runs nothing else, so
 * the supervisor can always take components back by killing their host: a busy loop's core,
 * a leak's memory, their ports. `--max-old-space-size=N` bounds the heap
 * of a host of its own (`limits`); asked, it reports its resident set (see
 * resident_bound.ts).
 *
 * @example
 * ```sh
 * deno run --unstable-worker-options --allow-read=… robot/supervision/host_main.ts /tmp/zedge-r-hosts/planner.sock
 * ```
 * @module
 */
import { LogRate } from "./log_sinks.ts";
import { componentWorkerUrl } from "../component_entry.ts";
import { workerPermissions } from "../permissions.ts";
import type { ToComponent } from "../protocol.ts";
import {
  type InprocFromComponent,
  type InprocToComponent,
  isInprocMessage,
} from "../inproc_bridge.ts";
import { FrameLink } from "./frame_link.ts";
import { HOST, type HostEvent, type ToHost } from "./host_process.ts";
import { HostInproc } from "./host_inproc.ts";

/**
 * What a component posted, never passing for this host's own event: the
 * supervisor takes `host-*` messages as the host's word (an error that ends
 * the component, its resident size), so one the component's code posted is
 * renamed, for the supervisor to refuse as the forgery it is.
 */
function notHostEvent(data: unknown): unknown {
  const op = (data as { op?: unknown } | null)?.op;
  if (typeof op !== "string" || !op.startsWith("host-")) return data;
  return { ...(data as object), op: `forged ${op.slice(0, 64)}` };
}

/**
 * Runs the host: dials `socket` and serves its components (see the module documentation).
 *
 * @example
 * ```ts
 * import { runComponentHost } from "./host_main.ts";
 * await runComponentHost("/tmp/zedge-r-hosts/planner.sock", "0123456789abcdef0123456789abcdef");
 * ```
 */
export async function runComponentHost(socket: string, token = ""): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  // The supervisor takes a link only from the host it started (see host_process.ts).
  const said = new TextEncoder().encode(token);
  for (let n = 0; n < said.length;) n += await conn.write(said.subarray(n));
  const workers = new Map<string, Worker>();
  const inproc = new HostInproc((name, message, transfer) =>
    workers.get(name)?.postMessage(message, transfer)
  );
  // The supervisor says what a component may do and which names others bind just before its
  // start: kept until its Worker exists, so it learns them as a Worker of the supervisor does.
  const early = new Map<string, Map<string, InprocToComponent>>();
  const start = (name: string, message: ToComponent & { op: "start" }) => {
    let heard = false;
    const worker = new Worker(componentWorkerUrl(message.spec), {
      type: "module",
      name: `${message.spec.robot}/${name}`,
      deno: { permissions: workerPermissions(message.spec.permissions) },
    });
    const fail = (text: string) => {
      if (workers.get(name) !== worker) return;
      link.send(name, { op: "host-error", message: text, heard } satisfies HostEvent);
    };
    // Its log records are held to their rate here, before the link: a component logging in a
    // loop queued thousands of them ahead of its siblings' heartbeats in this thread.
    const logRate = new LogRate();
    worker.onmessage = (event) => {
      if (workers.get(name) !== worker) return;
      heard = true;
      if (isInprocMessage(event.data) && inproc.up(name, event.data as InprocFromComponent)) return;
      if ((event.data as { op?: unknown } | null)?.op === "log") {
        // The record goes as posted (the supervisor checks it), after a note of what was dropped.
        for (
          const record of logRate.admit(
            (event.data as { record: unknown }).record,
            performance.now(),
          )
        ) {
          link.send(name, { ...(event.data as object), record });
        }
        return;
      }
      link.send(name, notHostEvent(event.data));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(event.message ?? "");
    };
    worker.onmessageerror = () => fail("sent a message that cannot be read");
    workers.set(name, worker);
    for (const held of early.get(name)?.values() ?? []) worker.postMessage(held);
    early.delete(name);
    return worker;
  };
  const serve = (data: unknown, name: string) => {
    const message = data as ToComponent | ToHost;
    if (message.op === "host-report-resident") {
      // This thread runs no component code, so a Worker's leak or busy loop cannot hold it up.
      const report = () =>
        link.send(HOST, { op: "host-resident", bytes: Deno.memoryUsage().rss } satisfies HostEvent);
      report();
      setInterval(report, message.everyMs);
      return;
    }
    if (message.op === "host-terminate") {
      workers.get(name)?.terminate();
      workers.delete(name);
      inproc.ended(name);
      return;
    }
    if (isInprocMessage(message)) inproc.down(name, message as InprocToComponent);
    const worker = message.op === "start" ? start(name, message) : workers.get(name);
    if (worker === undefined && (message.op === "inproc-access" || message.op === "inproc-names")) {
      early.set(name, (early.get(name) ?? new Map()).set(message.op, message));
      return;
    }
    // An inproc accept carries one end of a channel (relayed by the link): it moves, not copies.
    const port = (message as { port?: unknown }).port;
    worker?.postMessage(message, port instanceof MessagePort ? [port] : []);
  };
  // The supervisor gone (its socket closed): nothing of the components may outlive it.
  const link = new FrameLink(conn, serve, () => Deno.exit(0), "h");
}

if (import.meta.main) await runComponentHost(Deno.args[0], Deno.args[1]);
